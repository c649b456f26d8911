import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformSimulator } from '../../lib/sandbox/platform-simulator.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

// Rate windows shrink 20-fold on both sides (a minute becomes 3 s), so bursts take seconds.
process.env.IMHUB_RATE_WINDOW_SCALE = '0.05';

let api: TestApi;
let sim: PlatformSimulator;
const aesKey = 'e'.repeat(43);
const apps = {
  feishu: { sim: 'feishu' as const, id: 'cli_ntf0000000001', credentials: { appId: 'cli_ntf0000000001', appSecret: 'ntf-feishu-secret-0001' } },
  lark: { sim: 'feishu' as const, id: 'cli_ntf0000000002', credentials: { appId: 'cli_ntf0000000002', appSecret: 'ntf-lark-secret-000001' } },
  dingtalk: { sim: 'dingtalk' as const, id: 'dingntfkey00001', credentials: { appKey: 'dingntfkey00001', appSecret: 'ntf-dingtalk-secret-01', aesKey, token: 't', agentId: '2345678' } },
  wecom: { sim: 'wecom' as const, id: 'wwntfcorp0001', credentials: { corpId: 'wwntfcorp0001', agentId: '1000002', secret: 'ntf-wecom-secret-0001', token: 't', encodingAesKey: aesKey } },
};
type Name = keyof typeof apps;
const appIds: Partial<Record<Name, string>> = {};

beforeAll(async () => {
  sim = await new PlatformSimulator().start();
  sim.rateWindowScale = 0.05;
  api = await startTestApi();
  sim.afterCallback = () => api.runtime.idle();
  sim.users.push({ name: 'ada', email: 'ada@example.com', mobile: '13800000001', ids: { feishu: 'ou_ada', dingtalk: 'ding_ada', wecom: 'ada' } });
  for (const [name, app] of Object.entries(apps) as [Name, (typeof apps)[Name]][]) {
    const secret = 'appSecret' in app.credentials ? app.credentials.appSecret : app.credentials.secret;
    sim.addApp(app.sim, app.id, secret);
    const created = await api.call('POST', '/v1/integrations', { body: { provider: name, name: `ntf ${name}`, apiBaseUrl: sim.url, credentials: app.credentials } });
    expect(created.status, created.text).toBe(201);
    appIds[name] = created.body.id;
  }
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

const notify = (integrationId: string, extra: Record<string, unknown> = {}) =>
  api.call('POST', '/v1/notifications', { body: { integrationId, message: { title: 'Deploy finished', text: 'api v1.4.2 is live', level: 'success' }, ...extra } });

async function bot(name: Name, secret?: string) {
  const { url, bot: simBot } = sim.addBot(apps[name].sim, secret);
  const created = await api.call('POST', '/v1/integrations', {
    body: { provider: name, kind: 'webhook', name: `bot ${randomBytes(4).toString('hex')}`, credentials: { url, ...(secret ? { secret } : {}) } },
  });
  expect(created.status, created.text).toBe(201);
  return { id: created.body.id as string, simBot };
}

/** Runs the reconciler until nothing is queued (or gives up after `ms`). */
async function drain(id: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const { body } = await api.call('GET', `/v1/notifications/${id}`);
    if (body.status !== 'pending' || Date.now() > deadline) return body;
    await sleep(100);
    await api.runtime.reconcile();
  }
}

describe.each(Object.keys(apps) as Name[])('%s', (name) => {
  it('delivers an app message to a chat, a user id and an email, recording each delivery', async () => {
    const before = sim.messages.length;
    const { status, body } = await notify(appIds[name]!, { to: { chatIds: ['chat-ops'], userIds: [{ feishu: 'ou_ada', dingtalk: 'ding_ada', wecom: 'ada' }[apps[name].sim]], ...(name === 'dingtalk' ? { mobiles: ['13800000001'] } : { emails: ['ada@example.com'] }) } });
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body.status).toBe('sent');
    expect(body.deliveries.map((delivery: { status: string }) => delivery.status)).toEqual(['sent', 'sent', 'sent']);
    expect(sim.messages.length - before).toBe(3);
  });

  it('delivers a bot message in the platform format, signed where the platform signs', async () => {
    const secret = name === 'feishu' || name === 'lark' ? 'bot-secret-000000001' : name === 'dingtalk' ? 'SECbotsecret00000001' : undefined;
    const { id, simBot } = await bot(name, secret);
    const { body } = await notify(id, { message: { text: 'release cut', mentions: [{ all: true }] } });
    expect(body.status).toBe('sent');
    expect(simBot.sent).toHaveLength(1);
  });
});

describe('notifications, across platforms', () => {
  it('reports a failed target with the platform code while the others succeed', async () => {
    const { body } = await notify(appIds.wecom!, { to: { userIds: ['ada', 'ghost'] } });
    expect(body.status).toBe('partial');
    expect(body.deliveries).toMatchObject([
      { target: 'user:ada', status: 'sent' },
      { target: 'user:ghost', status: 'failed', error: { code: 'invaliduser' } },
    ]);
  });

  it('sends once for a repeated idempotency key', async () => {
    const key = `n-${randomBytes(4).toString('hex')}`;
    const before = sim.messages.length;
    const first = await notify(appIds.feishu!, { to: { chatIds: ['chat-once'] }, idempotencyKey: key });
    const second = await notify(appIds.feishu!, { to: { chatIds: ['chat-once'] }, idempotencyKey: key });
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.body.id).toBe(first.body.id);
    expect(sim.messages.length - before).toBe(1);
  });

  it('delivers a burst of 50 to one DingTalk bot in full, each message once, through its rate window', async () => {
    const { id, simBot } = await bot('dingtalk', 'SECburstsecret000001');
    const answers = await Promise.all(Array.from({ length: 50 }, (_, index) => notify(id, { message: { text: `message ${index}` } })));
    expect(answers.every((answer) => answer.status === 201)).toBe(true);
    for (const answer of answers) expect((await drain(answer.body.id)).status).toBe('sent');
    // Each message arrived once. How they are paced is measured on a fake clock
    // (test/unit/services/notification-pacing.test.ts): here real time on a busy machine could bunch
    // sends up on the way, and a send the simulator then throttles is simply sent again.
    const texts = simBot.sent.map((message) => JSON.stringify(message.body));
    expect(texts).toHaveLength(50);
    for (let index = 0; index < 50; index += 1) expect(texts.filter((text) => new RegExp(`message ${index}(?!\\d)`).test(text)).length, `message ${index}`).toBe(1);
  }, 60_000);

  it('retries injected 5xx on a send the platform deduplicates, and queues a throttled one for later', async () => {
    sim.inject('wecom.message', { kind: 'http', status: 502 });
    const recovered = await notify(appIds.wecom!, { to: { userIds: ['ada'] } });
    expect(recovered.body.status).toBe('sent');
    sim.inject('wecom.message', { kind: 'code', code: 45009 }, 4);
    const throttled = await notify(appIds.wecom!, { to: { userIds: ['ada'] } });
    expect(throttled.body.status).toBe('pending');
    await sleep(1100);
    const final = await drain(throttled.body.id);
    expect(final.deliveries).toMatchObject([{ status: 'sent', attempts: 2 }]);
  });

  it('refuses targets for a bot and a missing target for an app', async () => {
    const { id } = await bot('wecom');
    expect((await notify(id, { to: { chatIds: ['x'] } })).body.error.code).toBe('bot_has_no_targets');
    expect((await notify(appIds.feishu!)).body.error.code).toBe('no_targets');
  });
});
