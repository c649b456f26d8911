import { feishuCard } from '../../domain/message.ts';
import { BadRequestError } from '../../errors.ts';
import type { MessageAdapter } from '../app-provider.ts';

/** Feishu/Lark `im/v1/messages`: an interactive card to a chat or a user; `uuid` makes a retry send at most once an hour. */
export function feishuMessages(base: string): MessageAdapter {
  return {
    async send(call, target, message, dedupeKey) {
      if ('group' in target) throw new BadRequestError('an app sends to chatIds or users; a group needs a bot integration');
      const [receiveIdType, receiveId] = 'chatId' in target ? ['chat_id', target.chatId] : ['open_id', target.userId];
      const card = feishuCard(message);
      const { body } = await call<{ data: { message_id: string } }>({
        method: 'POST',
        url: `${base}/open-apis/im/v1/messages`,
        query: { receive_id_type: receiveIdType },
        body: { receive_id: receiveId, msg_type: 'interactive', content: JSON.stringify(card.body), uuid: dedupeKey.slice(0, 50) },
        idempotent: true,
      });
      return { messageId: body.data.message_id, truncated: card.truncated };
    },
    /**
     * `PATCH im/v1/messages/:message_id/urgent_app` (scope `im:message.urgent`): an in-app buzz on a
     * message the bot sent, for people in its chat (at most 200). Not repeated after a timeout: a
     * repeat would buzz twice.
     */
    async urgent(call, messageId, userIds) {
      await call({
        method: 'PATCH',
        url: `${base}/open-apis/im/v1/messages/${encodeURIComponent(messageId)}/urgent_app`,
        query: { user_id_type: 'open_id' },
        body: { user_id_list: userIds.slice(0, 200) },
        idempotent: false,
      });
    },
  };
}
