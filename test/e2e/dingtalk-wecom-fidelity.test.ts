import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformSimulator, simUserId } from '../../lib/sandbox/platform-simulator.ts';
import { clockedReconciler } from '../../scripts/bench/clocked-reconciler.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

/**
 * DingTalk and WeCom as their docs say they behave (docs/platforms/dingtalk.md, wecom.md): each
 * test sets the simulator up the way the platform behaves and shows imhub handling it.
 */

// A start (and a definition's claim) is owned for 300 ms (60 s in production). The reconciler's
// first look keeps its production default (60 s): a test that sees a reconcile act did not wait for it.
process.env.IMHUB_LEASE_MS = '300';

let api: TestApi;
let sim: PlatformSimulator;
const aesKey = 'd'.repeat(43);
const people = ['requester', 'alice', 'bob'] as const;
type PersonName = (typeof people)[number];
const apps = {
  dingtalk: { sim: 'dingtalk' as const, appId: 'dingfidelity00001', credentials: { appKey: 'dingfidelity00001', appSecret: 'fidelity-dingtalk-secret', aesKey, token: 'fidelity' } },
  wecom: { sim: 'wecom' as const, appId: 'wwfidelity000001', credentials: { corpId: 'wwfidelity000001', agentId: '1000002', secret: 'fidelity-wecom-secret-01', token: 'fidelity', encodingAesKey: aesKey } },
};
type AppName = keyof typeof apps;

