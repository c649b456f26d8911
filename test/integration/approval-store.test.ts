import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type ApprovalRecord, transition } from '../../lib/domain/approval.ts';
import { localCredentials, localRegion } from '../../lib/local/embedded-dynamodb.ts';
import { DynamoApprovalRepository } from '../../lib/store/dynamodb/approvals.ts';
import { ensureTable } from '../../lib/store/ensure-table.ts';
import { approvalRecord } from '../support/records.ts';

const raw = new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), region: localRegion, credentials: localCredentials });
const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
const tableName = `approvals-${randomUUID()}`;
const repository = new DynamoApprovalRepository(client, tableName);

beforeAll(async () => {
  await ensureTable(raw, tableName);
});

const approval = approvalRecord;

describe('approval store', () => {
  it('creates once per idempotency key and returns the original for a repeat, also under concurrency', async () => {
    const key = `key-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 6 }, () => repository.create(approval({ idempotencyKey: key }))));
    const created = results.filter((result) => result.created);
    expect(created).toHaveLength(1);
    for (const result of results) expect(result.approval.id).toBe(created[0]!.approval.id);
  });

  it('lets exactly one of two racing writers decide, and only while pending', async () => {
    const { approval: stored } = await repository.create(approval());
    const approve = { ...transition(stored, { type: 'observed', platformStatus: 'approved', decisions: [], at: new Date().toISOString() }), version: 2 } as ApprovalRecord;
    const cancel = { ...transition(stored, { type: 'cancel', at: new Date().toISOString() }), version: 2 } as ApprovalRecord;
    const outcomes = await Promise.all([repository.update(approve, stored), repository.update(cancel, stored)]);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const final = await repository.get(stored.id);
    expect(['approved', 'canceled']).toContain(final!.status);
    // A terminal approval is never written again, even with the right version.
    expect(await repository.update({ ...final!, status: 'rejected', version: 3 }, final!)).toBe(false);
  });

  it('filters the listing by status and integration', async () => {
    await repository.create(approval({ integrationId: 'int_filter' }));
    const page = await repository.list({ limit: 100, integrationId: 'int_filter', status: 'pending' });
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((item) => item.integrationId === 'int_filter' && item.status === 'pending')).toBe(true);
  });
});

describe('ensureTable', () => {
  it('adds indexes a table made by an older version lacks, keeping the table', async () => {
    const old = `old-${randomUUID()}`;
    await raw.send(
      new CreateTableCommand({
        TableName: old,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: ['pk', 'sk', 'gsi1pk', 'gsi1sk'].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'gsi1',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    await waitUntilTableExists({ client: raw, maxWaitTime: 30 }, { TableName: old });
    expect(await ensureTable(raw, old)).toBe('updated');
    const { Table } = await raw.send(new DescribeTableCommand({ TableName: old }));
    expect(Table!.GlobalSecondaryIndexes!.map((index) => index.IndexName).sort()).toEqual(['gsi1', 'gsi2']);
    expect(await ensureTable(raw, old)).toBe('existed');
  });
});
