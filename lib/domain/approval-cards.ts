import { approvalLocale, type ApprovalCard, type ApprovalRecord, type CardTarget, evaluateStages, isStarted, isTerminal, pendingApprovers, type PersonInput } from './approval.ts';
import { formatTime, type Locale } from './locale.ts';
import { cutToChars as cut, type MessageLevel } from './message.ts';
import { endReasonText, textsFor } from './texts.ts';

/** A card shows the first decisions and the start of long texts: every platform's card has a small size limit (Feishu 30 KB). */
const shownDecisions = 20;
const shownCommentChars = 200;
const shownBodyChars = 1500;

/**
 * Approvals decided on cards (`via: "card"`), pure: who gets a card, what it shows, when it is out
 * of date, and whether a click counts. Every platform renders the same `CardContent`; a card is
 * sent once per recipient and then updated in place.
 */

/** What a card shows; each platform renders it in its own card format. */
export interface CardContent {
  approvalId: string;
  /** The language of its texts, and of the buttons and input each platform adds. */
  locale: Locale;
  /** "Approval requested", then the outcome. */
  header: string;
  level: MessageLevel;
  title: string;
  /** The request's content, as given (each platform cuts it to fit). */
  body?: string;
  /** Short label/value lines: who asked, the stage, whom it waits for, when it times out. */
  facts: { label: string; value: string }[];
  /** One line per decision, in order: "Approved by alice: ship it". */
  decisions: string[];
  /** Approve and Reject are shown (while pending, to an approver of the current stage or in a chat). */
  buttons: boolean;
  /** One line for previews and notifications. */
  summary: string;
  /** Where to open it (the platform's approval app), when there is such a page. */
  link?: { title: string; url: string };
}

/** What a click asks for, as carried in a button's value. */
export interface CardChoice {
  approvalId: string;
  decision: 'approve' | 'reject';
}

/** The button values: small, and the same on every platform (`imhub:<decision>:<approval id>`). */
export const cardChoiceKey = (choice: CardChoice) => `imhub:${choice.decision}:${choice.approvalId}`;

/** The choice a button value names, or undefined when it is not one of imhub's. */
export function parseCardChoice(value: unknown): CardChoice | undefined {
  const match = typeof value === 'string' ? /^imhub:(approve|reject):(apr_[A-Za-z0-9]{1,64})$/.exec(value) : null;
  return match ? { decision: match[1] as CardChoice['decision'], approvalId: match[2]! } : undefined;
}

/**
 * What a card shows of the approval: changes when a decision is added or the approval ends, and
 * not when imhub only records its own bookkeeping (the cards sent, a check planned).
 */
export const cardStamp = (approval: Pick<ApprovalRecord, 'status' | 'decisions' | 'moreDecisions' | 'stages'>) =>
  `${approval.status}:${approval.decisions.length + (approval.moreDecisions ?? 0)}:${approval.stages.reduce((sum, stage) => sum + (stage.platformUserIds?.length ?? 0), 0)}`;

/**
 * The most approvers, counted per stage, of an approval decided on cards: imhub keeps every
 * decision of it (at most `maxStoredDecisions`, 100), since the outcome is computed from them, and
 * its item stays bounded with one card per approver.
 */
export const maxCardApprovers = 100;

const sameTarget = (a: CardTarget, b: CardTarget) => ('userId' in a && 'userId' in b && a.userId === b.userId) || ('chatId' in a && 'chatId' in b && a.chatId === b.chatId);

/** The index of the stage an approval is at (the last one reached once it has ended). */
export function currentStage(approval: Pick<ApprovalRecord, 'stages' | 'decisions'>): number {
  return evaluateStages(
    approval.stages.map((stage) => ({ mode: stage.mode, approvers: stage.platformUserIds ?? [] })),
    approval.decisions,
  ).stage;
}

/**
 * Who has a card: each approver of every stage reached so far (a stage's approvers get theirs when
 * it is reached) and the chats of `cardTo`, each once. Nobody before the people are resolved.
 */
