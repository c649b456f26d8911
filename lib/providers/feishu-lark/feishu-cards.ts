import { type CardContent, cardChoiceKey, type CardChoice, parseCardChoice } from '../../domain/approval-cards.ts';
import type { MessageLevel } from '../../domain/message.ts';
import { textsFor } from '../../domain/texts.ts';
import type { AuthorizedCall } from '../app-provider.ts';
import type { CardOperations } from '../port.ts';

const colour: Record<MessageLevel, string> = { info: 'blue', success: 'green', warning: 'orange', error: 'red' };

/** The form fields' names: unique in the card, as card JSON 2.0 requires of every component in a form. */
export const feishuCardFields = { form: 'imhub_decision', comment: 'comment', approve: 'imhub_approve', reject: 'imhub_reject' } as const;

const button = (choice: CardChoice, label: string) => ({
  tag: 'button',
  name: choice.decision === 'approve' ? feishuCardFields.approve : feishuCardFields.reject,
  type: choice.decision === 'approve' ? 'primary_filled' : 'danger',
  text: { tag: 'plain_text', content: label },
  form_action_type: 'submit',
  behaviors: [{ type: 'callback', value: { imhub: cardChoiceKey(choice) } }],
});

/**
 * An approval card in Feishu/Lark card JSON 2.0 (`card-json-v2-structure`): a shared card
 * (`update_multi`, the only kind 2.0 has), so an update shows to everyone who has it. While it can
 * be decided, a form holds an optional comment input and two submit buttons whose callback value
 * names the choice; the input's text comes back in `action.form_value`.
 */
export function feishuApprovalCard(content: CardContent) {
  // What people typed (names, comments) goes in plain text, never markdown: a comment reading
  // `<at id=all></at>` must not mention a whole chat. The request's content is the pipeline's, as
  // in notifications, and keeps its markdown.
  const plain = (text: string) => ({ tag: 'div', text: { tag: 'plain_text', content: text } });
  const elements: unknown[] = [];
  if (content.body) elements.push({ tag: 'markdown', content: content.body });
  const { colon } = textsFor(content.locale);
  elements.push(plain(content.facts.map((fact) => `${fact.label}${colon}${fact.value}`).join('\n')));
  if (content.decisions.length > 0) elements.push(plain(content.decisions.map((line) => `• ${line}`).join('\n')));
  if (content.link) elements.push({ tag: 'button', type: 'default', text: { tag: 'plain_text', content: content.link.title }, behaviors: [{ type: 'open_url', default_url: content.link.url }] });
  if (content.buttons) {
    const texts = textsFor(content.locale);
    elements.push({
      tag: 'form',
      name: feishuCardFields.form,
      elements: [
        { tag: 'input', name: feishuCardFields.comment, required: false, max_length: 500, input_type: 'multiline_text', placeholder: { tag: 'plain_text', content: texts.commentPlaceholder } },
        {
          tag: 'column_set',
          columns: [
            { tag: 'column', width: 'auto', elements: [button({ approvalId: content.approvalId, decision: 'approve' }, texts.approve)] },
            { tag: 'column', width: 'auto', elements: [button({ approvalId: content.approvalId, decision: 'reject' }, texts.reject)] },
          ],
        },
      ],
    });
  }
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: content.summary } },
    header: { template: colour[content.level], title: { tag: 'plain_text', content: content.title }, subtitle: { tag: 'plain_text', content: content.header } },
    body: { elements },
  };
}

/** The choice and comment of a `card.action.trigger` event's `action`, when it is one of imhub's buttons. */
export function feishuCardAction(action: Record<string, unknown> | undefined): { choice: CardChoice; comment?: string } | undefined {
  const value = action?.value;
  const choice = parseCardChoice(typeof value === 'object' && value !== null ? (value as Record<string, unknown>).imhub : value);
  if (!choice) return undefined;
  const form = action?.form_value;
  const comment = typeof form === 'object' && form !== null ? (form as Record<string, unknown>)[feishuCardFields.comment] : undefined;
  return { choice, ...(typeof comment === 'string' && comment.trim() ? { comment: comment.trim() } : {}) };
}

/**
 * Sends with `im/v1/messages` (msg_type `interactive`, `uuid` so a repeat sends once an hour) and
 * updates with `PATCH im/v1/messages/:message_id` (same app, within 14 days, 5 QPS per message);
 * the handle is the message id.
 */
export function feishuCards(base: string, call: AuthorizedCall): CardOperations {
  return {
    async send(target, card, dedupeKey) {
      const [receiveIdType, receiveId] = 'chatId' in target ? ['chat_id', target.chatId] : ['open_id', target.userId];
      const { body } = await call<{ data: { message_id: string } }>({
        method: 'POST',
        url: `${base}/open-apis/im/v1/messages`,
        query: { receive_id_type: receiveIdType },
        body: { receive_id: receiveId, msg_type: 'interactive', content: JSON.stringify(feishuApprovalCard(card)), uuid: dedupeKey.slice(0, 50) },
        idempotent: true,
      });
      return { handle: body.data.message_id };
    },
    async update(handle, _target, card) {
      await call({ method: 'PATCH', url: `${base}/open-apis/im/v1/messages/${encodeURIComponent(handle)}`, body: { content: JSON.stringify(feishuApprovalCard(card)) }, idempotent: true });
    },
    chats: true,
    // "卡片 JSON 2.0 … 交互和更新的有效期为 14 天" (card-json-v2-breaking-changes-release-notes); PATCH answers 230031 after.
    maxAgeSeconds: 14 * 24 * 3600,
  };
}
