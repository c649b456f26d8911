import * as z from 'zod';
import type { Provider } from './integration.ts';
import { mobileSchema, personSchema } from './person.ts';

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
}

const levelTitle: Record<MessageLevel, string> = { info: 'Info', success: 'Success', warning: 'Warning', error: 'Error' };
const levelMark: Record<MessageLevel, string> = { info: 'ℹ️', success: '✅', warning: '⚠️', error: '🛑' };

/** Cuts text to `maxBytes` of UTF-8 without splitting a character, marking the cut with "…". */
export function fitBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  // A character cut in half decodes to U+FFFD; dropping those keeps the result within the bound.
  const head = Buffer.from(text, 'utf8').subarray(0, Math.max(0, maxBytes - 3)).toString('utf8').replace(/\uFFFD+$/, '');
  return `${head}…`;
}

const heading = (message: RenderableMessage) => message.title ?? levelTitle[message.level];

/** Feishu/Lark card JSON 2.0: coloured header by level, markdown body, one button per link. */
export function feishuCard(message: RenderableMessage) {
  const template = { info: 'blue', success: 'green', warning: 'orange', error: 'red' }[message.level];
  const mentions = [...(message.mentions.all ? ['<at id=all></at>'] : []), ...message.mentions.userIds.map((id) => `<at id=${id}></at>`)];
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: heading(message) } },
    header: { template, title: { tag: 'plain_text', content: heading(message) } },
    body: {
      elements: [
        { tag: 'markdown', content: fitBytes([message.text, mentions.join(' ')].filter(Boolean).join('\n\n'), 20_000) },
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

/** DingTalk markdown: a level mark in the title, links as markdown, mentions as @id/@mobile in the text and in `at`. */
export function dingtalkMarkdown(message: RenderableMessage) {
  const lines = [`### ${levelMark[message.level]} ${heading(message)}`, '', message.text];
  if (message.links.length) lines.push('', message.links.map((link) => `[${link.title}](${link.url})`).join('  '));
  const mentionText = [...message.mentions.userIds.map((id) => `@${id}`), ...(message.mentions.all ? ['@all'] : [])].join(' ');
  if (mentionText) lines.push('', mentionText);
  return {
    msgtype: 'markdown',
    markdown: { title: heading(message), text: fitBytes(lines.join('\n'), 19_000) },
    at: { atUserIds: message.mentions.userIds, isAtAll: message.mentions.all },
  };
}

/** WeCom markdown (bots ≤ 4096 bytes, apps ≤ 2048): the level as a font colour, mentions as <@userid>. */
export function wecomMarkdown(message: RenderableMessage, maxBytes: number) {
  const colour = { info: 'comment', success: 'info', warning: 'warning', error: 'warning' }[message.level];
  const lines = [`**<font color="${colour}">${heading(message)}</font>**`, message.text];
  if (message.links.length) lines.push(message.links.map((link) => `[${link.title}](${link.url})`).join('  '));
  const mentionText = message.mentions.userIds.map((id) => `<@${id}>`).join(' ');
  if (mentionText) lines.push(mentionText);
  return { msgtype: 'markdown', markdown: { content: fitBytes(lines.join('\n'), maxBytes) } };
}

/** The group-bot body of each platform (Feishu/Lark cards go under `card`). */
export function botPayload(provider: Provider, message: RenderableMessage): Record<string, unknown> {
  switch (provider) {
    case 'feishu':
    case 'lark':
      return { msg_type: 'interactive', card: feishuCard(message) };
    case 'dingtalk':
      return dingtalkMarkdown(message);
    case 'wecom':
      // WeCom bot markdown cannot @all; a mention of everyone goes out as a text message instead.
      return message.mentions.all
        ? { msgtype: 'text', text: { content: fitBytes(`${heading(message)}\n${message.text}`, 2000), mentioned_list: ['@all', ...message.mentions.userIds] } }
        : wecomMarkdown(message, 4096);
  }
}

/** Where a notification goes: an app's chats and people (a group bot takes none). */
export const notificationTargets = z.strictObject({
  chatIds: z.array(z.string().min(1).max(128)).max(50).default([]),
  userIds: z.array(z.string().min(1).max(128)).max(100).default([]),
  emails: z.array(z.email({ error: 'each email must be an email address' })).max(100).default([]),
  mobiles: z.array(mobileSchema('each mobile')).max(100).default([]),
});
export type NotificationTargets = z.output<typeof notificationTargets>;

export const createNotificationBody = z.strictObject({
  integrationId: z.string({ error: 'integrationId is required' }).min(1).max(128),
  to: notificationTargets.optional(),
  message: messageSchema,
  idempotencyKey: z.string().min(1).max(128).optional(),
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
