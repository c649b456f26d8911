import { BadRequestError, UnauthorizedError } from '../../errors.ts';
import { constantTimeEquals, feishuDecrypt, feishuSignature, hexDigestEquals } from '../crypto/feishu-cipher.ts';
import { feishuApprovalCard, feishuCardAction } from '../feishu-lark/feishu-cards.ts';
import { type CallbackOutcome, type CallbackRequest, type CardReply, jsonResponse, type PlatformEvent, parseJsonObject } from './callback-types.ts';
import { assertFresh, feishuRetryWindowMs } from './freshness.ts';

export interface FeishuCallbackCredentials {
  appId: string;
  encryptKey?: string;
  verificationToken?: string;
}

/**
 * The largest body accepted from Feishu/Lark, checked before any crypto. Approval events are under
 * 2 KB, but a card action carries the card's form values and context (a card is at most 30 KB,
 * "飞书卡片/常见问题"), and encryption adds a third (base64): 64 KB covers that with room. Message
 * events (text up to 150 KB) are larger, but imhub subscribes to none.
 */
export const feishuCallbackMaxBytes = 64 * 1024;


const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
const object = (value: unknown) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);

/**
 * Feishu/Lark events and callbacks. With an Encrypt Key, only encrypted bodies are accepted and
 * events must carry a valid `X-Lark-Signature` over the raw body; without one, the Verification
 * Token inside the body is the only proof, so it is required. The receiver (app_id) must be ours.
 */
export function verifyFeishuCallback(request: CallbackRequest, credentials: FeishuCallbackCredentials): CallbackOutcome {
  if (request.method !== 'POST') throw new BadRequestError('Feishu and Lark deliver events with POST');
  if (!credentials.encryptKey && !credentials.verificationToken) {
    throw new UnauthorizedError('this integration has neither an Encrypt Key nor a Verification Token, so no event can be verified; set one');
  }
  const outer = parseJsonObject(request.rawBody.toString('utf8'), 'the body');
  const encrypted = text(outer.encrypt);
  const signature = request.headers['x-lark-signature'];

  let payload: Record<string, unknown>;
  let signed = false;
  if (credentials.encryptKey) {
    if (encrypted === undefined) throw new UnauthorizedError('this integration has an Encrypt Key, so only encrypted events are accepted');
    if (signature !== undefined) {
      const timestamp = request.headers['x-lark-request-timestamp'];
      const nonce = request.headers['x-lark-request-nonce'] ?? '';
      assertFresh(timestamp, request.now, 'X-Lark-Request-Timestamp', feishuRetryWindowMs);
      if (!hexDigestEquals(signature, feishuSignature(timestamp!, nonce, credentials.encryptKey, request.rawBody))) {
        throw new UnauthorizedError('X-Lark-Signature does not match the body');
      }
      signed = true;
    }
    let plain: string;
    try {
      plain = feishuDecrypt(credentials.encryptKey, encrypted);
    } catch {
      throw new UnauthorizedError('the body does not decrypt with this integration’s Encrypt Key');
    }
    payload = parseJsonObject(plain, 'the decrypted body');
  } else {
    if (encrypted !== undefined) throw new UnauthorizedError('the event is encrypted but this integration has no Encrypt Key; add it');
    payload = outer;
  }

  const header = object(payload.header);
  const token = text(header?.token) ?? text(payload.token);
  if (credentials.verificationToken && (token === undefined || !constantTimeEquals(token, credentials.verificationToken))) {
    throw new UnauthorizedError('the Verification Token does not match');
  }

  if (payload.type === 'url_verification') {
    const challenge = text(payload.challenge);
    if (challenge === undefined) throw new BadRequestError('url_verification without a challenge');
    return { kind: 'handshake', response: jsonResponse({ challenge }) };
  }
  // An event (unlike the console's challenge) must be signed when an Encrypt Key is configured.
  if (credentials.encryptKey && !signed) throw new UnauthorizedError('the event carries no X-Lark-Signature');

  const event = object(payload.event) ?? {};
  const appId = text(header?.app_id) ?? text(event.app_id);
  if (appId !== undefined && appId !== credentials.appId) throw new UnauthorizedError('the event is addressed to another app');
  const id = text(header?.event_id) ?? text(payload.uuid);
  const type = text(header?.event_type) ?? text(event.type);
  if (!id || !type) throw new BadRequestError('the event has no id or type');

  if (type === 'card.action.trigger') {
    // A click on one of imhub's cards: who clicked is the signed event's operator (open_id, the id
    // imhub resolves people to). Answered with a toast and the card as it now is (a shared card:
    // everyone who has it sees the update), within the 3 s Feishu allows.
    const action = feishuCardAction(object(event.action));
    const operator = text(object(event.operator)?.open_id);
    const messageId = text(object(event.context)?.open_message_id);
    if (action && operator) {
      // A decision needs the signature: a Verification Token alone is a fixed string that anyone who
      // once saw it could send with any operator. And a click is never redelivered, so it is fresh.
      if (!signed) throw new UnauthorizedError('card clicks must be signed: set an Encrypt Key on the app and on this integration');
      assertFresh(request.headers['x-lark-request-timestamp'], request.now, 'X-Lark-Request-Timestamp');
      return {
        kind: 'card',
        click: { id, choice: action.choice, operator, ...(action.comment ? { comment: action.comment } : {}), ...(messageId ? { ref: messageId } : {}), answerShowsAll: true },
        answer: (reply: CardReply) =>
          jsonResponse({ toast: { type: reply.toast.type, content: reply.toast.text }, ...(reply.card ? { card: { type: 'raw', data: feishuApprovalCard(reply.card) } } : {}) }),
      };
    }
  }
  const instanceId = text(event.instance_code);
  const platformEvent: PlatformEvent = { id, type, payload, ...(instanceId ? { instanceId } : {}) };
  // Card actions answer `{}` (no change) unless the approval layer says otherwise; events answer success.
  return { kind: 'event', event: platformEvent, response: jsonResponse(type === 'card.action.trigger' ? {} : { msg: 'success' }) };
}
