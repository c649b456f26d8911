import { describe, expect, it } from 'vitest';
import { type ApprovalRecord, transition } from '../../../lib/domain/approval.ts';
import { approvalJobs } from '../../../lib/domain/approval-jobs.ts';
import { cardContent, cardRecipients, cardStamp, cardsDue, clickProblem, parseCardChoice, cardChoiceKey } from '../../../lib/domain/approval-cards.ts';

const now = new Date('2026-12-01T10:00:00.000Z');

function approval(overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    id: 'apr_cards0000000000000001',
    integrationId: 'int_1',
    title: 'Deploy',
    requester: { email: 'requester@example.com' },
    requesterPlatformId: 'ou_requester',
    stages: [
      { mode: 'all', approvers: [{ email: 'alice@example.com' }, { email: 'bob@example.com' }], platformUserIds: ['ou_alice', 'ou_bob'] },
      { mode: 'any', approvers: [{ email: 'carol@example.com' }], platformUserIds: ['ou_carol'] },
    ],
    status: 'pending',
    decisions: [],
    timeoutAt: '2026-12-01T11:00:00.000Z',
    onTimeout: 'expire',
    via: 'card',
    cards: [],
    nextCheckAt: '2026-12-01T11:00:00.000Z',
    checks: 0,
    version: 1,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    ...overrides,
  };
}

const decide = (record: ApprovalRecord, approver: string, decision: 'approve' | 'reject', stage = 0): ApprovalRecord => ({
  ...(transition(record, { type: 'decided', stages: record.stages.map((s) => ({ mode: s.mode, approvers: s.platformUserIds ?? [] })), decision: { stage, approver, decision, at: now.toISOString() } }) as ApprovalRecord),
  version: record.version + 1,
});

describe('decisions on cards', () => {
  it('an "all" stage passes on every approver, then the next stage decides; a rejection ends it', () => {
    const first = decide(approval(), 'ou_alice', 'approve');
    expect(first.status).toBe('pending');
    const second = decide(first, 'ou_bob', 'approve');
    expect(second.status).toBe('pending');
    const done = decide(second, 'ou_carol', 'approve', 1);
    expect(done).toMatchObject({ status: 'approved', endReason: 'approved on the card' });
    expect(decide(approval(), 'ou_bob', 'reject')).toMatchObject({ status: 'rejected', endReason: 'rejected on the card' });
  });

  it('a click counts only for a pending approver of the current stage', () => {
    const record = approval();
    expect(clickProblem(record, 'ou_alice', now)).toBeUndefined();
    expect(clickProblem(record, 'ou_carol', now)).toBe('not_approver'); // stage 2 is not reached
    expect(clickProblem(record, 'ou_requester', now)).toBe('not_approver');
    const first = decide(record, 'ou_alice', 'approve');
    expect(clickProblem(first, 'ou_alice', now)).toBe('already_decided');
    expect(clickProblem(decide(first, 'ou_bob', 'reject'), 'ou_bob', now)).toBe('ended');
    expect(clickProblem(approval({ via: undefined }), 'ou_alice', now)).toBe('not_started');
    // Past its timeout, before its check job ended it: a late click never beats the policy.
    expect(clickProblem(record, 'ou_alice', new Date(record.timeoutAt))).toBe('timed_out');
  });

  it('button values name the choice and nothing else parses as one', () => {
    expect(parseCardChoice(cardChoiceKey({ approvalId: 'apr_abc', decision: 'reject' }))).toEqual({ approvalId: 'apr_abc', decision: 'reject' });
    for (const value of ['imhub:delete:apr_abc', 'imhub:approve:../x', { imhub: 'x' }, undefined, 'approve']) expect(parseCardChoice(value)).toBeUndefined();
  });
});

