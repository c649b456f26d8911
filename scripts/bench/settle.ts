import { setTimeout as sleep } from 'node:timers/promises';
import { services } from '../../lib/services/index.ts';
import { dynamoDocumentClient } from '../../lib/store/dynamodb-client.ts';
import { DynamoJobStore } from '../../lib/store/dynamodb/jobs.ts';
import type { BenchStack } from './stack.ts';

/**
 * Waits until no job of an earlier suite is due within the next `windowMs` (each approval's first
 * check, a notification's fallback dispatch: a minute after they were written), so that a suite
 * that counts DynamoDB or platform calls, or measures memory, counts its own work only. A job
 * that is due but that its trigger missed is run by the sweep, as the runtime's minute timer
 * would (`swept` counts them). Gives up after `maxWaitMs`; returns how long it waited and how
 * many jobs were still due in the window.
 */
export async function settle(stack: BenchStack, windowMs: number, maxWaitMs = 120_000): Promise<{ waitedMs: number; jobsLeft: number; swept: number }> {
  const store = new DynamoJobStore(dynamoDocumentClient(), stack.tableName);
  const started = Date.now();
  let swept = 0;
  for (;;) {
    await stack.runtime.idle();
    swept += (await services.worker().runDue()).ran;
    const soon = await store.due(new Date(Date.now() + windowMs), 1000);
    const waitedMs = Date.now() - started;
    if (soon.length === 0 || waitedMs >= maxWaitMs) return { waitedMs, jobsLeft: soon.length, swept };
    const last = Math.max(...soon.map((job) => new Date(job.dueAt).getTime()));
    await sleep(Math.min(Math.max(last - Date.now(), 0) + 300, maxWaitMs - waitedMs));
  }
}
