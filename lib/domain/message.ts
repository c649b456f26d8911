import * as z from 'zod';
import type { Provider } from './integration.ts';
import { type Locale, localeSchema, timeZoneSchema } from './locale.ts';
import { mobileSchema, personSchema } from './person.ts';
import { textsFor } from './texts.ts';

/**
 * The one message model of notifications and its rendering into each platform's native rich
 * format. Pure: mentions arrive already resolved to platform user ids.
 */
export const messageLevels = ['info', 'success', 'warning', 'error'] as const;
export type MessageLevel = (typeof messageLevels)[number];

export const messageSchema = z.strictObject({
  title: z.string().trim().min(1).max(200, 'message.title must be at most 200 characters').optional(),
  text: z.string({ error: 'message.text is required' }).trim().min(1, 'message.text must not be empty').max(4000, 'message.text must be at most 4000 characters'),
  level: z.enum(messageLevels, { error: `message.level must be one of ${messageLevels.join(', ')}` }).default('info'),
  links: z
    .array(z.strictObject({ title: z.string().trim().min(1).max(40), url: z.url({ protocol: /^https?$/, error: 'each link url must be an http(s) URL' }) }))
    .max(5, 'at most 5 links')
    .default([]),
  mentions: z.array(z.union([personSchema, z.strictObject({ all: z.literal(true) })])).max(50).default([]),
});
export type Message = z.output<typeof messageSchema>;

/** A message ready to render: mentions resolved to the platform's user ids. */
export interface RenderableMessage {
  title?: string | undefined;
  text: string;
  level: MessageLevel;
  links: { title: string; url: string }[];
  mentions: { userIds: string[]; all: boolean };
  /** The language of the heading imhub gives a message without a title. @default en-US */
  locale?: Locale | undefined;
}

const levelMark: Record<MessageLevel, string> = { info: 'ℹ️', success: '✅', warning: '⚠️', error: '🛑' };

/** A body ready to send, and whether the message's text had to be cut to fit the channel's size limit. */
export interface Rendered<T> {
  body: T;
  truncated: boolean;
}

export const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** `text`, or its longest start of at most `chars` characters ending in "…" (`cutToFit`). */
export const cutToChars = (text: string, chars: number) => (text.length <= chars ? text : (cutToFit(text, (candidate) => candidate.length <= chars) ?? ''));

/**
 * The longest start of `text` that `fits` once "…" marks the cut, or undefined when not even "…"
 * alone fits. Cuts between graphemes only, so never inside a UTF-8 sequence, a surrogate pair or an
 * emoji sequence. `fits` must fail only more as the text grows (a binary search relies on it).
 */
export function cutToFit(text: string, fits: (candidate: string) => boolean): string | undefined {
  const parts = Array.from(graphemes.segment(text), (part) => part.segment);
  const candidate = (count: number) => `${parts.slice(0, count).join('').trimEnd()}…`;
  if (!fits(candidate(0))) return undefined;
  let [low, high] = [0, parts.length - 1];
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(candidate(middle))) low = middle;
    else high = middle - 1;
  }
  return candidate(low);
}

/**
 * Renders a message within a channel's limit (`fits` measures exactly what the platform measures):
 * whole when it fits, else with its text cut and marked "…", so that the heading, the links and the
 * mentions after the text are kept. Only when those alone are over the limit (very long URLs,
 * dozens of mentions) do they go too, rather than the message failing.
 */
function fitMessage<T>(message: RenderableMessage, render: (message: RenderableMessage) => T, fits: (body: T) => boolean): Rendered<T> {
  const whole = render(message);
  if (fits(whole)) return { body: whole, truncated: false };
  const bare = { ...message, links: [], mentions: { userIds: [], all: false } };
  for (const shape of [message, bare]) {
    const text = cutToFit(shape.text, (candidate) => fits(render({ ...shape, text: candidate })));
    if (text !== undefined) return { body: render({ ...shape, text }), truncated: true };
  }
  // Not even the heading fits (only a pathological title): the platform's refusal is then recorded.
  return { body: render({ ...bare, text: '…' }), truncated: true };
}

