import * as z from 'zod';
import { type Locale, localeSchema, timeZoneSchema } from './locale.ts';
import { cutToFit, notificationTargets, type NotificationTargets, utf8Bytes } from './message.ts';
import { personSchema, type PersonInput } from './person.ts';

export { personSchema, type PersonInput } from './person.ts';

/**
 * Approvals, pure: the request schema, stage evaluation and the state machine. The platform's
 * instance is the source of truth; this module decides what an observation of it means for the
 * approval, and guarantees that a terminal state never changes again.
 */
export const approvalStatuses = ['pending', 'approved', 'rejected', 'canceled', 'expired', 'failed'] as const;
export type ApprovalStatus = (typeof approvalStatuses)[number];
export const isTerminal = (status: ApprovalStatus) => status !== 'pending';

/** The language and zone an approval's texts and times are written in; a record stored before them reads as it was shown then (en-US, UTC). */
export const approvalLocale = (approval: Pick<ApprovalRecord, 'locale' | 'timeZone'>) => ({ locale: approval.locale ?? ('en-US' as const), timeZone: approval.timeZone ?? 'UTC' });

const maxTimeoutSeconds = 30 * 24 * 3600;

export const stageModes = ['any', 'all'] as const;

export const approvalChannels = ['app', 'card'] as const;
export type StageMode = (typeof stageModes)[number];

export const createApprovalBody = z.strictObject({
  integrationId: z.string({ error: 'integrationId is required' }).min(1).max(128),
  title: z.string({ error: 'title is required' }).trim().min(1, 'title must not be empty').max(200, 'title must be at most 200 characters'),
  content: z.string().max(10_000, 'content must be at most 10000 characters').optional(),
  requester: personSchema,
  stages: z
    .array(
      z.strictObject({
        mode: z.enum(stageModes, { error: 'mode must be "any" or "all"' }).default('any'),
        approvers: z.array(personSchema).min(1, 'each stage needs at least one approver').max(50, 'a stage has at most 50 approvers'),
      }),
    )
    .min(1, 'give at least one stage')
    .max(10, 'at most 10 stages'),
  timeoutSeconds: z
    .int('timeoutSeconds must be a whole number')
    .min(1, 'timeoutSeconds must be at least 1')
    .max(maxTimeoutSeconds, 'timeoutSeconds must be at most 2592000 (30 days)')
    .default(3600),
  onTimeout: z.enum(['expire', 'approve'], { error: 'onTimeout must be "expire" or "approve"' }).default('expire'),
  webhook: z
    .strictObject({
      url: z.string({ error: 'webhook.url is required' }).max(2048).refine((value) => URL.canParse(value), 'webhook.url must be an absolute URL'),
      secret: z.string({ error: 'webhook.secret is required' }).min(16, 'webhook.secret must be at least 16 characters').max(256),
    })
    .optional(),
  /** Post a message when the approval starts and when it ends (another integration, e.g. a group bot, may carry it). */
  notify: z.strictObject({ integrationId: z.string().min(1).max(128).optional(), to: notificationTargets.optional() }).optional(),
  idempotencyKey: z.string().min(1).max(128).optional(),
  /** Remind the approvers still pending in the current stage every `everySeconds`, at most `times` times. */
  remind: z
    .strictObject({
      everySeconds: z.int('remind.everySeconds must be a whole number').min(60, 'remind.everySeconds must be at least 60').max(7 * 24 * 3600, 'remind.everySeconds must be at most 604800 (7 days)'),
      times: z.int('remind.times must be a whole number').min(1, 'remind.times must be at least 1').max(20, 'remind.times must be at most 20'),
    })
    .optional(),
  /** Tell other people (a lead, an on-call) if it is still pending `afterSeconds` after the start. */
  escalate: z
    .strictObject({
      afterSeconds: z.int('escalate.afterSeconds must be a whole number').min(60, 'escalate.afterSeconds must be at least 60').max(maxTimeoutSeconds, 'escalate.afterSeconds must be at most 2592000 (30 days)'),
      approvers: z.array(personSchema).min(1, 'escalate.approvers needs at least one person').max(20, 'escalate.approvers has at most 20 people'),
    })
    .optional(),
  /** Let the requester be one of the approvers (off by default: nobody approves their own request). */
  allowSelfApproval: z.boolean({ error: 'allowSelfApproval must be true or false' }).default(false),
  /**
   * Where approvers decide: `app`, the platform's approval app (an instance there is the source of
   * truth), or `card`, an interactive card in the chat with Approve and Reject (imhub keeps the
   * decisions, taken from the platform's signed click events).
   */
  via: z.enum(approvalChannels, { error: 'via must be "app" or "card"' }).default('app'),
  /** With `via: "card"`: chats that get the card too, besides each approver of the current stage. */
  cardTo: z
    .strictObject({ chatIds: z.array(z.string().min(1).max(128)).min(1, 'cardTo.chatIds needs at least one chat').max(20, 'cardTo.chatIds has at most 20 chats') })
    .optional(),
  /** The language of this approval's texts on the platform. @default the integration's locale */
  locale: localeSchema.optional(),
  /** The IANA zone of this approval's times on the platform. @default the integration's timeZone */
  timeZone: timeZoneSchema.optional(),
}).superRefine((input, context) => {
  if (input.cardTo && input.via !== 'card') context.addIssue({ code: 'custom', path: ['cardTo'], message: 'cardTo is for "via": "card"; leave it out, or send "via": "card"' });
});
export type CreateApprovalInput = z.output<typeof createApprovalBody>;

