import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { nextAllowedAt, type RateWindow } from '../../domain/rate-limit.ts';
import type { RateLimitStore } from '../repository.ts';
import { isConditionFailure } from './conditions.ts';
import { keys } from './keys.ts';

/** One item per key holding the recent send times; updated under a version condition, so instances never oversend. */
export class DynamoRateLimitStore implements RateLimitStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async acquire(key: string, windows: readonly RateWindow[], at: number): Promise<number | undefined> {
    const longest = Math.max(...windows.map((window) => window.windowMs));
    const started = Date.now();
    for (let attempt = 0; attempt < 10; attempt += 1) {
      // Each attempt counts at its own time: a slot won after lost races is not stamped earlier than
      // the sends logged before it (the log would let a later burst through too soon).
      const now = at + (Date.now() - started);
      const current = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.rate(key), ConsistentRead: true }));
      const log = ((current.Item?.log as number[] | undefined) ?? []).filter((time) => time > now - longest);
      const wait = nextAllowedAt(log, windows, now);
      if (wait !== undefined) return wait;
      const version = (current.Item?.version as number | undefined) ?? 0;
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...keys.rate(key), log: [...log, now], version: version + 1, expiresAt: Math.ceil((now + longest) / 1000) + 60 },
            ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : '#version = :version',
            ...(version === 0 ? {} : { ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': version } }),
          }),
        );
        return undefined;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    return at + (Date.now() - started) + 100;
  }
}
