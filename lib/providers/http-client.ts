import { lookup as dnsLookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { isNonPublicAddress, type OutboundUrlPolicy, outboundUrlProblem } from '../domain/outbound-url.ts';
import { ProviderError } from '../errors.ts';

/** An outbound call imhub refused to make: its target is not a public address, or its URL breaks the policy. */
export class OutboundRefusedError extends Error {
  readonly code = 'EOUTBOUNDREFUSED';
}

/**
 * A resolver that answers only public addresses. A name that resolves to any private, loopback or
 * link-local address (a public-looking name pointed at 127.0.0.1, a DNS answer that changed after the
 * URL was checked) fails the connection before it is made.
 */
export function publicAddressLookup(resolve: LookupFunction = (hostname, options, callback) => dnsLookup(hostname, options, callback)): LookupFunction {
  return function lookupPublicAddress(hostname, options, callback) {
    resolve(hostname, { ...options, all: true }, (error, found, family) => {
      if (error) return callback(error, '');
      const addresses = typeof found === 'string' ? [{ address: found, family: family ?? (found.includes(':') ? 6 : 4) }] : found;
      const refused = addresses.find(({ address }) => isNonPublicAddress(address));
      if (refused) return callback(new OutboundRefusedError(`${hostname} resolves to ${refused.address}, which is not a public address`), '');
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}

/**
 * The fetch for every outbound call: platform APIs, group bots, approval webhooks. Locally it is plain
 * fetch. In AWS it refuses a URL the outbound policy refuses (one stored before the policy tightened),
 * and checks the address each connection goes to, not the name as written; redirects are never
 * followed, so a redirect cannot lead past the check either.
 */
export function outboundFetch(policy: OutboundUrlPolicy, options: { lookup?: LookupFunction } = {}): typeof fetch {
  if (policy.allowInsecure) return fetch;
  let guarded: Promise<typeof fetch> | undefined;
  // undici is the fetch Node ships, as a package: its Agent takes a resolver. Loaded on the first call.
  const load = async () => {
    const { Agent, fetch: undiciFetch } = await import('undici');
    const dispatcher = new Agent({ connect: { lookup: publicAddressLookup(options.lookup) } });
    return ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
      undiciFetch(input, { ...init, dispatcher, redirect: 'manual' })) as unknown as typeof fetch;
  };
  return async function fetchPublicOnly(input, init) {
    const url = input instanceof Request ? input.url : String(input);
    const problem = outboundUrlProblem(url, policy);
    if (problem) throw new TypeError('fetch failed', { cause: new OutboundRefusedError(`the URL ${problem}`) });
    return (await (guarded ??= load()))(input, init);
  };
}

/** How one platform says "error", "slow down" and "your token is stale", all on HTTP 200 too. */
export interface PlatformRules {
  platform: string;
  /** The platform's error in an answer, or undefined for success. Called for every status. */
  errorOf(status: number, body: unknown): { code: string | number; message: string } | undefined;
  /** Codes that mean "throttled" or "busy": retried with backoff (safe: the request was refused). */
  retryableCodes: ReadonlySet<string | number>;
  /** For codes whose meaning depends on the message (a Feishu bot's 9499 is "too many request" or "Bad Request"). */
  retryableAnswer?: (code: string | number, message: string) => boolean;
  /** Codes that mean the access token is expired or invalid: the caller refreshes it once. */
  tokenExpiredCodes: ReadonlySet<string | number>;
  /** Codes that mean the app's call quota is used up for a long while (DingTalk's monthly 90020): not retried. */
  quotaCodes?: ReadonlySet<string | number>;
}

export interface PlatformRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  url: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
  /**
   * Whether sending it twice is harmless (reads, token fetches, sends with an idempotency key).
   * Only idempotent requests are retried after a timeout or a 5xx, where the platform may have acted.
   */
  idempotent: boolean;
}

export interface HttpClientOptions {
  /** Per attempt. @default 5000 */
  timeoutMs?: number;
  /** @default 4 */
  maxAttempts?: number;
  /** First backoff; doubles each attempt, with full jitter. @default 200 */
  baseDelayMs?: number;
  /** @default 5000 */
  maxDelayMs?: number;
  /**
   * The longest a platform's announced reset (Retry-After, `x-ogw-ratelimit-reset`) is waited for
   * inside one call; a longer one ends the call with a repeatable failure carrying `retryAfterMs`,
   * so the work is retried later instead of holding a request open. @default 10000
   */
  maxInlineWaitMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<unknown>;
  random?: () => number;
}

/**
 * The longest one call can take with the default options: every attempt timing out, and the longest
 * wait allowed between them. A send is owned at least this long, so that no second sender starts
 * while the first may still be getting through.
 */
export const longestCallMs = 4 * 5000 + 3 * 10_000;

export interface PlatformAnswer<T> {
  status: number;
  headers: Headers;
  body: T;
}

class RetryableFailure extends Error {
  constructor(
    readonly failure: ProviderError,
    readonly retryAfterMs?: number,
  ) {
    super(failure.message);
  }
}

/**
 * The most a platform's Retry-After (or Feishu's x-ogw-ratelimit-reset) is honoured: Feishu's
 * per-minute limits announce resets of up to 60 s.
 */
const maxServerDelayMs = 60_000;

function serverDelayMs(headers: Headers): number | undefined {
  const reset = headers.get('x-ogw-ratelimit-reset') ?? headers.get('retry-after');
  if (reset === null || !/^\d+(\.\d+)?$/.test(reset.trim())) return undefined;
  return Math.min(Number(reset) * 1000, maxServerDelayMs);
}

/**
 * The one HTTP client all providers use: a timeout per attempt, retries with jittered exponential
 * backoff on network errors, 5xx, 429 and the platform's rate-limit codes, and a check of the
 * platform's own error code on every answer, HTTP 200 included. Failures surface as ProviderError
 * with the platform's code.
 */
export class PlatformHttpClient {
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxInlineWaitMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<unknown>;
  private readonly random: () => number;

  constructor(
    readonly rules: PlatformRules,
    options: HttpClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 5000;
    this.maxInlineWaitMs = options.maxInlineWaitMs ?? 10_000;
    this.fetchImpl = options.fetch ?? fetch;
    this.sleep = options.sleep ?? sleep;
    this.random = options.random ?? Math.random;
  }

  async call<T>(request: PlatformRequest): Promise<PlatformAnswer<T>> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.attempt<T>(request);
      } catch (error) {
        if (!(error instanceof RetryableFailure)) throw error;
        if (attempt >= this.maxAttempts) throw error.failure;
        // A reset announced further out than a call may wait: the caller retries the work then.
        if ((error.retryAfterMs ?? 0) > this.maxInlineWaitMs) throw error.failure;
        const backoff = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1)) * this.random();
        await this.sleep(Math.max(backoff, error.retryAfterMs ?? 0));
      }
    }
  }

  private async attempt<T>(request: PlatformRequest): Promise<PlatformAnswer<T>> {
    const { platform } = this.rules;
    const url = new URL(request.url);
    for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.set(name, value);
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method: request.method,
        headers: { ...(request.body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }), ...request.headers },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'manual',
      });
    } catch (error) {
      const refusedTarget = (error as { cause?: unknown }).cause;
      if (refusedTarget instanceof OutboundRefusedError) {
        // Not the platform's answer and not passing: trying again would be refused again.
        throw new ProviderError(platform, 'network', `did not call ${url.host}: ${refusedTarget.message}`, { cause: error, kind: 'platform_failed', repeatable: false });
      }
      const timedOut = (error as Error).name === 'TimeoutError';
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      // A refused connection never reached the platform, so even a send may be retried.
      const neverSent = !timedOut && /ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(String(cause));
      const failure = new ProviderError(platform, timedOut ? 'timeout' : 'network', timedOut ? `no answer within ${this.timeoutMs} ms` : `could not connect to ${url.host}${cause ? ` (${cause})` : ''}`, {
        cause: error,
        kind: timedOut ? 'platform_timeout' : 'platform_failed',
        repeatable: request.idempotent || neverSent,
      });
      if (failure.repeatable) throw new RetryableFailure(failure);
      throw failure;
    }

    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    // A 2xx that is not JSON (DingTalk answers its IP throttling with an HTML page) is no success.
    const unreadable = text !== '' && body === undefined;
    const platformError = unreadable ? { code: 'not_json', message: `answered ${response.status} with a body that is not JSON: ${text.slice(0, 120)}` } : this.rules.errorOf(response.status, body);
    if (response.status >= 200 && response.status < 300 && !platformError) return { status: response.status, headers: response.headers, body: body as T };

    const code = platformError?.code ?? response.status;
    const message = platformError?.message ?? (text.slice(0, 200) || response.statusText);
    const throttled = response.status === 429 || this.rules.retryableCodes.has(code) || Boolean(this.rules.retryableAnswer?.(code, message));
    // An unreadable answer may be a throttle page or a proxy's: the request may have been acted on.
    const repeatable = throttled || ((response.status >= 500 || unreadable) && request.idempotent);
    const retryAfterMs = serverDelayMs(response.headers);
    const quotaExhausted = Boolean(this.rules.quotaCodes?.has(code));
    const failure = new ProviderError(platform, code, message, {
      kind: throttled || quotaExhausted ? 'platform_throttled' : 'platform_failed',
      quotaExhausted,
      // A 5xx is an outage even when it carries the platform's code: a send it answered may have been acted on.
      refused: Boolean(platformError) && !throttled && !unreadable && response.status < 500,
      throttled,
      repeatable,
      ...(repeatable && retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
    if (repeatable) throw new RetryableFailure(failure, retryAfterMs);
    throw failure;
  }
}
