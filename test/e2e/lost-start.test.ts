import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fault, type PlatformSimulator, simUserId } from '../../lib/sandbox/platform-simulator.ts';
import type { TestApi } from '../support/local-api.ts';
import { startSimulatedPlatforms } from '../support/sim-app.ts';

/**
 * DingTalk's and WeCom's instance creates carry no idempotency key: a create whose answer is lost
 * (a 504, a timeout) may or may not have made the instance. The approval stays pending with a marker
 * (the attempt's time), and the reconciler that resumes the start looks for what that create made
 * (by originator, form or template, time and text) before it creates one.
 */

// A start is owned for 300 ms (60 s in production). The reconciler's first look keeps its default
// (60 s; DingTalk's sparing plan, longer): a start whose answer was lost is due when its lease ends.
process.env.IMHUB_LEASE_MS = '300';
const afterTheLease = () => sleep(400);

let api: TestApi;
let sim: PlatformSimulator;
const aesKey = 'e'.repeat(43);
const apps = {
  dingtalk: { sim: 'dingtalk' as const, appId: 'dinglost000000001', credentials: { appKey: 'dinglost000000001', appSecret: 'lost-start-dingtalk-secret', aesKey, token: 'lost' } },
  wecom: { sim: 'wecom' as const, appId: 'wwlost0000000001', credentials: { corpId: 'wwlost0000000001', agentId: '1000002', secret: 'lost-start-wecom-secret-1', token: 'lost', encodingAesKey: aesKey } },
};
type AppName = keyof typeof apps;
const createRoute = { dingtalk: 'dingtalk.instance.create', wecom: 'wecom.instance.create' } as const;
const integrationIds: Partial<Record<AppName, string>> = {};

beforeAll(async () => {
  const started = await startSimulatedPlatforms(apps, 'lost start', ['requester', 'alice']);
  ({ sim, api } = started);
  Object.assign(integrationIds, started.integrationIds);
  for (const name of Object.keys(apps) as AppName[]) {
    // The form or template exists before the tests: each test's faults are on the instance create only.
    expect((await start(name, 'warm-up')).status).toBe(201);
  }
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

function start(app: AppName, title: string) {
  return api.call('POST', '/v1/approvals', {
    body: { integrationId: integrationIds[app], title, content: 'Release notes', requester: sim.personInput(app, 'requester'), stages: [{ mode: 'any', approvers: [sim.personInput(app, 'alice')] }] },
  });
}
const read = async (id: string) => (await api.call('GET', `/v1/approvals/${id}`)).body;
/** The platform's instances of one approval: those whose form carries its title. */
const instancesOf = (title: string) => [...sim.approvals.instances.values()].filter((instance) => instance.text.includes(title));
const uniqueTitle = () => `Deploy ${randomBytes(4).toString('hex')} to production`;

describe.each(Object.keys(apps) as AppName[])('%s: a start whose create answer was lost', (app) => {
  it.each([
    ['the platform made the instance', { kind: 'answer-lost', status: 504 }],
    ['the platform made nothing', { kind: 'http', status: 504 }],
  ] as [string, Fault][])('stays pending on a 504 (%s); after the lease the reconciler links exactly one instance, and approving it approves', async (_case, fault) => {
    // Prepare
    const title = uniqueTitle();
    sim.inject(createRoute[app], fault);
    // Act
    const started = await start(app, title);
    expect(started.status, started.text).toBe(201);
    expect(started.body).toMatchObject({ status: 'pending', platformInstanceId: null });
    const madeByTheLostCreate = instancesOf(title).map((instance) => instance.id);
    await afterTheLease();
    await api.runtime.reconcile();
    // Assess: one instance on the platform, the one the lost create made if it made one, tracked
    const instances = instancesOf(title);
    expect(instances).toHaveLength(1);
    if (madeByTheLostCreate.length > 0) expect(instances[0]!.id).toBe(madeByTheLostCreate[0]);
    expect((await read(started.body.id)).platformInstanceId).toBe(instances[0]!.id);
    await sim.approvals.act(instances[0]!.id, simUserId(apps[app].sim, 'alice'), 'approve');
    expect((await read(started.body.id)).status).toBe('approved');
  });

  it(`finds two instances made for one approval (two lost creates): tracks the older, and ${app === 'dingtalk' ? 'terminates' : 'records (WeCom cannot withdraw)'} the other`, async () => {
    // Prepare: the lost create made one; a second, as another lost create would, a moment later
    const title = uniqueTitle();
    sim.inject(createRoute[app], { kind: 'answer-lost', status: 504 });
    const started = await start(app, title);
    expect(started.status, started.text).toBe(201);
    const [first] = instancesOf(title);
    await sleep(5);
    const second = { ...first!, id: `${first!.id}-2`, nodes: first!.nodes.map((node) => ({ ...node, acts: [] })), createdAt: Date.now() };
    sim.approvals.instances.set(second.id, second);
    const creates = sim.count(createRoute[app]);
    // Act
    await afterTheLease();
    await api.runtime.reconcile();
    // Assess
    expect(sim.count(createRoute[app])).toBe(creates);
    expect((await read(started.body.id)).platformInstanceId).toBe(first!.id);
    expect(sim.approvals.instances.get(second.id)!.status).toBe(app === 'dingtalk' ? 'canceled' : 'pending');
    const stored = (await api.scan()).find((item) => item.id === started.body.id);
    expect(stored?.duplicateInstances).toEqual([{ instanceId: second.id, withdrawn: app === 'dingtalk' }]);
    await sim.approvals.act(first!.id, simUserId(apps[app].sim, 'alice'), 'approve');
    expect((await read(started.body.id)).status).toBe('approved');
  });
});
