import { randomUUID } from 'node:crypto';
import type { ApprovalRecord } from '../../lib/domain/approval.ts';
import type { Integration } from '../../lib/domain/integration.ts';

/** A stored pending approval, as the store tests write one; `overrides` change any field. */
export function approvalRecord(overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  const now = new Date().toISOString();
  return {
    id: `apr_${randomUUID()}`,
    integrationId: 'int_1',
    title: 'Deploy',
    requester: { userId: 'u0' },
    stages: [{ mode: 'any', approvers: [{ userId: 'u1' }] }],
    status: 'pending',
    decisions: [],
    timeoutAt: new Date(Date.now() + 3_600_000).toISOString(),
    onTimeout: 'expire',
    nextCheckAt: now,
    checks: 0,
    version: 1,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

/** A registered integration as the services read it (sealed secrets are opaque to them). */
export function integrationRecord(overrides: Partial<Integration> & Pick<Integration, 'id' | 'provider' | 'kind'>): Integration {
  return {
    name: `${overrides.provider} ${overrides.kind}`,
    publicCredentials: {},
    secretHints: {},
    sealedSecrets: 'sealed',
    credentialVersion: 1,
    version: 1,
    createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T00:00:00.000Z',
    ...overrides,
  };
}