export function cardRecipients(approval: Pick<ApprovalRecord, 'via' | 'platform' | 'requesterPlatformId' | 'stages' | 'decisions' | 'cardTo' | 'announceAsCard' | 'notify'>): CardTarget[] {
  if (!isStarted(approval)) return [];
  // The approval app's start and end messages as one card per notify target.
  if (approval.via !== 'card') return approval.announceAsCard ? [...(approval.notify?.to?.userIds ?? []).map((userId) => ({ userId })), ...(approval.notify?.to?.chatIds ?? []).map((chatId) => ({ chatId }))] : [];
  const reached = approval.stages.slice(0, currentStage(approval) + 1);
  const users = [...new Set(reached.flatMap((stage) => stage.platformUserIds ?? []))].map((userId) => ({ userId }));
  return [...users, ...(approval.cardTo?.chatIds ?? []).map((chatId) => ({ chatId }))];
}

/**
 * The work of an `approval.cards` job: the recipients without a card yet, the cards that show an
 * older state and can be updated now, and when the first card whose click is still being answered
 * can be (`settling`).
 */
export function cardsDue(approval: ApprovalRecord, now: Date): { send: CardTarget[]; update: ApprovalCard[]; settling?: string } {
  const cards = approval.cards ?? [];
  const stamp = cardStamp(approval);
  const at = now.toISOString();
  const outOfDate = (card: ApprovalCard) => card.shown !== stamp && card.error === undefined;
  // A card whose handles are single-use (WeCom) is updated with a click's fresh handle, or with the one it keeps for the outcome.
  const updatable = (card: ApprovalCard) => (card.once ? card.freshHandle !== undefined || (isTerminal(approval.status) && card.handle !== undefined) : card.handle !== undefined);
  const settling = cards.filter((card) => outOfDate(card) && updatable(card) && card.settleUntil !== undefined && card.settleUntil > at).map((card) => card.settleUntil!);
  return {
    // Nobody is sent a card for an approval that has already ended.
    send: isTerminal(approval.status) ? [] : cardRecipients(approval).filter((target) => !cards.some((card) => sameTarget(card.to, target))),
    update: cards.filter((card) => outOfDate(card) && updatable(card) && !(card.settleUntil !== undefined && card.settleUntil > at)),
    ...(settling.length ? { settling: settling.sort()[0]! } : {}),
  };
}

/** The card of `target` on this approval, if it has one. */
export const cardOf = (approval: Pick<ApprovalRecord, 'cards'>, target: CardTarget) => approval.cards?.find((card) => sameTarget(card.to, target));

/** The card the platform names so in a click (a Feishu message id, a WeCom task_id). */
export const cardByRef = (approval: Pick<ApprovalRecord, 'cards'>, ref: string) => approval.cards?.find((card) => (card.ref ?? card.handle) === ref);

/** Records a card as sent or updated to show `stamp`, or a refusal; one per target. */
export function withCard(cards: readonly ApprovalCard[] | undefined, card: ApprovalCard): ApprovalCard[] {
  const others = (cards ?? []).filter((existing) => !sameTarget(existing.to, card.to));
  return [...others, card];
}

export type ClickProblem = 'ended' | 'timed_out' | 'not_approver' | 'already_decided' | 'not_started';

/**
 * Whether a click by `operator` (the platform user id the signed event names) counts: only an
 * approver of the current stage who has not decided there. The requester, when not allowed to
 * decide, is refused at the start, so is never one. Pure.
 */
export function clickProblem(approval: ApprovalRecord, operator: string, now: Date): ClickProblem | undefined {
  if (isTerminal(approval.status)) return 'ended';
  // Past its timeout it is over, even before its check job has ended it (a late click never beats the policy).
  if (now.toISOString() >= approval.timeoutAt) return 'timed_out';
  if (approval.via !== 'card' || !isStarted(approval)) return 'not_started';
  if (pendingApprovers(approval).includes(operator)) return undefined;
  const stage = currentStage(approval);
  const decided = approval.decisions.some((decision) => decision.stage === stage && decision.approver === operator);
  return decided ? 'already_decided' : 'not_approver';
}

/**
 * A person as a card shows them: their userId, the name part of their email, their mobile masked
 * (138****0001). Cards are read in group chats: nobody's address or number is shown there whole.
 */
export function personLabel(person: PersonInput | undefined, fallback: string): string {
  if (!person) return fallback;
  if ('userId' in person) return person.userId;
  if ('email' in person) return person.email.split('@')[0]!;
  return person.mobile.length > 7 ? `${person.mobile.slice(0, -8)}****${person.mobile.slice(-4)}` : person.mobile;
}

