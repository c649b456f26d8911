import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logger } from '#lib/log.ts';
import { services } from '#lib/services/index.ts';
import type { Job } from '#lib/domain/job.ts';

/** Kept back from the function's timeout to record the runs. */
const reserveMs = 5_000;
/** SQS delays a message at most 15 minutes; a job due later is run by the minute sweep. */
const maxDelaySeconds = 900;

let sqs: SQSClient | undefined;

/**
 * Wakes jobs due later (a rate window that opens, a retry's backoff) at their time: a message per
 * job, delayed until then, on the wake-up queue that triggers this function again.
 */
async function wakeLater(jobs: readonly Job[]) {
  const queueUrl = process.env.JOB_WAKEUP_QUEUE_URL;
  if (!queueUrl || jobs.length === 0) return;
  sqs ??= new SQSClient({});
  const soon = jobs
    .map((job) => ({ job, delaySeconds: Math.ceil((new Date(job.dueAt).getTime() - Date.now()) / 1000) }))
    .filter(({ delaySeconds }) => delaySeconds <= maxDelaySeconds);
  for (let start = 0; start < soon.length; start += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: soon.slice(start, start + 10).map(({ job, delaySeconds }, index) => ({ Id: String(index), MessageBody: JSON.stringify({ jobId: job.id }), DelaySeconds: Math.max(0, delaySeconds) })),
      }),
    );
  }
}

type WorkerEvent = DynamoDBStreamEvent | SQSEvent;

/** The job ids a trigger names: new or moved jobs from the table's stream (not those a run holds), or wake-ups. */
function namedJobs(event: WorkerEvent): { id: string; recordId: string }[] {
  return event.Records.flatMap((record) => {
    if ('dynamodb' in record) {
      const image = record.dynamodb?.NewImage;
      const id = image?.id?.S;
      // A stream batch's failures are named by the record's sequence number.
      return id && image?.entity?.S === 'job' && !image.leaseToken ? [{ id, recordId: record.dynamodb?.SequenceNumber ?? id }] : [];
    }
    if ('body' in record) {
      const id = (JSON.parse(record.body) as { jobId?: unknown }).jobId;
      return typeof id === 'string' ? [{ id, recordId: record.messageId }] : [];
    }
    return [];
  });
}

/**
 * The job worker, triggered at once by the table's stream when a transaction writes a job, and by
 * delayed wake-ups for jobs due later. Jobs due now run (each under its lease); the others are
 * woken at their time. A run that fails is rescheduled by the worker itself (backoff, then dead),
 * so a batch fails only when the store cannot be reached: its records are retried, and then go to
 * the dead-letter queue.
 */
export const handler = async (event: WorkerEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> => {
  const named = namedJobs(event);
  if (named.length === 0) return { batchItemFailures: [] };
  const deadline = Date.now() + (context ? context.getRemainingTimeInMillis() - reserveMs : 50_000);
  try {
    const result = await services.worker().runNamed(
      named.map((job) => job.id),
      deadline,
    );
    await wakeLater(result.later);
    if (result.ran || result.failed) logger.info('jobs run', { ran: result.ran, failed: result.failed, later: result.later.length });
    return { batchItemFailures: [] };
  } catch (error) {
    logger.warn('the worker could not run its batch: it is retried', { error });
    return { batchItemFailures: named.map((job) => ({ itemIdentifier: job.recordId })) };
  }
};
