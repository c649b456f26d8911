import { wecomMarkdown } from '../../domain/message.ts';
import { BadRequestError, ProviderError } from '../../errors.ts';
import type { MessageAdapter } from '../app-provider.ts';

/**
 * WeCom: `message/send` to users (with WeCom's duplicate check, so a retry shows once) and
 * `appchat/send` to chats the app created. A recipient outside the app's range comes back in
 * `invaliduser` on a 0 errcode: reported as a failure, never as delivered.
 */
export function wecomMessages(base: string, credentials: { agentId: string }): MessageAdapter {
  return {
    async send(call, target, message) {
      if ('userId' in target) {
        const { body } = await call<{ msgid?: string; invaliduser?: string }>({
          method: 'POST',
          url: `${base}/cgi-bin/message/send`,
          body: {
            touser: target.userId,
            msgtype: 'markdown',
            agentid: Number(credentials.agentId),
            markdown: wecomMarkdown(message, 2048).markdown,
            enable_duplicate_check: 1,
            duplicate_check_interval: 1800,
          },
          idempotent: true,
        });
        if (body.invaliduser) throw new ProviderError('wecom', 'invaliduser', `not delivered to ${body.invaliduser} (outside the app's visible range?)`, { statusCode: 422, refused: true });
        return body.msgid ? { messageId: body.msgid } : {};
      }
      if ('chatId' in target) {
        await call({ method: 'POST', url: `${base}/cgi-bin/appchat/send`, body: { chatid: target.chatId, msgtype: 'markdown', markdown: wecomMarkdown(message, 2048).markdown }, idempotent: false });
        return {};
      }
      throw new BadRequestError('an app sends to chatIds or users; a group needs a bot integration');
    },
  };
}
