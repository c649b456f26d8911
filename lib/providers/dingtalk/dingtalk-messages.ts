import { dingtalkAppMarkdown, utf8Bytes } from '../../domain/message.ts';
import { BadRequestError } from '../../errors.ts';
import type { MessageAdapter } from '../app-provider.ts';

/** asyncsend_v2: the JSON of `msg` "最长不超过2048个字节". */
const workNotificationMaxBytes = 2048;
/** robot/groupMessages/send: `msgParam` "must not exceed 15,000 bytes". */
const msgParamMaxBytes = 15_000;

/**
 * DingTalk: work notifications to users (legacy `asyncsend_v2`, needs the app's agentId, a number)
 * and the app robot to group chats (`robot/groupMessages/send`). Neither has `at`: mentions are
 * named in the text. DingTalk refuses identical content to the same user within a day, so a
 * retried send cannot show twice.
 */
export function dingtalkMessages(
  bases: { api: string; oapi: string },
  credentials: { appKey: string; agentId?: string | undefined; robotCode?: string | undefined },
): MessageAdapter {
  return {
    async send(call, target, message) {
      if ('userId' in target) {
        if (!credentials.agentId) throw new BadRequestError('DingTalk work notifications need the app’s agentId: add it to the integration’s credentials');
        const markdown = dingtalkAppMarkdown(message, (markdown) => utf8Bytes(JSON.stringify({ msgtype: 'markdown', markdown })) <= workNotificationMaxBytes);
        const { body } = await call<{ task_id?: number }>({
          method: 'POST',
          url: `${bases.oapi}/topapi/message/corpconversation/asyncsend_v2`,
          // Credentials keep ids as strings; the API documents agent_id as a Number.
          body: { agent_id: Number(credentials.agentId), userid_list: target.userId, msg: { msgtype: 'markdown', markdown: markdown.body } },
          idempotent: false,
        });
        return { ...(body.task_id === undefined ? {} : { messageId: String(body.task_id) }), truncated: markdown.truncated };
      }
      if ('chatId' in target) {
        const markdown = dingtalkAppMarkdown(message, (markdown) => utf8Bytes(JSON.stringify(markdown)) <= msgParamMaxBytes);
        const { body } = await call<{ processQueryKey?: string }>({
          method: 'POST',
          url: `${bases.api}/v1.0/robot/groupMessages/send`,
          // An internal app's robot is coded by its appKey; a scene group (场景群) has its template's robot.
          body: { robotCode: credentials.robotCode ?? credentials.appKey, openConversationId: target.chatId, msgKey: 'sampleMarkdown', msgParam: JSON.stringify(markdown.body) },
          idempotent: false,
        });
        return { ...(body.processQueryKey ? { messageId: body.processQueryKey } : {}), truncated: markdown.truncated };
      }
      throw new BadRequestError('an app sends to chatIds or users; a group needs a bot integration');
    },
    /**
     * An in-app DING from the app's robot (`robot/ding/send`, remindType 1: the in-app kind, which
     * needs no purchased DING package; permission `Premium.Ding.Write`). Not repeated after a
     * timeout: a repeat would DING twice.
     */
    async remindUrgently(call, userIds, text) {
      await call({
        method: 'POST',
        url: `${bases.api}/v1.0/robot/ding/send`,
        body: { robotCode: credentials.robotCode ?? credentials.appKey, remindType: 1, receiverUserIdList: userIds.slice(0, 200), content: text.slice(0, 1000) },
        idempotent: false,
      });
    },
  };
}
