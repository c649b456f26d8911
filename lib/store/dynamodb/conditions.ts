import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Job } from '../../domain/job.ts';
import { ConflictError } from '../../errors.ts';
import { commitSignals } from '../../jobs/signals.ts';
import { jobItem } from './jobs.ts';

export const isConditionFailure = (error: unknown) => (error as { name?: string }).name === 'ConditionalCheckFailedException';

/** Which items of a cancelled transaction failed their condition (by index). */
export function failedConditions(error: unknown): number[] | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  return (error.CancellationReasons ?? []).flatMap((reason, index) => (reason.Code === 'ConditionalCheckFailed' ? [index] : []));
}

/**
 * Puts a new item, with an idempotency key also the key's lock item, and the jobs it sets off, in
 * one transaction. When the key was used before, stores nothing and returns the record that key made.
 */
export async function putOnce<T>(
  client: DynamoDBDocumentClient,
  tableName: string,
  item: Record<string, unknown>,
  idempotency: { item: Record<string, unknown>; original: () => Promise<T | undefined> } | undefined | '',
  jobs: readonly Job[] = [],
): Promise<{ created: boolean; record?: T }> {
  const put = (value: Record<string, unknown>) => ({ Put: { TableName: tableName, Item: value, ConditionExpression: 'attribute_not_exists(pk)' } });
  try {
    await client.send(
      new TransactWriteCommand({
        TransactItems: [put(item), ...(idempotency ? [put(idempotency.item)] : []), ...jobs.map((job) => ({ Put: { TableName: tableName, Item: jobItem(job) } }))],
      }),
    );
    commitSignals.jobsWritten(jobs);
    return { created: true };
  } catch (error) {
    if (!idempotency || !failedConditions(error)?.includes(1)) throw error;
    const original = await idempotency.original();
    if (!original) throw new ConflictError('this idempotencyKey is being used by a request in progress; retry shortly', { code: 'idempotency_in_progress' });
    return { created: false, record: original };
  }
}
