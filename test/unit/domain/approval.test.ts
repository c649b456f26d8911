import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ApprovalEvent,
  type ApprovalState,
  createApprovalBody,
  type Decision,
  evaluateStages,
  isTerminal,
  type ResolvedStage,
  transition,
} from '../../../lib/domain/approval.ts';

const at = (second: number) => new Date(Date.UTC(2026, 10, 25, 12, 0, second)).toISOString();
const approve = (stage: number, approver: string, second: number): Decision => ({ stage, approver, decision: 'approve', at: at(second) });
const reject = (stage: number, approver: string, second: number): Decision => ({ stage, approver, decision: 'reject', at: at(second) });

describe('evaluateStages', () => {
  const any: ResolvedStage = { mode: 'any', approvers: ['a', 'b'] };
  const all: ResolvedStage = { mode: 'all', approvers: ['a', 'b'] };

  it('passes an "any" stage on the first approval', () => {
    expect(evaluateStages([any], [approve(0, 'b', 1)]).outcome).toBe('approved');
    expect(evaluateStages([any], [approve(0, 'a', 1), reject(0, 'b', 2)]).outcome).toBe('approved');
    expect(evaluateStages([any], [reject(0, 'a', 1), approve(0, 'b', 2)]).outcome).toBe('rejected');
  });

  it('needs every approver in an "all" stage, and fails on any rejection', () => {
    expect(evaluateStages([all], [approve(0, 'a', 1)]).outcome).toBe('pending');
    expect(evaluateStages([all], [approve(0, 'a', 1), approve(0, 'b', 2)]).outcome).toBe('approved');
    expect(evaluateStages([all], [approve(0, 'a', 1), reject(0, 'b', 2)]).outcome).toBe('rejected');
  });

  it('goes stage by stage', () => {
    const stages = [any, { mode: 'all' as const, approvers: ['c'] }];
    expect(evaluateStages(stages, [approve(0, 'a', 1)])).toEqual({ outcome: 'pending', stage: 1 });
    expect(evaluateStages(stages, [approve(0, 'a', 1), approve(1, 'c', 2)]).outcome).toBe('approved');
  });

  it('ignores people who are not approvers of the stage', () => {
    expect(evaluateStages([any], [approve(0, 'mallory', 1)]).outcome).toBe('pending');
  });

  it('does not depend on the order decisions arrive in', () => {
    const decision = fc.record({
      stage: fc.integer({ min: 0, max: 2 }),
      approver: fc.constantFrom('a', 'b', 'c', 'd'),
      decision: fc.constantFrom('approve' as const, 'reject' as const),
      at: fc.integer({ min: 0, max: 59 }).map(at),
    });
    const stage = fc.record({ mode: fc.constantFrom('any' as const, 'all' as const), approvers: fc.subarray(['a', 'b', 'c', 'd'], { minLength: 1 }) });
    fc.assert(
      fc.property(
        fc.array(stage, { minLength: 1, maxLength: 3 }),
        fc.array(decision, { maxLength: 12 }).chain((decisions) => fc.tuple(fc.constant(decisions), fc.shuffledSubarray(decisions, { minLength: decisions.length }))),
        (stages, [decisions, shuffled]) => {
          expect(evaluateStages(stages, shuffled)).toEqual(evaluateStages(stages, decisions));
        },
      ),
    );
  });
});

describe('transition', () => {
  const pending: ApprovalState = { status: 'pending', decisions: [], timeoutAt: at(30), onTimeout: 'expire' };

  it('follows the platform to approved, rejected and canceled, recording decisions', () => {
    const approved = transition(pending, { type: 'observed', platformStatus: 'approved', decisions: [approve(0, 'a', 1)], at: at(2) });
    expect(approved).toMatchObject({ status: 'approved', endedAt: at(2), decisions: [approve(0, 'a', 1)] });
    expect(transition(pending, { type: 'observed', platformStatus: 'rejected', decisions: [], at: at(2) }).status).toBe('rejected');
    expect(transition(pending, { type: 'observed', platformStatus: 'deleted', decisions: [], at: at(2) }).status).toBe('canceled');
  });

  it('expires at the timeout, or approves when onTimeout is approve, and not before', () => {
    expect(transition(pending, { type: 'timeout', at: at(29) })).toBe(pending);
    expect(transition(pending, { type: 'timeout', at: at(30) }).status).toBe('expired');
    expect(transition({ ...pending, onTimeout: 'approve' }, { type: 'timeout', at: at(31) })).toMatchObject({ status: 'approved', endReason: 'approved by timeout policy' });
  });

  it('merges repeated observations of the same decision once', () => {
    const once = transition(pending, { type: 'observed', platformStatus: 'pending', decisions: [approve(0, 'a', 1)], at: at(2) });
    const twice = transition(once, { type: 'observed', platformStatus: 'pending', decisions: [approve(0, 'a', 1)], at: at(3) });
    expect(twice.decisions).toHaveLength(1);
  });

  const event: fc.Arbitrary<ApprovalEvent> = fc.oneof(
    fc.record({
      type: fc.constant('observed' as const),
      platformStatus: fc.constantFrom('pending' as const, 'approved' as const, 'rejected' as const, 'canceled' as const, 'deleted' as const),
      decisions: fc.array(fc.record({ stage: fc.constant(0), approver: fc.constantFrom('a', 'b'), decision: fc.constantFrom('approve' as const, 'reject' as const), at: fc.integer({ min: 0, max: 59 }).map(at) }), { maxLength: 3 }),
      at: fc.integer({ min: 0, max: 59 }).map(at),
    }),
    fc.record({ type: fc.constant('timeout' as const), at: fc.integer({ min: 0, max: 59 }).map(at) }),
    fc.record({ type: fc.constant('cancel' as const), at: fc.integer({ min: 0, max: 59 }).map(at) }),
    fc.record({ type: fc.constant('failed' as const), at: fc.integer({ min: 0, max: 59 }).map(at), reason: fc.constant('platform refused') }),
  );

  it('model: a terminal state never changes, and the first terminal event decides', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), (events) => {
        let state = pending;
        let firstTerminal: ApprovalState | undefined;
        for (const next of events) {
          state = transition(state, next);
          if (isTerminal(state.status)) firstTerminal ??= state;
          if (firstTerminal) expect(state).toBe(firstTerminal);
        }
      }),
    );
  });

  it('model: delivering every event twice ends in the same state as once', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), (events) => {
        const once = events.reduce(transition, pending);
        const twice = events.flatMap((next) => [next, next]).reduce(transition, pending);
        expect(twice).toEqual(once);
      }),
    );
  });
});

describe('createApprovalBody', () => {
  const valid = { integrationId: 'int_1', title: 'Deploy v1.2 to prod', requester: { email: 'dev@example.com' }, stages: [{ approvers: [{ userId: 'ou_1' }] }] };

  it('fills the documented defaults', () => {
    expect(createApprovalBody.parse(valid)).toMatchObject({ timeoutSeconds: 3600, onTimeout: 'expire', stages: [{ mode: 'any' }] });
  });

  it('refuses a person named two ways, an empty stage and a timeout over 30 days', () => {
    const result = createApprovalBody.safeParse({ ...valid, requester: { email: 'a@b.co', mobile: '+8613800000000' }, stages: [{ approvers: [] }], timeoutSeconds: 31 * 86400 });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['requester', 'stages.0.approvers', 'timeoutSeconds']);
  });
});
