import { describe, expect, it } from 'vitest';
import {
  type ApprovalRecord,
  type ApprovalState,
  createApprovalBody,
  type CreateApprovalInput,
  type Decision,
  maxStoredCommentBytes,
  maxStoredDecisions,
  transition,
  type WebhookAttempt,
  webhookBackoffMs,
  webhookRetryWindowMs,
} from '../../../lib/domain/approval.ts';
import { notificationTargets } from '../../../lib/domain/message.ts';
import type { ApprovalCard } from '../../../lib/domain/approval.ts';

// Red team, issue 15 item 7: decisions with their comments live inside the approval item, and 45
// comments of 9.5 kB took it past DynamoDB's 400 KB. The domain bounds what it stores.

/** What every approval record carries besides its request, at its longest. */
const longestBookkeeping = {
  status: 'pending',
  decisions: [],
  timeoutAt: new Date(Date.UTC(2026, 10, 25, 12, 0, 0) + 100_000_000).toISOString(),
  onTimeout: 'expire',
  nextCheckAt: new Date(Date.UTC(2026, 10, 25, 12, 0, 0)).toISOString(),
  checks: 1_000,
  version: 100_000,
  createdAt: new Date(Date.UTC(2026, 10, 25, 12, 0, 0)).toISOString(),
  updatedAt: new Date(Date.UTC(2026, 10, 25, 12, 0, 0)).toISOString(),
} as const satisfies Partial<ApprovalRecord>;

/** Platform user ids at their longest: WeCom and DingTalk userids are at most 64 characters; Feishu open_ids 35. */
const platformId = (index: number) => `${index}`.padStart(64, 'p');

/** What an approval record takes from the request that made it, the requester looked up. */
const fromRequest = (input: CreateApprovalInput) => ({
  id: `apr_${'a'.repeat(20)}`,
  integrationId: input.integrationId,
  title: input.title,
  content: input.content!,
  requester: input.requester,
  requesterPlatformId: platformId(9_999),
});

/** An email at RFC 5321's 254 characters, numbered. */
const longEmail = (index: number) => `${String(index).padStart(4, '0')}${'m'.repeat(60)}@${'d'.repeat(60)}.${'e'.repeat(60)}.${'x'.repeat(60)}.cn`.slice(0, 254);

const at = (second: number) => new Date(Date.UTC(2026, 10, 25, 12, 0, 0) + second * 1000).toISOString();
const pending: ApprovalState = { status: 'pending', decisions: [], timeoutAt: at(100_000), onTimeout: 'expire' };
const observe = (state: ApprovalState, decisions: Decision[], platformStatus: 'pending' | 'approved' = 'pending') => transition(state, { type: 'observed', platformStatus, decisions, at: at(90_000) });
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('stored comments', () => {
  it('keep a comment within the bound as it is', () => {
    const comment = '同'.repeat(Math.floor(maxStoredCommentBytes / 3));
    const [decision] = observe(pending, [{ stage: 0, approver: 'a', decision: 'approve', at: at(1), comment }]).decisions;
    expect(decision).toEqual({ stage: 0, approver: 'a', decision: 'approve', at: at(1), comment });
  });

  it('cut a longer comment between characters, end it with "…" and flag it, within the byte bound whatever the script', () => {
    for (const unit of ['a', 'é', '同', '👍', 'e\u0301']) {
      const comment = unit.repeat(5_000);
      const [decision] = observe(pending, [{ stage: 0, approver: 'a', decision: 'approve', at: at(1), comment }]).decisions;
      expect(decision!.commentTruncated).toBe(true);
      expect(decision!.comment!.endsWith('…')).toBe(true);
      const kept = decision!.comment!.slice(0, -1);
      expect(comment.startsWith(kept)).toBe(true);
      expect(bytes(decision!.comment!)).toBeLessThanOrEqual(maxStoredCommentBytes);
      // Nothing that would fit is thrown away, and no character is split: not a surrogate pair (which
      // would not survive UTF-8), not a letter from its accent.
      expect(bytes(decision!.comment!) + bytes(unit)).toBeGreaterThan(maxStoredCommentBytes);
      expect(Buffer.from(kept, 'utf8').toString('utf8')).toBe(kept);
      expect(kept.length % unit.length).toBe(0);
    }
  });

  it('bound comments a record already holds (written before the bound) at its next observation', () => {
    const legacy: ApprovalState = { ...pending, decisions: [{ stage: 0, approver: 'a', decision: 'approve', at: at(1), comment: 'x'.repeat(9_500) }] };
    const next = observe(legacy, [{ stage: 0, approver: 'b', decision: 'approve', at: at(2) }]);
    expect(next.decisions[0]).toMatchObject({ approver: 'a', commentTruncated: true });
    expect(bytes(next.decisions[0]!.comment!)).toBeLessThanOrEqual(maxStoredCommentBytes);
  });
});

