import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createWorkerHandler, type WakeUp } from '../../functions/worker.ts';
import { type Job, type JobKind, newJob } from '../../lib/domain/job.ts';
import { JobWorker } from '../../lib/jobs/worker.ts';
import { createLogger } from '../../lib/log.ts';
import { jobItem } from '../../lib/store/dynamodb/jobs.ts';
import { MemoryStore } from '../../lib/store/memory/memory-store.ts';

const kinds: JobKind[] = ['callback.event', 'approval.check', 'approval.announce', 'approval.webhook', 'notification.dispatch'];

function setup(options: { failingStore?: boolean } = {}) {
  const store = new MemoryStore();
  const ran: string[] = [];
  const wakeUps: WakeUp[] = [];
  if (options.failingStore) store.jobs.get = async () => Promise.reject(Object.assign(new Error('store down'), { name: 'InternalServerError' }));
  const worker = new JobWorker({
    store: store.jobs,
    handlers: Object.fromEntries(kinds.map((kind) => [kind, async (job: Job) => void ran.push(job.id)])) as never,
    logger: createLogger({ level: 'error', write: () => undefined }),
  });
  const handler = createWorkerHandler({ worker: () => worker, wake: async (batch) => void wakeUps.push(...batch), logger: createLogger({ level: 'error', write: () => undefined }) });
  const add = (job: Job) => store.jobsById.set(job.id, job);
  return { store, ran, wakeUps, handler, add };
}

/** A DynamoDB stream record as Lambda delivers it: the new image in DynamoDB's attribute-value form. */
function streamRecord(job: Job, sequence: string, extra: Record<string, { S: string }> = {}) {
  const image: Record<string, { S: string } | { N: string }> = {};
  for (const [name, value] of Object.entries(jobItem(job))) {
    if (typeof value === 'string') image[name] = { S: value };
    if (typeof value === 'number') image[name] = { N: String(value) };
  }
  return { eventID: `evt-${sequence}`, eventName: 'INSERT', eventSource: 'aws:dynamodb', dynamodb: { SequenceNumber: sequence, NewImage: { ...image, ...extra } } };
}
const streamEvent = (...records: ReturnType<typeof streamRecord>[]) => ({ Records: records }) as unknown as DynamoDBStreamEvent;
const sqsEvent = (...ids: string[]) => ({ Records: ids.map((id, index) => ({ messageId: `m-${index}`, body: JSON.stringify({ jobId: id }), eventSource: 'aws:sqs' })) }) as unknown as SQSEvent;

describe('worker handler', () => {
  it('runs a job the stream names as soon as it is written', async () => {
    const { ran, wakeUps, handler, add } = setup();
    const job = newJob('approval.webhook', 'apr_1', new Date(), new Date());
    add(job);
    expect(await handler(streamEvent(streamRecord(job, '100')))).toEqual({ batchItemFailures: [] });
    expect(ran).toEqual([job.id]);
    expect(wakeUps).toEqual([]);
  });

  it('wakes a job due within 15 minutes at its time through the delayed queue, and leaves a later one to the sweep', async () => {
    const { ran, wakeUps, handler, add } = setup();
    const soon = newJob('notification.dispatch', 'ntf_1', new Date(Date.now() + 300_000), new Date());
    const later = newJob('approval.check', 'apr_2', new Date(Date.now() + 2 * 3600_000), new Date());
    add(soon);
    add(later);
    await handler(streamEvent(streamRecord(soon, '101'), streamRecord(later, '102')));
    expect(ran).toEqual([]);
    expect(wakeUps).toHaveLength(1);
    expect(wakeUps[0]!.jobId).toBe(soon.id);
    expect(wakeUps[0]!.delaySeconds).toBeGreaterThan(290);
    expect(wakeUps[0]!.delaySeconds).toBeLessThanOrEqual(300);
  });

  it('ignores the stream records of its own lease writes', async () => {
    const { ran, handler, add } = setup();
    const job = newJob('approval.announce', 'apr_3', new Date(), new Date());
    add(job);
    await handler(streamEvent(streamRecord(job, '103', { leaseToken: { S: 'held-elsewhere' } })));
    expect(ran).toEqual([]);
  });

  it('runs the job a wake-up names', async () => {
    const { ran, handler, add } = setup();
    const job = newJob('notification.dispatch', 'ntf_2', new Date(), new Date());
    add(job);
    await handler(sqsEvent(job.id));
    expect(ran).toEqual([job.id]);
  });

  it('fails the whole batch by sequence number (stream) or message id (queue) when the store cannot be reached', async () => {
    const { handler } = setup({ failingStore: true });
    const job = newJob('approval.webhook', 'apr_4', new Date(), new Date());
    expect(await handler(streamEvent(streamRecord(job, '104')))).toEqual({ batchItemFailures: [{ itemIdentifier: '104' }] });
    expect(await handler(sqsEvent(job.id))).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-0' }] });
  });
});
