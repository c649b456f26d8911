import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlatformSimulator } from '../../lib/sandbox/platform-simulator.ts';
import type { TestApi } from '../support/local-api.ts';
import { startSimulatedPlatforms } from '../support/sim-app.ts';

/**
 * The API the console reads: the setup check of an integration (token, handshake, last event, last
 * refused callback) and the notifications listing. Against the simulator, in the local runtime.
 */
const aesKey = 'c'.repeat(43);
const apps = {
  feishu: { sim: 'feishu' as const, appId: 'cli_console0000001', credentials: { appId: 'cli_console0000001', appSecret: 'console-feishu-secret-1', encryptKey: 'console-encrypt-key-1', verificationToken: 'console-vt-1' } },
  // With a card template, so that a verify would also register its card callback route (which the setup check must not do).
  dingtalk: { sim: 'dingtalk' as const, appId: 'dingconsolekey001', credentials: { appKey: 'dingconsolekey001', appSecret: 'console-dingtalk-secret-1', aesKey, token: 'consoletoken', cardTemplateId: 'console-card-template' } },
  wecom: { sim: 'wecom' as const, appId: 'wwconsolecorp001', credentials: { corpId: 'wwconsolecorp001', agentId: '1000002', secret: 'console-wecom-secret-01', token: 'consoletoken', encodingAesKey: aesKey } },
};
type Name = keyof typeof apps;

let sim: PlatformSimulator;
let api: TestApi;
let ids: Record<Name, string>;

