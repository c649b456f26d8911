import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type ApprovalRecord, transition } from '../../lib/domain/approval.ts';
import { approvalJobs } from '../../lib/domain/approval-jobs.ts';
import { newJob } from '../../lib/domain/job.ts';
import { localCredentials, localRegion } from '../../lib/local/embedded-dynamodb.ts';
import { DynamoApprovalRepository } from '../../lib/store/dynamodb/approvals.ts';
import { DynamoJobStore } from '../../lib/store/dynamodb/jobs.ts';
import { ensureTable } from '../../lib/store/ensure-table.ts';
import { approvalRecord } from '../support/records.ts';

const raw = new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), region: localRegion, credentials: localCredentials });
const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
const tableName = `jobs-${randomUUID()}`;
const approvals = new DynamoApprovalRepository(client, tableName);
const jobs = new DynamoJobStore(client, tableName);

beforeAll(async () => {
  await ensureTable(raw, tableName);
});

const at = (offsetMs: number) => new Date(Date.now() + offsetMs);

const approval = approvalRecord;

describe('job store (outbox)', () => {
  it('writes an approval change and the jobs it sets off together, and a lost race writes neither', async () => {
    // Prepare: a stored approval with a webhook, ended by two racing writers
    const stored = approval({ webhook: { url: 'https://ci.example.com/hook', sealedSecret: 'sealed', state: 'waiting', attempts: [] }, nextCheckAt: at(3_600_000).toISOString() });
    await approvals.create(stored, approvalJobs(undefined, stored, new Date()));
    const ended = { ...transition(stored, { type: 'cancel', at: new Date().toISOString() }), version: 2 } as ApprovalRecord;
    // Act
    const winner = await approvals.update(ended, stored, approvalJobs(stored, ended, new Date()));
    const loser = await approvals.update({ ...ended, title: 'other' }, stored, [newJob('approval.announce', stored.id, new Date(), new Date())]);
    // Assess: the winner's webhook job exists; the loser's job was never written
    expect([winner, loser]).toEqual([true, false]);
    expect(await jobs.get(`approval.webhook#${stored.id}`)).toMatchObject({ kind: 'approval.webhook', subject: stored.id, attempts: 0 });
    expect(await jobs.get(`approval.announce#${stored.id}`)).toBeUndefined();
    expect(await jobs.get(`approval.check#${stored.id}`)).toMatchObject({ dueAt: stored.nextCheckAt });
  });

  it('lists due jobs soonest first, and hides a leased job until its lease ends', async () => {
    const sooner = newJob('approval.check', `a-${randomUUID()}`, at(-5_000), new Date());
    const later = newJob('approval.check', `b-${randomUUID()}`, at(-1_000), new Date());
    const future = newJob('approval.check', `c-${randomUUID()}`, at(60_000), new Date());
    const stored = approval();
    await approvals.create(stored, [later, future, sooner]);
    const dueIds = async (now = new Date()) => (await jobs.due(now, 100)).map((job) => job.id);
    let due = await dueIds();
    expect(due.indexOf(sooner.id)).toBeGreaterThanOrEqual(0);
    expect(due.indexOf(sooner.id)).toBeLessThan(due.indexOf(later.id));
    expect(due).not.toContain(future.id);
    // Act: lease one; a second lease of it fails
    const leased = await jobs.lease(sooner.id, new Date(), at(30_000));
    expect(leased?.id).toBe(sooner.id);
    expect(await jobs.lease(sooner.id, new Date(), at(30_000))).toBeUndefined();
    due = await dueIds();
    expect(due).not.toContain(sooner.id);
    // Assess: due again once the lease has ended (a crashed run)
    expect(await dueIds(at(31_000))).toContain(sooner.id);
  });

  it('lets only the lease holder record a run, and keeps a job written again meanwhile', async () => {
    const subject = `n-${randomUUID()}`;
    const first = newJob('notification.dispatch', subject, at(-1_000), new Date());
    await approvals.create(approval(), [first]);
    const held = (await jobs.lease(first.id, new Date(), at(30_000)))!;
    // Act: the record changes meanwhile and writes the job again, due later
    const laterDue = at(5_000);
    await approvals.create(approval(), [newJob('notification.dispatch', subject, laterDue, new Date())]);
    // Assess: the holder's completion loses; the newer job stands
    expect(await jobs.complete(held)).toBe(false);
    expect((await jobs.get(first.id))?.dueAt).toBe(laterDue.toISOString());
    // A holder whose job was not written again completes it
    const again = (await jobs.lease(first.id, at(6_000), at(36_000)))!;
    expect(await jobs.complete(again)).toBe(true);
    expect(await jobs.get(first.id)).toBeUndefined();
  });

  it('parks a dead job where no sweep finds it, with its last error', async () => {
    const job = newJob('approval.webhook', `d-${randomUUID()}`, at(-1_000), new Date());
    await approvals.create(approval(), [job]);
    const held = (await jobs.lease(job.id, new Date(), at(30_000)))!;
    expect(await jobs.reschedule(held, { dueAt: at(-500), attempts: 10, lastError: 'receiver down', dead: true })).toBe(true);
    expect((await jobs.due(at(60_000), 100)).map((due) => due.id)).not.toContain(job.id);
    expect(await jobs.get(job.id)).toMatchObject({ attempts: 10, lastError: 'receiver down' });
  });
});
