import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformSimulator } from '../../lib/sandbox/platform-simulator.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

// Issue 18, item 2: `notify` on POST /v1/approvals sends messages, so it needs what POST /v1/notifications needs.

let api: TestApi;
let sim: PlatformSimulator;
let appId: string;
const credentials = { appId: 'cli_secnotify00001', appSecret: 'sec-notify-secret-0001', encryptKey: 'sec-encrypt-key-1', verificationToken: 'sec-vt-1' };

beforeAll(async () => {
  sim = await new PlatformSimulator().start();
  api = await startTestApi();
  sim.afterCallback = () => api.runtime.idle();
  sim.addPeople(['requester', 'alice']);
  sim.addApp('feishu', credentials.appId, credentials.appSecret);
  const created = await api.call('POST', '/v1/integrations', { body: { provider: 'feishu', name: 'sec notify app', apiBaseUrl: sim.url, credentials } });
  expect(created.status, created.text).toBe(201);
  appId = created.body.id;
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

async function keyWith(scopes: string[]): Promise<string> {
  const created = await api.call('POST', '/v1/api-keys', { body: { name: `key ${scopes.join(' ')}`, scopes } });
  expect(created.status, created.text).toBe(201);
  return created.body.key;
}

async function groupBot() {
  const { url, bot } = sim.addBot('feishu');
  const created = await api.call('POST', '/v1/integrations', { body: { provider: 'feishu', kind: 'webhook', name: `sec bot ${randomBytes(4).toString('hex')}`, credentials: { url } } });
  expect(created.status, created.text).toBe(201);
  return { id: created.body.id as string, bot };
}

const approval = (extra: Record<string, unknown> = {}) => ({
  integrationId: appId,
  title: `Deploy ${randomBytes(4).toString('hex')}`,
  requester: sim.personInput('feishu', 'requester'),
  stages: [{ mode: 'any', approvers: [sim.personInput('feishu', 'alice')] }],
  ...extra,
});

describe('notify on POST /v1/approvals', () => {
  it('is refused with 403 naming notifications:send for a key with approvals:write only, and stores and sends nothing', async () => {
    // Prepare: a key that may start approvals but not send messages, and a group bot it must not reach
    const token = await keyWith(['approvals:write']);
    const { id: botId, bot } = await groupBot();
    expect((await api.call('POST', '/v1/notifications', { token, body: { integrationId: botId, message: { text: 'hi' } } })).status).toBe(403);
    const instancesBefore = sim.approvals.instances.size;
    const body = approval({ notify: { integrationId: botId } });

    // Act
    const refused = await api.call('POST', '/v1/approvals', { token, body });

    // Assess: 403, the scope named, nothing stored, no instance, no message
    expect(refused.status, refused.text).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect(refused.body.error.message).toContain('notifications:send');
    const listed = await api.call('GET', '/v1/approvals?limit=100');
    expect(listed.body.items.map((item: { title: string }) => item.title)).not.toContain(body.title);
    expect(sim.approvals.instances.size).toBe(instancesBefore);
    expect(bot.sent).toHaveLength(0);
  });

  it('is refused for an app target too (chats and users of the app)', async () => {
    const token = await keyWith(['approvals:write', 'read']);
    const refused = await api.call('POST', '/v1/approvals', { token, body: approval({ notify: { to: { chatIds: ['oc_anychat'] } } }) });
    expect(refused.status, refused.text).toBe(403);
    expect(refused.body.error.message).toContain('notifications:send');
  });

  it('still lets approvals:write start an approval without notify', async () => {
    const token = await keyWith(['approvals:write']);
    const started = await api.call('POST', '/v1/approvals', { token, body: approval() });
    expect(started.status, started.text).toBe(201);
  });

  it('is allowed for a key that also holds notifications:send, and for admin', async () => {
    const token = await keyWith(['approvals:write', 'notifications:send']);
    const { id: botId, bot } = await groupBot();
    const started = await api.call('POST', '/v1/approvals', { token, body: approval({ notify: { integrationId: botId } }) });
    expect(started.status, started.text).toBe(201);
    await api.runtime.idle();
    expect(bot.sent.length).toBeGreaterThanOrEqual(1);
    const byAdmin = await api.call('POST', '/v1/approvals', { body: approval({ notify: { integrationId: botId } }) });
    expect(byAdmin.status, byAdmin.text).toBe(201);
  });

  it('is documented in the OpenAPI document', async () => {
    const { body } = await api.call('GET', '/v1/openapi.json', { token: null });
    const operation = body.paths['/v1/approvals'].post;
    expect(`${operation.summary} ${operation.description ?? ''}`).toMatch(/notify[^.]*notifications:send/);
  });
});
