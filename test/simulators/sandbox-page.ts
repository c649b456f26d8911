import type { ServerResponse } from 'node:http';
import type { PlatformSimulator } from './platform-simulator.ts';

const escape = (text: unknown) =>
  String(text ?? '').replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

/**
 * The sandbox's approver page: pending approval tasks per platform with Approve / Reject (acting
 * as the chosen simulated user, through the simulator, which calls imhub back as the platform
 * would), the messages each chat, user and bot received, and the callbacks delivered.
 */
export function sandboxPages(sim: PlatformSimulator) {
  return async (method: string, url: URL, body: string, response: ServerResponse) => {
    if (method === 'POST' && url.pathname === '/sandbox/act') {
      const form = new URLSearchParams(body);
      const decision = form.get('decision') === 'reject' ? 'reject' : 'approve';
      let error = '';
      try {
        await sim.approvals.act(form.get('instance') ?? '', form.get('user') ?? '', decision, form.get('comment') || undefined);
      } catch (caught) {
        error = (caught as Error).message;
      }
      response.writeHead(303, { location: `/sandbox${error ? `?error=${encodeURIComponent(error)}` : ''}` });
      response.end();
      return;
    }
    if (method !== 'GET' || url.pathname !== '/sandbox') {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found');
      return;
    }
    const nameOf = (platform: string, id: string) => sim.users.find((user) => user.ids[platform as 'feishu'] === id)?.email ?? id;
    const pending = [...sim.approvals.instances.values()].filter((instance) => instance.status === 'pending');
    const tasks = pending
      .map((instance) => {
        const node = instance.nodes[instance.current]!;
        const waiting = node.approvers.filter((approver) => !node.acts.some((act) => act.user === approver));
        const [title, ...rest] = instance.text.split('\n');
        return `<article class="task" data-instance="${escape(instance.id)}">
  <h3>${escape(instance.platform)} · ${escape(title)}</h3>
  <p>${escape(rest.join('\n').trim())}</p>
  <p>Requested by ${escape(nameOf(instance.platform, instance.requester))} · stage ${instance.current + 1} of ${instance.nodes.length} (${node.mode})</p>
  <form method="post" action="/sandbox/act">
    <input type="hidden" name="instance" value="${escape(instance.id)}">
    <label>Act as <select name="user">${waiting.map((user) => `<option value="${escape(user)}">${escape(nameOf(instance.platform, user))}</option>`).join('')}</select></label>
    <label>Comment <input name="comment"></label>
    <button name="decision" value="approve">Approve</button>
    <button name="decision" value="reject">Reject</button>
  </form>
</article>`;
      })
      .join('\n');
    const botMessages = [...sim.bots.values()].flatMap((bot) => bot.sent.map((sent) => ({ platform: bot.platform, target: 'group bot', body: sent.body, at: sent.at })));
    const messages = [...sim.messages, ...botMessages]
      .sort((a, b) => b.at - a.at)
      .slice(0, 50)
      .map((message) => `<li>${escape(message.platform)} → ${escape(message.target)}: <code>${escape(JSON.stringify(message.body).slice(0, 300))}</code></li>`)
      .join('');
    const callbacks = sim.approvals.deliveries
      .slice(-50)
      .reverse()
      .map((delivery) => `<li>instance ${escape(delivery.instanceId)} → HTTP ${delivery.status}</li>`)
      .join('');
    const error = url.searchParams.get('error');
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>imhub sandbox</title>
<style>body{font:15px system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}.task{border:1px solid #ccc;border-radius:8px;padding:.5rem 1rem;margin:.5rem 0}code{font-size:12px}.error{color:#b00}</style>
</head><body>
<h1>imhub sandbox</h1>
${error ? `<p class="error">${escape(error)}</p>` : ''}
<h2>Pending approval tasks</h2>
${tasks || '<p>None. Start one with curl or <code>npx imhub approval start</code>.</p>'}
<h2>Messages received</h2><ul>${messages || '<li>None yet.</li>'}</ul>
<h2>Callbacks delivered to imhub</h2><ul>${callbacks || '<li>None yet.</li>'}</ul>
</body></html>`);
  };
}
