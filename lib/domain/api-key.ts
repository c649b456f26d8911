import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';

/** What a key may do. `admin` may do everything, including managing keys. */
export const scopes = ['admin', 'integrations:write', 'approvals:write', 'notifications:send', 'read'] as const;
export type Scope = (typeof scopes)[number];

/** The caller behind a request, once its key is verified. */
export interface Principal {
  keyId: string;
  scopes: readonly Scope[];
}

/** True when the principal holds one of the accepted scopes (admin holds them all). */
export const hasAnyScope = (principal: Principal, accepted: readonly Scope[]) =>
  principal.scopes.includes('admin') || accepted.some((scope) => principal.scopes.includes(scope));

export interface ApiKeyRecord {
  id: string;
  name: string;
  scopes: Scope[];
  /** SHA-256 of the secret part, hex. The key itself is never stored. */
  secretHash: string;
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
}

export const createApiKeyBody = z.strictObject({
  name: z.string({ error: 'name is required' }).trim().min(1, 'name must not be empty').max(100, 'name must be at most 100 characters'),
  scopes: z
    .array(z.enum(scopes, { error: `each scope must be one of ${scopes.join(', ')}` }), { error: 'scopes must be a list' })
    .min(1, 'give at least one scope')
    .max(scopes.length)
    .transform((list) => [...new Set(list)]),
  expiresAt: z.iso.datetime({ error: 'expiresAt must be an ISO 8601 date-time such as 2030-01-01T00:00:00Z' }).optional(),
});

const keyPrefix = 'imh';
const keyPattern = /^imh_([A-Za-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

/** A new key: `imh_<id>_<secret>`. The id finds the record; only the secret's hash is stored. */
export function generateApiKey(): { id: string; key: string; secretHash: string } {
  const id = randomBytes(12).toString('base64url').replace(/[-_]/g, '0').slice(0, 16);
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `${keyPrefix}_${id}_${secret}`, secretHash: sha256Hex(secret) };
}

export function parseApiKey(key: string): { id: string; secret: string } | undefined {
  const match = keyPattern.exec(key);
  return match?.[1] && match[2] ? { id: match[1], secret: match[2] } : undefined;
}

export const sha256Hex = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

/** Compares a presented secret with a stored hash in time independent of where they differ. */
export function secretMatchesHash(secret: string, expectedHashHex: string): boolean {
  const actual = Buffer.from(sha256Hex(secret), 'hex');
  const expected = Buffer.from(expectedHashHex, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Whether a stored key may still be used at `now`. */
export function apiKeyUsable(record: ApiKeyRecord, now: Date): boolean {
  if (record.revokedAt) return false;
  return !record.expiresAt || new Date(record.expiresAt).getTime() > now.getTime();
}

export const toApiKeyView = (record: ApiKeyRecord) => ({
  id: record.id,
  name: record.name,
  scopes: record.scopes,
  createdAt: record.createdAt,
  expiresAt: record.expiresAt ?? null,
  revokedAt: record.revokedAt ?? null,
});
