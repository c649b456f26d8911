import { describe, expect, it } from 'vitest';
import type { CardTarget } from '../../../lib/domain/approval.ts';
import type { CardContent } from '../../../lib/domain/approval-cards.ts';
import type { ImProvider } from '../../../lib/providers/port.ts';
import { MemoryStore } from '../../../lib/store/memory/memory-store.ts';
import { memoryApprovals } from '../../support/memory-approvals.ts';
import { integrationRecord } from '../../support/records.ts';

// Issue 16: the cards job. One run at a time per approval (a second run while one holds the cards
// lease sends nothing), and single-use handles (WeCom's response_code) spent once each: a click's
// fresh one for the click, the card's own kept for the outcome. In-memory store, fake platform.

const app = integrationRecord({ id: 'int_cards', provider: 'wecom', kind: 'app', name: 'cards' });

function setup(options: { singleUse?: boolean; hold?: Promise<void> } = {}) {
  const calls: string[] = [];
  const provider = {
    provider: 'wecom',
    kind: 'app',
    resolveUsers: async (people: readonly { userId: string }[]) => people.map((person) => `u_${person.userId}`),
    approvals: {},
    messages: { send: async () => ({}) },
    cards: {
      chats: false,
      singleUseHandles: options.singleUse ?? false,
      send: async (target: CardTarget, card: CardContent) => {
        await options.hold;
        const to = 'userId' in target ? target.userId : target.chatId;
        calls.push(`send ${to} ${card.header}`);
        return { handle: `code-${to}`, ref: `task-${to}` };
      },
      update: async (handle: string, target: CardTarget, card: CardContent) => void calls.push(`update ${'userId' in target ? target.userId : target.chatId} with ${handle}: ${card.header}`),
    },
  } as unknown as ImProvider;
  const { approvals } = memoryApprovals(new MemoryStore(), app, provider, () => new Date('2026-12-01T08:00:00.000Z'));
  return { approvals, calls };
}

/** A card approval of alice and bob, as the API starts one. */
const start = (approvals: ReturnType<typeof setup>['approvals'], mode: 'any' | 'all' = 'any') =>
  approvals.create(
    { integrationId: app.id, title: 'Deploy', requester: { userId: 'r' }, stages: [{ mode, approvers: [{ userId: 'alice' }, { userId: 'bob' }] }], timeoutSeconds: 3600, onTimeout: 'expire', via: 'card', locale: 'en-US' } as never,
    undefined,
  );

describe('the approval.cards job', () => {
  it('runs once at a time per approval: a second run while the first holds the cards lease sends nothing', async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const { approvals, calls } = setup({ hold });
    const { approval } = await start(approvals);
    const first = approvals.cards.sync(approval.id);
    // Let the first run take its lease before the second looks.
    await new Promise((resolve) => setImmediate(resolve));
    const second = await approvals.cards.sync(approval.id);
    expect(second).toEqual({ dueAt: expect.any(Date) });
    release();
    await first;
    expect(calls.sort()).toEqual(['send u_alice Approval requested', 'send u_bob Approval requested']);
    expect(await approvals.cards.sync(approval.id)).toBeUndefined();
  });

  it('spends single-use handles once each: a click’s fresh one shows the click, the card’s own waits for the outcome', async () => {
    const { approvals, calls } = setup({ singleUse: true });
    const { approval } = await start(approvals, 'all');
    await approvals.cards.sync(approval.id);
    // Alice clicks her card: WeCom brings a fresh code with the click.
    await approvals.cards.click(app, { id: 'c1', choice: { approvalId: approval.id, decision: 'approve' }, operator: 'u_alice', ref: 'task-u_alice', freshHandle: 'fresh-alice' });
    await approvals.cards.sync(approval.id);
    // Bob's card keeps its code for the outcome; alice's shows her click with the fresh one.
    expect(calls.slice(2)).toEqual(['update u_alice with fresh-alice: Approval requested']);
    await approvals.cards.click(app, { id: 'c2', choice: { approvalId: approval.id, decision: 'approve' }, operator: 'u_bob', ref: 'task-u_bob', freshHandle: 'fresh-bob' });
    await approvals.cards.sync(approval.id);
    // The outcome: bob's card with his click's code, alice's with the code it was sent with.
    expect(calls.slice(3).sort()).toEqual(['update u_alice with code-u_alice: Approved', 'update u_bob with fresh-bob: Approved']);
    // Nothing is left to spend, and nothing more to do.
    expect(await approvals.cards.sync(approval.id)).toBeUndefined();
    expect(calls).toHaveLength(5);
  });
});
