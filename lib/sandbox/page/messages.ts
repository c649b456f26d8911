import type { SimCard } from '../card-simulator.ts';
import type { SimMessage } from '../platform-simulator.ts';
import type { Brand } from './brands.ts';
import { escape, link, markdown, plain, unknownShape } from './html.ts';

/**
 * Messages as each platform's chat shows them, drawn from the bodies imhub sends (what
 * lib/providers/<platform>/*-messages.ts, *-cards.ts and the group bots put on the wire). Each
 * renderer returns the inside of one chat bubble or card; a shape it does not know becomes a short
 * summary with the JSON one click away.
 */
export interface RenderContext {
  brand: Brand;
  /** A platform user id as a name. */
  nameOf: (id: string) => string;
  /** The card can be acted on now: its inputs and callback buttons are the page's form controls. */
  live: boolean;
}

type Json = Record<string, any>;
const object = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});
const parsed = (value: unknown): unknown => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
};

/** A bubble of text or markdown; `rich` says it is a card (no bubble tail, a white card). */
const bubble = (html: string, kind: string) => `<div class="bubble ${escape(kind)}">${html}</div>`;

/** An app message (`SimMessage`), as it shows in the recipient's chat. */
export function renderAppMessage(message: SimMessage, ctx: RenderContext): string {
  const body = message.body as Json;
  if (message.platform === 'feishu') return renderFeishu(String(body.msg_type), parsed(body.content), ctx);
  if (message.platform === 'wecom') return renderWecom(body, ctx);
  if (message.route === 'dingtalk.notification') return renderDingtalk(object(body.msg), ctx, 'work notification');
  return renderDingtalkRobot(String(body.msgKey), parsed(body.msgParam), ctx);
}

/** A group bot's message (custom bot webhooks), as the group shows it. */
export function renderBotMessage(platform: string, body: Json, ctx: RenderContext): string {
  if (platform === 'feishu') return renderFeishu(String(body.msg_type), body.msg_type === 'interactive' ? (body.card ?? parsed(body.content)) : body.content, ctx);
  if (platform === 'dingtalk') return renderDingtalk(body, ctx, 'bot message');
  return renderWecom(body, ctx);
}

// ——— Feishu / Lark ———

/**
 * Feishu/Lark message content (im/v1 "发送消息内容结构"): `text` {text}, `post` {zh_cn|en_us: {title,
 * content: [[{tag: text|a|at|img|md|emotion|code_block|hr}]]}} (a bot wraps it as {post: …}),
 * `interactive` card JSON (2.0 `{schema, header, body.elements}`, or 1.0 `{header, elements}`).
 */
function renderFeishu(type: string, content: unknown, ctx: RenderContext): string {
  const c = object(content);
  if (type === 'text') return bubble(markdown(String(c.text ?? ''), ctx.nameOf), 'text');
  if (type === 'post') {
    const post = object(c.post ?? c);
    const locale = object(post.zh_cn ?? post.en_us ?? post.ja_jp ?? Object.values(post)[0]);
    const paragraphs = (Array.isArray(locale.content) ? locale.content : []).map((line: unknown[]) => `<p>${(Array.isArray(line) ? line : []).map((node) => postNode(object(node), ctx)).join('')}</p>`);
    return bubble(`${locale.title ? `<p class="post-title">${escape(locale.title)}</p>` : ''}${paragraphs.join('')}`, 'post');
  }
  if (type === 'interactive') return feishuCard(c, ctx);
  return bubble(unknownShape(`A Feishu "${type}" message`, content), 'text');
}

function postNode(node: Json, ctx: RenderContext): string {
  switch (node.tag) {
    case 'text':
      return plain(node.text);
    case 'a':
      return link(String(node.text ?? node.href), String(node.href ?? ''));
    case 'at':
      return `<span class="mention">@${escape(node.user_id === 'all' ? 'all' : (node.user_name ?? ctx.nameOf(String(node.user_id))))}</span>`;
    case 'md':
      return markdown(node.text, ctx.nameOf);
    case 'code_block':
      return `<pre>${escape(node.text)}</pre>`;
    case 'hr':
      return '<hr>';
    case 'emotion':
      return `[${escape(node.emoji_type)}]`;
    case 'img':
    case 'media':
      return '<span class="muted">[image]</span>';
    default:
      return `<span class="muted">[${escape(node.tag)}]</span>`;
  }
}

