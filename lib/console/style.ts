/** The console's style sheet: system fonts, no web font or image from anywhere. */
export const consoleStyle = `
:root { --fg: #1f2329; --muted: #646a73; --line: #dee0e3; --bg: #f5f6f7; --card: #fff; --accent: #3370ff; --ok: #2ea121; --bad: #d83931; --wait: #de7802; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 -apple-system, BlinkMacSystemFont, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 16px; padding: 0 20px; height: 52px; background: var(--card); border-bottom: 1px solid var(--line); }
header .brand { font-weight: 600; font-size: 16px; }
header nav { display: flex; gap: 4px; flex: 1; }
header nav a { padding: 6px 10px; border-radius: 6px; color: var(--fg); text-decoration: none; }
header select { width: auto; }
header nav a.active { background: #e1eaff; color: var(--accent); }
main { max-width: 1080px; margin: 20px auto; padding: 0 20px; }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin-bottom: 16px; }
h1 { font-size: 20px; margin: 0 0 12px; }
h2 { font-size: 16px; margin: 0 0 10px; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 8px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 500; }
tr.link { cursor: pointer; }
tr.link:hover { background: #f0f4ff; }
label { display: block; margin: 10px 0 4px; font-weight: 500; }
label small { color: var(--muted); font-weight: 400; }
input, select, textarea { font: inherit; padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px; width: 100%; max-width: 480px; background: #fff; }
input[type=checkbox] { width: auto; }
label input:not([type=checkbox]), label select { display: block; margin-top: 4px; }
header label select, .row label { display: inline-block; }
button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid var(--line); background: #fff; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { color: var(--bad); border-color: var(--bad); }
button:disabled { opacity: .5; cursor: default; }
.row { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.muted { color: var(--muted); }
.error { color: var(--bad); white-space: pre-wrap; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
code.copy { background: #f2f3f5; padding: 4px 8px; border-radius: 4px; word-break: break-all; }
ol.steps li { margin: 6px 0; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #eff0f1; }
.status.ok, .status.approved, .status.sent, .status.delivered { background: #d9f5d6; color: var(--ok); }
.status.failed, .status.rejected { background: #fde2e2; color: var(--bad); }
.status.waiting, .status.pending, .status.queued, .status.partial { background: #feead2; color: var(--wait); }
.keybox { background: #fff7e6; border: 1px solid #ffd591; padding: 10px; border-radius: 6px; word-break: break-all; }
.signin { max-width: 420px; margin: 80px auto; }
.platforms { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 8px; }
`;
