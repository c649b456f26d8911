import { type Job, type JobKind, jobRetryMs, maxJobAttempts } from '../domain/job.ts';
import type { Logger } from '../log.ts';
import type { JobHandlers, JobStore, LeasedJob } from './ports.ts';

export interface JobWorkerOptions {
  store: JobStore;
  handlers: JobHandlers;
  logger: Logger;
  /** How long a run owns its job before it is due again (a crash). Longer than any run. @default 60000 */
  leaseMs?: number;
  /**
   * Runs at once per kind. Each kind has its own lane, so receivers that never answer hold back
   * only webhook slots, never a timeout or a queued message. @default 8 for every kind, 32 for
   * `notification.dispatch`
   */
  concurrency?: Partial<Record<JobKind, number>>;
  now?: () => Date;
}

/**
 * Kinds that never die: a pending approval's check is what ends it at its timeout (past the grace,
 * without a platform read), so it is retried for as long as the approval is pending.
 */
const neverDead = new Set<JobKind>(['approval.check']);

export const defaultConcurrency: Record<JobKind, number> = {
  'approval.nudge': 8,
  'approval.cards': 8,
  'callback.event': 8,
  'approval.check': 8,
  'approval.announce': 8,
  'approval.webhook': 8,
  // A dispatch mostly waits (for the platform, and for its window's opening, up to `openingWaitMs`):
  // a burst's queued sends are woken together a second before their openings, and each keeps its slot.
  'notification.dispatch': 32,
};

export interface RunSummary {
  ran: number;
  failed: number;
}

/**
 * The one worker: runs due jobs by kind. It is woken by what wrote them (the DynamoDB stream in
 * AWS, the commit in the local runtime), by a delayed wake-up for jobs due later, and by the
 * minute sweep that catches what a trigger missed. Every run holds a lease, so two wakers never
 * run one job at once, and a run's outcome is recorded only by the holder.
 */
export class JobWorker {
  private readonly now: () => Date;
  private readonly leaseMs: number;

  constructor(private readonly options: JobWorkerOptions) {
    this.now = options.now ?? (() => new Date());
    this.leaseMs = options.leaseMs ?? 60_000;
  }

  /** The sweep: every job due now, up to `limit`, each kind in its own lane; none starts after `deadline` (epoch ms). */
  async runDue(limit = 100, deadline = Number.POSITIVE_INFINITY): Promise<RunSummary> {
    const due = await this.options.store.due(this.now(), limit);
    return this.runAll(due, deadline);
  }

  /**
   * The jobs a trigger named (stream records, wake-ups): those due run now; the others are returned,
   * for the trigger to wake them at their time.
   */
  async runNamed(ids: readonly string[], deadline = Number.POSITIVE_INFINITY): Promise<RunSummary & { later: Job[] }> {
    const found = (await Promise.all([...new Set(ids)].map((id) => this.options.store.get(id)))).filter((job): job is Job => job !== undefined);
    const now = this.now().toISOString();
    const summary = await this.runAll(
      found.filter((job) => job.dueAt <= now),
      deadline,
    );
    return { ...summary, later: found.filter((job) => job.dueAt > now) };
  }

  private async runAll(jobs: readonly Job[], deadline: number): Promise<RunSummary> {
    const lanes = new Map<JobKind, Job[]>();
    for (const job of jobs) lanes.set(job.kind, [...(lanes.get(job.kind) ?? []), job]);
    const summary: RunSummary = { ran: 0, failed: 0 };
    await Promise.all(
      [...lanes].map(async ([kind, queue]) => {
        const slots = this.concurrencyOf(kind);
        const take = async () => {
          for (let job = queue.shift(); job && Date.now() < deadline; job = queue.shift()) {
            const outcome = await this.run(job.id, deadline);
            if (outcome === 'ran') summary.ran += 1;
            if (outcome === 'failed') summary.failed += 1;
          }
        };
        await Promise.all(Array.from({ length: Math.min(slots, queue.length) }, take));
      }),
    );
    return summary;
  }

  /** How many jobs of this kind run at once (the width of its lane). */
  concurrencyOf(kind: JobKind): number {
    return Math.max(1, this.options.concurrency?.[kind] ?? defaultConcurrency[kind]);
  }

  /** Leases, runs and records one job; 'skipped' when another run holds it or it is gone or not due. */
  async run(id: string, deadline = Number.POSITIVE_INFINITY): Promise<'ran' | 'failed' | 'skipped'> {
    const now = this.now();
    let job: LeasedJob | undefined;
    try {
      job = await this.options.store.lease(id, now, new Date(now.getTime() + this.leaseMs));
    } catch (error) {
      this.options.logger.warn('a job could not be leased', { jobId: id, error });
      return 'failed';
    }
    if (!job) return 'skipped';
    try {
      // A run must be over before its lease ends, or another could start it a second time: handlers
      // bound their waits (a webhook attempt) by this deadline.
      const outcome = await this.options.handlers[job.kind](job, Math.min(deadline, now.getTime() + this.leaseMs * 0.8));
      if (outcome) await this.options.store.reschedule(job, { dueAt: outcome.dueAt, attempts: job.attempts });
      else await this.options.store.complete(job);
      return 'ran';
    } catch (error) {
      const attempts = job.attempts + 1;
      const dead = attempts >= maxJobAttempts && !neverDead.has(job.kind);
      const message = error instanceof Error ? error.message : String(error);
      if (dead) this.options.logger.error('job dead: it failed every attempt and will not run again', { jobId: job.id, kind: job.kind, attempts, error });
      else this.options.logger.warn('job failed: it runs again later', { jobId: job.id, kind: job.kind, attempts, error });
      await this.options.store
        .reschedule(job, { dueAt: new Date(this.now().getTime() + jobRetryMs(attempts)), attempts, lastError: message.slice(0, 500), dead })
        .catch((recordError: unknown) => this.options.logger.warn('a failed job could not be rescheduled: its lease runs out and it is due again then', { jobId: job.id, error: recordError }));
      return 'failed';
    }
  }
}