/** Header templates of Feishu cards (blue, wathet, turquoise, green, yellow, orange, red, carmine, violet, purple, indigo, grey, default). */
const feishuTemplates = new Set(['blue', 'wathet', 'turquoise', 'green', 'yellow', 'orange', 'red', 'carmine', 'violet', 'purple', 'indigo', 'grey', 'default']);

/** A Feishu/Lark card: the coloured header (title, subtitle), then its components top to bottom. */
export function feishuCard(card: Json, ctx: RenderContext): string {
  const header = object(card.header);
  const template = feishuTemplates.has(header.template) ? header.template : 'default';
  const title = object(header.title).content;
  const subtitle = object(header.subtitle).content;
  const elements = object(card.body).elements ?? card.elements ?? [];
  const head = title ? `<header class="fs-head tpl-${template}"><div class="fs-title">${escape(title)}</div>${subtitle ? `<div class="fs-subtitle">${escape(subtitle)}</div>` : ''}</header>` : '';
  return `<div class="fs-card">${head}<div class="fs-body">${feishuElements(elements, ctx)}</div></div>`;
}

function feishuElements(elements: unknown, ctx: RenderContext): string {
  return (Array.isArray(elements) ? elements : []).map((element) => feishuElement(object(element), ctx)).join('');
}

/** Which of imhub's choices a Feishu button's callback value names (`{imhub: "imhub:approve:apr_…"}`). */
const choiceOf = (value: unknown) => /imhub:(approve|reject):/.exec(JSON.stringify(value ?? ''))?.[1];

function feishuElement(element: Json, ctx: RenderContext): string {
  const textOf = (text: unknown) => {
    const t = object(text);
    return t.tag === 'lark_md' ? markdown(t.content, ctx.nameOf) : plain(t.content ?? '');
  };
  switch (element.tag) {
    case 'markdown':
    case 'lark_md':
      return `<div class="fs-md">${markdown(element.content, ctx.nameOf)}</div>`;
    case 'plain_text':
      return `<div class="fs-text">${plain(element.content)}</div>`;
    case 'div': {
      const fields = Array.isArray(element.fields) ? `<div class="fs-fields">${element.fields.map((field: Json) => `<div>${textOf(field.text)}</div>`).join('')}</div>` : '';
      return `<div class="fs-text">${element.text ? textOf(element.text) : ''}${fields}</div>`;
    }
    case 'hr':
      return '<hr>';
    case 'note':
      return `<div class="fs-note">${(element.elements ?? []).map((item: Json) => (item.tag === 'img' ? '' : textOf(item))).join(' ')}</div>`;
    case 'column_set':
      return `<div class="fs-columns">${(element.columns ?? []).map((column: Json) => `<div class="fs-column">${feishuElements(column.elements, ctx)}</div>`).join('')}</div>`;
    case 'form':
    case 'collapsible_panel':
    case 'interactive_container':
      return `<div class="fs-${escape(element.tag)}">${feishuElements(element.elements, ctx)}</div>`;
    case 'action':
      return `<div class="fs-columns">${feishuElements(element.actions, ctx)}</div>`;
    case 'input': {
      const placeholder = escape(object(element.placeholder).content ?? '');
      // The page's form carries the comment: one input, named as imhub's card names it in form_value.
      return ctx.live ? `<textarea class="fs-input" name="comment" rows="2" maxlength="${Number(element.max_length) || 500}" placeholder="${placeholder}"></textarea>` : `<div class="fs-input disabled">${placeholder}</div>`;
    }
    case 'button': {
      const label = escape(object(element.text).content ?? '');
      const kind = String(element.type ?? 'default');
      const behaviors = (element.behaviors ?? []) as Json[];
      const open = behaviors.find((behavior) => behavior.type === 'open_url') ?? (element.url ? { default_url: element.url } : undefined);
      if (open) return `<a class="btn ${escape(kind)}" href="${/^https?:\/\//i.test(String(open.default_url)) ? escape(open.default_url) : '#'}" target="_blank" rel="noopener noreferrer">${label}</a>`;
      const decision = choiceOf(behaviors.find((behavior) => behavior.type === 'callback')?.value ?? element.value);
      return ctx.live && decision ? `<button class="btn ${escape(kind)}" name="decision" value="${decision}">${label}</button>` : `<button class="btn ${escape(kind)}" disabled>${label}</button>`;
    }
    case 'img':
    case 'img_combination':
      return '<div class="muted">[image]</div>';
    default:
      return unknownShape(`A "${String(element.tag)}" component`, element);
  }
}

