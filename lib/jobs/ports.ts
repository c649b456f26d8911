import type { Job, JobKind } from '../domain/job.ts';

/** A job the worker holds: `token` proves the lease when the run is recorded. */
export interface LeasedJob extends Job {
  token: string;
}

/**
 * Where jobs wait. Jobs are born inside the writes of the records they belong to (each entity's
 * repository takes them); this port is the worker's side. One lease mechanism: leasing moves a
 * job's due time to the lease's end, so a run a crash cut short is due again then, and only the
 * holder of the token may record its outcome. A job written again meanwhile (its record changed)
 * has no token: the holder's record fails, and the newer job stands.
 */
export interface JobStore {
  /** Jobs due at `now`, soonest first. */
  due(now: Date, limit: number): Promise<Job[]>;
  get(id: string): Promise<Job | undefined>;
  /** Takes the job until `until` if it is still due at `now`; undefined when someone else has it or it is gone. */
  lease(id: string, now: Date, until: Date): Promise<LeasedJob | undefined>;
  /** Deletes a job this lease still holds; false when the job was written again meanwhile. */
  complete(job: LeasedJob): Promise<boolean>;
  /** Makes a held job due again at `dueAt` with what the run left (attempts, last error); `dead` parks it for good. */
  reschedule(job: LeasedJob, next: { dueAt: Date; attempts: number; lastError?: string; dead?: boolean }): Promise<boolean>;
}

/** What a job's run asks for: nothing (done), or to run again at `dueAt` (a window opens, a retry is due). */
export type JobOutcome = void | { dueAt: Date };

/** Runs one kind of job; throwing counts as a failed run, retried with backoff. */
export type JobHandler = (job: Job, deadline: number) => Promise<JobOutcome>;

export type JobHandlers = Record<JobKind, JobHandler>;
