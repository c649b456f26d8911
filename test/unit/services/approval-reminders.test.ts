import { describe, expect, it } from 'vitest';
import type { Decision } from '../../../lib/domain/approval.ts';
import { createApprovalBody, pendingApprovers } from '../../../lib/domain/approval.ts';
import type { CreateNotificationInput } from '../../../lib/domain/message.ts';
import type { ImProvider } from '../../../lib/providers/port.ts';
import { MemoryStore } from '../../../lib/store/memory/memory-store.ts';
import { memoryApprovals } from '../../support/memory-approvals.ts';
import { integrationRecord } from '../../support/records.ts';

// Issue 16, item 4: `remind: { everySeconds, times }` nudges the approvers still pending, at their
// times. The approval service on the in-memory store, a fake platform and a fake clock.

const app = integrationRecord({ id: 'int_app', provider: 'feishu', kind: 'app', name: 'approvals' });

function setup() {
  const start = Date.parse('2026-12-01T08:00:00.000Z');
  const clock = { now: start };
  const now = () => new Date(clock.now);
  const platform = { decisions: [] as Decision[], status: 'pending' as 'pending' | 'approved' };
  const provider = {
    provider: 'feishu',
    kind: 'app',
    // Requester, then the approvers in order: u_requester, u_alice, u_bob, u_carol
    resolveUsers: async (people: readonly { userId: string }[]) => people.map((person) => `u_${person.userId}`),
    approvals: {
      definitionKey: () => 'shape',
      provision: async () => 'definition-1',
      activate: async () => undefined,
      createInstance: async () => ({ instanceId: 'inst-1', url: 'https://applink.feishu.cn/inst-1' }),
      getInstance: async () => ({ status: platform.status, decisions: platform.decisions }),
      withdraw: async () => 'withdrawn' as const,
    },
    // Feishu's 加急: which message was made urgent for whom.
    messages: { send: async () => ({}), urgent: async (messageId: string, userIds: readonly string[]) => void buzzed.push(`${messageId}>${userIds.join(',')}`) },
    // Cards (`via: "card"`): who got one, in order.
    cards: {
      chats: true,
      send: async (target: { userId?: string }) => {
        cardsSent.push(target.userId ?? '');
        return { handle: `card-${cardsSent.length}` };
      },
      update: async () => undefined,
    },
  } as unknown as ImProvider;
  const cardsSent: string[] = [];
  const buzzed: string[] = [];
  const store = new MemoryStore();
  const reminders: { at: number; to: string[]; title: string; key: string; emails?: string[]; text?: string }[] = [];
  const { approvals, worker } = memoryApprovals(store, app, provider, now, {
    notifications: {
      create: async (input: CreateNotificationInput) => {
        const entry = { at: (clock.now - start) / 1000, to: input.to?.userIds ?? [], title: input.message.title ?? '', key: input.idempotencyKey ?? '' };
        reminders.push(input.to?.emails.length ? { ...entry, emails: input.to.emails, text: input.message.text } : entry);
        // As the notification service answers: each target's delivery with the platform's message id.
        return { notification: { deliveries: (input.to?.userIds ?? []).map((userId) => ({ target: `user:${userId}`, messageId: `om_reminder_${userId}` })) } };
      },
    },
  });
  /** Moves the clock job by job, as the trigger wakes each at its due time, until `until` (seconds from the start). */
  const runUntil = async (until: number) => {
    for (;;) {
      const next = [...store.jobsById.values()].map((job) => Date.parse(job.dueAt)).sort((a, b) => a - b)[0];
      if (next === undefined || next > start + until * 1000) break;
      clock.now = Math.max(clock.now, next);
      await worker.runDue();
    }
    clock.now = start + until * 1000;
  };
  const create = (remind?: { everySeconds: number; times: number }, escalate?: { afterSeconds: number; approvers: unknown[] }) =>
    approvals.create(
      {
        integrationId: app.id,
        title: 'Deploy api',
        requester: { userId: 'requester' },
        stages: [
          { mode: 'any', approvers: [{ userId: 'alice' }] },
          { mode: 'all', approvers: [{ userId: 'bob' }, { userId: 'carol' }] },
        ],
        timeoutSeconds: 86_400,
        onTimeout: 'expire',
        ...(remind ? { remind } : {}),
        ...(escalate ? { escalate } : {}),
      } as never,
      undefined,
    );
  return { start, clock, platform, approvals, reminders, runUntil, create, cardsSent, buzzed, provider };
}

