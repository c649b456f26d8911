import { dingtalkMarkdown } from '../../domain/message.ts';
import { BadRequestError } from '../../errors.ts';
import type { MessageAdapter } from '../app-provider.ts';

/**
 * DingTalk: work notifications to users (legacy `asyncsend_v2`, needs the app's agentId) and the
 * app robot to group chats (`robot/groupMessages/send`, robotCode = the app key). DingTalk refuses
 * identical content to the same user within a day, so a retried send cannot show twice.
 */
export function dingtalkMessages(bases: { api: string; oapi: string }, credentials: { appKey: string; agentId?: string | undefined }): MessageAdapter {
  return {
    async send(call, target, message) {
      const markdown = dingtalkMarkdown(message).markdown;
      if ('userId' in target) {
        if (!credentials.agentId) throw new BadRequestError('DingTalk work notifications need the app’s agentId: add it to the integration’s credentials');
        const { body } = await call<{ task_id?: number }>({
          method: 'POST',
          url: `${bases.oapi}/topapi/message/corpconversation/asyncsend_v2`,
          body: { agent_id: credentials.agentId, userid_list: target.userId, msg: { msgtype: 'markdown', markdown } },
          idempotent: false,
        });
        return body.task_id === undefined ? {} : { messageId: String(body.task_id) };
      }
      if ('chatId' in target) {
        const { body } = await call<{ processQueryKey?: string }>({
          method: 'POST',
          url: `${bases.api}/v1.0/robot/groupMessages/send`,
          body: { robotCode: credentials.appKey, openConversationId: target.chatId, msgKey: 'sampleMarkdown', msgParam: JSON.stringify(markdown) },
          idempotent: false,
        });
        return body.processQueryKey ? { messageId: body.processQueryKey } : {};
      }
      throw new BadRequestError('an app sends to chatIds or users; a group needs a bot integration');
    },
  };
}
