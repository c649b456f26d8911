import { UnauthorizedError } from '../../errors.ts';

/** Requests signed more than this far from now are refused as replays. */
export const freshnessWindowMs = 5 * 60_000;

/**
 * How old a Feishu/Lark signature may be. Feishu retries an unanswered event after 15 s, 5 min,
 * 1 h and 6 h (about 7.1 h in all), and does not document whether a retry is signed anew, so a
 * 5-minute window could refuse every late retry of an ordered approval event. Replays inside the
 * window are stopped by the event-id claim, which outlives it (`eventRecordTtlSeconds`).
 */
export const feishuRetryWindowMs = 7.5 * 3600_000;

/**
 * Checks a platform timestamp (seconds or milliseconds: the platforms use both) against now.
 * A stale or future timestamp means a replayed or forged request. `maxAgeMs` widens how old it
 * may be; a timestamp from the future is never allowed more than `freshnessWindowMs`.
 */
export function assertFresh(timestamp: string | undefined, now: Date, what: string, maxAgeMs = freshnessWindowMs): void {
  if (timestamp === undefined || !/^\d{9,13}$/.test(timestamp)) throw new UnauthorizedError(`${what} is missing or not a Unix timestamp`);
  const value = Number(timestamp);
  const ms = timestamp.length >= 12 ? value : value * 1000;
  const age = now.getTime() - ms;
  if (age > maxAgeMs || -age > freshnessWindowMs) {
    throw new UnauthorizedError(`${what} is ${age > 0 ? `more than ${Math.round(maxAgeMs / 60_000)} minutes old` : 'more than 5 minutes in the future'}: a replayed or delayed request`);
  }
}
