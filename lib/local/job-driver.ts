import type { Job, JobKind } from '../domain/job.ts';
import { commitSignals } from '../jobs/signals.ts';
import type { JobWorker } from '../jobs/worker.ts';
import type { Logger } from '../log.ts';

/** The longest a Node timer waits; a job due later is run by the sweep. */
const maxTimerMs = 2 ** 31 - 1;

/**
 * The local runtime's trigger, in place of AWS's stream and delayed wake-ups: every job a commit
 * writes is run the moment it is due, in this process. The sweep on a timer still runs what this
 * missed (jobs left by an earlier process).
 */
export function startLocalJobDriver(worker: () => JobWorker, logger: Logger): { idle(): Promise<void>; stop(): Promise<void> } {
  /** Each waiting timer and when it fires (epoch ms). */
  const timers = new Map<NodeJS.Timeout, number>();
  const running = new Set<Promise<unknown>>();
  // Each kind runs in its own lane, as wide as the worker's (in AWS the stream's shards bound it):
  // a burst of commits queues here instead of flooding the store.
  const lanes = new Map<JobKind, { waiting: string[]; active: number }>();
  let stopped = false;
  const pump = (kind: JobKind) => {
    const lane = lanes.get(kind)!;
    while (!stopped && lane.active < worker().concurrencyOf(kind) && lane.waiting.length > 0) {
      const id = lane.waiting.shift()!;
      lane.active += 1;
      const done: Promise<unknown> = worker()
        .run(id)
        .catch((error: unknown) => logger.warn('a job run failed', { jobId: id, error }))
        .finally(() => {
          running.delete(done);
          lane.active -= 1;
          pump(kind);
        });
      running.add(done);
    }
  };
  const run = (job: Pick<Job, 'id' | 'kind'>) => {
    if (stopped) return;
    const lane = lanes.get(job.kind) ?? { waiting: [], active: 0 };
    lanes.set(job.kind, lane);
    if (!lane.waiting.includes(job.id)) lane.waiting.push(job.id);
    pump(job.kind);
  };
  // Node may fire a timer a little before its delay by the wall clock (the lease compares that): a
  // timer that is early is armed again for the rest, so no job is left for the sweep.
  const arm = (job: Pick<Job, 'id' | 'kind' | 'dueAt'>) => {
    const due = Date.parse(job.dueAt);
    const delay = Math.min(Math.max(0, due - Date.now()), maxTimerMs);
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (Date.now() < due && delay < maxTimerMs) arm(job);
      else run(job);
    }, delay);
    timer.unref();
    timers.set(timer, Date.now() + delay);
  };
  const stopListening = commitSignals.onJobs((jobs) => {
    for (const job of jobs) arm(job);
  });
  return {
    /** Resolves once no job runs and none is due now (what a commit just set off has run). */
    async idle() {
      for (;;) {
        const dueNow = [...timers.values()].some((at) => at <= Date.now() + 10);
        const queued = [...lanes.values()].some((lane) => lane.waiting.length > 0);
        if (!dueNow && !queued && running.size === 0) return;
        if (running.size > 0) await Promise.allSettled([...running]);
        else await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async stop() {
      stopped = true;
      stopListening();
      for (const timer of timers.keys()) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...running]);
    },
  };
}
