import { describe, expect, it } from 'vitest';
import { samePersonInput, selfApprovers } from '../../../lib/domain/approval.ts';
import { selfApprovalProblem } from '../../../lib/services/approvals/view.ts';

describe('self-approval', () => {
  it('finds every place the requester is an approver, as given: an email in any case, the same mobile or userId', () => {
    const stages = [{ approvers: [{ email: 'Dev@Example.com' }, { email: 'lead@example.com' }] }, { approvers: [{ userId: 'ou_dev' }, { mobile: '+8613800000001' }] }];
    expect(selfApprovers({ email: 'dev@example.com' }, stages, samePersonInput)).toEqual([{ stage: 0, approver: 0 }]);
    expect(selfApprovers({ userId: 'ou_dev' }, stages, samePersonInput)).toEqual([{ stage: 1, approver: 0 }]);
    expect(selfApprovers({ mobile: '+8613800000001' }, stages, samePersonInput)).toEqual([{ stage: 1, approver: 1 }]);
    // An email and a userId are not compared as given: only their platform ids can say they are one person
    expect(selfApprovers({ email: 'ou_dev' }, stages, samePersonInput)).toEqual([]);
  });

  it('compares by platform id once people are resolved, names each place once, and says how to allow it', () => {
    const record = {
      requester: { email: 'dev@example.com' },
      requesterPlatformId: 'ou_dev',
      stages: [{ mode: 'any' as const, approvers: [{ email: 'dev@example.com' }, { userId: 'ou_lead' }], platformUserIds: ['ou_dev', 'ou_lead'] }, { mode: 'all' as const, approvers: [{ userId: 'ou_dev' }], platformUserIds: ['ou_dev'] }],
    };
    const problem = selfApprovalProblem(record);
    expect(problem).toMatchObject({ kind: 'bad_request', code: 'self_approval', details: [{ path: 'stages.0.approvers.0' }, { path: 'stages.1.approvers.0' }] });
    expect(problem?.message).toContain('"allowSelfApproval": true');
    expect(selfApprovalProblem({ ...record, allowSelfApproval: true })).toBeUndefined();
    expect(selfApprovalProblem({ ...record, stages: [{ mode: 'any', approvers: [{ userId: 'ou_lead' }], platformUserIds: ['ou_lead'] }] })).toBeUndefined();
  });
});