/**
 * The platform ids of the approvers a pending approval waits for: those of its current stage (the
 * first an approval has not passed: an `any` stage passes on one approval, an `all` stage on every
 * approver's) who have not decided there. Pure.
 */
export function pendingApprovers(approval: Pick<ApprovalRecord, 'stages' | 'decisions'>): string[] {
  for (const [index, stage] of approval.stages.entries()) {
    const ids = stage.platformUserIds ?? [];
    const decided = new Set(approval.decisions.filter((decision) => decision.stage === index).map((decision) => decision.approver));
    const approved = approval.decisions.filter((decision) => decision.stage === index && decision.decision === 'approve').map((decision) => decision.approver);
    const passed = stage.mode === 'any' ? approved.length > 0 : ids.length > 0 && ids.every((id) => approved.includes(id));
    if (!passed) return ids.filter((id) => !decided.has(id));
  }
  return [];
}

/**
 * Whether an approval has started where its approvers decide: its platform instance exists (the
 * approval app), or its people are resolved so that cards can go out (`via: "card"`). Pure.
 */
export const isStarted = (approval: Pick<ApprovalRecord, 'via' | 'platform' | 'requesterPlatformId'>): boolean =>
  approval.via === 'card' ? approval.requesterPlatformId !== undefined : Boolean(approval.platform);

/** Who gets one card: an approver (platform user id) or a chat. */
export type CardTarget = { userId: string } | { chatId: string };

/** One card of an approval, as sent and updated. */
export interface ApprovalCard {
  to: CardTarget;
  /**
   * What updates it on the platform (Feishu message id, DingTalk outTrackId, WeCom the send's
   * response_code, kept for the outcome); absent until sent, and once a single-use one is spent.
   */
  handle?: string;
  /** The platform's id of the card, where that is not the handle (WeCom task_id): what a click names. */
  ref?: string;
  /** Its handles update it once each (WeCom): it is updated with a click's fresh handle, and with `handle` for the outcome. */
  once?: true;
  /** A single-use handle a click on it brought (WeCom's ResponseCode), to show that click. */
  freshHandle?: string;
  /** Not updated before this time (ISO): a click on it is being answered (DingTalk: "请勿在回调过程中，调用更新接口"). */
  settleUntil?: string;
  /** The approval's `cardStamp` this card shows. */
  shown?: string;
  sentAt?: string;
  /** Why it could not be sent (a refusal not worth repeating, with the platform's code); not tried again. */
  error?: string;
}

/** When a pending approval is next to be nudged (a reminder or its escalation), if it ever is. Pure. */
export function nextNudgeAt(approval: Pick<ApprovalRecord, 'status' | 'remind' | 'escalate'>): string | undefined {
  if (isTerminal(approval.status)) return undefined;
  const times = [
    ...(approval.remind && approval.remind.sent < approval.remind.times ? [approval.remind.nextAt] : []),
    ...(approval.escalate && !approval.escalate.sent ? [approval.escalate.at] : []),
  ];
  return times.sort()[0];
}

/** Where an approver is the requester: `{ stage, approver }` indexes, in order. Pure. */
export function selfApprovers<T>(requester: T, stages: readonly { approvers: readonly T[] }[], same: (a: T, b: T) => boolean): { stage: number; approver: number }[] {
  return stages.flatMap((stage, index) => stage.approvers.flatMap((approver, position) => (same(approver, requester) ? [{ stage: index, approver: position }] : [])));
}

