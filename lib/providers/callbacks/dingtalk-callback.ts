import { randomBytes } from 'node:crypto';
import { BadRequestError, UnauthorizedError } from '../../errors.ts';
import { constantTimeEquals, hexDigestEquals } from '../crypto/feishu-cipher.ts';
import { CallbackCipherError, callbackDecrypt, callbackEncrypt, callbackSignature } from '../crypto/wx-biz-msg-crypt.ts';
import { dingtalkCardChoice, dingtalkCardParams, dingtalkCardRoute, dingtalkCardSignature } from '../dingtalk/dingtalk-cards.ts';
import { type CallbackOutcome, type CallbackRequest, type CallbackResponse, type CardReply, jsonResponse, parseJsonObject } from './callback-types.ts';
import { assertFresh } from './freshness.ts';

export interface DingtalkCallbackCredentials {
  appKey: string;
  aesKey: string;
  token: string;
  /** Accepted as receiver too, for corp-level subscriptions made with register_call_back. */
  corpId?: string;
  /** What card clicks are signed with is derived from it (`dingtalkCardRoute`). */
  appSecret?: string;
}

/**
 * The largest body accepted from DingTalk, checked before any crypto. An HTTP-push event is a flat
 * JSON object (approval events are under 1 KB; contact events list at most a few hundred ids),
 * sent as `{"encrypt"}` in base64, a third larger: 16 KB leaves ample room.
 */
export const dingtalkCallbackMaxBytes = 16 * 1024;

const text = (value: unknown) => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined);

/** DingTalk counts a delivery as received only when the answer is the encrypted word `success`. */
export function dingtalkSuccess(credentials: DingtalkCallbackCredentials, receiverId: string, now: Date): CallbackResponse {
  const timeStamp = String(now.getTime());
  const nonce = randomBytes(6).toString('base64url');
  const encrypt = callbackEncrypt(credentials.aesKey, 'success', receiverId);
  return jsonResponse({ msg_signature: callbackSignature(credentials.token, timeStamp, nonce, encrypt), timeStamp, nonce, encrypt });
}

/**
 * DingTalk HTTP push: `?signature|msg_signature&timestamp|timeStamp&nonce` over `{"encrypt"}`;
 * the plaintext ends with the appKey (console subscription) or the corpId (register_call_back).
 */
export function verifyDingtalkCallback(request: CallbackRequest, credentials: DingtalkCallbackCredentials): CallbackOutcome {
  if (request.method !== 'POST') throw new BadRequestError('DingTalk delivers events with POST');
  if (request.headers['x-ddpaas-signature'] !== undefined) return verifyDingtalkCardClick(request, credentials);
  const signature = request.query.msg_signature ?? request.query.signature;
  const timestamp = request.query.timestamp ?? request.query.timeStamp;
  const nonce = request.query.nonce;
  if (!signature || !timestamp || !nonce) throw new UnauthorizedError('signature, timestamp and nonce query parameters are required');
  assertFresh(timestamp, request.now, 'timestamp');

  const encrypt = text(parseJsonObject(request.rawBody.toString('utf8'), 'the body').encrypt);
  if (!encrypt) throw new BadRequestError('the body has no "encrypt" field');
  if (!hexDigestEquals(signature, callbackSignature(credentials.token, timestamp, nonce, encrypt))) {
    throw new UnauthorizedError('the signature does not match');
  }

  let message: string;
  let receiverId: string;
  try {
    ({ message, receiverId } = callbackDecrypt(credentials.aesKey, encrypt, [credentials.appKey, ...(credentials.corpId ? [credentials.corpId] : [])]));
  } catch (error) {
    if (error instanceof CallbackCipherError && error.reason === 'receiver') throw new UnauthorizedError('the event is addressed to another app or corp');
    throw new UnauthorizedError('the body does not decrypt with this integration’s aes_key');
  }
  const payload = parseJsonObject(message, 'the decrypted event');
  const response = dingtalkSuccess(credentials, receiverId, request.now);
  const type = text(payload.EventType);
  if (!type) throw new BadRequestError('the event has no EventType');
  if (type === 'check_url') return { kind: 'handshake', response };

  const instanceId = text(payload.processInstanceId);
  const id =
    text(payload.eventId) ??
    text(payload.BizId) ??
    [type, instanceId, text(payload.taskId), text(payload.type), text(payload.finishTime) ?? text(payload.createTime)].join(':');
  return { kind: 'event', event: { id, type, payload, ...(instanceId ? { instanceId } : {}) }, response };
}

