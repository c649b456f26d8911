import { setTimeout as sleep } from 'node:timers/promises';

/** A platform access token and when it stops working. */
export interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Where tokens are shared between all Lambda instances (DynamoDB in practice). */
export interface TokenStore {
  get(key: TokenKey): Promise<CachedToken | undefined>;
  put(key: TokenKey, token: CachedToken): Promise<void>;
  /** Removes the stored token if it is still `token` (a newer one is kept). */
  discard(key: TokenKey, token: string): Promise<void>;
  /** Takes the right to refresh for `ms`; false when another instance holds it. */
  lease(key: TokenKey, ms: number, now: number): Promise<boolean>;
  /** Ends a lease early, once the new token is stored. */
  releaseLease(key: TokenKey): Promise<void>;
}

/** Tokens belong to one integration and one version of its credentials: a rotated secret never reuses a token. */
export interface TokenKey {
  integrationId: string;
  credentialVersion: number;
}

export interface TokenCacheOptions {
  store: TokenStore;
  /** Refresh this long before expiry. @default 5 minutes */
  refreshEarlyMs?: number;
  /** How long one instance may take to refresh before another tries. @default 10 s */
  leaseMs?: number;
  now?: () => number;
}

const keyString = (key: TokenKey) => `${key.integrationId}#${key.credentialVersion}`;

/**
 * Two levels: memory per process and the shared store. One refresh at a time per integration:
 * concurrent callers in a process share one promise, and across processes a lease lets one
 * instance fetch while the others use the still-valid token or wait for the new one.
 */
export class TokenCache {
  private readonly memory = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly refreshEarlyMs: number;
  private readonly leaseMs: number;
  private readonly now: () => number;

  constructor(private readonly options: TokenCacheOptions) {
    this.refreshEarlyMs = options.refreshEarlyMs ?? 5 * 60_000;
    this.leaseMs = options.leaseMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** A token that is good for a while yet, fetching one with `fetchToken` only when none is. */
  async get(key: TokenKey, fetchToken: () => Promise<CachedToken>): Promise<string> {
    const id = keyString(key);
    const cached = this.memory.get(id);
    if (cached && this.fresh(cached)) return cached.token;
    let flight = this.inFlight.get(id);
    if (!flight) {
      flight = this.refresh(key, fetchToken).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, flight);
    }
    return flight;
  }

  /** Forgets a token the platform called expired or invalid, so the next `get` fetches anew. */
  async invalidate(key: TokenKey, token: string): Promise<void> {
    const id = keyString(key);
    if (this.memory.get(id)?.token === token) this.memory.delete(id);
    await this.options.store.discard(key, token);
  }

  /** Stores a token fetched outside `get` (e.g. by verify). */
  async remember(key: TokenKey, token: CachedToken): Promise<void> {
    this.memory.set(keyString(key), token);
    await this.options.store.put(key, token);
  }

  private fresh(token: CachedToken) {
    return token.expiresAt - this.refreshEarlyMs > this.now();
  }

  private usable(token: CachedToken | undefined): token is CachedToken {
    return token !== undefined && token.expiresAt - 30_000 > this.now();
  }

  private async refresh(key: TokenKey, fetchToken: () => Promise<CachedToken>): Promise<string> {
    const id = keyString(key);
    const stored = await this.options.store.get(key);
    if (stored && this.fresh(stored)) {
      this.memory.set(id, stored);
      return stored.token;
    }
    const leased = await this.options.store.lease(key, this.leaseMs, this.now());
    if (!leased) {
      // Another instance is refreshing: a token still valid for a while is good enough meanwhile.
      if (this.usable(stored)) return stored.token;
      const deadline = this.now() + this.leaseMs;
      while (this.now() < deadline) {
        await sleep(100);
        const next = await this.options.store.get(key);
        if (next && this.fresh(next)) {
          this.memory.set(id, next);
          return next.token;
        }
      }
    }
    try {
      const token = await fetchToken();
      await this.remember(key, token);
      return token.token;
    } finally {
      if (leased) await this.options.store.releaseLease(key).catch(() => undefined);
    }
  }
}
