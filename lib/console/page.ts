import { escapeHtml } from '../html.ts';
import { consoleScript } from './script.ts';
import { consoleStyle } from './style.ts';

/**
 * The console at `/console`: one HTML shell, one script and one style sheet, all served from this
 * origin by the meta function. The page holds no data and no secret: it signs in with an API key
 * kept in the tab's sessionStorage and reads everything from the API with it.
 */

/** Only this origin: no inline script or style, no other host, no framing. */
export const consoleSecurityHeaders: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** The sandbox's approver page, linked from the console when the sandbox runs (an http(s) URL only). */
const linkable = (url: string | undefined) => (url && URL.canParse(url) && /^https?:$/.test(new URL(url).protocol) ? new URL(url).href : undefined);

export function consolePage(options: { sandboxUrl?: string | undefined } = {}): string {
  const sandboxUrl = linkable(options.sandboxUrl);
  return `<!doctype html>
<html lang="zh-CN"${sandboxUrl ? ` data-sandbox-url="${escapeHtml(sandboxUrl)}"` : ''}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>imhub console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/app.css">
<script type="module" src="/console/app.js"></script>
</head>
<body>
<noscript>The imhub console needs JavaScript. / imhub 控制台需要启用 JavaScript。</noscript>
<div id="app"></div>
</body>
</html>
`;
}

export { consoleScript, consoleStyle };