describe('who has a card, and when cards are out of date', () => {
  it('each approver of the stages reached and the chats of cardTo, nobody before people are resolved', () => {
    expect(cardRecipients(approval({ cardTo: { chatIds: ['oc_ops'] } }))).toEqual([{ userId: 'ou_alice' }, { userId: 'ou_bob' }, { chatId: 'oc_ops' }]);
    expect(cardRecipients(approval({ requesterPlatformId: undefined }))).toEqual([]);
    const passed = decide(decide(approval(), 'ou_alice', 'approve'), 'ou_bob', 'approve');
    expect(cardRecipients(passed)).toEqual([{ userId: 'ou_alice' }, { userId: 'ou_bob' }, { userId: 'ou_carol' }]);
  });

  it('in the approval app, announces to the notify targets once the instance exists, never with buttons', () => {
    const app = approval({ via: undefined, announceAsCard: true, notify: { integrationId: 'int_1', to: { chatIds: ['oc_ops'], userIds: ['ou_lead'], emails: [], mobiles: [] } } });
    expect(cardRecipients(app)).toEqual([]);
    const started = { ...app, platform: { instanceId: 'i-1', definition: 'd', url: 'https://approval.example/i-1' } };
    expect(cardRecipients(started)).toEqual([{ userId: 'ou_lead' }, { chatId: 'oc_ops' }]);
    expect(cardContent(started, { chatId: 'oc_ops' })).toMatchObject({ buttons: false, link: { url: 'https://approval.example/i-1' } });
    expect(cardRecipients({ ...started, announceAsCard: undefined })).toEqual([]);
  });

  it('a card is due an update when what it shows changed; a single-use handle waits for a click or the outcome', () => {
    const base = approval();
    const stamp = cardStamp(base);
    const sent = approval({ cards: [{ to: { userId: 'ou_alice' }, handle: 'om_1', shown: stamp }, { to: { userId: 'ou_bob' }, handle: 'rc_1', once: true, shown: stamp }] });
    expect(cardsDue(sent, now)).toEqual({ send: [], update: [] });
    const decided = decide(sent, 'ou_alice', 'approve');
    expect(cardsDue(decided, now).update.map((card) => card.handle)).toEqual(['om_1']);
    const ended = decide(decided, 'ou_bob', 'approve');
    const finished = decide(ended, 'ou_carol', 'approve', 1);
    // Carol's card is due to be sent; both existing cards show the outcome.
    expect(cardsDue(finished, now).update.map((card) => card.handle)).toEqual(['om_1', 'rc_1']);
  });

  it('sends nobody a card once the approval has ended, and leaves a card whose click is being answered until it settles', () => {
    const canceled = approval({ status: 'canceled' });
    expect(cardsDue(canceled, now).send).toEqual([]);
    const stamp = cardStamp(approval());
    const clicked = decide(approval({ cards: [{ to: { userId: 'ou_alice' }, handle: 't-1', shown: stamp, settleUntil: '2026-12-01T10:00:03.000Z' }] }), 'ou_alice', 'approve');
    expect(cardsDue(clicked, now)).toMatchObject({ update: [], settling: '2026-12-01T10:00:03.000Z' });
    expect(cardsDue(clicked, new Date('2026-12-01T10:00:03.000Z')).update).toHaveLength(1);
  });

  it('sets off a cards job when what cards show changes, never for imhub’s own bookkeeping', () => {
    const stamp = cardStamp(approval());
    const sent = approval({ cards: [{ to: { userId: 'ou_alice' }, handle: 'om_1', shown: stamp }, { to: { userId: 'ou_bob' }, handle: 'om_2', shown: stamp }] });
    const kinds = (previous: ApprovalRecord | undefined, next: ApprovalRecord) => approvalJobs(previous, next, now).map((job) => job.kind);
    expect(kinds(undefined, approval())).toContain('approval.cards');
    expect(kinds(sent, { ...sent, checks: 3, version: 2 })).not.toContain('approval.cards');
    expect(kinds(sent, decide(sent, 'ou_alice', 'approve'))).toContain('approval.cards');
  });
});

describe('what a card shows', () => {
  it('buttons for a pending approver and in chats, none for others or once it ended; decisions named as the request named people', () => {
    const record = decide(approval(), 'ou_alice', 'approve');
    expect(cardContent(record, { userId: 'ou_bob' }).buttons).toBe(true);
    expect(cardContent(record, { userId: 'ou_alice' }).buttons).toBe(false);
    expect(cardContent(record, { chatId: 'oc_ops' }).buttons).toBe(true);
    const content = cardContent(record, { userId: 'ou_bob' });
    expect(content.decisions).toEqual(['Approved by alice (stage 1)']);
    expect(content.facts).toContainEqual({ label: 'Waiting for', value: 'bob' });
    const ended = decide(record, 'ou_bob', 'reject');
    expect(cardContent(ended, { chatId: 'oc_ops' })).toMatchObject({ header: 'Rejected', level: 'error', buttons: false });
  });

  it('stays small: the first 20 decisions, comments and content cut', () => {
    const long = 'x'.repeat(5000);
    const many = approval({
      content: long,
      stages: [{ mode: 'all', approvers: [], platformUserIds: Array.from({ length: 50 }, (_, index) => `ou_${index}`) }],
      decisions: Array.from({ length: 50 }, (_, index) => ({ stage: 0, approver: `ou_${index}`, decision: 'approve' as const, at: now.toISOString(), comment: long })),
    });
    const content = cardContent(many, { chatId: 'oc_ops' });
    expect(content.decisions).toHaveLength(21);
    expect(content.decisions.at(-1)).toBe('… and 30 more');
    expect(JSON.stringify(content).length).toBeLessThan(10_000);
  });
});
