import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Job } from '../../domain/job.ts';
import type { NotificationListRequest, NotificationRecord, NotificationRepository, Page } from '../repository.ts';
import { putOnce } from './conditions.ts';
import { writeWithJobs } from './jobs.ts';
import { queryListing } from './index-queries.ts';
import { keys, listings, stripKeys } from './keys.ts';

export class DynamoNotificationRepository implements NotificationRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private item(notification: NotificationRecord) {
    return { ...keys.notification(notification.id), gsi1pk: listings.notification, gsi1sk: `${notification.createdAt}#${notification.id}`, ...notification };
  }

  async create(notification: NotificationRecord, jobs: readonly Job[] = []): Promise<{ created: boolean; notification: NotificationRecord }> {
    const { created, record } = await putOnce(
      this.client,
      this.tableName,
      this.item(notification),
      notification.idempotencyKey && {
        item: { ...keys.notificationKey(notification.integrationId, notification.idempotencyKey), notificationId: notification.id },
        original: () => this.byIdempotencyKey(notification.integrationId, notification.idempotencyKey!),
      },
      jobs,
    );
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

  save(next: NotificationRecord, previous: NotificationRecord, jobs: readonly Job[] = []): Promise<boolean> {
    return writeWithJobs(
      this.client,
      this.tableName,
      { Put: { Item: this.item(next), ConditionExpression: '#version = :version', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': previous.version } } },
      jobs,
      next.id,
    );
  }

  list(request: NotificationListRequest): Promise<Page<NotificationRecord>> {
    const filter = request.integrationId ? { expression: 'integrationId = :integrationId', values: { ':integrationId': request.integrationId } } : undefined;
    return queryListing<NotificationRecord>(this.client, this.tableName, listings.notification, request, filter);
  }
}
