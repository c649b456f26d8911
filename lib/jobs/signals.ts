import { EventEmitter } from 'node:events';
import type { Job } from '../domain/job.ts';

/**
 * In-process news of committed writes: the jobs a transaction wrote, and the records it changed.
 * The local runtime's worker listens for jobs and long-polls listen for their approval, so both
 * act the moment a commit lands. In AWS nobody in the writing process listens: the DynamoDB
 * stream starts the worker, and a long-poll re-reads (see `ApprovalService.get`).
 */
export class CommitSignals {
  private readonly emitter = new EventEmitter();

  constructor() {
    // The job driver, and in tests and the bench their own listeners: several at once, not a leak.
    this.emitter.setMaxListeners(0);
  }

  jobsWritten(jobs: readonly Job[]) {
    if (jobs.length > 0) this.emitter.emit('jobs', jobs);
  }

  onJobs(listener: (jobs: readonly Job[]) => void): () => void {
    this.emitter.on('jobs', listener);
    return () => this.emitter.off('jobs', listener);
  }

  /** Held long-polls by the record they wait for. */
  private readonly byRecord = new Map<string, Set<Waiter>>();
  /** Held long-polls by the tick (`tickMs`) their time runs out in: one timer per tick, not one per waiter. */
  private readonly byTick = new Map<number, { timer: NodeJS.Timeout; waiters: Set<Waiter> }>();

  recordChanged(id: string) {
    const waiting = this.byRecord.get(id);
    if (waiting) for (const waiter of waiting) this.settle(waiter);
  }

  /**
   * Resolves at the next commit that changes record `id`, or once `timeoutMs` has passed (at the end
   * of its 50 ms tick). Hundreds of long-polls wait here at once: each holds its promise and a small
   * entry in two sets; the waiters whose time runs out in the same tick share one timer.
   */
  nextChange(id: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter: Waiter = { id, tick: Math.ceil((Date.now() + Math.max(0, timeoutMs)) / tickMs), resolve };
      const forRecord = this.byRecord.get(id);
      if (forRecord) forRecord.add(waiter);
      else this.byRecord.set(id, new Set([waiter]));
      const due = this.byTick.get(waiter.tick);
      if (due) due.waiters.add(waiter);
      else {
        const waiters = new Set([waiter]);
        const timer = setTimeout(() => {
          for (const expired of waiters) this.settle(expired);
        }, waiter.tick * tickMs - Date.now());
        this.byTick.set(waiter.tick, { timer, waiters });
      }
    });
  }

  /** How many long-polls wait (for tests: nothing is left behind once they are answered). */
  get held(): { records: number; ticks: number } {
    return { records: this.byRecord.size, ticks: this.byTick.size };
  }

  private settle(waiter: Waiter) {
    const forRecord = this.byRecord.get(waiter.id);
    forRecord?.delete(waiter);
    if (forRecord?.size === 0) this.byRecord.delete(waiter.id);
    const due = this.byTick.get(waiter.tick);
    due?.waiters.delete(waiter);
    if (due?.waiters.size === 0) {
      clearTimeout(due.timer);
      this.byTick.delete(waiter.tick);
    }
    waiter.resolve();
  }
}

interface Waiter {
  id: string;
  tick: number;
  resolve: () => void;
}

const tickMs = 50;

export const commitSignals = new CommitSignals();
