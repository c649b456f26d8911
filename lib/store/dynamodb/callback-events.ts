import { type DynamoDBDocumentClient, DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CallbackEventRepository } from '../repository.ts';
import { keys } from './keys.ts';

/** Platforms retry for up to ~7 h (Feishu); dedupe records outlive that comfortably. */
const eventRecordTtlSeconds = 48 * 3600;
/** How long an in-progress claim blocks others before a retry may take it over. */
const claimLeaseMs = 60_000;

export class DynamoCallbackEventRepository implements CallbackEventRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim({ integrationId, eventId, eventType, now }: { integrationId: string; eventId: string; eventType: string; now: Date }): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.callbackEvent(integrationId, eventId),
            integrationId,
            eventType,
            status: 'in_progress',
            leaseUntil: now.getTime() + claimLeaseMs,
            receivedAt: now.toISOString(),
            expiresAt: Math.floor(now.getTime() / 1000) + eventRecordTtlSeconds,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR (#status = :inProgress AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': 'in_progress', ':now': now.getTime() },
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async complete(integrationId: string, eventId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.callbackEvent(integrationId, eventId),
        UpdateExpression: 'SET #status = :done REMOVE leaseUntil',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':done': 'done' },
      }),
    );
  }

  async release(integrationId: string, eventId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: keys.callbackEvent(integrationId, eventId) }));
  }
}
