import { describe, expect, it } from 'vitest';
import { PlatformHttpClient, type PlatformRules } from '../../../lib/providers/http-client.ts';
import { dingtalkBotSign, feishuBotSign } from '../../../lib/providers/crypto/bot-signing.ts';

const rules: PlatformRules = {
  platform: 'wecom',
  errorOf: (_status, body) => {
    const answer = body as { errcode?: number; errmsg?: string } | undefined;
    return answer?.errcode ? { code: answer.errcode, message: answer.errmsg ?? '' } : undefined;
  },
  retryableCodes: new Set([45009]),
  tokenExpiredCodes: new Set([42001]),
};

/** A fetch that answers from a script, one entry per call, and records the calls. */
function scripted(answers: (Response | Error)[]) {
  const calls: string[] = [];
  const fetchImpl = (async (url: URL) => {
    calls.push(String(url));
    const next = answers.shift();
    if (!next) throw new Error('no more scripted answers');
    if (next instanceof Error) throw next;
    return next;
  }) as unknown as typeof fetch;
  return { calls, fetchImpl };
}
const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers });

describe('PlatformHttpClient', () => {
  it('treats a non-zero errcode on HTTP 200 as an error with the platform code, without retrying', async () => {
    const { calls, fetchImpl } = scripted([json(200, { errcode: 60011, errmsg: 'no privilege' })]);
    const client = new PlatformHttpClient(rules, { fetch: fetchImpl, sleep: async () => undefined });
    await expect(client.call({ method: 'GET', url: 'https://x.test/a', idempotent: true })).rejects.toMatchObject({ platformCode: 60011, refused: true, kind: 'platform_failed' });
    expect(calls).toHaveLength(1);
  });

  it('backs off exponentially with jitter, and honours Retry-After when longer', async () => {
    const waits: number[] = [];
    const { fetchImpl } = scripted([json(429, {}), json(200, { errcode: 45009 }), json(503, {}, { 'retry-after': '2' }), json(200, { ok: 1 })]);
    const client = new PlatformHttpClient(rules, { fetch: fetchImpl, sleep: async (ms) => waits.push(ms), random: () => 0.5, baseDelayMs: 100 });
    expect((await client.call<{ ok: number }>({ method: 'GET', url: 'https://x.test', idempotent: true })).body).toEqual({ ok: 1 });
    expect(waits).toEqual([50, 100, 2000]);
  });

  it('does not retry a send after a 5xx or a timeout, where the platform may have acted', async () => {
    const { calls, fetchImpl } = scripted([json(502, {})]);
    const client = new PlatformHttpClient(rules, { fetch: fetchImpl, sleep: async () => undefined });
    await expect(client.call({ method: 'POST', url: 'https://x.test', body: {}, idempotent: false })).rejects.toMatchObject({ platformCode: 502 });
    expect(calls).toHaveLength(1);
    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    const second = scripted([timeout]);
    const again = new PlatformHttpClient(rules, { fetch: second.fetchImpl, sleep: async () => undefined });
    await expect(again.call({ method: 'POST', url: 'https://x.test', body: {}, idempotent: false })).rejects.toMatchObject({ platformCode: 'timeout', kind: 'platform_timeout' });
    expect(second.calls).toHaveLength(1);
  });

  it('takes a 5xx that carries the platform\'s code for an outage, not a refusal: a send it answered may have been acted on', async () => {
    const { fetchImpl } = scripted([json(504, { errcode: 50001, errmsg: 'gateway timeout' })]);
    const client = new PlatformHttpClient(rules, { fetch: fetchImpl, sleep: async () => undefined });
    await expect(client.call({ method: 'POST', url: 'https://x.test', body: {}, idempotent: false })).rejects.toMatchObject({ platformCode: 50001, refused: false, repeatable: false });
  });

  it('retries a send that was throttled (refused, so not acted on)', async () => {
    const { calls, fetchImpl } = scripted([json(200, { errcode: 45009 }), json(200, { errcode: 0 })]);
    const client = new PlatformHttpClient(rules, { fetch: fetchImpl, sleep: async () => undefined });
    await client.call({ method: 'POST', url: 'https://x.test', body: {}, idempotent: false });
    expect(calls).toHaveLength(2);
  });

  it('honours Feishu\'s x-ogw-ratelimit-reset up to its full 60 s: a reset longer than a call may wait ends the call as repeatable, carrying the wait', async () => {
    // Prepare: a per-minute API announces a 45 s reset
    const waits: number[] = [];
    const { calls, fetchImpl } = scripted([json(429, { errcode: 99991400 }, { 'x-ogw-ratelimit-reset': '45' })]);
    const client = new PlatformHttpClient(rules, { fetch: fetchImpl, sleep: async (ms) => waits.push(ms) });
    // Act and assess: nobody sleeps 45 s inside a request; the caller retries the work after it
    await expect(client.call({ method: 'POST', url: 'https://x.test', body: {}, idempotent: false })).rejects.toMatchObject({ kind: 'platform_throttled', throttled: true, repeatable: true, retryAfterMs: 45_000 });
    expect(calls).toHaveLength(1);
    expect(waits).toEqual([]);
    // A reset past 60 s is taken as 60 s.
    const long = scripted([json(429, {}, { 'x-ogw-ratelimit-reset': '600' })]);
    await expect(new PlatformHttpClient(rules, { fetch: long.fetchImpl }).call({ method: 'GET', url: 'https://x.test', idempotent: true })).rejects.toMatchObject({ retryAfterMs: 60_000 });
  });

  it('takes a platform code as throttling only with the message that says so, where the code alone does not (a Feishu bot\'s 9499)', async () => {
    const botRules: PlatformRules = { ...rules, retryableAnswer: (code, message) => code === 9499 && /too many/i.test(message) };
    const throttled = scripted([json(400, { errcode: 9499, errmsg: 'too many request' }), json(200, { errcode: 0 })]);
    await new PlatformHttpClient(botRules, { fetch: throttled.fetchImpl, sleep: async () => undefined }).call({ method: 'POST', url: 'https://x.test', body: {}, idempotent: false });
    expect(throttled.calls).toHaveLength(2);
    const refused = scripted([json(400, { errcode: 9499, errmsg: 'Bad Request' })]);
    await expect(new PlatformHttpClient(botRules, { fetch: refused.fetchImpl, sleep: async () => undefined }).call({ method: 'POST', url: 'https://x.test', body: {}, idempotent: false })).rejects.toMatchObject({ platformCode: 9499, refused: true, repeatable: false });
  });

  it('stops after maxAttempts with the last failure', async () => {
    const { calls, fetchImpl } = scripted([json(500, {}), json(500, {}), json(500, {})]);
    const client = new PlatformHttpClient(rules, { fetch: fetchImpl, sleep: async () => undefined, maxAttempts: 3 });
    await expect(client.call({ method: 'GET', url: 'https://x.test', idempotent: true })).rejects.toMatchObject({ platformCode: 500, refused: false, kind: 'platform_failed' });
    expect(calls).toHaveLength(3);
  });
});

describe('group-bot signatures', () => {
  it('match the documented vectors', () => {
    // ../shared/platforms/dingtalk-wecom.md §5.1 and feishu-lark.md §4.6
    expect(dingtalkBotSign('SECtest0123456789abcdef', 1700000000000)).toBe('/lfnxUUu80FwVTsIlv2F1cMGBb+PxEKAwYh/bsRxXcc=');
    expect(feishuBotSign('demo-secret', 1599360473)).toBe('3/MaVZ8JLIy4TUG+7KSFJqvUkTKd+HWY8g+56DZWq8s=');
  });
});

describe('PlatformHttpClient and unreadable answers', () => {
  it('takes a 2xx whose body is not JSON (an HTML throttle page) as a platform error, never a success', async () => {
    const { fetchImpl } = scripted([new Response('<html>访问过于频繁</html>', { status: 200 }), new Response('<html>still</html>', { status: 200 })]);
    const client = new PlatformHttpClient(rules, { fetch: fetchImpl, sleep: async () => undefined, maxAttempts: 2 });
    await expect(client.call({ method: 'GET', url: 'https://x.test', idempotent: true })).rejects.toMatchObject({ platformCode: 'not_json', refused: false, repeatable: true });
  });
});
