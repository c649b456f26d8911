import { describe, expect, it } from 'vitest';
import { TokenCache } from '../../../lib/providers/token-cache.ts';
import { memoryTokenStore } from '../../support/memory-token-store.ts';

const memoryStore = memoryTokenStore;
const key = { integrationId: 'int_1', credentialVersion: 1 };

describe('TokenCache', () => {
  it('refreshes a token a few minutes before it expires, not after', async () => {
    let now = 0;
    let fetches = 0;
    const cache = new TokenCache({ store: memoryStore(), now: () => now, refreshEarlyMs: 300_000 });
    const fetchToken = async () => ({ token: `t${++fetches}`, expiresAt: now + 7_200_000 });
    expect(await cache.get(key, fetchToken)).toBe('t1');
    now = 7_200_000 - 300_001;
    expect(await cache.get(key, fetchToken)).toBe('t1');
    now = 7_200_000 - 299_999;
    expect(await cache.get(key, fetchToken)).toBe('t2');
  });

  it('keeps tokens apart per credential version', async () => {
    const cache = new TokenCache({ store: memoryStore() });
    let fetches = 0;
    const fetchToken = async () => ({ token: `t${++fetches}`, expiresAt: Date.now() + 7_200_000 });
    expect(await cache.get(key, fetchToken)).toBe('t1');
    expect(await cache.get({ ...key, credentialVersion: 2 }, fetchToken)).toBe('t2');
  });

  it('uses a still-valid token while another instance holds the refresh lease', async () => {
    const store = memoryStore();
    const now = 1_000_000;
    await store.put(key, { token: 'old', expiresAt: now + 60_000 });
    await store.lease(key, 10_000, now);
    const cache = new TokenCache({ store, now: () => now });
    expect(await cache.get(key, async () => ({ token: 'new', expiresAt: now + 7_200_000 }))).toBe('old');
  });

  it('fetches anew after invalidate, and releases its lease', async () => {
    const store = memoryStore();
    const cache = new TokenCache({ store });
    let fetches = 0;
    const fetchToken = async () => ({ token: `t${++fetches}`, expiresAt: Date.now() + 7_200_000 });
    await cache.get(key, fetchToken);
    await cache.invalidate(key, 't1');
    expect(await cache.get(key, fetchToken)).toBe('t2');
    expect(store.leases.size).toBe(0);
  });
});