// ——— DingTalk ———

/**
 * DingTalk messages (custom bot `robot/send` and work notification `msg`): text {content},
 * markdown {title, text}, link {title, text, messageUrl}, actionCard / action_card {title, text or
 * markdown, singleTitle / single_title + URL, or btns / btn_json_list}, feedCard {links}. The bot
 * spells keys in camelCase, the work notification in snake_case.
 */
function renderDingtalk(msg: Json, ctx: RenderContext, what: string): string {
  const type = String(msg.msgtype);
  switch (type) {
    case 'text':
      return bubble(markdown(object(msg.text).content, ctx.nameOf), 'text');
    case 'markdown':
      return bubble(markdown(object(msg.markdown).text, ctx.nameOf), 'markdown');
    case 'link': {
      const l = object(msg.link);
      return linkCard(l.title, l.text, l.messageUrl ?? l.message_url);
    }
    case 'actionCard':
    case 'action_card': {
      const card = object(msg.actionCard ?? msg.action_card);
      const single = card.singleTitle ?? card.single_title;
      const buttons = single
        ? [{ title: single, url: card.singleURL ?? card.single_url }]
        : ((card.btns ?? card.btn_json_list ?? []) as Json[]).map((button) => ({ title: button.title, url: button.actionURL ?? button.action_url }));
      return actionCard(card.title, card.text ?? card.markdown, buttons, ctx, card.btnOrientation === '1' || card.btn_orientation === '1');
    }
    case 'feedCard':
      return `<div class="dt-feed">${((object(msg.feedCard).links ?? []) as Json[]).map((item) => `<div class="dt-feed-item">${link(String(item.title), String(item.messageURL ?? ''))}</div>`).join('')}</div>`;
    case 'oa': {
      const oa = object(msg.oa);
      return `<div class="dt-action"><div class="dt-oa-head">${escape(object(oa.head).text)}</div><div class="dt-action-body"><p class="post-title">${escape(object(oa.body).title)}</p>${plain(object(oa.body).content ?? '')}</div></div>`;
    }
    default:
      return bubble(unknownShape(`A DingTalk ${what} of type "${type}"`, msg), 'text');
  }
}

/** The app robot's group messages (`robot/groupMessages/send`): a msgKey template filled with msgParam. */
function renderDingtalkRobot(key: string, param: unknown, ctx: RenderContext): string {
  const p = object(param);
  if (key === 'sampleText') return bubble(markdown(p.content, ctx.nameOf), 'text');
  if (key === 'sampleMarkdown') return bubble(markdown(p.text, ctx.nameOf), 'markdown');
  if (key === 'sampleLink') return linkCard(p.title, p.text, p.messageUrl);
  if (key === 'sampleActionCard') return actionCard(p.title, p.text, [{ title: p.singleTitle, url: p.singleURL }], ctx, false);
  if (/^sampleActionCard[2-6]$/.test(key)) {
    const buttons = [1, 2, 3, 4, 5].filter((n) => p[`actionTitle${n}`]).map((n) => ({ title: p[`actionTitle${n}`], url: p[`actionURL${n}`] }));
    return actionCard(p.title, p.text, buttons, ctx, false);
  }
  return bubble(unknownShape(`A DingTalk robot message "${key}"`, param), 'text');
}

