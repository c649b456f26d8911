/**
 * Background work as data. A job names what is to be done (`kind`) to what (`subject`) and when
 * (`dueAt`); it is written in the same transaction as the record change that sets it off (the
 * outbox), run by the one worker, and deleted when done. A job's id is its kind and subject, so
 * writing the work of one record again moves its one job instead of adding a second.
 */
export const jobKinds = [
  /** A verified platform event: find its approval and re-read the instance. */
  'callback.event',
  /** A pending approval's next look: resume its start, re-read its instance, or end it at its timeout. */
  'approval.check',
  /** Hand an approval's start or end message to the notifications. */
  'approval.announce',
  /** Deliver an ended approval's signed webhook (one attempt per run; retries are new due times). */
  'approval.webhook',
  /** Nudge a pending approval along: remind its undecided approvers, or escalate to others, when due. */
  'approval.nudge',
  /** Bring an approval's cards (`via: "card"`) up to date: send those not sent, update those that show an older state. */
  'approval.cards',
  /** Send a notification's queued deliveries whose rate window has opened. */
  'notification.dispatch',
] as const;
export type JobKind = (typeof jobKinds)[number];

export interface Job {
  /** `<kind>#<subject>`: one job per kind and subject. */
  id: string;
  kind: JobKind;
  /** The approval, notification or event the job is about. */
  subject: string;
  /** ISO time from which the job may run. */
  dueAt: string;
  /** Failed runs so far; a run that asks to be run again later (a rate window, a webhook retry) is not a failure. */
  attempts: number;
  /** What a job carries besides its subject (a platform event); small, never a secret. */
  payload?: Record<string, unknown>;
  /** The message of the last failed run. */
  lastError?: string;
  createdAt: string;
}

export const jobId = (kind: JobKind, subject: string) => `${kind}#${subject}`;

export function newJob(kind: JobKind, subject: string, dueAt: Date | string, now: Date, payload?: Record<string, unknown>): Job {
  return {
    id: jobId(kind, subject),
    kind,
    subject,
    dueAt: typeof dueAt === 'string' ? dueAt : dueAt.toISOString(),
    attempts: 0,
    ...(payload ? { payload } : {}),
    createdAt: now.toISOString(),
  };
}

/** A run that failed is tried again after 1, 2, 4 … seconds, at most 5 minutes. */
export const jobRetryMs = (attempts: number) => Math.min(1000 * 2 ** Math.max(attempts - 1, 0), 300_000);

/** After this many failed runs a job is dead: kept for a person to look at, logged as an error, never run again. */
export const maxJobAttempts = 10;
