import { wecomMarkdown } from '../../domain/message.ts';
import { BadRequestError, ProviderError } from '../../errors.ts';
import type { MessageAdapter } from '../app-provider.ts';

/** message/send and appchat/send: markdown content "最长不超过2048个字节". */
const appMarkdownMaxBytes = 2048;

/**
 * WeCom: `message/send` to users (with WeCom's duplicate check, so a retry shows once) and
 * `appchat/send` to chats the app created. A recipient the send skipped comes back on a 0 errcode:
 * in `invaliduser` (outside the app's range) or `unlicenseduser` (in range, without a 基础接口许可).
 * Either is reported as a failure, never as delivered.
 */
export function wecomMessages(base: string, credentials: { agentId: string }): MessageAdapter {
  return {
    async send(call, target, message) {
      const markdown = wecomMarkdown(message, appMarkdownMaxBytes);
      if ('userId' in target) {
        const { body } = await call<{ msgid?: string; invaliduser?: string; unlicenseduser?: string }>({
          method: 'POST',
          url: `${base}/cgi-bin/message/send`,
          body: {
            touser: target.userId,
            msgtype: 'markdown',
            agentid: Number(credentials.agentId),
            markdown: markdown.body.markdown,
            enable_duplicate_check: 1,
            duplicate_check_interval: 1800,
          },
          idempotent: true,
        });
        if (body.invaliduser) throw new ProviderError('wecom', 'invaliduser', `not delivered to ${body.invaliduser} (outside the app's visible range?)`, { kind: 'platform_refused', refused: true });
        if (body.unlicenseduser) {
          throw new ProviderError('wecom', 'unlicenseduser', `not delivered to ${body.unlicenseduser}: no WeCom API licence (基础接口许可) for this member, or it has expired`, { kind: 'platform_refused', refused: true });
        }
        return { ...(body.msgid ? { messageId: body.msgid } : {}), truncated: markdown.truncated };
      }
      if ('chatId' in target) {
        await call({ method: 'POST', url: `${base}/cgi-bin/appchat/send`, body: { chatid: target.chatId, msgtype: 'markdown', markdown: markdown.body.markdown }, idempotent: false });
        return { truncated: markdown.truncated };
      }
      throw new BadRequestError('an app sends to chatIds or users; a group needs a bot integration');
    },
  };
}
