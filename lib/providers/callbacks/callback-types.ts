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
  /** The platform's own id of this delivery's event: the dedupe key. */
  id: string;
  /** The platform's event name, e.g. `approval_instance`, `bpms_task_change`, `sys_approval_change`. */
  type: string;
  /** The platform's approval instance this event is about, when it is about one. */
  instanceId?: string;
  /** The decrypted payload, for the approval layer; never logged. */
  payload: Record<string, unknown>;
}

export type CallbackOutcome =
  | { kind: 'handshake'; response: CallbackResponse }
  | { kind: 'event'; event: PlatformEvent; response: CallbackResponse };

export const jsonResponse = (body: unknown): CallbackResponse => ({ status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) });
