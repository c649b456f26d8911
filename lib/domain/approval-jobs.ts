import { type ApprovalRecord, isTerminal, nextNudgeAt } from './approval.ts';
import { type Job, newJob } from './job.ts';

/**
 * The work a change of an approval sets off, written with the change (`transition` says what the
 * state becomes; this says what must happen because of it):
 * - while pending, its next look (`approval.check`) at `nextCheckAt`: resume a start, re-read the
 *   instance, or end it at its timeout; a later write that moves `nextCheckAt` moves the job;
 * - with `notify`, the start message once the instance exists and the end message once it ends;
 * - with a webhook, its delivery the moment it ends;
 * - with `remind` or `escalate`, the next nudge (a reminder to the approvers still pending, or the
 *   escalation), while one is left.
 * A terminal state is reached once, so an approval's announcement and delivery are born once.
 */
export function approvalJobs(previous: ApprovalRecord | undefined, next: ApprovalRecord, now: Date): Job[] {
  const jobs: Job[] = [];
  const ended = isTerminal(next.status) && !(previous && isTerminal(previous.status));
  const started = Boolean(next.platform) && !previous?.platform;
  if (!isTerminal(next.status) && next.nextCheckAt !== previous?.nextCheckAt) jobs.push(newJob('approval.check', next.id, next.nextCheckAt, now));
  if (next.notify && (ended || (started && !next.announced?.includes('start')))) jobs.push(newJob('approval.announce', next.id, now, now));
  if (ended && next.webhook) jobs.push(newJob('approval.webhook', next.id, now, now));
  const nudgeAt = nextNudgeAt(next);
  if (nudgeAt && nudgeAt !== (previous && nextNudgeAt(previous))) jobs.push(newJob('approval.nudge', next.id, nudgeAt, now));
  return jobs;
}
