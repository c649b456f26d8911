import type { ServerResponse } from 'node:http';
import { escape } from './page/html.ts';
import { type LarkMembers, renderPanes } from './page/panes.ts';
import { styles } from './page/styles.ts';
import type { PlatformSimulator } from './platform-simulator.ts';

export interface SandboxPageOptions {
  /** The apps and group bots that are Lark's (the simulator serves Feishu and Lark alike); their approvals and messages show in the Lark pane. */
  lark?: { apps?: Iterable<string>; bots?: Iterable<string> };
  /** The imhub console, linked from the page's top bar. */
  consoleUrl?: string;
}

/**
 * Nothing the page shows comes from elsewhere: no script, style, font or image from the internet
 * (a message's links open in a new tab, but nothing loads by itself).
 */
const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src 'none'; form-action 'self'; base-uri 'none'";

/**
 * The sandbox's approver page at <simulator>/sandbox: one pane per platform (Feishu, Lark,
 * DingTalk, WeCom), each drawn like that platform's approval app and chat. Approval tasks are
 * decided there (as the chosen approver, through the simulator, which calls imhub back as the
 * platform would) and stay listed with their outcome; the chat shows what imhub sent, rendered as
 * the platform renders it, cards with live buttons included.
 *
 * Routes: GET /sandbox, GET /sandbox/version (changes whenever something new would show: the page
 * reloads itself on it), POST /sandbox/act (instance, user, decision, comment), POST /sandbox/click
 * (card, user, decision, comment).
 */
export function sandboxPages(sim: PlatformSimulator, options: SandboxPageOptions = {}) {
  // Read on every request: the sandbox adds its Lark app and bot after the page is set up.
  const lark = (): LarkMembers => ({ apps: new Set(options.lark?.apps ?? []), bots: new Set(options.lark?.bots ?? []) });
  return async (method: string, url: URL, body: string, response: ServerResponse) => {
    if (method === 'POST' && url.pathname === '/sandbox/click') {
      // A person clicking a card's button: the simulator signs the platform's callback to imhub.
      const form = new URLSearchParams(body);
      const card = sim.cards.cards.get(form.get('card') ?? '');
      const decision = form.get('decision') === 'reject' ? 'reject' : 'approve';
      let notice = '';
      try {
        if (!card) throw new Error(`no card "${form.get('card') ?? ''}" in the simulator`);
        const result = await sim.cards.click(card, form.get('user') ?? '', decision, form.get('comment') || undefined);
        notice = result.toast ? `${result.toast.type}: ${result.toast.text}` : `clicked ${decision}: imhub answered HTTP ${result.status}`;
      } catch (caught) {
        notice = `error: ${(caught as Error).message}`;
      }
      return redirect(response, `/sandbox?notice=${encodeURIComponent(notice)}`);
    }
    if (method === 'POST' && url.pathname === '/sandbox/act') {
      const form = new URLSearchParams(body);
      const decision = form.get('decision') === 'reject' ? 'reject' : 'approve';
      let error = '';
      try {
        await sim.approvals.act(form.get('instance') ?? '', form.get('user') ?? '', decision, form.get('comment') || undefined);
      } catch (caught) {
        error = (caught as Error).message;
      }
      return redirect(response, `/sandbox${error ? `?error=${encodeURIComponent(error)}` : ''}`);
    }
    if (method === 'GET' && url.pathname === '/sandbox/version') {
      response.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
      response.end(version(sim));
      return;
    }
    if (method !== 'GET' || url.pathname !== '/sandbox') {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found: the sandbox page is GET /sandbox');
      return;
    }
    const error = url.searchParams.get('error');
    const notice = url.searchParams.get('notice');
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': contentSecurityPolicy, 'cache-control': 'no-store' });
    response.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>imhub sandbox</title>
<style>${styles}</style>
</head><body>
<header class="top"><h1>imhub sandbox</h1>${options.consoleUrl ? `<a href="${escape(options.consoleUrl)}">Console</a>` : ''}<span class="hint">What approvers see on each platform · newest first · updates by itself</span></header>
${error ? `<p class="flash error" role="alert">${escape(error)}</p>` : ''}${notice ? `<p class="flash" role="status">${escape(notice)}</p>` : ''}
<main class="panes">
${renderPanes(sim, lark())}
</main>
<script>
// Reload when something new happened, unless the user is typing or choosing.
(() => {
  let seen = ${JSON.stringify(version(sim))};
  setInterval(async () => {
    const busy = [...document.querySelectorAll('input[name=comment],textarea')].some((field) => field.value) || ['INPUT', 'TEXTAREA', 'SELECT'].includes(document.activeElement?.tagName);
    if (busy || document.hidden) return;
    const now = await fetch('/sandbox/version').then((answer) => answer.text()).catch(() => seen);
    if (now !== seen) location.replace('/sandbox');
  }, 2000);
})();
</script>
</body></html>`);
  };
}

function redirect(response: ServerResponse, location: string) {
  response.writeHead(303, { location });
  response.end();
}

/** A string that changes whenever the page would show something new. */
function version(sim: PlatformSimulator): string {
  let acts = 0;
  for (const instance of sim.approvals.instances.values()) acts += instance.nodes.reduce((sum, node) => sum + node.acts.length, 0) + (instance.status === 'pending' ? 0 : 1);
  let cards = 0;
  for (const card of sim.cards.cards.values()) cards += card.history.length + card.clicks.length;
  let bots = 0;
  for (const bot of sim.bots.values()) bots += bot.sent.length;
  return [sim.approvals.instances.size, acts, sim.messages.length, bots, sim.cards.cards.size, cards].join('.');
}
