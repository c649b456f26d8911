import type { CachedToken, TokenKey, TokenStore } from '../../lib/providers/token-cache.ts';

/** A token store in memory with the same contract as the DynamoDB one, for providers built without DynamoDB. */
export function memoryTokenStore(): TokenStore & { tokens: Map<string, CachedToken>; leases: Map<string, number> } {
  const tokens = new Map<string, CachedToken>();
  const leases = new Map<string, number>();
  const id = (key: TokenKey) => `${key.integrationId}#${key.credentialVersion}`;
  return {
    tokens,
    leases,
    get: async (key) => tokens.get(id(key)),
    put: async (key, token) => void tokens.set(id(key), token),
    discard: async (key, token) => void (tokens.get(id(key))?.token === token && tokens.delete(id(key))),
    lease: async (key, ms, now) => {
      if ((leases.get(id(key)) ?? 0) > now) return false;
      leases.set(id(key), now + ms);
      return true;
    },
    releaseLease: async (key) => void leases.delete(id(key)),
  };
}