beforeAll(async () => {
  ({ sim, api, integrationIds: ids } = await startSimulatedPlatforms(apps, 'console', ['requester', 'alice']));
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

const setup = async (id: string) => {
  const answer = await api.call('GET', `/v1/integrations/${id}/setup`);
  expect(answer.status, answer.text).toBe(200);
  return answer.body as { ready: boolean; checks: { name: string; status: string; at?: string; detail?: string; platformCode?: string | number }[] };
};
const check = (body: Awaited<ReturnType<typeof setup>>, name: string) => body.checks.find((each) => each.name === name);

describe.each(Object.keys(apps) as Name[])('%s: the setup check', (name) => {
  it('passes once the platform has checked the request URL, and shows the last event once an approval was decided', async () => {
    // Prepare: registered and subscribed, but the console has not saved the request URL yet
    const before = await setup(ids[name]);
    expect(before.ready).toBe(false);
    expect(check(before, 'credentials')).toMatchObject({ status: 'ok' });
    expect(check(before, 'handshake')).toMatchObject({ status: 'waiting' });
    expect(check(before, 'lastEvent')).toMatchObject({ status: 'waiting' });
    expect(check(before, 'permissions')).toMatchObject({ status: 'unknown' });

    // Act: the platform's URL check, as its console sends it on save
    const answers = await sim.approvals.checkUrl(apps[name].sim, apps[name].appId);
    expect(answers.map((answer) => answer.status)).toEqual([200]);

    // Assess: the handshake is seen and the check passes; a decided approval is the last event
    const after = await setup(ids[name]);
    expect(after.ready).toBe(true);
    expect(check(after, 'handshake')).toMatchObject({ status: 'ok', at: expect.any(String) });
    const started = await api.call('POST', '/v1/approvals', { body: { integrationId: ids[name], title: 'Setup check', requester: sim.personInput(name, 'requester'), stages: [{ approvers: [sim.personInput(name, 'alice')] }] } });
    expect(started.status, started.text).toBe(201);
    await sim.approvals.act(started.body.platformInstanceId, { feishu: 'ou_alice', dingtalk: 'ding_alice', wecom: 'alice' }[name], 'approve');
    await api.runtime.idle();
    expect(check(await setup(ids[name]), 'lastEvent')).toMatchObject({ status: 'ok', at: expect.any(String) });
  });

  it('calls nothing on the platform but its token endpoint (a read key may run it; it sets nothing up there)', async () => {
    const before = { ...sim.calls };
    await setup(ids[name]);
    const called = Object.entries(sim.calls).filter(([route, count]) => count !== (before[route] ?? 0));
    expect(called.map(([route]) => route)).toEqual([`${apps[name].sim}.token`]);
  });

  it('stores nothing for a forged callback, so the setup check is unchanged by it', async () => {
    // Prepare
    await api.runtime.idle();
    const before = JSON.stringify(await api.scan());

    // Act: a callback that no platform signed
    const forged = await api.call('POST', `/v1/callbacks/${ids[name]}?signature=x&msg_signature=x&timestamp=1&nonce=x`, { token: null, rawBody: '{"encrypt":"AAAA"}' });

    // Assess
    expect(forged.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(await api.scan())).toBe(before);
  });

  it('shows the last call the platform refused, with the platform’s code', async () => {
    // Prepare: the platform refuses the next approval it is asked to create (as for a missing permission)
    const refusal = { feishu: { route: 'feishu.instance.create', code: 1390001 }, dingtalk: { route: 'dingtalk.instance.create', code: 'Forbidden.AccessDenied', status: 403 }, wecom: { route: 'wecom.instance.create', code: 301055 } }[name];
    sim.inject(refusal.route as never, { kind: 'code', code: refusal.code, ...('status' in refusal ? { status: refusal.status } : {}), message: 'refused by the test' } as never);

    // Act
    const started = await api.call('POST', '/v1/approvals', { body: { integrationId: ids[name], title: 'Refused', requester: sim.personInput(name, 'requester'), stages: [{ approvers: [sim.personInput(name, 'alice')] }] } });
    await api.runtime.idle();

    // Assess
    const lastError = check(await setup(ids[name]), 'lastError');
    expect(lastError, started.text).toMatchObject({ status: 'failed', platformCode: refusal.code, at: expect.any(String) });
  });
});

describe('the setup check of credentials the platform refuses', () => {
  it('fails the token check with the platform’s code, and never shows the secret', async () => {
    // Prepare: the simulator knows the app with another secret
    sim.addApp('feishu', 'cli_console_wrong01', 'the-right-secret-0000');
    const created = await api.call('POST', '/v1/integrations', { body: { provider: 'feishu', name: 'console wrong secret', apiBaseUrl: sim.url, credentials: { appId: 'cli_console_wrong01', appSecret: 'a-wrong-secret-value-1234' } } });
    expect(created.status, created.text).toBe(201);

    // Act
    const body = await setup(created.body.id);

    // Assess
    expect(body.ready).toBe(false);
    expect(check(body, 'credentials')).toMatchObject({ status: 'failed', platformCode: expect.anything() });
    expect(JSON.stringify(body)).not.toContain('a-wrong-secret-value');
  });

  it('answers 404 for an integration that does not exist, and 401 without a key', async () => {
    expect((await api.call('GET', '/v1/integrations/int_nothing/setup')).status).toBe(404);
    expect((await api.call('GET', `/v1/integrations/${ids.feishu}/setup`, { token: null })).status).toBe(401);
  });
});

describe('GET /v1/notifications', () => {
  it('lists notifications with their deliveries, by integration, oldest or newest first, page by page', async () => {
    // Prepare: three notifications through a group bot, one through another bot
    const botOf = async (label: string) => {
      const { url } = sim.addBot('feishu');
      const created = await api.call('POST', '/v1/integrations', { body: { provider: 'feishu', kind: 'webhook', name: `console bot ${label}`, credentials: { url } } });
      expect(created.status, created.text).toBe(201);
      return created.body.id as string;
    };
    const [mine, other] = [await botOf('a'), await botOf('b')];
    const sent: string[] = [];
    for (const title of ['one', 'two', 'three']) {
      const answer = await api.call('POST', '/v1/notifications', { body: { integrationId: mine, message: { title, text: 'console list' } } });
      expect(answer.status, answer.text).toBe(201);
      sent.push(answer.body.id);
    }
    await api.call('POST', '/v1/notifications', { body: { integrationId: other, message: { title: 'elsewhere', text: 'x' } } });

    // Act
    const oldest = await api.call('GET', `/v1/notifications?integrationId=${mine}&limit=2`);
    const rest = await api.call('GET', `/v1/notifications?integrationId=${mine}&limit=2&cursor=${encodeURIComponent(oldest.body.nextCursor ?? '')}`);
    const newest = await api.call('GET', `/v1/notifications?integrationId=${mine}&order=newest&limit=100`);

    // Assess
    expect(oldest.status, oldest.text).toBe(200);
    const ids = [...oldest.body.items, ...rest.body.items].map((item: { id: string }) => item.id);
    expect(ids).toEqual(sent);
    expect(newest.body.items.map((item: { id: string }) => item.id)).toEqual([...sent].reverse());
    expect(newest.body.items[0]).toMatchObject({ integrationId: mine, status: 'sent', deliveries: [{ status: 'sent', attempts: expect.any(Number) }] });
    expect((await api.call('GET', '/v1/notifications?order=sideways')).status).toBe(400);
    expect((await api.call('GET', '/v1/notifications?cursor=nonsense')).status).toBe(400);
  });
});

describe('GET /v1/approvals?order=newest', () => {
  it('lists the latest approval first', async () => {
    const titles = ['first', 'second'];
    for (const title of titles) {
      const started = await api.call('POST', '/v1/approvals', { body: { integrationId: ids.feishu, title, requester: sim.personInput('feishu', 'requester'), stages: [{ approvers: [sim.personInput('feishu', 'alice')] }] } });
      expect(started.status, started.text).toBe(201);
    }
    const newest = await api.call('GET', `/v1/approvals?integrationId=${ids.feishu}&order=newest&limit=2`);
    expect(newest.body.items.map((item: { title: string }) => item.title)).toEqual(['second', 'first']);
  });
});
