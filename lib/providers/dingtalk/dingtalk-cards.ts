import { createHmac } from 'node:crypto';
import { type CardChoice, type CardContent, parseCardChoice } from '../../domain/approval-cards.ts';
import { cutToFit, utf8Bytes } from '../../domain/message.ts';
import { textsFor } from '../../domain/texts.ts';
import { ProviderError } from '../../errors.ts';
import type { AuthorizedCall } from '../app-provider.ts';
import type { CardOperations } from '../port.ts';

/**
 * DingTalk interactive cards (卡片平台, `/v1.0/card`): every card comes from a template the tenant
 * builds and publishes in the card platform, filled with string variables (`cardParamMap`, each
 * value at most 1 KB). imhub's template contract, which docs/platforms/dingtalk.md describes for
 * the person who builds it: these variables, and two buttons whose "回传请求" params are
 * `{"action": "approve"}` and `{"action": "reject"}` (and an optional text input bound to `comment`),
 * shown while `buttons` is "true".
 */
export const dingtalkCardVariables = ['title', 'header', 'status', 'markdown', 'buttons'] as const;

/** A cardParamMap value: at most 1 KB ("value ≤ 1KB", API 卡片数据的填写说明). */
const maxValueBytes = 1000;
const fit = (text: string) => (utf8Bytes(text) <= maxValueBytes ? text : (cutToFit(text, (candidate) => utf8Bytes(candidate) <= maxValueBytes) ?? ''));

export function dingtalkCardParams(content: CardContent): Record<(typeof dingtalkCardVariables)[number], string> {
  const lines = [...(content.body ? [content.body, ''] : []), ...content.facts.map((fact) => `**${fact.label}${textsFor(content.locale).colon.trim()}** ${fact.value}`), ...(content.decisions.length ? ['', ...content.decisions.map((line) => `- ${line}`)] : []), ...(content.link ? ['', `[${content.link.title}](${content.link.url})`] : [])];
  return {
    title: fit(content.title),
    header: fit(content.header),
    status: content.level,
    markdown: fit(lines.join('\n')),
    buttons: content.buttons ? 'true' : 'false',
  };
}

/**
 * The route DingTalk posts this integration's card clicks to, and the secret it signs them with:
 * derived from the app secret (which DingTalk has anyway), so nothing more is stored and a rotated
 * secret gives a new one, registered again.
 */
export const dingtalkCardRoute = (integrationId: string, appSecret: string) => ({
  routeKey: `imhub-${integrationId}`.slice(0, 100),
  apiSecret: createHmac('sha256', appSecret).update('imhub card callback').digest('base64url'),
});

/** `x-ddpaas-signature`: Base64(HMAC-SHA256(apiSecret, timestamp)), over the timestamp header as sent (事件回调). */
export const dingtalkCardSignature = (apiSecret: string, timestamp: string) => createHmac('sha256', apiSecret).update(timestamp).digest('base64');

/** The approval an outTrackId belongs to: imhub's outTrackIds start with the approval id. */
export function dingtalkCardChoice(outTrackId: string | undefined, action: unknown): CardChoice | undefined {
  const approvalId = outTrackId && /^(apr_[A-Za-z0-9]{1,64})-/.exec(outTrackId)?.[1];
  return approvalId && (action === 'approve' || action === 'reject') ? parseCardChoice(`imhub:${action}:${approvalId}`) : undefined;
}

/** Routes registered by this process, per integration and credentials: registered again after a cold start (forceUpdate makes that harmless). */
const registered = new Set<string>();

interface DeliverAnswer {
  result?: { deliverResults?: { success?: boolean; errorMsg?: string; spaceId?: string }[] };
}

/**
 * Sends with `card/instances/createAndDeliver` (HTTP callbacks through the route registered with
 * `card/callbacks/register`): to a person as a 1:1 card from the app's robot (`IM_ROBOT`), to a
 * group from the robot (`IM_GROUP`). The outTrackId (the dedupe key) is the handle; `PUT
 * card/instances` updates the card for everyone who has it.
 */
export function dingtalkCards(
  base: string,
  call: AuthorizedCall,
  options: { integrationId: string; credentialVersion: number; appKey: string; appSecret: string; robotCode?: string | undefined; cardTemplateId: string; callbackUrl: string },
): CardOperations {
  const robotCode = options.robotCode ?? options.appKey;
  const route = dingtalkCardRoute(options.integrationId, options.appSecret);
  async function ensureRoute(force = false) {
    const key = `${options.integrationId}#${options.credentialVersion}#${options.callbackUrl}`;
    if (registered.has(key) && !force) return;
    await call({
      method: 'POST',
      url: `${base}/v1.0/card/callbacks/register`,
      body: { callbackRouteKey: route.routeKey, callbackUrl: options.callbackUrl, apiSecret: route.apiSecret, forceUpdate: true },
      idempotent: true,
    });
    registered.add(key);
  }
  return {
    chats: true,
    async send(target, card, dedupeKey) {
      await ensureRoute();
      const space =
        'userId' in target
          ? { openSpaceId: `dtv1.card//IM_ROBOT.${target.userId}`, imRobotOpenSpaceModel: { supportForward: false }, imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT', robotCode } }
          : { openSpaceId: `dtv1.card//IM_GROUP.${target.chatId}`, imGroupOpenSpaceModel: { supportForward: false }, imGroupOpenDeliverModel: { robotCode } };
      let repeated = false;
      try {
        const { body } = await call<DeliverAnswer>({
          method: 'POST',
          url: `${base}/v1.0/card/instances/createAndDeliver`,
          body: { cardTemplateId: options.cardTemplateId, outTrackId: dedupeKey, callbackType: 'HTTP', callbackRouteKey: route.routeKey, cardData: { cardParamMap: dingtalkCardParams(card) }, userIdType: 1, ...space },
          idempotent: true,
        });
        // A space the card could not reach comes back inside an HTTP 200.
        const failed = body.result?.deliverResults?.find((result) => result.success === false);
        if (failed) throw new ProviderError('dingtalk', 'deliver_failed', `the card was made but not delivered: ${failed.errorMsg ?? 'no reason given'}`, { kind: 'platform_refused', refused: true });
      } catch (error) {
        // A repeat of a send whose answer was lost: the card exists under this outTrackId.
        if (!(error instanceof ProviderError && error.platformCode === 'param.cardAlreadyExist')) throw error;
        repeated = true;
      }
      return { handle: dedupeKey, ...(repeated ? { repeated } : {}) };
    },
    // A verify registers the route again: clicks on cards already sent are signed with the secret of the credentials now in use.
    prepare: () => ensureRoute(true),
    async update(handle, _target, card) {
      await call({
        method: 'PUT',
        url: `${base}/v1.0/card/instances`,
        body: { outTrackId: handle, cardData: { cardParamMap: dingtalkCardParams(card) }, cardUpdateOptions: { updateCardDataByKey: true } },
        idempotent: true,
      });
    },
  };
}