describe('stored decisions', () => {
  const decisions = (count: number, from = 0): Decision[] =>
    Array.from({ length: count }, (_, index) => ({ stage: Math.floor((from + index) / 50), approver: `u${from + index}`, decision: 'approve', at: at(from + index) }));

  it(`keep the first ${maxStoredDecisions} by time and count the rest, so the record says it is incomplete`, () => {
    const state = observe(pending, decisions(150).reverse());
    expect(state.decisions).toHaveLength(maxStoredDecisions);
    expect(state.decisions.map((decision) => decision.approver)).toEqual(decisions(maxStoredDecisions).map((decision) => decision.approver));
    expect(state.moreDecisions).toBe(50);
  });

  it('never drop a decision once recorded, and count each further one once however often the platform lists it', () => {
    const first = observe(pending, decisions(maxStoredDecisions));
    expect(first.moreDecisions).toBeUndefined();
    // The platform's list now also holds an earlier-timed decision it had not listed before, and later ones.
    const late: Decision = { stage: 0, approver: 'late', decision: 'approve', at: at(-1) };
    const second = observe(first, [late, ...decisions(130)]);
    expect(second.decisions).toEqual(first.decisions);
    expect(second.moreDecisions).toBe(31);
    expect(observe(second, [late, ...decisions(130)]).moreDecisions).toBe(31);
    expect(observe(second, [late, ...decisions(140)]).moreDecisions).toBe(41);
  });

  it('end the approval from the platform status even when its deciding act is beyond the kept decisions', () => {
    const state = observe(pending, decisions(200), 'approved');
    expect(state).toMatchObject({ status: 'approved', moreDecisions: 100 });
  });
});

