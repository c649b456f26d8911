import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Job } from '#lib/domain/job.ts';
import type { JobWorker } from '#lib/jobs/worker.ts';
import { type Logger, logger } from '#lib/log.ts';
import { services } from '#lib/services/index.ts';
import { tableSchema } from '#lib/store/table-schema.ts';

/** Kept back from the function's timeout to record the runs. */
const reserveMs = 5_000;
/** SQS delays a message at most 15 minutes; a job due later is run by the minute sweep. */
const maxDelaySeconds = 900;

type WorkerEvent = DynamoDBStreamEvent | SQSEvent;

/** A wake-up: the job's id, and how long SQS keeps it back (seconds). */
export interface WakeUp {
  jobId: string;
  delaySeconds: number;
}

/** The job ids a trigger names: new or moved jobs from the table's stream (not those a run holds), or wake-ups. */
function namedJobs(event: WorkerEvent): { id: string; recordId: string }[] {
  return event.Records.flatMap((record) => {
    if ('dynamodb' in record) {
      const image = record.dynamodb?.NewImage;
      const id = image?.id?.S;
      const isJob = image?.[tableSchema.jobEntity.attribute]?.S === tableSchema.jobEntity.value;
      // A stream batch's failures are named by the record's sequence number.
      return id && isJob && !image.leaseToken ? [{ id, recordId: record.dynamodb?.SequenceNumber ?? id }] : [];
    }
    if ('body' in record) {
      const id = (JSON.parse(record.body) as { jobId?: unknown }).jobId;
      return typeof id === 'string' ? [{ id, recordId: record.messageId }] : [];
    }
    return [];
  });
}

/**
 * The job worker's handler, triggered at once by the table's stream when a transaction writes a
 * job, and by delayed wake-ups for jobs due later. Jobs due now run (each under its lease); those
 * due within 15 minutes are woken at their time (`wake`); later ones are the sweep's. A run that
 * fails is rescheduled by the worker itself (backoff, then dead), so a batch fails only when the
 * store cannot be reached: its records are retried, then go to the dead-letter queue.
 */
export function createWorkerHandler(deps: { worker: () => JobWorker; wake: (wakeUps: WakeUp[]) => Promise<void>; logger: Logger }) {
  return async (event: WorkerEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> => {
    const named = namedJobs(event);
    if (named.length === 0) return { batchItemFailures: [] };
    const deadline = Date.now() + (context ? context.getRemainingTimeInMillis() - reserveMs : 50_000);
    try {
      const result = await deps.worker().runNamed(
        named.map((job) => job.id),
        deadline,
      );
      const wakeUps = result.later
        .map((job) => ({ jobId: job.id, delaySeconds: Math.max(0, Math.ceil((Date.parse(job.dueAt) - Date.now()) / 1000)) }))
        .filter((wakeUp) => wakeUp.delaySeconds <= maxDelaySeconds);
      if (wakeUps.length > 0) await deps.wake(wakeUps);
      if (result.ran || result.failed) deps.logger.info('jobs run', { ran: result.ran, failed: result.failed, later: result.later.length });
      return { batchItemFailures: [] };
    } catch (error) {
      deps.logger.warn('the worker could not run its batch: it is retried', { error });
      return { batchItemFailures: named.map((job) => ({ itemIdentifier: job.recordId })) };
    }
  };
}

let sqs: SQSClient | undefined;

/** Wake-ups go to the queue that triggers this function again, each delayed until its job is due. */
async function sendWakeUps(wakeUps: WakeUp[]) {
  const queueUrl = process.env.JOB_WAKEUP_QUEUE_URL;
  if (!queueUrl) return;
  sqs ??= new SQSClient({});
  for (let start = 0; start < wakeUps.length; start += 10) {
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: wakeUps.slice(start, start + 10).map((wakeUp, index) => ({ Id: String(index), MessageBody: JSON.stringify({ jobId: wakeUp.jobId }), DelaySeconds: wakeUp.delaySeconds })),
      }),
    );
    // A wake-up SQS did not take fails the batch: its records come again, and their jobs are woken then.
    if (sent.Failed?.length) throw new Error(`SQS refused ${sent.Failed.length} wake-up(s): ${sent.Failed[0]!.Code}`);
  }
}

export const handler = createWorkerHandler({ worker: services.worker, wake: sendWakeUps, logger });
