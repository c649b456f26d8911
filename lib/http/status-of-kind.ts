import type { ErrorKind } from '../errors.ts';

/**
 * The one place an error's kind becomes an HTTP status. The error mapper answers with it; a
 * platform's refusal is the caller's problem to fix (422), its outage or silence is ours to report
 * (502, 504), and a throttle either side tells the caller to wait (429).
 */
export const statusOfKind: Readonly<Record<ErrorKind, number>> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  verification_failed: 422,
  platform_refused: 422,
  too_many_requests: 429,
  platform_throttled: 429,
  platform_failed: 502,
  store_unavailable: 503,
  platform_timeout: 504,
};