/** Two people as given are the same person: the same userId, mobile (normalised by the schema) or email (in any case). */
export const samePersonInput = (a: PersonInput, b: PersonInput): boolean =>
  ('userId' in a && 'userId' in b && a.userId === b.userId) ||
  ('mobile' in a && 'mobile' in b && a.mobile === b.mobile) ||
  ('email' in a && 'email' in b && a.email.toLowerCase() === b.email.toLowerCase());

/** One approver's act, as read from the platform. */
export interface Decision {
  /** Index of the stage the approver acted in. */
  stage: number;
  /** The platform's user id of the approver. */
  approver: string;
  decision: 'approve' | 'reject';
  /** ISO time the platform recorded. */
  at: string;
  /** The approver's comment, cut to `maxStoredCommentBytes`. */
  comment?: string;
  /** The comment was longer than imhub keeps: it ends with "…", and the full text stays on the platform. */
  commentTruncated?: boolean;
}

export interface ResolvedStage {
  mode: StageMode;
  /** Platform user ids. */
  approvers: string[];
}

/**
 * What the decisions mean for the stages, in order: `any` passes on the first approval and fails on
 * a rejection that comes first; `all` needs every approver and fails on any rejection. Decisions are
 * ordered by time, so the result does not depend on the order they arrived in.
 */
export function evaluateStages(stages: readonly ResolvedStage[], decisions: readonly Decision[]): { outcome: 'pending' | 'approved' | 'rejected'; stage: number } {
  const ordered = [...decisions].sort((a, b) => a.at.localeCompare(b.at) || a.approver.localeCompare(b.approver) || a.decision.localeCompare(b.decision));
  for (const [index, stage] of stages.entries()) {
    const firstByApprover = new Map<string, Decision>();
    for (const decision of ordered) {
      if (decision.stage === index && stage.approvers.includes(decision.approver) && !firstByApprover.has(decision.approver)) {
        firstByApprover.set(decision.approver, decision);
      }
    }
    const acts = [...firstByApprover.values()];
    if (stage.mode === 'any') {
      const first = acts[0];
      if (!first) return { outcome: 'pending', stage: index };
      if (first.decision === 'reject') return { outcome: 'rejected', stage: index };
    } else {
      if (acts.some((act) => act.decision === 'reject')) return { outcome: 'rejected', stage: index };
      if (!stage.approvers.every((approver) => firstByApprover.get(approver)?.decision === 'approve')) return { outcome: 'pending', stage: index };
    }
  }
  return { outcome: 'approved', stage: stages.length - 1 };
}

export interface ApprovalState {
  status: ApprovalStatus;
  /** The first `maxStoredDecisions` decisions by time, each comment bounded (`mergeDecisions`). */
  decisions: Decision[];
  /** How many more decisions the platform lists than `decisions` holds; absent when none. */
  moreDecisions?: number;
  /** When the approval reached its terminal status, and why. */
  endedAt?: string;
  endReason?: string;
  timeoutAt: string;
  onTimeout: 'expire' | 'approve';
}

/** The platform's instance status, in imhub's words. */
export type PlatformStatus = 'pending' | 'approved' | 'rejected' | 'canceled' | 'deleted';

export type ApprovalEvent =
  /** A read of the platform instance: its status and every decision it lists. */
  | { type: 'observed'; platformStatus: PlatformStatus; decisions: Decision[]; at: string }
  | { type: 'timeout'; at: string }
  | { type: 'cancel'; at: string }
  /** An approver's click on a card (`via: "card"`), already checked to be one of the current stage's pending approvers. */
  | { type: 'decided'; decision: Decision; stages: readonly ResolvedStage[] }
  | { type: 'failed'; at: string; reason: string };

const decisionKey = (decision: Decision) => `${decision.stage}\u0000${decision.approver}\u0000${decision.decision}\u0000${decision.at}`;

/**
 * The most of one comment an approval item keeps, in UTF-8 bytes, as DynamoDB counts them: 600
 * Latin letters, 200 Chinese characters, 150 emoji. A bound in characters would not bound the item,
 * as one character takes up to 4 bytes. With `maxStoredDecisions` this keeps the largest approval
 * the API takes (10 stages of 50 approvers, every text and list at its limit) under 350 KB of
 * DynamoDB's 400 KB (test/unit/domain/approval-item-bounds.test.ts); the full text stays on the
 * platform.
 */
export const maxStoredCommentBytes = 600;

