import type { SimInstance } from '../approval-simulator.ts';
import type { SimCard } from '../card-simulator.ts';
import type { PlatformSimulator, SimPlatform } from '../platform-simulator.ts';
import { type Brand, brands, type PaneId, paneIds } from './brands.ts';
import { avatar, clock, escape, plain } from './html.ts';
import { renderAppMessage, renderBotMessage, renderSimCard, type RenderContext } from './messages.ts';

/** Which apps and group bots are Lark's: the simulator plays Feishu and Lark with one API. */
export interface LarkMembers {
  /** App ids (cli_…) of Lark apps. */
  apps: ReadonlySet<string>;
  /** Tokens of Lark group bots (the last part of their webhook URL). */
  bots: ReadonlySet<string>;
}

const paneOf = (platform: SimPlatform, lark: boolean): PaneId => (platform === 'feishu' && lark ? 'lark' : platform);

/** The state of every pane, read from the simulator. */
export function renderPanes(sim: PlatformSimulator, lark: LarkMembers): string {
  return paneIds.map((id) => renderPane(sim, brands[id], lark)).join('\n');
}

function renderPane(sim: PlatformSimulator, brand: Brand, lark: LarkMembers): string {
  const person = (id: string) => sim.users.find((user) => user.ids[brand.platform] === id);
  const nameOf = (id: string) => person(id)?.name ?? id;
  const ctx: RenderContext = { brand, nameOf, live: false };
  const instances = [...sim.approvals.instances.values()].filter((instance) => paneOf(instance.platform, lark.apps.has(instance.appId)) === brand.id);
  const pending = instances.filter((instance) => instance.status === 'pending').sort((a, b) => b.createdAt - a.createdAt);
  const decided = instances.filter((instance) => instance.status !== 'pending').sort((a, b) => lastActivity(b) - lastActivity(a));
  const w = brand.words;
  return `<section class="pane ${brand.id}" id="pane-${brand.id}" data-pane="${brand.id}" lang="${brand.lang}">
<header class="pane-head"><span class="logo">${escape(brand.logo)}</span><span class="pane-name">${escape(brand.name)}</span>${brand.name === brand.english ? '' : `<span class="pane-english">${escape(brand.english)}</span>`}</header>
<div class="pane-body">
<h2 class="section-head"><span>${escape(w.approvals)}</span></h2>
<h3 class="list-head">${escape(w.todo)} <span class="count">${pending.length}</span></h3>
<div class="tasks">${pending.map((instance) => renderTask(instance, brand, nameOf)).join('\n') || `<p class="empty">${escape(w.noTasks)}</p>`}</div>
<h3 class="list-head">${escape(w.done)} <span class="count">${decided.length}</span></h3>
<div class="tasks history">${decided.map((instance) => renderTask(instance, brand, nameOf)).join('\n') || `<p class="empty">${escape(w.noHistory)}</p>`}</div>
<h2 class="section-head"><span>${escape(w.chat)}</span></h2>
<div class="chat">${renderChat(sim, brand, lark, ctx) || `<p class="empty">${escape(w.noMessages)}</p>`}</div>
</div>
</section>`;
}

const lastActivity = (instance: SimInstance) => Math.max(instance.createdAt, ...instance.nodes.flatMap((node) => node.acts.map((act) => act.at)));

/**
 * One approval as the platform's approval app lists it: title and state tag, who asked, the form's
 * text, each node's approvers and what they did (with their comments); while pending, a form to act
 * as one of the current node's approvers who has not acted.
 */
function renderTask(instance: SimInstance, brand: Brand, nameOf: (id: string) => string): string {
  const w = brand.words;
  const [title, ...rest] = instance.text.split('\n');
  const status = { pending: w.pending, approved: w.approved, rejected: w.rejected, canceled: w.canceled }[instance.status];
  const node = instance.nodes[instance.current];
  const waiting = instance.status === 'pending' && node ? node.approvers.filter((approver) => !node.acts.some((act) => act.user === approver)) : [];
  const flow = instance.nodes
    .map((stage, index) => {
      const people = stage.approvers
        .map((approver) => {
          const act = stage.acts.find((candidate) => candidate.user === approver);
          const state = act ? (act.decision === 'approve' ? 'approved' : 'rejected') : 'waiting';
          const word = act ? (act.decision === 'approve' ? w.approved : w.rejected) : index === instance.current && instance.status === 'pending' ? w.waiting : '';
          return `<li class="act ${state}">${avatar(nameOf(approver), brand.avatar)}<span class="who">${escape(nameOf(approver))}</span>${word ? `<span class="act-word">${escape(word)}</span>` : ''}${act ? `<time>${clock(act.at)}</time>` : ''}${act?.comment ? `<blockquote class="comment">${plain(act.comment)}</blockquote>` : ''}</li>`;
        })
        .join('');
      return `<li class="node${index === instance.current && instance.status === 'pending' ? ' current' : ''}"><div class="node-head">${escape(w.stage(index + 1, instance.nodes.length))} · ${escape(stage.mode === 'all' ? w.all : w.any)}</div><ul class="acts">${people}</ul></li>`;
    })
    .join('');
  const form = waiting.length
    ? `<form class="act-form" method="post" action="/sandbox/act">
<input type="hidden" name="instance" value="${escape(instance.id)}">
<label>${escape(w.actAs)} <select name="user">${waiting.map((user) => `<option value="${escape(user)}">${escape(nameOf(user))}</option>`).join('')}</select></label>
<input name="comment" placeholder="${escape(w.comment)}" maxlength="500">
<div class="act-buttons"><button class="btn reject" name="decision" value="reject">${escape(w.reject)}</button><button class="btn approve" name="decision" value="approve">${escape(w.approve)}</button></div>
</form>`
    : '';
  return `<article class="task${instance.status === 'pending' ? '' : ' done'}" data-instance="${escape(instance.id)}" data-status="${instance.status}">
<div class="task-head"><span class="task-title">${escape(title)}</span><span class="tag ${instance.status}">${escape(status)}</span></div>
<div class="task-meta">${avatar(nameOf(instance.requester), brand.avatar)}<span>${escape(w.requester)} ${escape(nameOf(instance.requester))}</span><time>${clock(instance.createdAt)}</time></div>
${rest.join('\n').trim() ? `<div class="task-text">${plain(rest.join('\n').trim())}</div>` : ''}
<ol class="flow">${flow}</ol>
${form}
</article>`;
}

