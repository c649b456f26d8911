import type { CardChoice, CardContent } from '../../domain/approval-cards.ts';
import { BadRequestError } from '../../errors.ts';

/** A callback request as the receiver sees it: nothing in it is trusted until verified. */
export interface CallbackRequest {
  method: 'GET' | 'POST';
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** URL-decoded query parameters. */
  query: Record<string, string>;
  rawBody: Buffer;
  now: Date;
}

/** What imhub answers the platform, byte for byte. */
export interface CallbackResponse {
  status: number;
  contentType: string;
  body: string;
}

/** A verified platform event, normalised enough for the approval layer to act on. */
export interface PlatformEvent {
  /** The platform's own id of this delivery's event: the dedupe key (as sent; the callback service bounds it before storing). */
  id: string;
  /** The platform's event name, e.g. `approval_instance`, `bpms_task_change`, `sys_approval_change`. */
  type: string;
  /** The platform's approval instance this event is about, when it is about one. */
  instanceId?: string;
  /** The decrypted payload, for the approval layer; never logged. */
  payload: Record<string, unknown>;
}

/** A verified click on one of imhub's card buttons. */
export interface CardClick {
  /** The platform's id of this click, as signed: a repeat or a replay of it takes effect once. */
  id: string;
  choice: CardChoice;
  /** The platform user id of who clicked, as the signed event names them. */
  operator: string;
  /** What they typed in the card's comment input, where the platform's cards have one. */
  comment?: string;
  /** The platform's id of the card clicked (Feishu message id, WeCom task_id), where the event says. */
  ref?: string;
  /** A handle the click brings for one update of that card (WeCom's ResponseCode). */
  freshHandle?: string;
  /** The answer's card shows to everyone who has the card (Feishu's shared cards), not only to the clicker (DingTalk). */
  answerShowsAll?: boolean;
  /** The answer cannot show the clicker a notice (WeCom): a click that changed nothing is told by a direct message. */
  noticeByMessage?: boolean;
}

/** What imhub answers a click: a short notice, and the card as it now is for the one who clicked. */
export interface CardReply {
  toast: { type: 'success' | 'info' | 'error'; text: string };
  card?: CardContent;
}

export type CallbackOutcome =
  | { kind: 'handshake'; response: CallbackResponse }
  | { kind: 'event'; event: PlatformEvent; response: CallbackResponse }
  /** A card click: the answer is made from what the click did, within the platform's limit. */
  | { kind: 'card'; click: CardClick; answer: (reply: CardReply) => CallbackResponse };

export const jsonResponse = (body: unknown): CallbackResponse => ({ status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) });

/**
 * Parses JSON that must be an object. A signature proves who sent a payload, not its shape: a
 * platform's key can sign `null` or `[]` as well as an event.
 */
export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BadRequestError(`${what} is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BadRequestError(`${what} is not a JSON object`);
  return parsed as Record<string, unknown>;
}