/** The most decisions an approval item keeps; `moreDecisions` counts those beyond. */
export const maxStoredDecisions = 100;

/** A comment over `maxStoredCommentBytes` is cut between characters (`cutToFit`: never inside one) and ends with "…". */
function boundComment(decision: Decision): Decision {
  const { comment } = decision;
  if (comment === undefined || utf8Bytes(comment) <= maxStoredCommentBytes) return decision;
  return { ...decision, comment: cutToFit(comment, (candidate) => utf8Bytes(candidate) <= maxStoredCommentBytes)!, commentTruncated: true };
}

const byTime = (a: Decision, b: Decision) => a.at.localeCompare(b.at) || decisionKey(a).localeCompare(decisionKey(b));

/**
 * Merges the decisions a platform read lists into those recorded, as a set, keeping the item
 * bounded: comments cut (`boundComment`), and at most `maxStoredDecisions` decisions, the first
 * ones by time; the others are counted in `moreDecisions`, never stored.
 *
 * Why the first ones and a count, rather than the newest: someone auditing who decided needs a
 * record that never rewrites itself. A decision imhub once reported (to a webhook, a long-poll)
 * stays in the record, and the count says plainly that the list is incomplete and how much is
 * missing, where the platform shows every decision in full. Dropping the oldest instead would make
 * the earlier stages' approvers vanish as later ones act, which reads as if they never decided.
 * The outcome never depends on the stored decisions: it is the platform's status.
 */
function mergeDecisions(state: ApprovalState, seen: readonly Decision[]): Pick<ApprovalState, 'decisions' | 'moreDecisions'> {
  const recorded = new Map(state.decisions.map((decision) => [decisionKey(decision), boundComment(decision)]));
  const unseen = new Map<string, Decision>();
  for (const decision of seen) if (!recorded.has(decisionKey(decision))) unseen.set(decisionKey(decision), decision);
  // Only a record written before the bound can hold more than it allows.
  const kept = [...recorded.values()].sort(byTime).slice(0, maxStoredDecisions);
  const added = [...unseen.values()].sort(byTime).slice(0, maxStoredDecisions - kept.length).map(boundComment);
  // A read lists every decision, so what it shows beyond the kept ones is the count; never less than counted before.
  const more = Math.max(state.moreDecisions ?? 0, recorded.size - kept.length + unseen.size - added.length);
  return { decisions: [...kept, ...added].sort(byTime), ...(more > 0 ? { moreDecisions: more } : {}) };
}

/** Why an approval ended: the platform's outcome, or imhub's own reason. Each has a text in every locale (texts.ts). */
export const endReasons = {
  approvedOnPlatform: 'approved on the platform',
  rejectedOnPlatform: 'rejected on the platform',
  canceledOnPlatform: 'canceled on the platform',
  deletedOnPlatform: 'deleted on the platform',
  timedOut: 'timed out',
  approvedByTimeout: 'approved by timeout policy',
  canceled: 'canceled through the API',
  approvedByCard: 'approved on the card',
  rejectedByCard: 'rejected on the card',
} as const;

export type EndReason = (typeof endReasons)[keyof typeof endReasons];

const end = (state: ApprovalState, status: ApprovalStatus, at: string, reason: string): ApprovalState => ({ ...state, status, endedAt: at, endReason: reason });

/**
 * The approval state machine. A terminal state absorbs every later event, so duplicates,
 * reordering and races cannot move an approval twice; decisions are merged as a set.
 */
export function transition(state: ApprovalState, event: ApprovalEvent): ApprovalState {
  if (isTerminal(state.status)) return state;
  switch (event.type) {
    case 'observed': {
      const next = { ...state, ...mergeDecisions(state, event.decisions) };
      if (event.platformStatus === 'approved') return end(next, 'approved', event.at, endReasons.approvedOnPlatform);
      if (event.platformStatus === 'rejected') return end(next, 'rejected', event.at, endReasons.rejectedOnPlatform);
      if (event.platformStatus === 'canceled') return end(next, 'canceled', event.at, endReasons.canceledOnPlatform);
      if (event.platformStatus === 'deleted') return end(next, 'canceled', event.at, endReasons.deletedOnPlatform);
      return next;
    }
    case 'timeout':
      if (event.at < state.timeoutAt) return state;
      return state.onTimeout === 'approve' ? end(state, 'approved', event.at, endReasons.approvedByTimeout) : end(state, 'expired', event.at, endReasons.timedOut);
    case 'cancel':
      return end(state, 'canceled', event.at, endReasons.canceled);
    case 'decided': {
      const next = { ...state, ...mergeDecisions(state, [event.decision]) };
      const { outcome } = evaluateStages(event.stages, next.decisions);
      if (outcome === 'approved') return end(next, 'approved', event.decision.at, endReasons.approvedByCard);
      if (outcome === 'rejected') return end(next, 'rejected', event.decision.at, endReasons.rejectedByCard);
      return next;
    }
    case 'failed':
      return end(state, 'failed', event.at, event.reason);
  }
}

