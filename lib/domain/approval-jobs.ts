import { type ApprovalRecord, isStarted, isTerminal, nextNudgeAt } from './approval.ts';
import { cardRecipients, cardStamp, cardsDue } from './approval-cards.ts';
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
 * - with `via: "card"`, bringing its cards up to date whenever what they show or who gets one
 *   changes (a decision, the end, a stage reached), never for imhub's own bookkeeping.
 * A terminal state is reached once, so an approval's announcement and delivery are born once.
 */
export function approvalJobs(previous: ApprovalRecord | undefined, next: ApprovalRecord, now: Date): Job[] {
  const jobs: Job[] = [];
  const ended = isTerminal(next.status) && !(previous && isTerminal(previous.status));
  const started = isStarted(next) && !(previous && isStarted(previous));
  if (!isTerminal(next.status) && next.nextCheckAt !== previous?.nextCheckAt) jobs.push(newJob('approval.check', next.id, next.nextCheckAt, now));
  // Announced as cards, an approval that ended before its instance existed (a refused create) has
  // no card to show its end on: it gets the end message.
  const announcedByMessage = !next.announceAsCard || (ended && !isStarted(next));
  if (next.notify && announcedByMessage && (ended || (started && !next.announced?.includes('start')))) jobs.push(newJob('approval.announce', next.id, now, now));
  if (ended && next.webhook) jobs.push(newJob('approval.webhook', next.id, now, now));
  const nudgeAt = nextNudgeAt(next);
  if (nudgeAt && nudgeAt !== (previous && nextNudgeAt(previous))) jobs.push(newJob('approval.nudge', next.id, nudgeAt, now));
  if (next.via === 'card' || next.announceAsCard) {
    // …or a click brought a card a fresh handle to show it with (WeCom).
    const fresh = (record: ApprovalRecord | undefined) => (record?.cards ?? []).filter((card) => card.freshHandle !== undefined).length;
    const moved = !previous || cardStamp(previous) !== cardStamp(next) || cardRecipients(previous).length !== cardRecipients(next).length || fresh(next) > fresh(previous);
    const due = cardsDue(next, now);
    if (moved && due.send.length + due.update.length > 0) jobs.push(newJob('approval.cards', next.id, now, now));
    else if (moved && due.settling) jobs.push(newJob('approval.cards', next.id, due.settling, now));
  }
  return jobs;
}