/** How old a card click's signature may be: DingTalk sends a click as it happens, and the signature does not cover the body. */
const dingtalkClickMaxAgeMs = 2 * 60_000;


/**
 * A click on an interactive card (card platform, HTTP callback route): JSON, signed in
 * `x-ddpaas-signature` = Base64(HMAC-SHA256(apiSecret, x-ddpaas-signature-timestamp)) with the
 * secret imhub registered for the route (事件回调). DingTalk signs the timestamp only, not the body:
 * the signature proves the sender and the time, and the timestamp must be fresh. Who clicked is
 * `userId` (the card was made with userIdType 1); the choice is the button's params. The answer
 * updates the card for the clicker at once; the cards job updates it for everyone.
 */
function verifyDingtalkCardClick(request: CallbackRequest, credentials: DingtalkCallbackCredentials): CallbackOutcome {
  if (!credentials.appSecret) throw new UnauthorizedError('this integration cannot verify card clicks');
  const timestamp = request.headers['x-ddpaas-signature-timestamp'];
  // The body is not signed, so a signature seen once could carry another body: the window is short
  // (DingTalk sends a click at once) and each signature is taken once (the click's id).
  assertFresh(timestamp, request.now, 'x-ddpaas-signature-timestamp', dingtalkClickMaxAgeMs);
  const { apiSecret } = dingtalkCardRoute('', credentials.appSecret);
  if (!constantTimeEquals(request.headers['x-ddpaas-signature'] ?? '', dingtalkCardSignature(apiSecret, timestamp!))) throw new UnauthorizedError('x-ddpaas-signature does not match');
  const body = parseJsonObject(request.rawBody.toString('utf8'), 'the body');
  // The docs name the data `content` (event callback, every SDK) or `value` (the approval walkthrough): both are read.
  const data = text(body.content) ?? text(body.value);
  const inner = data ? parseJsonObject(data, 'the card data') : {};
  const privateData = typeof inner.cardPrivateData === 'object' && inner.cardPrivateData !== null ? (inner.cardPrivateData as Record<string, unknown>) : {};
  const params = (typeof privateData.params === 'object' && privateData.params !== null ? privateData.params : inner.params ?? {}) as Record<string, unknown>;
  const outTrackId = text(body.outTrackId);
  const choice = dingtalkCardChoice(outTrackId, params.action);
  const operator = text(body.userId);
  if (!choice || !operator) throw new BadRequestError('the card click names no imhub approval choice or no user');
  // In a group with other organisations, a userId is only unique within its corp.
  const corpId = text(body.corpId);
  if (credentials.corpId && corpId !== undefined && corpId !== credentials.corpId) throw new UnauthorizedError('the click comes from another organisation');
  const comment = text(params.comment)?.trim();
  return {
    kind: 'card',
    click: { id: `ddpaas:${timestamp}:${request.headers['x-ddpaas-signature']}`, choice, operator, ...(comment ? { comment } : {}), ...(outTrackId ? { ref: outTrackId } : {}) },
    // The notice (what the click did) is the clicker's private data: the template shows `notice`.
    answer: (reply: CardReply) =>
      jsonResponse({
        cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true },
        ...(reply.card ? { cardData: { cardParamMap: dingtalkCardParams(reply.card) } } : {}),
        userPrivateData: { cardParamMap: { notice: reply.toast.text } },
      }),
  };
}
