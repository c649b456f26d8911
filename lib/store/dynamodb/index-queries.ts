import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor, type KeyAttributes } from '../cursor.ts';
import type { Page, PageRequest } from '../repository.ts';
import { tableSchema } from '../table-schema.ts';
import { stripKeys } from './keys.ts';

/** One page of a GSI1 listing (items of one type in creation order), optionally filtered. */
export async function queryListing<T>(
  client: DynamoDBDocumentClient,
  tableName: string,
  listing: string,
  page: PageRequest,
  filter?: { expression: string; values: Record<string, unknown>; names?: Record<string, string> },
): Promise<Page<T>> {
  const exclusiveStartKey = decodeCursor(page.cursor, listing);
  const result = await client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: tableSchema.gsi1.indexName,
      KeyConditionExpression: 'gsi1pk = :listing',
      ExpressionAttributeValues: { ':listing': listing, ...filter?.values },
      ...(filter ? { FilterExpression: filter.expression } : {}),
      ...(filter?.names ? { ExpressionAttributeNames: filter.names } : {}),
      Limit: page.limit,
      ScanIndexForward: page.order !== 'newest',
      ExclusiveStartKey: exclusiveStartKey,
    }),
  );
  const items = (result.Items ?? []).map((item) => stripKeys<T>(item));
  const nextCursor = encodeCursor(result.LastEvaluatedKey as KeyAttributes | undefined);
  return nextCursor ? { items, nextCursor } : { items };
}

/** Items of one GSI2 partition (`DUE`, `WEBHOOK`, `NOTIFY`) whose time has come, soonest first. */
export async function queryDue<T>(client: DynamoDBDocumentClient, tableName: string, partition: string, now: Date, limit: number): Promise<T[]> {
  const result = await client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: tableSchema.gsi2.indexName,
      KeyConditionExpression: 'gsi2pk = :partition AND gsi2sk <= :now',
      ExpressionAttributeValues: { ':partition': partition, ':now': `${now.toISOString()}#~` },
      Limit: limit,
    }),
  );
  return (result.Items ?? []).map((item) => stripKeys<T>(item));
}
