import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { IntegrationActivity, IntegrationActivityRepository } from '../repository.ts';
import { keys, stripKeys } from './keys.ts';

/** How often refused platform calls may write their error: a burst of them costs a write a minute. */
const errorWriteIntervalMs = 60_000;

/**
 * The setup check's notes on an integration's callback path and platform calls, in their own item beside the
 * integration (`INT#id` / `ACTIVITY`): plain `SET`s that never touch the integration's version.
 */
export class DynamoIntegrationActivityRepository implements IntegrationActivityRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(integrationId: string): Promise<IntegrationActivity> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.integrationActivity(integrationId), ConsistentRead: true }));
    return result.Item ? stripKeys<IntegrationActivity>(result.Item) : {};
  }

  async noteHandshake(integrationId: string, at: Date): Promise<void> {
    await this.set(integrationId, 'SET handshakeAt = :at', { ':at': at.toISOString() });
  }

  async noteEvent(integrationId: string, eventType: string, at: Date): Promise<void> {
    await this.set(integrationId, 'SET lastEventAt = :at, lastEventType = :type', { ':at': at.toISOString(), ':type': eventType.slice(0, 128) });
  }

  async notePlatformError(integrationId: string, error: { platformCode: string | number; message: string }, at: Date): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.integrationActivity(integrationId),
          UpdateExpression: 'SET lastPlatformError = :error',
          ConditionExpression: 'attribute_not_exists(lastPlatformError) OR lastPlatformError.#at < :since',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: {
            ':error': { at: at.toISOString(), platformCode: typeof error.platformCode === 'string' ? error.platformCode.slice(0, 64) : error.platformCode, message: error.message.slice(0, 300) },
            ':since': new Date(at.getTime() - errorWriteIntervalMs).toISOString(),
          },
        }),
      );
    } catch (caught) {
      if ((caught as Error).name !== 'ConditionalCheckFailedException') throw caught;
    }
  }

  private async set(integrationId: string, expression: string, values: Record<string, string>) {
    await this.client.send(new UpdateCommand({ TableName: this.tableName, Key: keys.integrationActivity(integrationId), UpdateExpression: expression, ExpressionAttributeValues: values }));
  }
}
