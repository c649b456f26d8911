import { UnauthorizedError } from '../../errors.ts';

/** Requests signed more than this far from now are refused as replays. */
export const freshnessWindowMs = 5 * 60_000;

/**
 * Checks a platform timestamp (seconds or milliseconds: the platforms use both) against now.
 * A stale or future timestamp means a replayed or forged request.
 */
export function assertFresh(timestamp: string | undefined, now: Date, what: string): void {
  if (timestamp === undefined || !/^\d{9,13}$/.test(timestamp)) throw new UnauthorizedError(`${what} is missing or not a Unix timestamp`);
  const value = Number(timestamp);
  const ms = timestamp.length >= 12 ? value : value * 1000;
  if (Math.abs(now.getTime() - ms) > freshnessWindowMs) {
    throw new UnauthorizedError(`${what} is more than 5 minutes from now: a replayed or delayed request`);
  }
}
