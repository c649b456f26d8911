import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Job } from '../../domain/job.ts';
import type { CallbackEventRepository } from '../repository.ts';
import { writeWithJobs } from './jobs.ts';
import { keys } from './keys.ts';

/** Platforms retry for up to ~7 h (Feishu); dedupe records outlive that comfortably. */
const eventRecordTtlSeconds = 48 * 3600;

export class DynamoCallbackEventRepository implements CallbackEventRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  claim({ integrationId, eventId, eventType, now, job }: { integrationId: string; eventId: string; eventType: string; now: Date; job?: Job }): Promise<boolean> {
    return writeWithJobs(
      this.client,
      this.tableName,
      {
        Put: {
          Item: {
            ...keys.callbackEvent(integrationId, eventId),
            integrationId,
            eventType,
            receivedAt: now.toISOString(),
            expiresAt: Math.floor(now.getTime() / 1000) + eventRecordTtlSeconds,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      job ? [job] : [],
    );
  }
}
