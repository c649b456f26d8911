import { createHash } from 'node:crypto';

/**
 * What an idempotency key stands for: one request. The hash of the validated request is kept with
 * the record the key made, so a repeat can be told from a different request under the same key.
 */

/** JSON with the keys of every object sorted, so equal requests give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

/** SHA-256 (hex) of the canonical JSON of a validated request (callers leave secrets out of what they pass). */
export const requestHash = (request: unknown): string => createHash('sha256').update(canonicalJson(request), 'utf8').digest('hex');

/** Whether a request is the one a stored record was made from. Records kept before hashes were stored match any request. */
export const sameRequest = (storedHash: string | undefined, hash: string): boolean => storedHash === undefined || storedHash === hash;
