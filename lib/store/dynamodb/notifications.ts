import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { NotificationRecord, NotificationRepository } from '../repository.ts';
import { isConditionFailure, putOnce } from './conditions.ts';
import { queryDue } from './index-queries.ts';
import { keys, stripKeys } from './keys.ts';

export class DynamoNotificationRepository implements NotificationRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Notifications with a queued delivery sit in the sparse GSI2 under `NOTIFY`, by the earliest due time. */
  private item(notification: NotificationRecord) {
    const due = notification.deliveries.filter((delivery) => delivery.status === 'queued').map((delivery) => delivery.nextAttemptAt ?? notification.updatedAt).sort()[0];
    return { ...keys.notification(notification.id), ...(due ? { gsi2pk: 'NOTIFY', gsi2sk: `${due}#${notification.id}` } : {}), ...notification };
  }

  async create(notification: NotificationRecord): Promise<{ created: boolean; notification: NotificationRecord }> {
    const { created, record } = await putOnce(this.client, this.tableName, this.item(notification), notification.idempotencyKey && {
      item: { ...keys.notificationKey(notification.integrationId, notification.idempotencyKey), notificationId: notification.id },
      original: () => this.byIdempotencyKey(notification.integrationId, notification.idempotencyKey!),
    });
    return { created, notification: record ?? notification };
  }

  async get(id: string): Promise<NotificationRecord | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.notification(id), ConsistentRead: true }));
    return result.Item ? stripKeys<NotificationRecord>(result.Item) : undefined;
  }

  async byIdempotencyKey(integrationId: string, key: string): Promise<NotificationRecord | undefined> {
    const existing = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.notificationKey(integrationId, key), ConsistentRead: true }));
    return existing.Item ? this.get(existing.Item.notificationId as string) : undefined;
  }

  async save(next: NotificationRecord, previous: NotificationRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.item(next),
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': previous.version },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  due(now: Date, limit: number): Promise<NotificationRecord[]> {
    return queryDue<NotificationRecord>(this.client, this.tableName, 'NOTIFY', now, limit);
  }
}