const heading = (message: RenderableMessage) => message.title ?? textsFor(message.locale ?? 'en-US').level[message.level];

/**
 * A bot in keyword mode (DingTalk and Feishu 自定义关键词) refuses every message whose text lacks
 * all its keywords: the keyword goes first, unless the text already carries it.
 */
export const keywordFirst = (text: string, keyword: string | undefined) => (!keyword || text.includes(keyword) ? text : `[${keyword}] ${text}`);

/** A message for a keyword-mode bot: the heading, which is never cut, carries the keyword. */
export function withKeyword(message: RenderableMessage, keyword: string | undefined): RenderableMessage {
  return keyword ? { ...message, title: keywordFirst(heading(message), keyword) } : message;
}

/** Feishu/Lark card JSON 2.0: coloured header by level, markdown body (≤ 20000 bytes), one button per link. */
export function feishuCard(message: RenderableMessage): Rendered<ReturnType<typeof feishuCardOf>> {
  return fitMessage(message, feishuCardOf, (card) => utf8Bytes((card.body.elements[0] as { content: string }).content) <= 20_000);
}

function feishuCardOf(message: RenderableMessage) {
  const template = { info: 'blue', success: 'green', warning: 'orange', error: 'red' }[message.level];
  const mentions = [...(message.mentions.all ? ['<at id=all></at>'] : []), ...message.mentions.userIds.map((id) => `<at id=${id}></at>`)];
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: heading(message) } },
    header: { template, title: { tag: 'plain_text', content: heading(message) } },
    body: {
      elements: [
        { tag: 'markdown', content: [message.text, mentions.join(' ')].filter(Boolean).join('\n\n') },
        ...message.links.map((link) => ({
          tag: 'button',
          type: 'default',
          text: { tag: 'plain_text', content: link.title },
          behaviors: [{ type: 'open_url', default_url: link.url }],
        })),
      ],
    },
  };
}

/**
 * DingTalk markdown `{title, text}`: a level mark in the heading, links as markdown after the text,
 * then the mentions. `at` turns `@id` into real mentions in a custom bot's message; the work
 * notification and the app robot have no `at`, so there the people are only named ("cc: id").
 */
function dingtalkMarkdownOf(message: RenderableMessage, mentions: 'at' | 'named') {
  const lines = [`### ${levelMark[message.level]} ${heading(message)}`, '', message.text];
  if (message.links.length) lines.push('', message.links.map((link) => `[${link.title}](${link.url})`).join('  '));
  const people = [...message.mentions.userIds, ...(message.mentions.all ? ['all'] : [])];
  if (people.length) lines.push('', mentions === 'at' ? people.map((id) => `@${id}`).join(' ') : `cc: ${people.join(', ')}`);
  return { title: heading(message), text: lines.join('\n') };
}

/** DingTalk's custom group bot: markdown with `at`; the whole body at most 20000 bytes ("message too long, exceed 20000 bytes"). */
export function dingtalkBotMarkdown(message: RenderableMessage) {
  const render = (message: RenderableMessage) => ({
    msgtype: 'markdown',
    markdown: dingtalkMarkdownOf(message, 'at'),
    at: { atUserIds: message.mentions.userIds, isAtAll: message.mentions.all },
  });
  return fitMessage(message, render, (body) => utf8Bytes(JSON.stringify(body)) <= 20_000);
}

/** DingTalk markdown for the APIs without `at` (work notifications, the app robot), within the limit `fits` checks. */
export function dingtalkAppMarkdown(message: RenderableMessage, fits: (markdown: { title: string; text: string }) => boolean) {
  return fitMessage(message, (message) => dingtalkMarkdownOf(message, 'named'), fits);
}

