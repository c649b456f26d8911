import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { localCredentials, localRegion } from '../../lib/local/embedded-dynamodb.ts';
import { DynamoTokenStore } from '../../lib/store/dynamodb/tokens.ts';
import { keys } from '../../lib/store/dynamodb/keys.ts';
import { ensureTable } from '../../lib/store/ensure-table.ts';

const raw = new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), region: localRegion, credentials: localCredentials });
const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
const tableName = `tokens-${randomUUID()}`;
const store = new DynamoTokenStore(client, tableName, { seal: async (value: string) => value, open: async (value: string) => value });

beforeAll(async () => {
  await ensureTable(raw, tableName);
});

describe('token refresh lease', () => {
  it('lets one instance refresh at a time, in ISO time, until the lease ends', async () => {
    const key = { integrationId: `int_${randomUUID()}`, credentialVersion: 1 };
    const now = Date.now();
    expect(await store.lease(key, 10_000, now)).toBe(true);
    expect(await store.lease(key, 10_000, now + 5_000)).toBe(false);
    expect(await store.lease(key, 10_000, now + 10_001)).toBe(true);
  });

  it('takes over a lease an older version wrote as epoch milliseconds', async () => {
    const key = { integrationId: `int_${randomUUID()}`, credentialVersion: 1 };
    await client.send(new PutCommand({ TableName: tableName, Item: { ...keys.tokenLease(key), leaseUntil: Date.now() + 60_000 } }));
    expect(await store.lease(key, 10_000, Date.now())).toBe(true);
  });
});
