import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApi } from '../support/local-api.ts';
import { startSimulatedPlatforms } from '../support/sim-app.ts';
import { type PlatformSimulator, type SimRoute, simUserId } from '../../lib/sandbox/platform-simulator.ts';

// Production's first look (60 s): no scheduled re-read runs during these tests, only what the callbacks set off.
process.env.IMHUB_RECONCILE_FIRST_CHECK_MS = '60000';

let api: TestApi;
let sim: PlatformSimulator;
const aesKey = 'c'.repeat(43);
const people = ['requester', 'alice'] as const;

const platforms = {
  feishu: { sim: 'feishu' as const, appId: 'cli_orderfeishu0001', credentials: { appId: 'cli_orderfeishu0001', appSecret: 'order-feishu-secret-01', encryptKey: 'order-encrypt-key-1', verificationToken: 'order-vt-1' } },
  dingtalk: { sim: 'dingtalk' as const, appId: 'dingorderappkey01', credentials: { appKey: 'dingorderappkey01', appSecret: 'order-dingtalk-secret-1', aesKey, token: 'ordertoken' } },
  wecom: { sim: 'wecom' as const, appId: 'wwordercorp0001', credentials: { corpId: 'wwordercorp0001', agentId: '1000002', secret: 'order-wecom-secret-001', token: 'ordertoken', encodingAesKey: aesKey } },
};
type Name = keyof typeof platforms;
const integrationIds: Partial<Record<Name, string>> = {};

beforeAll(async () => {
  const started = await startSimulatedPlatforms(platforms, 'order', people);
  ({ sim, api } = started);
  Object.assign(integrationIds, started.integrationIds);
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

describe.each(Object.keys(platforms) as Name[])('%s callbacks', (name) => {
  it('are each answered before the instance read they set off, while the platform takes 4 s to answer a read', async () => {
    // Prepare: a started approval; from now on every instance read takes 4 s
    const person = (who: (typeof people)[number]) => sim.personInput(name, who);
    const started = await api.call('POST', '/v1/approvals', { body: { integrationId: integrationIds[name], title: 'Deploy', requester: person('requester'), stages: [{ approvers: [person('alice')] }], timeoutSeconds: 600 } });
    expect(started.status, started.text).toBe(201);
    const readRoute = `${platforms[name].sim}.instance.get` as SimRoute;
    sim.inject(readRoute, { kind: 'slow', ms: 4_000 }, 10);
    const mark = sim.timeline.length;
    // Act: the approver approves; the platform posts its events (and waits until what they set off has run)
    const answers = await sim.approvals.act(started.body.platformInstanceId, simUserId(platforms[name].sim, 'alice'), 'approve');
    // Assess: every event answered 200; the first answer came before any read, and no read came
    // before the answer of an event that could have set it off (before the k-th answer, at most
    // k - 1 reads); the reads then decided the approval
    const events = sim.timeline.slice(mark).filter((event) => event.startsWith('answered') || event === `call ${readRoute}`);
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(events[0]).toBe('answered 200');
    let answered = 0;
    let reads = 0;
    for (const event of events) {
      if (event.startsWith('answered')) answered += 1;
      else reads += 1;
      expect(reads).toBeLessThanOrEqual(answered);
    }
    expect(reads).toBeGreaterThan(0);
    expect((await api.call('GET', `/v1/approvals/${started.body.id}`)).body.status).toBe('approved');
  });
});
