import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformSimulator } from '../../lib/sandbox/platform-simulator.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

// Issue 18, item 5: a group bot's verify posts a message, so it takes a slot in the bot's rate
// window like any message. The windows keep their real length here (a DingTalk minute is 67 s
// with imhub's margin), so the test's own pace cannot free a slot.

let api: TestApi;
let sim: PlatformSimulator;

beforeAll(async () => {
  sim = await new PlatformSimulator().start();
  api = await startTestApi();
  sim.afterCallback = () => api.runtime.idle();
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

async function dingtalkBot() {
  const { url, bot } = sim.addBot('dingtalk', 'SECverifysecret00001');
  const created = await api.call('POST', '/v1/integrations', {
    body: { provider: 'dingtalk', kind: 'webhook', name: `verify bot ${randomBytes(4).toString('hex')}`, credentials: { url, secret: 'SECverifysecret00001' } },
  });
  expect(created.status, created.text).toBe(201);
  return { id: created.body.id as string, bot };
}

describe('verify of a group bot', () => {
  it('takes a slot of the bot’s window: past 20 a minute on DingTalk it answers 429 with Retry-After, without calling the platform', async () => {
    // Prepare
    const { id, bot } = await dingtalkBot();

    // Act: 20 verifies fill DingTalk's 20-a-minute window; the 21st must not reach the platform
    for (let index = 0; index < 20; index += 1) {
      const verified = await api.call('POST', `/v1/integrations/${id}/verify`);
      expect(verified.status, verified.text).toBe(200);
    }
    const refused = await api.call('POST', `/v1/integrations/${id}/verify`);

    // Assess: 429, when to come back, and the platform saw 20 posts and throttled none
    expect(refused.status, refused.text).toBe(429);
    expect(refused.body.error.code).toBe('too_many_requests');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(67);
    expect(bot.sent).toHaveLength(20);
    expect(bot.throttled).toBe(0);
  });

  it('shares the window with messages: after 20 verifies a message is queued, not throttled by the platform', async () => {
    const { id, bot } = await dingtalkBot();
    for (let index = 0; index < 20; index += 1) expect((await api.call('POST', `/v1/integrations/${id}/verify`)).status).toBe(200);

    const sent = await api.call('POST', '/v1/notifications', { body: { integrationId: id, message: { text: 'deploy finished' } } });

    expect(sent.status, sent.text).toBe(201);
    expect(sent.body.deliveries).toMatchObject([{ status: 'queued' }]);
    expect(bot.sent).toHaveLength(20);
    expect(bot.throttled).toBe(0);
  });

  it('leaves an app’s verify (a token fetch, no message) out of any window', async () => {
    sim.addApp('dingtalk', 'dingsecverify0001', 'sec-verify-secret-001');
    const created = await api.call('POST', '/v1/integrations', {
      body: { provider: 'dingtalk', name: 'verify app', apiBaseUrl: sim.url, credentials: { appKey: 'dingsecverify0001', appSecret: 'sec-verify-secret-001', aesKey: 'v'.repeat(43), token: 't' } },
    });
    expect(created.status, created.text).toBe(201);
    for (let index = 0; index < 25; index += 1) expect((await api.call('POST', `/v1/integrations/${created.body.id}/verify`)).status).toBe(200);
  });
});