describe('approval reminders (in-memory store, fake clock)', () => {
  it('reminds the approvers still pending in the current stage at each time, as many times as asked, and no more', async () => {
    const { platform, reminders, runUntil, create } = setup();
    const { approval } = await create({ everySeconds: 600, times: 3 });
    await runUntil(599);
    expect(reminders).toEqual([]);
    await runUntil(600);
    expect(reminders).toEqual([{ at: 600, to: ['u_alice'], title: '催办：Deploy api', key: `${approval.id}-remind-1` }]);
    // Alice approves: stage 2 ("all") is current; Bob approves there, Carol is the one left
    platform.decisions = [
      { stage: 0, approver: 'u_alice', decision: 'approve', at: '2026-12-01T08:11:00.000Z' },
      { stage: 1, approver: 'u_bob', decision: 'approve', at: '2026-12-01T08:12:00.000Z' },
    ];
    await runUntil(1100);
    await runUntil(1200);
    expect(reminders.map((reminder) => [reminder.at, reminder.to])).toEqual([
      [600, ['u_alice']],
      [1200, ['u_carol']],
    ]);
    await runUntil(5000);
    expect(reminders.map((reminder) => reminder.at)).toEqual([600, 1200, 1800]);
  });

  it('stops reminding once the approval ends, and sends none without `remind`', async () => {
    const { platform, reminders, runUntil, create, approvals } = setup();
    const { approval } = await create({ everySeconds: 600, times: 5 });
    await runUntil(700);
    platform.status = 'approved';
    platform.decisions = [
      { stage: 0, approver: 'u_alice', decision: 'approve', at: '2026-12-01T08:11:00.000Z' },
      { stage: 1, approver: 'u_bob', decision: 'approve', at: '2026-12-01T08:12:00.000Z' },
      { stage: 1, approver: 'u_carol', decision: 'approve', at: '2026-12-01T08:12:00.000Z' },
    ];
    await runUntil(4000);
    expect((await approvals.get(approval.id)).status).toBe('approved');
    expect(reminders.map((reminder) => reminder.at)).toEqual([600]);

    const quiet = setup();
    await quiet.create();
    await quiet.runUntil(4000);
    expect(quiet.reminders).toEqual([]);
  });

  it('escalates once, at its time, to the people named, saying whom the approval waits for, beside the reminders', async () => {
    const { reminders, runUntil, create } = setup();
    const { approval } = await create({ everySeconds: 600, times: 2 }, { afterSeconds: 900, approvers: [{ email: 'lead@example.com' }, { userId: 'oncall' }] });
    await runUntil(7200);
    expect(reminders).toEqual([
      { at: 600, to: ['u_alice'], title: '催办：Deploy api', key: `${approval.id}-remind-1` },
      { at: 900, to: ['oncall'], emails: ['lead@example.com'], title: '升级提醒：Deploy api', key: `${approval.id}-escalate`, text: expect.stringContaining('正在等待 alice 审批') },
      { at: 1200, to: ['u_alice'], title: '催办：Deploy api', key: `${approval.id}-remind-2` },
    ]);
  });

  it('finds who a stage waits for: an "any" stage passes on one approval, an "all" stage on every approver’s', () => {
    const stages = [
      { mode: 'any' as const, approvers: [], platformUserIds: ['a', 'b'] },
      { mode: 'all' as const, approvers: [], platformUserIds: ['c', 'd'] },
    ];
    const decided = (stage: number, approver: string, decision: 'approve' | 'reject' = 'approve'): Decision => ({ stage, approver, decision, at: '2026-12-01T08:00:00.000Z' });
    expect(pendingApprovers({ stages, decisions: [] })).toEqual(['a', 'b']);
    expect(pendingApprovers({ stages, decisions: [decided(0, 'b')] })).toEqual(['c', 'd']);
    expect(pendingApprovers({ stages, decisions: [decided(0, 'b'), decided(1, 'd')] })).toEqual(['c']);
    expect(pendingApprovers({ stages, decisions: [decided(0, 'b'), decided(1, 'd'), decided(1, 'c')] })).toEqual([]);
  });

  it('refuses reminders and escalations it cannot keep, saying what to write', () => {
    const base = { integrationId: 'int_app', title: 'Deploy', requester: { userId: 'r' }, stages: [{ approvers: [{ userId: 'a' }] }] };
    const messages = (extra: Record<string, unknown>) => {
      const parsed = createApprovalBody.safeParse({ ...base, ...extra });
      return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
    };
    expect(messages({ remind: { everySeconds: 10, times: 3 } })).toEqual(['remind.everySeconds must be at least 60']);
    expect(messages({ remind: { everySeconds: 600, times: 50 } })).toEqual(['remind.times must be at most 20']);
    expect(messages({ escalate: { afterSeconds: 600, approvers: [] } })).toEqual(['escalate.approvers needs at least one person']);
    expect(messages({ remind: { everySeconds: 600, times: 3 }, escalate: { afterSeconds: 3600, approvers: [{ email: 'lead@example.com' }] } })).toEqual([]);
  });

  it('on cards, adds the escalation’s people to the current "any" stage: they get its card, and their click decides', async () => {
    const { approvals, cardsSent, runUntil, reminders } = setup();
    const { approval } = await approvals.create(
      {
        integrationId: app.id,
        title: 'Deploy api',
        requester: { userId: 'requester' },
        stages: [{ mode: 'any', approvers: [{ userId: 'alice' }] }],
        timeoutSeconds: 86_400,
        onTimeout: 'expire',
        via: 'card',
        escalate: { afterSeconds: 3600, approvers: [{ userId: 'lead' }, { userId: 'alice' }, { userId: 'requester' }] },
      } as never,
      undefined,
    );
    await runUntil(3599);
    expect(cardsSent).toEqual(['u_alice']);
    await runUntil(3600);
    // Told, as on every platform, and added: alice is already an approver, the requester never is.
    expect(reminders.map((reminder) => reminder.title)).toEqual(['升级提醒：Deploy api']);
    expect(cardsSent).toEqual(['u_alice', 'u_lead']);
    const reply = await approvals.cards.click(app, { id: 'click-1', choice: { approvalId: approval.id, decision: 'approve' }, operator: 'u_lead' });
    expect(reply.toast.type).toBe('success');
    expect(await approvals.get(approval.id)).toMatchObject({ status: 'approved', decisions: [{ approver: 'u_lead', person: { userId: 'lead' } }] });
  });

  it('makes each reminder urgent where the platform can (Feishu 加急): the reminder in the app, the approver’s own card with cards', async () => {
    const inApp = setup();
    await inApp.create({ everySeconds: 600, times: 1 });
    await inApp.runUntil(600);
    expect(inApp.buzzed).toEqual(['om_reminder_u_alice>u_alice']);

    // DingTalk: an in-app DING of its own to the approvers still pending.
    const ding = setup();
    const dings: string[] = [];
    (ding.provider.messages as { remindUrgently?: unknown; urgent?: unknown }).remindUrgently = async (userIds: readonly string[], text: string) => void dings.push(`${userIds.join(',')}: ${text}`);
    await ding.create({ everySeconds: 600, times: 1 });
    await ding.runUntil(600);
    expect(dings).toEqual(['u_alice: 催办：Deploy api']);
    expect(ding.buzzed).toEqual([]);

    const onCards = setup();
    await onCards.approvals.create(
      { integrationId: app.id, title: 'Deploy api', requester: { userId: 'requester' }, stages: [{ mode: 'all', approvers: [{ userId: 'alice' }, { userId: 'bob' }] }], timeoutSeconds: 86_400, onTimeout: 'expire', via: 'card', remind: { everySeconds: 600, times: 1 } } as never,
      undefined,
    );
    await onCards.runUntil(600);
    expect(onCards.buzzed).toEqual(['card-1>u_alice', 'card-2>u_bob']);
  });
});