/** Who a message went to, as the chat list names it. */
function conversation(target: string, brand: Brand, nameOf: (id: string) => string): string {
  const [kind, id = ''] = target.split(/:(.*)/s);
  if (kind === 'open_id' || kind === 'user' || kind === 'user_id') return `${brand.words.to} ${nameOf(id)}`;
  if (kind === 'bot') return brand.words.bot;
  return `${brand.words.group} ${id}`;
}

interface ChatItem {
  at: number;
  html: string;
}

/**
 * The pane's chat, newest first: app messages to people and chats, group bots' posts, and
 * interactive cards as they show now (with every click on them and how often they were updated).
 */
function renderChat(sim: PlatformSimulator, brand: Brand, lark: LarkMembers, ctx: RenderContext): string {
  const items: ChatItem[] = [];
  const sender = `<div class="sender">${avatar('imhub', brand.avatar)}</div>`;
  const wrap = (at: number, target: string, kind: string, inner: string, attrs = '') =>
    `<article class="msg ${kind}" data-target="${escape(target)}"${attrs}><div class="msg-meta">${escape(conversation(target, brand, ctx.nameOf))} · <time>${clock(at)}</time></div><div class="msg-row">${sender}<div class="msg-content">${inner}</div></div></article>`;
  for (const message of sim.messages) {
    if (paneOf(message.platform, lark.apps.has(message.appId ?? '')) !== brand.id) continue;
    // A card also shows in the chat; it is drawn from the card's state, below, with its updates.
    const body = message.body as Record<string, unknown>;
    if (message.platform === 'feishu' && body.msg_type === 'interactive' && sim.cards.cards.has(`feishu:${String(body.message_id)}`)) continue;
    if (message.platform === 'wecom' && body.msgtype === 'template_card' && sim.cards.cards.has(`wecom:${String((body.template_card as { task_id?: string }).task_id)}`)) continue;
    items.push({ at: message.at, html: wrap(message.at, message.target, 'text', renderAppMessage(message, ctx)) });
  }
  for (const bot of sim.bots.values()) {
    if (paneOf(bot.platform, lark.bots.has(bot.token)) !== brand.id) continue;
    for (const sent of bot.sent) items.push({ at: sent.at, html: wrap(sent.at, 'bot:group', 'text', renderBotMessage(bot.platform, sent.body as Record<string, unknown>, ctx)) });
  }
  for (const card of sim.cards.cards.values()) {
    if (paneOf(card.platform, lark.apps.has(card.appId)) !== brand.id) continue;
    items.push({ at: card.sentAt, html: wrap(card.sentAt, card.target, 'card', renderCardItem(sim, card, { ...ctx, live: sim.cards.buttons(card).length > 0 }), ` data-card="${escape(`${card.platform}:${card.id}`)}" data-live="${sim.cards.buttons(card).length > 0}"`) });
  }
  return items
    .sort((a, b) => b.at - a.at)
    .map((item) => item.html)
    .join('\n');
}

/** Who sees a card: its recipient, or (a chat's card) anyone in the chat, as the platform's user ids. */
function viewersOf(sim: PlatformSimulator, card: SimCard): string[] {
  const [kind, id] = card.target.split(/:(.*)/s) as [string, string];
  if (kind === 'open_id' || kind === 'user') return [id];
  return sim.users.map((user) => user.ids[card.platform]);
}

/** A card, clickable while it shows buttons (as the chosen viewer), and what happened to it. */
function renderCardItem(sim: PlatformSimulator, card: SimCard, ctx: RenderContext): string {
  const w = ctx.brand.words;
  const drawn = renderSimCard(card, ctx);
  const body = ctx.live
    ? `<form class="card-form" method="post" action="/sandbox/click"><input type="hidden" name="card" value="${escape(`${card.platform}:${card.id}`)}"><label class="click-as">${escape(w.clickAs)} <select name="user">${viewersOf(sim, card)
        .map((id) => `<option value="${escape(id)}">${escape(ctx.nameOf(id))}</option>`)
        .join('')}</select></label>${drawn}</form>`
    : drawn;
  const log = [
    ...card.clicks.map(
      (click) =>
        `<li class="click ${click.decision}">${avatar(ctx.nameOf(click.user), ctx.brand.avatar)}<span class="who">${escape(ctx.nameOf(click.user))}</span> <span class="act-word">${escape(click.decision === 'approve' ? w.approve : w.reject)}</span>${click.comment ? ` <q>${escape(click.comment)}</q>` : ''} <span class="muted">· HTTP ${click.status} · ${clock(click.at)}</span></li>`,
    ),
    ...card.toasts.map((toast) => `<li class="toast-line"><span class="muted">${escape(toast.type)} → ${escape(ctx.nameOf(toast.user))}:</span> ${escape(toast.text)}</li>`),
    ...(card.history.length > 1 ? [`<li class="muted">${escape(w.updated(card.history.length - 1))}</li>`] : []),
  ];
  return `${body}${log.length ? `<ul class="card-log">${log.join('')}</ul>` : ''}`;
}
