import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../lib/errors.ts';
import { TokenCache } from '../../lib/providers/token-cache.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';
import { storedProvider } from '../support/stored-provider.ts';
import { PlatformSimulator, type SimPlatform } from '../../lib/sandbox/platform-simulator.ts';

let api: TestApi;
let sim: PlatformSimulator;
const aesKey = 'a'.repeat(43);
const apps = {
  feishu: { appId: 'cli_sim0000000001', appSecret: 'sim-feishu-secret-0001' },
  lark: { appId: 'cli_sim0000000002', appSecret: 'sim-lark-secret-00002' },
  dingtalk: { appKey: 'dingsimkey000001', appSecret: 'sim-dingtalk-secret-01', aesKey, token: 'tok' },
  wecom: { corpId: 'wwsimcorp0001', agentId: '1000002', secret: 'sim-wecom-secret-0001', token: 'tok', encodingAesKey: aesKey },
};
const simPlatform = (provider: string): SimPlatform => (provider === 'lark' ? 'feishu' : (provider as SimPlatform));

beforeAll(async () => {
  sim = await new PlatformSimulator().start();
  api = await startTestApi();
  sim.afterCallback = () => api.runtime.idle();
  sim.addApp('feishu', apps.feishu.appId, apps.feishu.appSecret);
  sim.addApp('feishu', apps.lark.appId, apps.lark.appSecret);
  sim.addApp('dingtalk', apps.dingtalk.appKey, apps.dingtalk.appSecret);
  sim.addApp('wecom', apps.wecom.corpId, apps.wecom.secret);
  sim.users.push({ name: 'Ada', email: 'ada@example.com', mobile: '13800000001', ids: { feishu: 'ou_ada', dingtalk: 'ding_ada', wecom: 'ada' } });
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

async function createApp(provider: keyof typeof apps, credentials: Record<string, string> = apps[provider]) {
  const created = await api.call('POST', '/v1/integrations', {
    body: { provider, name: `${provider} ${randomBytes(4).toString('hex')}`, apiBaseUrl: sim.url, credentials },
  });
  expect(created.status, created.text).toBe(201);
  return created.body.id as string;
}
async function createBot(provider: string, secret?: string, url?: string) {
  const bot = sim.addBot(simPlatform(provider), secret);
  const created = await api.call('POST', '/v1/integrations', {
    body: { provider, kind: 'webhook', name: `${provider} bot ${randomBytes(4).toString('hex')}`, credentials: { url: url ?? bot.url, ...(secret ? { secret } : {}) } },
  });
  expect(created.status, created.text).toBe(201);
  return { id: created.body.id as string, bot: bot.bot };
}
const verify = (id: string) => api.call('POST', `/v1/integrations/${id}/verify`);

/** A provider built as the service builds it, with its own token cache (its own "Lambda instance"). */
const directProvider = (id: string, tokens?: TokenCache) => storedProvider(api, id, tokens ? { tokens } : {});

describe('verify', () => {
  it.each(Object.keys(apps))('%s app: fetches a token and says so', async (provider) => {
    const answer = await verify(await createApp(provider as keyof typeof apps));
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toMatchObject({ verified: true, provider, kind: 'app', detail: expect.stringMatching(/^fetched a \w+ \(valid 7\d{3} s\)$/) });
  });

  it.each([
    ['feishu', 'feishu-bot-secret-01'],
    ['lark', undefined],
    ['dingtalk', 'SECsimdingtalkbotsecret'],
    ['wecom', undefined],
  ])('%s bot: sends a signed test message the simulator accepts', async (provider, secret) => {
    const { id, bot } = await createBot(provider, secret);
    const answer = await verify(id);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.detail).toBe('sent a test message to the group');
    // Written in the integration's locale: zh-CN by default, en-US on Lark.
    expect(JSON.stringify(bot.sent[0]!.body)).toContain(provider === 'lark' ? 'imhub: this group bot is connected' : 'imhub：此群机器人已接入集成');
  });

  it.each([
    ['feishu', { ...apps.feishu, appSecret: 'wrong-secret-000000' }, 10014],
    ['dingtalk', { ...apps.dingtalk, appSecret: 'wrong-secret-000000' }, 'invalidClientIdOrSecret'],
    ['wecom', { ...apps.wecom, secret: 'wrong-secret-000000' }, 40001],
  ] as const)('%s app: a refused secret is a 422 with the platform code', async (provider, credentials, code) => {
    const answer = await verify(await createApp(provider, credentials));
    expect(answer.status).toBe(422);
    expect(answer.body.error).toMatchObject({ code: 'verification_failed', details: { platform: provider, platformCode: code } });
    expect(answer.text).not.toContain('wrong-secret-000000');
  });

  it('a bot with the wrong signing secret is a 422 with the platform code', async () => {
    const feishuBot = sim.addBot('feishu', 'the-real-secret-0001');
    const created = await api.call('POST', '/v1/integrations', {
      body: { provider: 'feishu', kind: 'webhook', name: 'wrong sign', credentials: { url: feishuBot.url, secret: 'not-the-secret-0001' } },
    });
    const answer = await verify(created.body.id);
    expect(answer.status).toBe(422);
    expect(answer.body.error.details.platformCode).toBe(19021);
  });

  it('retries 429, 5xx and throttle codes on the token call, then succeeds', async () => {
    const id = await createApp('wecom');
    const before = sim.count('wecom.token');
    sim.inject('wecom.token', { kind: 'http', status: 429 });
    sim.inject('wecom.token', { kind: 'http', status: 503 });
    sim.inject('wecom.token', { kind: 'code', code: 45009 });
    const answer = await verify(id);
    expect(answer.status, answer.text).toBe(200);
    expect(sim.count('wecom.token') - before).toBe(4);
  });

  it('surfaces a platform that keeps failing as a 502 carrying its code', async () => {
    const id = await createApp('feishu');
    sim.inject('feishu.token', { kind: 'http', status: 500 }, 4);
    const answer = await verify(id);
    expect(answer.status).toBe(502);
    expect(answer.body.error).toMatchObject({ code: 'provider_error', details: { platform: 'feishu', platformCode: 500 } });
  });
});

describe('tokens', () => {
  it('concurrent calls in one instance fetch one token', async () => {
    const { provider } = await directProvider(await createApp('dingtalk'));
    const before = sim.count('dingtalk.token');
    const results = await Promise.all(Array.from({ length: 20 }, () => provider.resolveUsers([{ mobile: '13800000001' }])));
    expect(results.every(([id]) => id === 'ding_ada')).toBe(true);
    expect(sim.count('dingtalk.token') - before).toBe(1);
  });

  it('concurrent calls from several instances sharing DynamoDB fetch one token', async () => {
    const id = await createApp('feishu');
    const instances = await Promise.all(Array.from({ length: 4 }, () => directProvider(id)));
    const before = sim.count('feishu.token');
    await Promise.all(instances.flatMap(({ provider }) => Array.from({ length: 5 }, () => provider.resolveUsers([{ email: 'ada@example.com' }]))));
    expect(sim.count('feishu.token') - before).toBe(1);
  });

  it('stores tokens sealed, never in the clear', async () => {
    const id = await createApp('wecom');
    const { provider } = await directProvider(id);
    await provider.resolveUsers([{ email: 'ada@example.com' }]);
    const item = (await api.scan()).find((candidate) => candidate.pk === `TOKEN#${id}#1` && candidate.sk === 'TOKEN')!;
    expect(item.sealedToken).toMatch(/^local\.v1\./);
    expect(JSON.stringify(item)).not.toContain('wecom-t-');
  });

  it.each(['feishu', 'dingtalk', 'wecom'] as const)('%s: a token the platform calls expired is replaced once and the call retried', async (provider) => {
    const { provider: client } = await directProvider(await createApp(provider));
    await client.resolveUsers([{ mobile: '13800000001' }]);
    const before = sim.count(`${provider}.token`);
    sim.expireAllTokens();
    expect(await client.resolveUsers([{ mobile: '13800000001' }])).toEqual([{ feishu: 'ou_ada', dingtalk: 'ding_ada', wecom: 'ada' }[provider]]);
    expect(sim.count(`${provider}.token`) - before).toBe(1);
  });

  it('a rotated secret never uses the old token', async () => {
    const id = await createApp('wecom');
    const first = await directProvider(id);
    await first.provider.resolveUsers([{ mobile: '13800000001' }]);
    sim.addApp('wecom', apps.wecom.corpId, 'sim-wecom-secret-0002');
    expect((await api.call('PATCH', `/v1/integrations/${id}`, { body: { credentials: { secret: 'sim-wecom-secret-0002' } } })).status).toBe(200);
    const before = sim.count('wecom.token');
    const second = await directProvider(id, first.tokens);
    expect(second.stored.credentialVersion).toBe(2);
    await second.provider.resolveUsers([{ mobile: '13800000001' }]);
    expect(sim.count('wecom.token') - before).toBe(1);
    sim.addApp('wecom', apps.wecom.corpId, apps.wecom.secret);
  });
});

describe('errors from the platform', () => {
  it('surfaces a non-zero errcode on HTTP 200 with the platform code', async () => {
    const { provider } = await directProvider(await createApp('wecom'));
    sim.inject('wecom.lookup', { kind: 'code', code: 60011, message: 'no privilege to access/modify contact/party/agent' });
    const error = await provider.resolveUsers([{ mobile: '13800000001' }]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ platform: 'wecom', platformCode: 60011, kind: 'platform_failed' });
  });

  it('reports people the platform does not know as a 422 naming them', async () => {
    const { provider } = await directProvider(await createApp('feishu'));
    const error = await provider.resolveUsers([{ email: 'ada@example.com' }, { email: 'nobody@example.com' }]).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ kind: 'platform_refused', platformCode: 'user_not_found', message: expect.stringContaining('nobody@example.com') });
  });

  it('gives up on a slow platform after the timeout, retrying reads', async () => {
    const id = await createApp('dingtalk');
    const { provider } = await storedProvider(api, id, { http: { timeoutMs: 200, maxAttempts: 2, baseDelayMs: 10 } });
    const before = sim.count('dingtalk.token');
    sim.inject('dingtalk.token', { kind: 'slow', ms: 600 }, 2);
    const error = await provider.verify().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ platformCode: 'timeout', kind: 'platform_timeout' });
    expect(sim.count('dingtalk.token') - before).toBe(2);
  });
});
