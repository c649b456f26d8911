import { describe, expect, it } from 'vitest';
import type { ImProvider, InstanceSnapshot } from '../../../lib/providers/port.ts';
import { MemoryStore } from '../../../lib/store/memory/memory-store.ts';
import { memoryApprovals } from '../../support/memory-approvals.ts';
import { integrationRecord } from '../../support/records.ts';

// The approval service on the in-memory store with a fake clock and a fake platform: what its jobs
// do over an hour of time takes no time, and no DynamoDB.

const app = integrationRecord({ id: 'int_app', provider: 'dingtalk', kind: 'app', name: 'approvals' });

function setup() {
  const start = Date.parse('2026-12-01T08:00:00.000Z');
  const clock = { now: start };
  const now = () => new Date(clock.now);
  const platform = { status: 'pending' as InstanceSnapshot['status'], reads: 0, withdrawn: [] as string[] };
  const provider = {
    provider: 'dingtalk',
    kind: 'app',
    resolveUsers: async (people: readonly unknown[]) => people.map((_, index) => `user${index}`),
    approvals: {
      definitionKey: () => 'shape',
      provision: async () => 'form-1',
      activate: async () => undefined,
      createInstance: async () => ({ instanceId: 'inst-1' }),
      getInstance: async () => {
        platform.reads += 1;
        return { status: platform.status, decisions: platform.status === 'approved' ? [{ stage: 0, approver: 'user1', decision: 'approve' as const, at: now().toISOString() }] : [] };
      },
      withdraw: async (_definition: string, instanceId: string) => {
        platform.withdrawn.push(instanceId);
        platform.status = 'canceled';
        return 'withdrawn' as const;
      },
    },
    messages: { send: async () => ({}) },
  } as unknown as ImProvider;
  const store = new MemoryStore();
  const { approvals, worker } = memoryApprovals(store, app, provider, now, { dingtalkPolling: 'normal' });
  /** Moves the clock job by job (as the trigger wakes each at its due time) until `until`; returns the check times. */
  const runUntil = async (until: number) => {
    const checks: number[] = [];
    for (;;) {
      const next = [...store.jobsById.values()].filter((job) => !(job as { dead?: boolean }).dead).map((job) => Date.parse(job.dueAt)).sort((a, b) => a - b)[0];
      if (next === undefined || next > until) break;
      clock.now = Math.max(clock.now, next);
      const before = platform.reads;
      await worker.runDue();
      if (platform.reads > before) checks.push((clock.now - start) / 1000);
    }
    clock.now = until;
    return checks;
  };
  const create = (timeoutSeconds: number) =>
    approvals.create({ integrationId: app.id, title: 'Deploy', requester: { userId: 'r' }, stages: [{ mode: 'any', approvers: [{ userId: 'a' }] }], timeoutSeconds, onTimeout: 'expire' } as never, undefined);
  return { start, clock, platform, approvals, runUntil, create };
}

describe('approval jobs (in-memory store, fake clock)', () => {
  it('end a pending approval at its timeout, withdrawing the instance the platform still has pending', async () => {
    const { start, platform, approvals, runUntil, create } = setup();
    const { approval } = await create(3600);
    await runUntil(start + 3600_000 + 1);
    const ended = await approvals.get(approval.id);
    expect(ended).toMatchObject({ status: 'expired', endReason: 'timed out' });
    expect(platform.withdrawn).toEqual(['inst-1']);
  });

  it('keep a grant the platform made but whose callback was lost, found by the next look, never withdrawn', async () => {
    const { start, platform, approvals, runUntil, create } = setup();
    const { approval } = await create(3600);
    await runUntil(start + 90_000);
    platform.status = 'approved';
    await runUntil(start + 3600_000 + 1);
    expect(await approvals.get(approval.id)).toMatchObject({ status: 'approved', decisions: [{ approver: 'user1', decision: 'approve' }] });
    expect(platform.withdrawn).toEqual([]);
  });

  it('look at an approval on a backing-off plan: after 1 minute, then gaps doubling to at most 15 minutes', async () => {
    const { start, runUntil, create } = setup();
    await create(3600);
    const checks = await runUntil(start + 3600_000 - 1);
    expect(checks).toEqual([60, 180, 420, 900, 1800, 2700]);
  });
});