/** The person as the request named them, for a platform user id of one of its stages. */
export function approverLabel(approval: Pick<ApprovalRecord, 'stages'>, platformUserId: string): string {
  for (const stage of approval.stages) {
    const index = stage.platformUserIds?.indexOf(platformUserId) ?? -1;
    if (index >= 0) return personLabel(stage.approvers[index], platformUserId);
  }
  return platformUserId;
}

const outcomeLevel: Record<ApprovalRecord['status'], MessageLevel> = { pending: 'info', approved: 'success', rejected: 'error', canceled: 'warning', expired: 'warning', failed: 'error' };

/**
 * The card of an approval as `viewer` sees it. Buttons show while it is pending, to an approver of
 * the current stage who has not decided, and in chats (where any click is checked against the
 * signed identity of who made it). Pure.
 */
export function cardContent(approval: ApprovalRecord, viewer: CardTarget): CardContent {
  const settings = approvalLocale(approval);
  const texts = textsFor(settings.locale);
  const pending = isTerminal(approval.status) ? [] : pendingApprovers(approval);
  const stage = currentStage(approval);
  const stageCount = approval.stages.length;
  const facts: CardContent['facts'] = [{ label: texts.requestedBy, value: personLabel(approval.requester, texts.someone) }];
  if (!isTerminal(approval.status)) {
    facts.push({ label: texts.stage, value: texts.stageOf(stage + 1, stageCount, approval.stages[stage]?.mode ?? 'any') });
    if (pending.length > 0) facts.push({ label: texts.waitingFor, value: pending.map((id) => approverLabel(approval, id)).join(texts.listSeparator) });
    facts.push({ label: texts.timesOut, value: formatTime(approval.timeoutAt, settings) });
  } else if (approval.endReason) {
    facts.push({ label: texts.outcome, value: `${texts.status[approval.status]}${texts.aside(endReasonText(texts, approval.endReason)!)}` });
  }
  const decisions = approval.decisions
    .slice(0, shownDecisions)
    .map((decision) =>
      texts.decisionLine(decision.decision, approverLabel(approval, decision.approver), stageCount > 1 ? decision.stage + 1 : undefined, decision.comment ? cut(decision.comment, shownCommentChars) : undefined),
    );
  const hidden = Math.max(approval.decisions.length - shownDecisions, 0) + (approval.moreDecisions ?? 0);
  if (hidden > 0) decisions.push(texts.moreDecisions(hidden));
  const buttons = approval.via === 'card' && !isTerminal(approval.status) && ('chatId' in viewer || pending.includes(viewer.userId));
  const header = approval.status === 'pending' ? texts.requested : texts.status[approval.status];
  return {
    approvalId: approval.id,
    locale: settings.locale,
    header,
    level: outcomeLevel[approval.status],
    title: approval.title,
    ...(approval.content ? { body: cut(approval.content, shownBodyChars) } : {}),
    facts,
    decisions,
    buttons,
    summary: `${header}${texts.colon}${approval.title}`,
    ...(approval.platform?.url ? { link: { title: texts.openInApp, url: approval.platform.url } } : {}),
  };
}

/** What a click's answer says (a toast on Feishu; the card's own text elsewhere), in the approval's locale. */
export function clickAnswer(
  problem: ClickProblem | undefined,
  approval: Pick<ApprovalRecord, 'status' | 'locale' | 'timeZone'>,
  decision: CardChoice['decision'],
): { type: 'success' | 'info' | 'error'; text: string } {
  const texts = textsFor(approvalLocale(approval).locale);
  switch (problem) {
    case undefined:
      return { type: 'success', text: decision === 'approve' ? texts.clickApproved : texts.clickRejected };
    case 'ended':
      return { type: 'info', text: texts.clickEnded(texts.status[approval.status]) };
    case 'timed_out':
      return { type: 'info', text: texts.clickTimedOut };
    case 'already_decided':
      return { type: 'info', text: texts.clickAlreadyDecided };
    case 'not_started':
      return { type: 'error', text: texts.clickNotHere };
    case 'not_approver':
      return { type: 'error', text: texts.clickNotApprover };
  }
}
