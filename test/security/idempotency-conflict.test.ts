import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCredentials, localRegion } from '../../lib/local/embedded-dynamodb.ts';
import { PlatformSimulator, simUserId } from '../../lib/sandbox/platform-simulator.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';
import { registerFeishuSimApp } from '../support/sim-app.ts';

// Issue 18, item 4: an idempotency key stands for one request. Reused with another body it is a
// 409 idempotency_conflict, never the first request's result.

let api: TestApi;
let sim: PlatformSimulator;
let appId: string;
const credentials = { appId: 'cli_secidem000001', appSecret: 'sec-idem-secret-00001', encryptKey: 'sec-encrypt-key-2', verificationToken: 'sec-vt-2' };

beforeAll(async () => {
  sim = await new PlatformSimulator().start();
  api = await startTestApi();
  sim.afterCallback = () => api.runtime.idle();
  sim.addPeople(['requester', 'alice', 'bob']);
  appId = await registerFeishuSimApp(api, sim, 'sec idem app', credentials);
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

const newKey = () => `key-${randomBytes(6).toString('hex')}`;
const approval = (idempotencyKey: string, extra: Record<string, unknown> = {}) => ({
  integrationId: appId,
  title: 'Deploy api v2 to production',
  requester: sim.personInput('feishu', 'requester'),
  stages: [{ mode: 'any', approvers: [sim.personInput('feishu', 'alice')] }],
  idempotencyKey,
  ...extra,
});
const notification = (idempotencyKey: string, extra: Record<string, unknown> = {}) => ({
  integrationId: appId,
  to: { chatIds: ['oc_release'] },
  message: { text: 'api v2 is live' },
  idempotencyKey,
  ...extra,
});

/** Drops the stored request hash, as on a record made before hashes were kept. */
async function forgetRequestHash(pk: string) {
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: api.runtime.dynamoEndpoint, region: localRegion, credentials: localCredentials }));
  await dynamo.send(new UpdateCommand({ TableName: api.tableName, Key: { pk, sk: pk.split('#')[0] }, UpdateExpression: 'REMOVE requestHash' }));
  dynamo.destroy();
}

describe('approvals with a reused idempotencyKey', () => {
  it('answer 200 with the same approval for the same body, with keys in any order', async () => {
    const key = newKey();
    const first = await api.call('POST', '/v1/approvals', { body: approval(key) });
    expect(first.status, first.text).toBe(201);
    const { idempotencyKey, ...rest } = approval(key);
    const reordered = Object.fromEntries(Object.entries({ idempotencyKey, ...rest }).reverse());
    const again = await api.call('POST', '/v1/approvals', { body: reordered });
    expect(again.status, again.text).toBe(200);
    expect(again.body.id).toBe(first.body.id);
  });

  it('answer 409 idempotency_conflict for a different body, even after the first was approved, and start nothing', async () => {
    // Prepare: the first approval is approved on the platform
    const key = newKey();
    const first = await api.call('POST', '/v1/approvals', { body: approval(key) });
    expect(first.status, first.text).toBe(201);
    await sim.approvals.act(first.body.platformInstanceId, simUserId('feishu', 'alice'), 'approve');
    expect((await api.call('GET', `/v1/approvals/${first.body.id}`)).body.status).toBe('approved');
    const instances = sim.approvals.instances.size;

    // Act: the same key, another approver and another title
    const other = await api.call('POST', '/v1/approvals', { body: approval(key, { title: 'Drop the production database', stages: [{ mode: 'any', approvers: [sim.personInput('feishu', 'bob')] }] }) });

    // Assess
    expect(other.status, other.text).toBe(409);
    expect(other.body.error.code).toBe('idempotency_conflict');
    expect(other.body.error.message).toMatch(/idempotencyKey .*used .*different request/);
    expect(other.text).not.toContain(first.body.id);
    expect(sim.approvals.instances.size).toBe(instances);
  });

  it('treat a field the caller left out as different from one the caller sent', async () => {
    const key = newKey();
    expect((await api.call('POST', '/v1/approvals', { body: approval(key) })).status).toBe(201);
    const withContent = await api.call('POST', '/v1/approvals', { body: approval(key, { content: 'release notes' }) });
    expect(withContent.status, withContent.text).toBe(409);
  });

  it('match an approval stored before request hashes were kept', async () => {
    const key = newKey();
    const first = await api.call('POST', '/v1/approvals', { body: approval(key) });
    await forgetRequestHash(`APR#${first.body.id}`);
    const other = await api.call('POST', '/v1/approvals', { body: approval(key, { title: 'another title' }) });
    expect(other.status, other.text).toBe(200);
    expect(other.body.id).toBe(first.body.id);
  });
});

describe('notifications with a reused idempotencyKey', () => {
  it('answer 200 with the same notification for the same body', async () => {
    const key = newKey();
    const first = await api.call('POST', '/v1/notifications', { body: notification(key) });
    expect(first.status, first.text).toBe(201);
    const again = await api.call('POST', '/v1/notifications', { body: notification(key) });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
  });

  it('answer 409 idempotency_conflict for a different message or target, and send nothing', async () => {
    const key = newKey();
    expect((await api.call('POST', '/v1/notifications', { body: notification(key) })).status).toBe(201);
    const sent = sim.messages.length;
    const otherText = await api.call('POST', '/v1/notifications', { body: notification(key, { message: { text: 'rolled back' } }) });
    const otherTarget = await api.call('POST', '/v1/notifications', { body: notification(key, { to: { chatIds: ['oc_everyone'] } }) });
    for (const answer of [otherText, otherTarget]) {
      expect(answer.status, answer.text).toBe(409);
      expect(answer.body.error.code).toBe('idempotency_conflict');
      expect(answer.body.error.message).toMatch(/idempotencyKey .*used .*different request/);
    }
    expect(sim.messages.length).toBe(sent);
  });

  it('match a notification stored before request hashes were kept', async () => {
    const key = newKey();
    const first = await api.call('POST', '/v1/notifications', { body: notification(key) });
    await forgetRequestHash(`NOTIF#${first.body.id}`);
    const other = await api.call('POST', '/v1/notifications', { body: notification(key, { message: { text: 'rolled back' } }) });
    expect(other.status, other.text).toBe(200);
    expect(other.body.id).toBe(first.body.id);
  });
});