/** WeCom markdown (content ≤ `maxBytes`: bots 4096, apps 2048): the level as a font colour, mentions as <@userid>. */
export function wecomMarkdown(message: RenderableMessage, maxBytes: number) {
  const colour = { info: 'comment', success: 'info', warning: 'warning', error: 'warning' }[message.level];
  const render = (message: RenderableMessage) => {
    const lines = [`**<font color="${colour}">${heading(message)}</font>**`, message.text];
    if (message.links.length) lines.push(message.links.map((link) => `[${link.title}](${link.url})`).join('  '));
    const mentionText = message.mentions.userIds.map((id) => `<@${id}>`).join(' ');
    if (mentionText) lines.push(mentionText);
    return { msgtype: 'markdown', markdown: { content: lines.join('\n') } };
  };
  return fitMessage(message, render, (body) => utf8Bytes(body.markdown.content) <= maxBytes);
}

/** WeCom bot text (content ≤ 2048 bytes), the only WeCom bot message that can mention everyone. */
function wecomBotText(message: RenderableMessage) {
  const render = (message: RenderableMessage) => {
    const links = message.links.map((link) => `${link.title}: ${link.url}`);
    return { msgtype: 'text', text: { content: [heading(message), message.text, ...links].join('\n'), mentioned_list: ['@all', ...message.mentions.userIds] } };
  };
  return fitMessage(message, render, (body) => utf8Bytes(body.text.content) <= 2048);
}

/** The group-bot body of each platform, within its size limit (Feishu/Lark cards go under `card`). */
export function botPayload(provider: Provider, message: RenderableMessage): Rendered<Record<string, unknown>> {
  switch (provider) {
    case 'feishu':
    case 'lark': {
      const { body, truncated } = feishuCard(message);
      return { body: { msg_type: 'interactive', card: body }, truncated };
    }
    case 'dingtalk':
      return dingtalkBotMarkdown(message);
    case 'wecom':
      // WeCom bot markdown cannot @all; a mention of everyone goes out as a text message instead.
      return message.mentions.all ? wecomBotText(message) : wecomMarkdown(message, 4096);
  }
}

/** Where a notification goes: an app's chats and people (a group bot takes none). */
export const notificationTargets = z.strictObject({
  chatIds: z.array(z.string().min(1).max(128)).max(50).default([]),
  userIds: z.array(z.string().min(1).max(128)).max(100).default([]),
  emails: z.array(z.email({ error: 'each email must be an email address' }).max(254, 'each email must be at most 254 characters')).max(100).default([]),
  mobiles: z.array(mobileSchema('each mobile')).max(100).default([]),
});
export type NotificationTargets = z.output<typeof notificationTargets>;

export const createNotificationBody = z.strictObject({
  integrationId: z.string({ error: 'integrationId is required' }).min(1).max(128),
  to: notificationTargets.optional(),
  message: messageSchema,
  idempotencyKey: z.string().min(1).max(128).optional(),
  /** The language of what imhub adds to the message (the heading of one without a title). @default the integration's locale */
  locale: localeSchema.optional(),
  /** The IANA zone of times imhub writes for it. @default the integration's timeZone */
  timeZone: timeZoneSchema.optional(),
});
export type CreateNotificationInput = z.output<typeof createNotificationBody>;

/** One target's delivery: queued until sent or failed, with the platform's message id or error code. */
export interface Delivery {
  /** How the caller named the target, e.g. `chat:oc_1`, `email:a@b.co`, `group`. */
  target: string;
  platformTarget: { chatId: string } | { userId: string } | { group: true };
  status: 'queued' | 'sent' | 'failed';
  messageId?: string;
  error?: { code: string | number; message: string };
  /** The text was cut (marked "…") to fit the platform's size limit. */
  truncated?: boolean;
  attempts: number;
  nextAttemptAt?: string;
}

export type NotificationStatus = 'pending' | 'sent' | 'partial' | 'failed';

/** Derived, never stored apart from the deliveries: partial failure is visible, never hidden. */
export function notificationStatus(deliveries: readonly Delivery[]): NotificationStatus {
  if (deliveries.some((delivery) => delivery.status === 'queued')) return 'pending';
  const sent = deliveries.filter((delivery) => delivery.status === 'sent').length;
  if (sent === deliveries.length) return 'sent';
  return sent === 0 ? 'failed' : 'partial';
}