/** An approval as stored. Person inputs are kept as given; `platformUserIds` once resolved. */
export interface ApprovalRecord extends ApprovalState {
  id: string;
  integrationId: string;
  title: string;
  content?: string;
  /** The language and zone of its texts and times on the platform; absent on records stored before them (read as en-US, UTC: what those showed). */
  locale?: Locale;
  timeZone?: string;
  requester: PersonInput;
  /** The requester's platform user id (the instance's originator). */
  requesterPlatformId?: string;
  stages: { mode: StageMode; approvers: PersonInput[]; platformUserIds?: string[] }[];
  /** The platform's instance, once created, and the definition it was made from. */
  platform?: { instanceId: string; definition: string; url?: string };
  idempotencyKey?: string;
  /** With an idempotency key: the hash of the request that made it (`requestHash`); absent on records made before it was kept. */
  requestHash?: string;
  /** Where start and end messages go. */
  notify?: { integrationId: string; to?: NotificationTargets };
  /** The request allowed the requester among the approvers (checked again once people are resolved). */
  allowSelfApproval?: true;
  /** Decided on cards in the chat (absent: in the platform's approval app). */
  via?: 'card';
  /** Chats that get the card besides the approvers (`via: "card"`). */
  cardTo?: { chatIds: string[] };
  /** Until when one run of the cards job owns sending and updating them (ISO): one run at a time. */
  cardsLeaseUntil?: string;
  /** The cards sent for this approval, one per recipient, each updated in place (`via: "card"`, or `announceAsCard`). */
  cards?: ApprovalCard[];
  /**
   * In the approval app, with `notify` to chats and people of its own app: the start and end messages
   * are one card per target, updated in place (where the platform's cards can be updated).
   */
  announceAsCard?: true;
  /** Reminders to the approvers still pending: how often, how many, how many went, when the next is due. */
  remind?: { everySeconds: number; times: number; sent: number; nextAt: string };
  /** Whom to tell if it is still pending at `at`; `sent` once they were told. */
  escalate?: { approvers: PersonInput[]; at: string; sent?: true };
  /** The messages of `notify` already handed to the notifications outbox. */
  announced?: ('start' | 'end')[];
  /**
   * Until when the writer that is creating the platform instance owns that; after it, the
   * reconciler finishes a start a crash or a throttling platform interrupted.
   */
  startLeaseUntil?: string;
  /**
   * When the first create of the platform instance was sent, written under the start lease before
   * the call: a start resumed after a crash or a lost answer looks for what that create made
   * (DingTalk and WeCom creates have no idempotency key) before it creates one.
   */
  startAttemptAt?: string;
  /**
   * Other instances found made for this approval (creates repeated after lost answers), besides the
   * one tracked: each withdrawn where the platform allows, the rest for a person to close (WeCom).
   */
  duplicateInstances?: { instanceId: string; withdrawn: boolean }[];
  /** The outbound webhook: sealed secret, delivery state and every attempt. */
  webhook?: WebhookState;
  /** When the reconciler should look at this approval next (while pending). */
  nextCheckAt: string;
  /** Re-reads the reconciler has made; drives its backoff. */
  checks: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookAttempt {
  at: string;
  /** HTTP status, or 0 when no answer came. */
  status: number;
  durationMs: number;
  error?: string;
}

export interface WebhookState {
  url: string;
  sealedSecret: string;
  /** `waiting` until the approval ends; `pending` while delivery is due; then `delivered` or `failed`. */
  state: 'waiting' | 'pending' | 'delivered' | 'failed';
  attempts: WebhookAttempt[];
  nextAttemptAt?: string;
}

/** How long after the approval ended delivery is retried before it is given up. */
export const webhookRetryWindowMs = 26 * 3600_000;

/** Backoff between webhook attempts: `firstMs` (30 s) doubling, at most an hour. */
export const webhookBackoffMs = (attempts: number, firstMs = 30_000) => Math.min(firstMs * 2 ** Math.max(attempts - 1, 0), 3600_000);
