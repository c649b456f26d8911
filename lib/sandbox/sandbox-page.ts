import type { ServerResponse } from 'node:http';
import type { SimCard } from './card-simulator.ts';
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
    if (method === 'POST' && url.pathname === '/sandbox/click') {
      // A person clicking a card's button: the simulator signs the platform's callback to imhub.
      const form = new URLSearchParams(body);
      const card = sim.cards.cards.get(form.get('card') ?? '');
      const decision = form.get('decision') === 'reject' ? 'reject' : 'approve';
      let notice = '';
      try {
        if (!card) throw new Error('no such card');
        const result = await sim.cards.click(card, form.get('user') ?? '', decision, form.get('comment') || undefined);
        notice = result.toast ? `${result.toast.type}: ${result.toast.text}` : `clicked ${decision}: imhub answered HTTP ${result.status}`;
      } catch (caught) {
        notice = `error: ${(caught as Error).message}`;
      }
      response.writeHead(303, { location: `/sandbox?notice=${encodeURIComponent(notice)}` });
      response.end();
      return;
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
    const notice = url.searchParams.get('notice');
    const cards = [...sim.cards.cards.values()]
      .filter((card) => sim.cards.buttons(card).length > 0 || card.history.length > 1)
      .reverse()
      .slice(0, 30)
      .map((card) => renderCard(sim, card, nameOf))
      .join('\n');
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>imhub sandbox</title>
<style>body{font:15px system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}.task{border:1px solid #ccc;border-radius:8px;padding:.5rem 1rem;margin:.5rem 0}code{font-size:12px}.error{color:#b00}.notice{background:#eef6ff;padding:.5rem;border-radius:6px}
.card{border:1px solid #dee0e3;border-radius:8px;margin:.75rem 0;max-width:32rem;overflow:hidden;box-shadow:0 1px 3px #0001}.card header{padding:.5rem .75rem;color:#fff}.card header small{display:block;opacity:.9}.card .body{padding:.5rem .75rem;white-space:pre-wrap}.card .meta{font-size:12px;color:#646a73;padding:0 .75rem}.card form{padding:.5rem .75rem;display:flex;gap:.5rem;flex-wrap:wrap;align-items:center}.card .facts{margin:0;padding:.25rem .75rem}.card .facts div{font-size:13px}.card .facts dt{display:inline;color:#646a73}.card .facts dd{display:inline;margin:0 0 0 .25rem}.card button{border-radius:6px;border:1px solid #ccc;padding:.3rem .9rem;background:#fff}.card button.primary{background:#3370ff;color:#fff;border-color:#3370ff}.card button.danger{color:#f54a45;border-color:#f54a45}
.feishu header.blue{background:#3370ff}.feishu header.green{background:#34c724}.feishu header.red{background:#f54a45}.feishu header.orange{background:#ff8800}.wecom header{background:#07c160}.dingtalk header{background:#1677ff}</style>
</head><body>
<h1>imhub sandbox</h1>
${error ? `<p class="error">${escape(error)}</p>` : ''}
${notice ? `<p class="notice">${escape(notice)}</p>` : ''}
<h2>Approval cards in the chat</h2>
${cards || '<p>None. Start an approval with <code>"via": "card"</code> (CLI: <code>--via card</code>).</p>'}
<h2>Pending approval tasks</h2>
${tasks || '<p>None. Start one with curl or <code>npx imhub approval start</code>.</p>'}
<h2>Messages received</h2><ul>${messages || '<li>None yet.</li>'}</ul>
<h2>Callbacks delivered to imhub</h2><ul>${callbacks || '<li>None yet.</li>'}</ul>
</body></html>`);
  };
}

/** Who sees a card: its recipient, or (a chat's card) anyone in the chat, as the platform's user ids. */
function viewersOf(sim: PlatformSimulator, card: SimCard): string[] {
  const [kind, id] = card.target.split(/:(.*)/s) as [string, string];
  if (kind === 'open_id' || kind === 'user') return [id];
  return sim.users.map((user) => user.ids[card.platform]);
}

/**
 * One card as its platform shows it: Feishu's header colour, title, subtitle and markdown; WeCom's
 * template card (title, state, sub-title and key/value lines); DingTalk's template variables. Its
 * buttons post to /sandbox/click, which clicks through the simulator.
 */
function renderCard(sim: PlatformSimulator, card: SimCard, nameOf: (platform: string, id: string) => string): string {
  const c = card.card as Record<string, any>;
  let header = '';
  let body = '';
  if (card.platform === 'feishu') {
    header = `<header class="${escape(c.header?.template ?? 'blue')}"><strong>${escape(c.header?.title?.content)}</strong><small>${escape(c.header?.subtitle?.content)}</small></header>`;
    body = (c.body?.elements ?? [])
      .filter((element: any) => element.tag === 'markdown' || element.tag === 'div')
      .map((element: any) => `<div class="body">${escape(element.tag === 'div' ? element.text?.content : element.content)}</div>`)
      .join('');
  } else if (card.platform === 'wecom') {
    header = `<header><strong>${escape(c.main_title?.title)}</strong><small>${escape(c.main_title?.desc)}</small></header>`;
    body = `<div class="body">${escape(c.sub_title_text)}</div><dl class="facts">${(c.horizontal_content_list ?? []).map((fact: any) => `<div><dt>${escape(fact.keyname)}</dt><dd>${escape(fact.value)}</dd></div>`).join('')}</dl>${c.replace_text ? `<div class="meta">${escape(c.replace_text)}</div>` : ''}`;
  } else {
    header = `<header><strong>${escape(c.title)}</strong><small>${escape(c.header)}</small></header>`;
    body = `<div class="body">${escape(c.markdown)}</div>`;
  }
  const buttons = sim.cards.buttons(card);
  const viewers = viewersOf(sim, card);
  const comment = card.platform !== 'wecom';
  const form = buttons.length
    ? `<form method="post" action="/sandbox/click">
    <input type="hidden" name="card" value="${escape(`${card.platform}:${card.id}`)}">
    <label>Click as <select name="user">${viewers.map((id) => `<option value="${escape(id)}">${escape(nameOf(card.platform, id))}</option>`).join('')}</select></label>
    ${comment ? '<input name="comment" placeholder="Comment (optional)">' : ''}
    <button name="decision" value="approve" class="primary">Approve</button>
    <button name="decision" value="reject" class="danger">Reject</button>
  </form>`
    : '';
  return `<article class="card ${escape(card.platform)}" data-card="${escape(`${card.platform}:${card.id}`)}" data-target="${escape(card.target)}">
  ${header}${body}
  <div class="meta">${escape(card.platform)} card to ${escape(card.target)} · shown ${card.history.length} version${card.history.length === 1 ? '' : 's'}</div>
  ${form}
</article>`;
}
