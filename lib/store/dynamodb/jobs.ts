import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, DeleteCommand, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Job } from '../../domain/job.ts';
import type { JobStore, LeasedJob } from '../../jobs/ports.ts';
import { commitSignals } from '../../jobs/signals.ts';
import { failedConditions, isConditionFailure } from './conditions.ts';
import { tableSchema } from '../table-schema.ts';
import { queryDue } from './index-queries.ts';
import { keys, stripKeys } from './keys.ts';

/** Jobs wait in the sparse GSI2 under `JOB` by due time; a dead one moves to `JOBDEAD`, where nothing runs it. */
const duePartition = 'JOB';
const deadPartition = 'JOBDEAD';

/** A job as stored: `entity` lets the stream's filter pass only jobs to the worker. */
export const jobItem = (job: Job) => ({ ...keys.job(job.id), [tableSchema.jobEntity.attribute]: tableSchema.jobEntity.value, gsi2pk: duePartition, gsi2sk: `${job.dueAt}#${job.id}`, ...job });

/**
 * One record's write and the jobs it sets off, in one transaction (the outbox): both happen or
 * neither. `write` is the record's put or update with its condition; false when that condition
 * failed (a lost race). After the commit, the process's listeners hear of it (`commitSignals`).
 */
export async function writeWithJobs(
  client: DynamoDBDocumentClient,
  tableName: string,
  write: { Put: Record<string, unknown> } | { Update: Record<string, unknown> },
  jobs: readonly Job[],
  recordId?: string,
): Promise<boolean> {
  const unique = [...new Map(jobs.map((job) => [job.id, job])).values()];
  try {
    if (unique.length === 0) {
      if ('Put' in write) await client.send(new PutCommand({ TableName: tableName, ...write.Put } as never));
      else await client.send(new UpdateCommand({ TableName: tableName, ...write.Update } as never));
    } else {
      const primary = 'Put' in write ? { Put: { TableName: tableName, ...write.Put } } : { Update: { TableName: tableName, ...write.Update } };
      await client.send(new TransactWriteCommand({ TransactItems: [primary as never, ...unique.map((job) => ({ Put: { TableName: tableName, Item: jobItem(job) } }))] }));
    }
  } catch (error) {
    if (isConditionFailure(error) || failedConditions(error)?.includes(0)) return false;
    throw error;
  }
  commitSignals.jobsWritten(unique);
  if (recordId) commitSignals.recordChanged(recordId);
  return true;
}

export class DynamoJobStore implements JobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async due(now: Date, limit: number): Promise<Job[]> {
    return (await queryDue<Job & { entity?: string; leaseToken?: string }>(this.client, this.tableName, duePartition, now, limit)).map(toJob);
  }

  async get(id: string): Promise<Job | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.job(id), ConsistentRead: true }));
    return result.Item ? toJob(stripKeys(result.Item)) : undefined;
  }

  async lease(id: string, now: Date, until: Date): Promise<LeasedJob | undefined> {
    const token = randomUUID();
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.job(id),
          UpdateExpression: 'SET gsi2sk = :leaseKey, dueAt = :until, leaseToken = :token',
          ConditionExpression: 'gsi2pk = :due AND gsi2sk <= :nowKey',
          ExpressionAttributeValues: { ':leaseKey': `${until.toISOString()}#${id}`, ':until': until.toISOString(), ':token': token, ':due': duePartition, ':nowKey': `${now.toISOString()}#~` },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return { ...toJob(stripKeys(result.Attributes ?? {})), token };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async complete(job: LeasedJob): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({ TableName: this.tableName, Key: keys.job(job.id), ConditionExpression: 'leaseToken = :token', ExpressionAttributeValues: { ':token': job.token } }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async reschedule(job: LeasedJob, next: { dueAt: Date; attempts: number; lastError?: string; dead?: boolean }): Promise<boolean> {
    const dueAt = next.dueAt.toISOString();
    const rescheduled: Job = { ...toJob(job), dueAt, attempts: next.attempts, ...(next.lastError ? { lastError: next.lastError } : {}) };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...jobItem(rescheduled), ...(next.dead ? { gsi2pk: deadPartition } : {}) },
          ConditionExpression: 'leaseToken = :token',
          ExpressionAttributeValues: { ':token': job.token },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
    if (!next.dead) commitSignals.jobsWritten([rescheduled]);
    return true;
  }
}

function toJob(item: Job & { entity?: string; leaseToken?: string; token?: string }): Job {
  const { entity: _entity, leaseToken: _lease, token: _token, ...job } = item;
  return job;
}
