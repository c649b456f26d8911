import { EventEmitter } from 'node:events';
import type { Job } from '../domain/job.ts';

/**
 * In-process news of committed writes: the jobs a transaction wrote, and the records it changed.
 * The local runtime's worker listens for jobs and long-polls listen for their approval, so both
 * act the moment a commit lands. In AWS nobody in the writing process listens: the DynamoDB
 * stream starts the worker, and a long-poll re-reads (see `ApprovalService.get`).
 */
class CommitSignals {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per held long-poll: hundreds at once are expected, not a leak.
    this.emitter.setMaxListeners(0);
  }

  jobsWritten(jobs: readonly Job[]) {
    if (jobs.length > 0) this.emitter.emit('jobs', jobs);
  }

  onJobs(listener: (jobs: readonly Job[]) => void): () => void {
    this.emitter.on('jobs', listener);
    return () => this.emitter.off('jobs', listener);
  }

  recordChanged(id: string) {
    this.emitter.emit(`record:${id}`);
  }

  /** Resolves at the next commit that changes record `id`, or after `timeoutMs`: one listener and one timer, nothing else held. */
  nextChange(id: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const event = `record:${id}`;
      const done = () => {
        clearTimeout(timer);
        this.emitter.off(event, done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.emitter.on(event, done);
    });
  }
}

export const commitSignals = new CommitSignals();
