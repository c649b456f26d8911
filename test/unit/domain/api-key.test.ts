import { describe, expect, it } from 'vitest';
import { apiKeyUsable, generateApiKey, hasAnyScope, parseApiKey, secretMatchesHash, sha256Hex } from '../../../lib/domain/api-key.ts';

describe('API keys', () => {
  it('round-trips a generated key through parse and hash', () => {
    const { id, key, secretHash } = generateApiKey();
    const parsed = parseApiKey(key);
    expect(parsed?.id).toBe(id);
    expect(secretMatchesHash(parsed!.secret, secretHash)).toBe(true);
    expect(secretHash).not.toContain(parsed!.secret);
  });

  it('never matches a different secret', () => {
    const { secretHash } = generateApiKey();
    const other = parseApiKey(generateApiKey().key)!;
    expect(secretMatchesHash(other.secret, secretHash)).toBe(false);
    expect(secretMatchesHash('x', 'not-hex')).toBe(false);
  });

  it('does not parse strings of another shape', () => {
    expect(parseApiKey('imh_short_x')).toBeUndefined();
    expect(parseApiKey('Bearer abc')).toBeUndefined();
  });

  it('gives admin every scope and others only theirs', () => {
    expect(hasAnyScope({ keyId: 'a', scopes: ['admin'] }, ['approvals:write'])).toBe(true);
    expect(hasAnyScope({ keyId: 'a', scopes: ['read'] }, ['read', 'integrations:write'])).toBe(true);
    expect(hasAnyScope({ keyId: 'a', scopes: ['read'] }, ['integrations:write'])).toBe(false);
  });

  it('refuses revoked and expired keys', () => {
    const base = { id: 'k', name: 'n', scopes: ['read' as const], secretHash: sha256Hex('s'), createdAt: '2026-01-01T00:00:00Z' };
    const now = new Date('2026-06-01T00:00:00Z');
    expect(apiKeyUsable(base, now)).toBe(true);
    expect(apiKeyUsable({ ...base, revokedAt: '2026-02-01T00:00:00Z' }, now)).toBe(false);
    expect(apiKeyUsable({ ...base, expiresAt: '2026-05-31T23:59:59Z' }, now)).toBe(false);
    expect(apiKeyUsable({ ...base, expiresAt: '2026-06-01T00:00:01Z' }, now)).toBe(true);
  });
});
