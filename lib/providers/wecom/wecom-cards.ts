import { type CardContent, cardChoiceKey } from '../../domain/approval-cards.ts';
import { cutToChars as cut } from '../../domain/message.ts';
import { textsFor } from '../../domain/texts.ts';
import { BadRequestError, ProviderError } from '../../errors.ts';
import type { AuthorizedCall } from '../app-provider.ts';
import type { CardOperations } from '../port.ts';


/**
 * An approval card as a WeCom `template_card` of type `button_interaction` (发送应用消息, 90236):
 * the title, the state as `main_title.desc`, decisions and the request in `sub_title_text`, the
 * facts as `horizontal_content_list` (at most 6), Approve and Reject as callback buttons whose
 * `key` names the choice. In an update, once it cannot be decided, `replace_text` greys the
 * buttons out with the outcome (an update field only: 更新模版卡片消息). WeCom's cards take no text
 * input, so no comment.
 */
export function wecomApprovalCard(content: CardContent, taskId: string, forUpdate = false) {
  return {
    card_type: 'button_interaction',
    source: { desc: 'imhub' },
    main_title: { title: cut(content.title, 36), desc: content.header },
    sub_title_text: cut([...content.decisions, content.body].filter(Boolean).join('\n'), 160),
    horizontal_content_list: content.facts.slice(0, 6).map((fact) => ({ keyname: fact.label, value: cut(fact.value, 30) })),
    task_id: taskId,
    button_list: [
      { text: textsFor(content.locale).approve, style: 1, key: cardChoiceKey({ approvalId: content.approvalId, decision: 'approve' }) },
      { text: textsFor(content.locale).reject, style: 2, key: cardChoiceKey({ approvalId: content.approvalId, decision: 'reject' }) },
    ],
    ...(forUpdate && !content.buttons ? { replace_text: content.header } : {}),
  };
}

/**
 * WeCom button cards through the app: sent to one member with `message/send` (duplicate check on,
 * so a repeat shows once; the task_id, unique per app, is the card's id), updated with
 * `message/update_template_card`. Each response_code (from the send, then from each click on the
 * card) updates it once, within 72 hours: the handle is single-use. Button cards cannot go to
 * chats (`appchat/send` has no template cards).
 */
export function wecomCards(base: string, call: AuthorizedCall, credentials: { agentId: string }): CardOperations {
  return {
    singleUseHandles: true,
    chats: false,
    async send(target, card, dedupeKey) {
      if (!('userId' in target)) throw new BadRequestError('WeCom sends button cards to people only, not to chats');
      const taskId = dedupeKey;
      let body: { response_code?: string; invaliduser?: string; unlicenseduser?: string };
      try {
        ({ body } = await call<typeof body>({
          method: 'POST',
          url: `${base}/cgi-bin/message/send`,
          body: { touser: target.userId, msgtype: 'template_card', agentid: Number(credentials.agentId), template_card: wecomApprovalCard(card, taskId), enable_duplicate_check: 1, duplicate_check_interval: 1800 },
          idempotent: true,
        }));
      } catch (error) {
        // 42014: this task_id exists, so a send before this one (its answer lost) made the card; its response_code is not known.
        if (error instanceof ProviderError && error.platformCode === 42014) return { ref: taskId, repeated: true };
        throw error;
      }
      if (body.invaliduser || body.unlicenseduser) {
        throw new ProviderError('wecom', body.invaliduser ? 'invaliduser' : 'unlicenseduser', `the card did not reach ${body.invaliduser ?? body.unlicenseduser} (outside the app's visible range, or no 基础接口许可)`, { kind: 'platform_refused', refused: true });
      }
      // The duplicate check answers a repeat without a new response_code: sent, with no code to update it by.
      return body.response_code ? { handle: body.response_code, ref: taskId } : { ref: taskId, repeated: true };
    },
    async update(handle, target, card) {
      if (!('userId' in target)) return;
      // The update names no task_id (update_template_card, 94888): the response_code says which card.
      const { task_id: _task, ...templateCard } = wecomApprovalCard(card, '', true);
      await call({
        method: 'POST',
        url: `${base}/cgi-bin/message/update_template_card`,
        body: { userids: [target.userId], agentid: Number(credentials.agentId), response_code: handle, template_card: templateCard },
        // A response_code is spent by the first update that reaches WeCom: never repeated.
        idempotent: false,
      });
    },
  };
}
