import { describe, expect, it } from 'vitest';
import { type JobKind, newJob } from '../../../lib/domain/job.ts';
import type { JobHandler } from '../../../lib/jobs/ports.ts';
import { JobWorker } from '../../../lib/jobs/worker.ts';
import { createLogger } from '../../../lib/log.ts';
import { MemoryStore } from '../../../lib/store/memory/memory-store.ts';

/** Lets every pending promise run: the in-memory store answers on the microtask queue, so a few turns settle everything. */
const settle = async () => {
  for (let turn = 0; turn < 10; turn += 1) await new Promise((resolve) => setImmediate(resolve));
};

const kinds: JobKind[] = ['callback.event', 'approval.check', 'approval.announce', 'approval.webhook', 'notification.dispatch'];
const start = Date.parse('2026-12-01T08:00:00.000Z');

/** A worker over the in-memory store on a fake clock; `handlers` replace the default (done at once). */
function workerWith(handlers: Partial<Record<JobKind, JobHandler>>) {
  const clock = { now: start };
  const store = new MemoryStore();
  const done = async () => undefined;
  const worker = new JobWorker({
    store: store.jobs,
    handlers: Object.fromEntries(kinds.map((kind) => [kind, handlers[kind] ?? done])) as Record<JobKind, JobHandler>,
    logger: createLogger({ level: 'error', write: () => undefined }),
    now: () => new Date(clock.now),
    leaseMs: 60_000,
  });
  const add = (kind: JobKind, subject: string) => store.jobsById.set(`${kind}#${subject}`, newJob(kind, subject, new Date(clock.now), new Date(clock.now)));
  return { clock, store, worker, add };
}

describe('JobWorker', () => {
  it('retries a failing job after 1, 2, 4 … s, then parks it dead after 10 failures with its last error', async () => {
    const { clock, store, worker, add } = workerWith({ 'approval.webhook': async () => Promise.reject(new Error('receiver down')) });
    add('approval.webhook', 'apr_1');
    const gaps: number[] = [];
    for (let run = 0; run < 12; run += 1) {
      const before = clock.now;
      await worker.runDue();
      const job = store.jobsById.get('approval.webhook#apr_1')!;
      if ((job as { dead?: boolean }).dead) break;
      clock.now = Date.parse(job.dueAt);
      gaps.push(clock.now - before);
    }
    expect(gaps).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000]);
    expect(store.jobsById.get('approval.webhook#apr_1')).toMatchObject({ attempts: 10, lastError: 'receiver down', dead: true });
    expect(await store.jobs.due(new Date(clock.now + 3_600_000), 10)).toEqual([]);
  });

  it('never parks a pending approval’s check: it is what ends the approval at its timeout', async () => {
    const { clock, store, worker, add } = workerWith({ 'approval.check': async () => Promise.reject(new Error('platform down')) });
    add('approval.check', 'apr_2');
    for (let run = 0; run < 15; run += 1) {
      await worker.runDue();
      clock.now = Date.parse(store.jobsById.get('approval.check#apr_2')!.dueAt);
    }
    expect(store.jobsById.get('approval.check#apr_2')).toMatchObject({ attempts: 15 });
    expect((store.jobsById.get('approval.check#apr_2') as { dead?: boolean }).dead).toBeUndefined();
  });

  it('runs a job again at the time its handler asks, and deletes it when the handler is done', async () => {
    let runs = 0;
    const { clock, store, worker, add } = workerWith({ 'notification.dispatch': async () => (++runs < 3 ? { dueAt: new Date(clock.now + 5000) } : undefined) });
    add('notification.dispatch', 'ntf_1');
    await worker.runDue();
    expect(store.jobsById.get('notification.dispatch#ntf_1')).toMatchObject({ dueAt: new Date(start + 5000).toISOString(), attempts: 0 });
    await worker.runDue();
    expect(runs).toBe(1);
    clock.now = start + 5000;
    await worker.runDue();
    clock.now = start + 10_000;
    await worker.runDue();
    expect(runs).toBe(3);
    expect(store.jobsById.has('notification.dispatch#ntf_1')).toBe(false);
  });

  it('keeps a job written again while it ran (its record changed): the newer job wins over the run’s outcome', async () => {
    const { clock, store, worker, add } = workerWith({
      'approval.announce': async () => {
        // The record changes during the run and writes its job again, due later.
        store.jobsById.set('approval.announce#apr_3', newJob('approval.announce', 'apr_3', new Date(clock.now + 30_000), new Date(clock.now)));
      },
    });
    add('approval.announce', 'apr_3');
    await worker.runDue();
    expect(store.jobsById.get('approval.announce#apr_3')?.dueAt).toBe(new Date(start + 30_000).toISOString());
  });

  it('runs each kind in its own lane: webhooks that never answer hold no other kind back', async () => {
    const hanging: (() => void)[] = [];
    const ran: string[] = [];
    const { worker, add } = workerWith({
      'approval.webhook': () => new Promise<undefined>((resolve) => hanging.push(() => resolve(undefined))),
      'approval.check': async (job) => void ran.push(job.subject),
      'notification.dispatch': async (job) => void ran.push(job.subject),
    });
    for (let index = 0; index < 12; index += 1) add('approval.webhook', `hook_${index}`);
    add('approval.check', 'apr_timeout');
    add('notification.dispatch', 'ntf_queued');
    const run = worker.runDue();
    await settle();
    // Assess: 8 webhooks in flight (their lane's width), and the other kinds already done
    expect(hanging).toHaveLength(8);
    expect(ran.sort()).toEqual(['apr_timeout', 'ntf_queued']);
    while (hanging.length) hanging.shift()!();
    await settle();
    while (hanging.length) hanging.shift()!();
    expect(await run).toEqual({ ran: 14, failed: 0 });
  });
});