beforeAll(async () => {
  sim = await new PlatformSimulator().start();
  api = await startTestApi();
  sim.afterCallback = () => api.runtime.idle();
  sim.addPeople(people);
  for (const app of Object.values(apps)) sim.addApp(app.sim, app.appId, 'appSecret' in app.credentials ? app.credentials.appSecret : app.credentials.secret);
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

/** Registers an app integration as a person would, its callbacks subscribed in the simulator. */
async function register(app: AppName, name = `fidelity ${app} ${randomBytes(3).toString('hex')}`) {
  const created = await api.call('POST', '/v1/integrations', { body: { provider: app, name, apiBaseUrl: sim.url, credentials: apps[app].credentials } });
  expect(created.status, created.text).toBe(201);
  sim.approvals.subscribeIntegration(apps[app].sim, apps[app].appId, created.body.callbackUrl, apps[app].credentials);
  return created.body.id as string;
}
const person = (app: AppName, name: PersonName) => sim.personInput(app, name);
function start(app: AppName, integrationId: string, approvers: PersonName[] = ['alice'], extra: Record<string, unknown> = {}) {
  return api.call('POST', '/v1/approvals', {
    body: { integrationId, title: `Deploy ${randomBytes(3).toString('hex')}`, requester: person(app, 'requester'), stages: [{ mode: 'any', approvers: approvers.map((name) => person(app, name)) }], ...extra },
  });
}
const read = async (id: string) => (await api.call('GET', `/v1/approvals/${id}`)).body;

describe.each(Object.keys(apps) as AppName[])('%s forms and templates', (app) => {
  it('an integration deleted and registered again under the same name starts approvals (form and template names are unique per tenant)', async () => {
    const name = `ops ${app} ${randomBytes(3).toString('hex')}`;
    const first = await register(app, name);
    expect((await start(app, first)).body.platformInstanceId).toEqual(expect.any(String));
    expect((await api.call('DELETE', `/v1/integrations/${first}`)).status).toBe(204);
    const again = await register(app, name);
    const started = await start(app, again);
    expect(started.status, started.text).toBe(201);
    expect(started.body.platformInstanceId).toEqual(expect.any(String));
    await sim.approvals.act(started.body.platformInstanceId, simUserId(apps[app].sim, 'alice'), 'approve');
    expect((await read(started.body.id)).status).toBe('approved');
  });

  it('a create whose answer was lost is followed, after its claim ends, by one under another name, which starts approvals', async () => {
    const id = await register(app);
    const route = app === 'dingtalk' ? 'dingtalk.form.create' : 'wecom.template.create';
    sim.inject(route, { kind: 'answer-lost', status: 504 });
    expect((await start(app, id)).status).toBe(502);
    await sleep(350);
    const started = await start(app, id);
    expect(started.status, started.text).toBe(201);
    expect(started.body.platformInstanceId).toEqual(expect.any(String));
    const names = [...sim.approvals.definitions.values()].filter((definition) => definition.name?.includes(id.slice(-6))).map((definition) => definition.name);
    expect(names).toHaveLength(2);
    expect(new Set(names).size).toBe(2);
  });
});

describe('WeCom callbacks', () => {
  it('answers an authentic callback 200 even when reading the instance fails (WeCom never retries a non-200), and the event’s job reads it again a second later', async () => {
    const id = await register('wecom');
    const { body } = await start('wecom', id);
    // Every attempt of the read the event's job makes fails.
    sim.inject('wecom.instance.get', { kind: 'http', status: 503 }, 4);
    const answers = await sim.approvals.act(body.platformInstanceId, simUserId('wecom', 'alice'), 'approve');
    expect(answers.map((answer) => answer.status)).toEqual([200]);
    expect((await read(body.id)).status).toBe('pending');
    // The failed run is due again after 1 s (then 2, 4 …): once that has passed, the sweep finds it due.
    await sleep(1_100);
    await api.runtime.reconcile();
    expect((await read(body.id)).status).toBe('approved');
  });
});

describe('WeCom trusted IPs', () => {
  it('a call from an address the app does not trust (60020) fails with an error that names the trusted-IP setting and where imhub’s IPs come from', async () => {
    const id = await register('wecom');
    sim.inject('wecom.token', { kind: 'code', code: 60020, message: 'not allow to access from your ip, hint: [1700000000_1_abc], from ip: 203.0.113.7' });
    const verified = await api.call('POST', `/v1/integrations/${id}/verify`);
    expect(verified.status).toBe(422);
    expect(verified.body.error.message).toContain('企业可信IP');
    expect(verified.body.error.message).toContain('EgressIps');
    expect(verified.body.error.details).toMatchObject({ platform: 'wecom', platformCode: 60020 });
  });
});

describe('people', () => {
  it('WeCom: finds a person by their own email (email_type 2) when they have no WeCom mailbox (email_type 1)', async () => {
    const id = await register('wecom');
    const started = await api.call('POST', '/v1/approvals', { body: { integrationId: id, title: 'By email', requester: { email: 'requester@example.com' }, stages: [{ approvers: [{ email: 'alice@example.com' }] }] } });
    expect(started.status, started.text).toBe(201);
  });

  it.each(Object.keys(apps) as AppName[])('%s: finds a person by a mobile written with +86, spaces and dashes', async (app) => {
    const id = await register(app);
    const started = await api.call('POST', '/v1/approvals', { body: { integrationId: id, title: 'By mobile', requester: { mobile: '+86 138-0000-0000' }, stages: [{ approvers: [{ mobile: '0086 138 0000 0001' }] }] } });
    expect(started.status, started.text).toBe(201);
  });

  it('DingTalk: a number its org does not know (40104) is a 422 naming it, not a platform error', async () => {
    const id = await register('dingtalk');
    const started = await api.call('POST', '/v1/approvals', { body: { integrationId: id, title: 'Unknown', requester: { mobile: '13800000000' }, stages: [{ approvers: [{ mobile: '+85291234567' }] }] } });
    expect(started.status, started.text).toBe(422);
    expect(started.body.error.message).toContain('+85291234567');
  });

  it('DingTalk: an approver by email is a 400 saying DingTalk takes a userId or a mobile', async () => {
    const id = await register('dingtalk');
    const started = await api.call('POST', '/v1/approvals', { body: { integrationId: id, title: 'Email', requester: { mobile: '13800000000' }, stages: [{ approvers: [{ email: 'alice@example.com' }] }] } });
    expect(started.status).toBe(400);
    expect(started.body.error.message).toMatch(/userId or mobile/);
  });

  it('WeCom: a person not found is not looked up again for a while (misses past 20% of the headcount block lookups for a day)', async () => {
    const id = await register('wecom');
    const ask = () => api.call('POST', '/v1/approvals', { body: { integrationId: id, title: 'Typo', requester: { userId: simUserId('wecom', 'requester') }, stages: [{ approvers: [{ email: 'alcie@example.com' }] }] } });
    expect((await ask()).status).toBe(422);
    const lookups = sim.count('wecom.lookup');
    const again = await ask();
    expect(again.status).toBe(422);
    expect(again.body.error.message).toContain('alcie@example.com');
    expect(sim.count('wecom.lookup') - lookups).toBe(0);
  });
});

describe('DingTalk throttling and quota', () => {
  it('spends at most one re-read on a pending approval in its first hour once the integration’s callbacks arrive (10,000 calls a month on standard orgs)', async () => {
    // Prepare: an approval decided through its callback proves the callback path
    const id = await register('dingtalk');
    const proof = await start('dingtalk', id);
    await sim.approvals.act(proof.body.platformInstanceId, simUserId('dingtalk', 'alice'), 'approve');
    expect((await read(proof.body.id)).status).toBe('approved');
    const { body } = await start('dingtalk', id, ['bob'], { timeoutSeconds: 4 * 3600 });
    // Act: an hour of one-minute reconciler runs on a clock that moves a minute each
    let clock = Date.now();
    const reconciler = clockedReconciler(api.tableName, () => new Date(clock));
    for (let minute = 1; minute <= 60; minute += 1) {
      clock += 60_000;
      await reconciler.reconcile();
    }
    // Assess
    expect(sim.approvals.reads.get(body.platformInstanceId) ?? 0).toBeLessThanOrEqual(1);
    expect((await read(body.id)).status).toBe('pending');
  });

  it('repeats a call answered 90002 (the API’s global QPS limit)', async () => {
    const id = await register('dingtalk');
    sim.inject('dingtalk.instance.create', { kind: 'code', code: 90002, message: '服务器繁忙' });
    const started = await start('dingtalk', id);
    expect(started.status, started.text).toBe(201);
    expect(started.body.platformInstanceId).toEqual(expect.any(String));
  });

  it('shows a used-up monthly quota (Forbidden.AccessDenied.ApiCountLimitForOrg) on the integration, and stops polling it until the reset', async () => {
    const id = await register('dingtalk');
    const { body } = await start('dingtalk', id, ['alice'], { timeoutSeconds: 3600 });
    // Both callbacks of the decision meet the quota when they read the instance.
    sim.inject('dingtalk.instance.get', { kind: 'code', code: 'Forbidden.AccessDenied.ApiCountLimitForOrg', status: 403, message: '企业API调用次数超过月度限额' }, 2);
    const answers = await sim.approvals.act(body.platformInstanceId, simUserId('dingtalk', 'alice'), 'approve');
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    const integration = (await api.call('GET', `/v1/integrations/${id}`)).body;
    expect(integration.platformQuota).toMatchObject({ exhausted: true, platformCode: 'Forbidden.AccessDenied.ApiCountLimitForOrg' });
    expect(new Date(integration.platformQuota.resetsAt).getTime()).toBeGreaterThan(Date.now());
    // The approval is due (its callbacks were deferred to the reconciler), but nothing is read.
    const reads = sim.approvals.reads.get(body.platformInstanceId) ?? 0;
    await api.runtime.reconcile();
    expect(sim.approvals.reads.get(body.platformInstanceId) ?? 0).toBe(reads);
    expect((await read(body.id)).status).toBe('pending');
  });
});
