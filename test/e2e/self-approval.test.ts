import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApi } from '../support/local-api.ts';
import { startSimulatedPlatforms } from '../support/sim-app.ts';
import { type PlatformSimulator, simUserId } from '../../lib/sandbox/platform-simulator.ts';

// Issue 16, item 5: nobody approves their own request unless the request says so. A request that
// names the requester among the approvers is refused saying where, before anything is stored or
// made on the platform; people named two ways (an email, a userId) are compared by platform identity.

process.env.IMHUB_LEASE_MS = '500';
process.env.IMHUB_RECONCILE_FIRST_CHECK_MS = '300';

let api: TestApi;
let sim: PlatformSimulator;
const platforms = {
  feishu: { sim: 'feishu' as const, appId: 'cli_selfapproval0001', credentials: { appId: 'cli_selfapproval0001', appSecret: 'self-approval-secret-1', encryptKey: 'self-approval-key-1', verificationToken: 'self-vt-1' } },
  wecom: { sim: 'wecom' as const, appId: 'wwselfapproval001', credentials: { corpId: 'wwselfapproval001', agentId: '1000002', secret: 'self-approval-wecom-01', token: 'selftoken', encodingAesKey: 'c'.repeat(43) } },
};
type Name = keyof typeof platforms;
const integrationIds: Partial<Record<Name, string>> = {};

beforeAll(async () => {
  const started = await startSimulatedPlatforms(platforms, 'self', ['requester', 'alice']);
  ({ sim, api } = started);
  Object.assign(integrationIds, started.integrationIds);
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

/** Starts one with a title of its own, so that what the platform made for it can be told apart. */
async function start(name: Name, approvers: unknown[], extra: Record<string, unknown> = {}) {
  const title = `Deploy ${randomBytes(4).toString('hex')} to production`;
  const answer = await api.call('POST', '/v1/approvals', {
    body: { integrationId: integrationIds[name], title, requester: { email: 'requester@example.com' }, stages: [{ mode: 'any', approvers }], ...extra },
  });
  return { ...answer, made: () => [...sim.approvals.instances.values()].filter((instance) => instance.text.includes(title)).length };
}
const storedApprovals = async () => (await api.scan()).filter((item) => String(item.pk).startsWith('APR#') && item.sk === 'APR').length;

describe.each(Object.keys(platforms) as Name[])('%s: no self-approval', (name) => {
  it('refuses a request naming the requester as an approver (400 self_approval, saying where), storing and making nothing', async () => {
    const approvalsBefore = await storedApprovals();
    const refused = await start(name, [{ email: 'alice@example.com' }, { email: 'REQUESTER@example.com' }]);
    expect(refused.status, refused.text).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'self_approval', details: [{ path: 'stages.0.approvers.1', message: 'is the requester' }] });
    expect(refused.body.error.message).toContain('allowSelfApproval');
    expect(await storedApprovals()).toBe(approvalsBefore);
    expect(refused.made()).toBe(0);
  });

  it('refuses the requester named another way (a userId for the same person), compared by platform identity', async () => {
    const refused = await start(name, [{ userId: simUserId(platforms[name].sim, 'requester') }]);
    expect(refused.status, refused.text).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'self_approval', details: [{ path: 'stages.0.approvers.0' }] });
    expect(refused.made()).toBe(0);
  });

  it('starts it when the request allows it ("allowSelfApproval": true), the requester among the approvers', async () => {
    const started = await start(name, [{ email: 'requester@example.com' }], { allowSelfApproval: true });
    expect(started.status, started.text).toBe(201);
    expect(started.body.status).toBe('pending');
    // The first start on a new integration may leave its platform form to its check job to finish
    for (let look = 0; look < 10 && started.made() === 0; look += 1) {
      await sleep(600);
      await api.runtime.reconcile();
    }
    expect(started.made()).toBe(1);
  });
});

describe('no self-approval when the people are looked up later', () => {
  it('ends an approval failed, saying why, when its lookup was throttled at the start and shows the requester among the approvers', async () => {
    sim.inject('feishu.lookup', { kind: 'code', code: 99991400 }, 100);
    const started = await start('feishu', [{ userId: simUserId('feishu', 'requester') }]);
    expect(started.status, started.text).toBe(201);
    expect(started.body).toMatchObject({ status: 'pending', platformInstanceId: null });
    sim.clearFaults('feishu.lookup');
    await sleep(600);
    await api.runtime.reconcile();
    const ended = (await api.call('GET', `/v1/approvals/${started.body.id}`)).body;
    expect(ended).toMatchObject({ status: 'failed', platformInstanceId: null });
    expect(ended.endReason).toContain('the requester is also an approver (stages.0.approvers.0)');
    expect(started.made()).toBe(0);
  });
});