const linkCard = (title: unknown, text: unknown, url: unknown) =>
  `<div class="link-card"><p class="post-title">${link(String(title ?? ''), String(url ?? ''))}</p><p class="muted">${plain(text ?? '')}</p></div>`;

function actionCard(title: unknown, text: unknown, buttons: { title: unknown; url: unknown }[], ctx: RenderContext, horizontal: boolean): string {
  const links = buttons.map((button) => `<span class="dt-action-button">${link(String(button.title ?? ''), String(button.url ?? ''))}</span>`).join('');
  return `<div class="dt-action"><div class="dt-action-body">${title ? `<p class="post-title">${escape(title)}</p>` : ''}${markdown(text, ctx.nameOf)}</div><div class="dt-action-buttons${horizontal ? ' row' : ''}">${links}</div></div>`;
}

/**
 * A DingTalk interactive card instance (卡片平台): the tenant's template filled with imhub's
 * variables (`title`, `header`, `status`, `markdown`, `buttons`: docs/platforms/dingtalk.md); the
 * template shows the comment input and the two buttons while `buttons` is "true". Variables the
 * contract does not name are listed below it.
 */
function dingtalkCard(params: Json, ctx: RenderContext): string {
  const known = ['title', 'header', 'status', 'markdown', 'buttons'];
  const others = Object.entries(params).filter(([key]) => !known.includes(key));
  const buttons =
    params.buttons === 'true'
      ? ctx.live
        ? `<textarea class="dt-input" name="comment" rows="2" placeholder="${escape(ctx.brand.words.comment)}"></textarea><div class="dt-card-buttons"><button class="btn primary" name="decision" value="approve">${escape(ctx.brand.words.approve)}</button><button class="btn danger" name="decision" value="reject">${escape(ctx.brand.words.reject)}</button></div>`
        : ''
      : '';
  return `<div class="dt-card status-${escape(params.status ?? 'info')}">
<div class="dt-card-head"><div class="dt-card-title">${escape(params.title)}</div><div class="dt-card-status">${escape(params.header)}</div></div>
<div class="dt-card-body">${markdown(params.markdown, ctx.nameOf)}${others.length ? `<dl class="facts">${others.map(([key, value]) => `<div><dt>${escape(key)}</dt><dd>${escape(value)}</dd></div>`).join('')}</dl>` : ''}</div>${buttons}</div>`;
}

// ——— WeCom ———

/**
 * WeCom app and bot messages (发送应用消息 90236, 群机器人 99110): text {content}, markdown
 * {content} with `<font color="info|comment|warning">`, textcard {title, description, url,
 * btntxt}, news {articles}, template_card.
 */