describe('the worst-case approval item', () => {
  it('stays under 350 KB: 10 stages × 50 approvers, every text at its limit, 500 decisions with 1,000-character Chinese comments', () => {
    // Prepare: the largest request the API takes (each limit of createApprovalBody), and what the platforms add.
    const chinese = (count: number) => '审'.repeat(count);
    // Emails: RFC 5321's 254 characters (note: personSchema does not cap an email's length today).
    const email = longEmail;
    const input = createApprovalBody.parse({
      integrationId: `int_${'i'.repeat(124)}`,
      title: chinese(200),
      content: chinese(10_000),
      requester: { email: email(9_999) },
      stages: Array.from({ length: 10 }, (_, stage) => ({ mode: 'all', approvers: Array.from({ length: 50 }, (_, index) => ({ email: email(stage * 50 + index) })) })),
      webhook: { url: `https://hooks.example.com/${'p'.repeat(2_020)}`, secret: 's'.repeat(256) },
      idempotencyKey: 'k'.repeat(128),
    });
    const targets = notificationTargets.parse({
      chatIds: Array.from({ length: 50 }, (_, index) => `oc_${index}${'c'.repeat(120)}`),
      userIds: Array.from({ length: 100 }, (_, index) => `u_${index}${'u'.repeat(120)}`),
      emails: Array.from({ length: 100 }, (_, index) => email(20_000 + index)),
      mobiles: Array.from({ length: 100 }, (_, index) => `+852${String(index).padStart(16, '9')}`),
    });
    // Every attempt a webhook can make in its retry window, at the default backoff.
    const attempts: WebhookAttempt[] = [];
    for (let elapsed = 0; elapsed <= webhookRetryWindowMs; elapsed += webhookBackoffMs(attempts.length)) {
      attempts.push({ at: at(elapsed / 1000), status: 0, durationMs: 10_000, error: 'could not connect' });
    }
    const created: ApprovalRecord = {
      ...fromRequest(input),
      stages: input.stages.map((stage, index) => ({ ...stage, platformUserIds: stage.approvers.map((_, approver) => platformId(index * 50 + approver)) })),
      platform: { instanceId: 'i'.repeat(64), definition: 'd'.repeat(64), url: `https://applink.feishu.cn/${'u'.repeat(500)}` },
      idempotencyKey: input.idempotencyKey!,
      requestHash: 'h'.repeat(64),
      notify: { integrationId: 'n'.repeat(128), to: targets },
      announced: ['start', 'end'],
      startLeaseUntil: at(0),
      // Sealing adds its envelope to the secret: a generous 1,000 characters.
      webhook: { url: input.webhook!.url, sealedSecret: 'S'.repeat(1_000), state: 'failed', attempts },
      ...longestBookkeeping,
    };
    // Every approver decides, each with a comment of 1,000 Chinese characters (3 bytes each) or 1,000 emoji (4 bytes each).
    const decisions: Decision[] = created.stages.flatMap((stage, index) =>
      stage.platformUserIds!.map((approver, position) => ({ stage: index, approver, decision: 'approve' as const, at: at(index * 50 + position), comment: (position % 2 ? '👍' : '审').repeat(1_000) })),
    );

    // Act
    const ended = transition(created, { type: 'observed', platformStatus: 'approved', decisions, at: at(99_999) }) as ApprovalRecord;
    // The store adds its keys: primary, listing and due-index keys, at most a few hundred bytes.
    const item = { pk: `APPROVAL#${ended.id}`, sk: 'APPROVAL', gsi1pk: 'APPROVALS', gsi1sk: `${ended.createdAt}#${ended.id}`, gsi2pk: 'WEBHOOK', gsi2sk: `${ended.updatedAt}#${ended.id}`, webhookLeaseUntil: at(0), ...ended, endReason: 'r'.repeat(1_000) };

    // Assess
    expect(ended.decisions).toHaveLength(maxStoredDecisions);
    expect(ended.moreDecisions).toBe(500 - maxStoredDecisions);
    expect(bytes(JSON.stringify(item))).toBeLessThan(350_000);
  });

  it('stays under 350 KB on cards: 100 approvers (the most cards take) and 20 chats, each with its card, every decision with a long comment', () => {
    const email = longEmail;
    const input = createApprovalBody.parse({
      integrationId: `int_${'i'.repeat(124)}`,
      title: '审'.repeat(200),
      content: '审'.repeat(10_000),
      requester: { email: email(9_999) },
      stages: [0, 1].map((stage) => ({ mode: 'all', approvers: Array.from({ length: 50 }, (_, index) => ({ email: email(stage * 50 + index) })) })),
      webhook: { url: `https://hooks.example.com/${'p'.repeat(2_020)}`, secret: 's'.repeat(256) },
      idempotencyKey: 'k'.repeat(128),
      via: 'card',
      cardTo: { chatIds: Array.from({ length: 20 }, (_, index) => `oc_${index}${'c'.repeat(120)}`) },
    });
    const stages = input.stages.map((stage, index) => ({ ...stage, platformUserIds: stage.approvers.map((_, approver) => platformId(index * 50 + approver)) }));
    // One card per approver and chat: a 64-character handle and task id, its state, or a refusal of 300 characters.
    const cards: ApprovalCard[] = [...stages.flatMap((stage) => stage.platformUserIds.map((userId) => ({ userId }))), ...input.cardTo!.chatIds.map((chatId) => ({ chatId }))].map((to, index) => ({
      to,
      handle: 'h'.repeat(64),
      ref: 'r'.repeat(64),
      once: true as const,
      freshHandle: 'f'.repeat(64),
      shown: 'approved:100:100',
      sentAt: at(index),
      settleUntil: at(index),
      ...(index % 2 ? { error: 'e'.repeat(300) } : {}),
    }));
    const created: ApprovalRecord = {
      ...fromRequest(input),
      stages,
      via: 'card',
      cardTo: input.cardTo!,
      cards,
      cardsLeaseUntil: at(0),
      idempotencyKey: input.idempotencyKey!,
      requestHash: 'h'.repeat(64),
      webhook: { url: input.webhook!.url, sealedSecret: 'S'.repeat(1_000), state: 'pending', attempts: [] },
      ...longestBookkeeping,
    };
    // Every approver approves on their card, each with a comment of 1,000 Chinese characters.
    let record = created;
    for (const [index, stage] of stages.entries()) {
      for (const approver of stage.platformUserIds) {
        record = transition(record, { type: 'decided', stages: stages.map((s) => ({ mode: s.mode, approvers: s.platformUserIds })), decision: { stage: index, approver, decision: 'approve', at: at(1), comment: '审'.repeat(1_000) } }) as ApprovalRecord;
      }
    }
    expect(record).toMatchObject({ status: 'approved' });
    expect(record.decisions).toHaveLength(100);
    const item = { pk: `APPROVAL#${record.id}`, sk: 'APPROVAL', gsi1pk: 'APPROVALS', gsi1sk: `${record.createdAt}#${record.id}`, ...record, endReason: 'r'.repeat(1_000) };
    expect(bytes(JSON.stringify(item))).toBeLessThan(350_000);
  });
});