function renderWecom(body: Json, ctx: RenderContext): string {
  const type = String(body.msgtype);
  switch (type) {
    case 'text': {
      const text = object(body.text);
      const mentioned = ((text.mentioned_list ?? []) as string[]).map((id) => `<span class="mention">@${escape(id === '@all' ? '所有人' : ctx.nameOf(id))}</span>`).join(' ');
      return bubble(`${plain(text.content ?? '')}${mentioned ? `<p>${mentioned}</p>` : ''}`, 'text');
    }
    case 'markdown':
    case 'markdown_v2':
      return bubble(markdown(object(body[type]).content, ctx.nameOf), 'markdown');
    case 'textcard': {
      const card = object(body.textcard);
      // The description takes <div class="gray|normal|highlight">; everything else is text.
      const description = escape(card.description ?? '')
        .replace(/&lt;div class=(?:&quot;|&#39;)(gray|normal|highlight)(?:&quot;|&#39;)&gt;(.*?)&lt;\/div&gt;/g, '<div class="wc-$1">$2</div>')
        .replace(/\n/g, '<br>');
      return `<div class="wc-textcard"><p class="post-title">${escape(card.title)}</p><div class="wc-desc">${description}</div><div class="wc-more">${link(String(card.btntxt ?? '详情'), String(card.url ?? ''))}</div></div>`;
    }
    case 'news':
      return `<div class="wc-news">${((object(body.news).articles ?? []) as Json[]).map((article) => `<div class="wc-article"><p class="post-title">${link(String(article.title ?? ''), String(article.url ?? ''))}</p><p class="muted">${escape(article.description ?? '')}</p></div>`).join('')}</div>`;
    case 'template_card':
      return wecomTemplateCard(object(body.template_card), ctx);
    default:
      return bubble(unknownShape(`A WeCom "${type}" message`, body), 'text');
  }
}

/**
 * A WeCom template card (text_notice, news_notice, button_interaction, …): source, main title and
 * its description, the emphasis, the quote, sub-title text, key/value lines, jump links, then the
 * buttons; once an update sets `replace_text`, the buttons are greyed out under that text.
 */
function wecomTemplateCard(card: Json, ctx: RenderContext): string {
  const source = object(card.source);
  const main = object(card.main_title);
  const emphasis = object(card.emphasis_content);
  const quote = object(card.quote_area);
  const facts = (card.horizontal_content_list ?? []) as Json[];
  const jumps = (card.jump_list ?? []) as Json[];
  const buttons = (card.button_list ?? []) as Json[];
  const decisionOf = (button: Json) => /^imhub:(approve|reject):/.exec(String(button.key ?? ''))?.[1];
  const buttonHtml = card.replace_text
    ? `<div class="wc-replaced">${escape(card.replace_text)}</div>`
    : buttons
        .map((button) => {
          const style = Number(button.style ?? 1);
          const decision = decisionOf(button);
          return ctx.live && decision ? `<button class="btn wc-style-${style}" name="decision" value="${decision}">${escape(button.text)}</button>` : `<button class="btn wc-style-${style}" disabled>${escape(button.text)}</button>`;
        })
        .join('');
  const known = new Set(['card_type', 'source', 'main_title', 'emphasis_content', 'quote_area', 'sub_title_text', 'horizontal_content_list', 'jump_list', 'card_action', 'task_id', 'button_list', 'replace_text', 'button_selection', 'action_menu', 'card_image', 'image_text_area', 'vertical_content_list']);
  const unknown = Object.keys(card).filter((key) => !known.has(key));
  return `<div class="wc-card" data-card-type="${escape(card.card_type)}">
${source.desc ? `<div class="wc-source"><span class="wc-source-icon">${escape([...String(source.desc)][0] ?? '')}</span>${escape(source.desc)}</div>` : ''}
${main.title ? `<div class="wc-title">${escape(main.title)}</div>` : ''}${main.desc ? `<div class="wc-title-desc">${escape(main.desc)}</div>` : ''}
${emphasis.title ? `<div class="wc-emphasis"><strong>${escape(emphasis.title)}</strong><span>${escape(emphasis.desc ?? '')}</span></div>` : ''}
${quote.quote_text || quote.title ? `<div class="wc-quote">${escape(quote.title ?? '')} ${plain(quote.quote_text ?? '')}</div>` : ''}
${card.sub_title_text ? `<div class="wc-sub">${plain(card.sub_title_text)}</div>` : ''}
${facts.length ? `<dl class="wc-facts">${facts.map((fact) => `<div><dt>${escape(fact.keyname)}</dt><dd>${fact.url ? link(String(fact.value ?? fact.url), String(fact.url)) : escape(fact.value ?? '')}</dd></div>`).join('')}</dl>` : ''}
${jumps.length ? `<div class="wc-jumps">${jumps.map((jump) => link(String(jump.title ?? ''), String(jump.url ?? ''))).join('')}</div>` : ''}
${unknown.length ? `<p class="muted">Not drawn: ${escape(unknown.join(', '))}</p>` : ''}
${buttonHtml ? `<div class="wc-buttons">${buttonHtml}</div>` : ''}
</div>`;
}

/** An interactive card as it shows now (after every update), on its platform. */
export function renderSimCard(card: SimCard, ctx: RenderContext): string {
  if (card.platform === 'feishu') return feishuCard(card.card as Json, ctx);
  if (card.platform === 'wecom') return wecomTemplateCard(card.card as Json, ctx);
  return dingtalkCard(card.card as Json, ctx);
}
