import type { ApiKeyRecord } from '../domain/api-key.ts';
import type { ApprovalRecord, ApprovalStatus } from '../domain/approval.ts';
import type { Job } from '../domain/job.ts';
import type { Delivery, Message } from '../domain/message.ts';
import type { RateTake, RateWindow, TakeOptions } from '../domain/rate-limit.ts';
import type { Integration } from '../domain/integration.ts';
import type { Locale } from '../domain/locale.ts';

/** One page of a listing; `nextCursor` is opaque and absent on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface PageRequest {
  limit: number;
  cursor?: string;
  /** Listing order by creation time. @default 'oldest' */
  order?: 'oldest' | 'newest';
}

/** Integrations as the service sees them, whatever stores them. */
export interface IntegrationRepository {
  /** Throws ConflictError when the name (case-insensitive) is taken. */
  create(integration: Integration): Promise<void>;
  get(id: string): Promise<Integration | undefined>;
  list(page: PageRequest): Promise<Page<Integration>>;
  /**
   * Writes `next` only if the stored version is still `expectedVersion`; moves the name lock when
   * the name changed. Throws ConflictError on a lost race or a taken name, NotFoundError when gone.
   */
  update(next: Integration, previous: Integration): Promise<void>;
  /**
   * Deletes the integration and its name lock. When it changed since `integration` was read (a
   * rename), deletes what is stored now. Throws NotFoundError when it is gone, ConflictError
   * (`version_conflict`) when it keeps changing.
   */
  delete(integration: Integration): Promise<void>;
}

export interface ApiKeyRepository {
  create(record: ApiKeyRecord): Promise<void>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  list(page: PageRequest): Promise<Page<ApiKeyRecord>>;
  /** Marks the key revoked; returns the updated record, or undefined when there is no such key. */
  revoke(id: string, at: string): Promise<ApiKeyRecord | undefined>;
}

/**
 * Exactly-once processing of platform events: a claim is a conditional write of the event id with
 * a TTL, in one transaction with the job that does the event's work. A duplicate writes nothing.
 */
export interface CallbackEventRepository {
  /** True when this event is new and its job (if any) is written; false for a duplicate. */
  claim(claim: { integrationId: string; eventId: string; eventType: string; now: Date; job?: Job }): Promise<boolean>;
}

export interface ApprovalListRequest extends PageRequest {
  status?: ApprovalStatus;
  integrationId?: string;
}

/**
 * Approvals: created once per idempotency key, changed only under a version condition. Every write
 * takes the jobs the change sets off (`approvalJobs`) and stores them in the same transaction.
 */
export interface ApprovalRepository {
  /**
   * Stores a new approval and its jobs. With an idempotency key already used for this
   * integration, stores nothing and returns the approval that key made.
   */
  create(approval: ApprovalRecord, jobs?: readonly Job[]): Promise<{ created: boolean; approval: ApprovalRecord }>;
  get(id: string): Promise<ApprovalRecord | undefined>;
  /** The approval an idempotency key already made for this integration, if any. */
  byIdempotencyKey(integrationId: string, key: string): Promise<ApprovalRecord | undefined>;
  list(request: ApprovalListRequest): Promise<Page<ApprovalRecord>>;
  /**
   * Writes `next` only if the stored version is `previous.version` and the stored status is still
   * pending: of two racing writers exactly one wins. Returns false for the loser.
   */
  update(next: ApprovalRecord, previous: ApprovalRecord, jobs?: readonly Job[]): Promise<boolean>;
  /**
   * Writes `next` only if the stored version is `previous.version`, whatever the status: for
   * bookkeeping on ended approvals (messages handed on, webhook attempts). Returns false for the loser.
   */
  updateAnyStatus(next: ApprovalRecord, previous: ApprovalRecord, jobs?: readonly Job[]): Promise<boolean>;
}

/** What imhub provisioned on a platform per integration (definitions, forms, templates), and instance → approval. */
/**
 * A definition (Feishu), form (DingTalk) or template (WeCom) as provisioned for one shape: the
 * code once the platform made it, and whether its follow-up (Feishu's event subscription) is done.
 */
export interface ProvisionedDefinition {
  code?: string;
  /** The code exists and nothing is left to do for it. */
  ready: boolean;
}

export interface ApprovalIndexRepository {
  definition(integrationId: string, key: string): Promise<ProvisionedDefinition | undefined>;
  /**
   * Takes the right to create the definition of this shape until `until`, for one caller only,
   * while no code is stored and no other claim is live (single flight: platforms cannot delete
   * definitions, and DingTalk and WeCom refuse a second form or template of one name). Returns
   * which attempt this is (1, 2, …), or undefined when someone else holds the claim.
   */
  claimDefinition(integrationId: string, key: string, now: Date, until: Date): Promise<{ attempt: number } | undefined>;
  /**
   * Gives up a claim that made nothing (the platform refused the create), so the next start may
   * try at once. The attempt count stays: every attempt gets a name of its own.
   */
  releaseDefinition(integrationId: string, key: string): Promise<void>;
  /** Stores the code the platform made, not yet ready, unless a code is there already; returns the code that won. */
  recordDefinition(integrationId: string, key: string, code: string): Promise<string>;
  /** Marks a stored code ready (its follow-up is done). */
  markDefinitionReady(integrationId: string, key: string): Promise<void>;
  linkInstance(integrationId: string, instanceId: string, approvalId: string): Promise<void>;
  approvalOfInstance(integrationId: string, instanceId: string): Promise<string | undefined>;
}

export interface NotificationRecord {
  id: string;
  integrationId: string;
  message: Message;
  /** Absent on records stored before locales (read as en-US, UTC: how they were shown). */
  locale?: Locale;
  timeZone?: string;
  mentionUserIds: string[];
  deliveries: Delivery[];
  idempotencyKey?: string;
  /** With an idempotency key: the hash of the request that made it (`requestHash`); absent on records made before it was kept. */
  requestHash?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface NotificationRepository {
  /** Stores it and its jobs, or returns the notification an idempotency key already made. */
  create(notification: NotificationRecord, jobs?: readonly Job[]): Promise<{ created: boolean; notification: NotificationRecord }>;
  get(id: string): Promise<NotificationRecord | undefined>;
  byIdempotencyKey(integrationId: string, key: string): Promise<NotificationRecord | undefined>;
  /** Writes it and its jobs only if the stored version is `previous.version`; false for a lost race. */
  save(next: NotificationRecord, previous: NotificationRecord, jobs?: readonly Job[]): Promise<boolean>;
  list(request: NotificationListRequest): Promise<Page<NotificationRecord>>;
}

export interface NotificationListRequest extends PageRequest {
  integrationId?: string;
}

/**
 * What the setup check shows of an integration's callback path and platform calls, kept beside the integration (not in
 * its versioned record, so these notes never race a rename or a credential change).
 */
export interface IntegrationActivity {
  /** The platform's URL check (Feishu challenge, DingTalk check_url, WeCom echostr) was last answered. */
  handshakeAt?: string;
  /** The worker last ran a job for a verified platform event. */
  lastEventAt?: string;
  lastEventType?: string;
  /** The last call the platform refused with its own code (a missing permission, a wrong parameter), from any request or job. */
  lastPlatformError?: { at: string; platformCode: string | number; message: string };
}

export interface IntegrationActivityRepository {
  get(integrationId: string): Promise<IntegrationActivity>;
  noteHandshake(integrationId: string, at: Date): Promise<void>;
  noteEvent(integrationId: string, eventType: string, at: Date): Promise<void>;
  /** Writes at most one error a minute per integration, so a burst of refused calls costs one write. */
  notePlatformError(integrationId: string, error: { platformCode: string | number; message: string }, at: Date): Promise<void>;
}

export type { RateTake };

/** Sliding-window send logs shared by every instance. */
export interface RateLimitStore {
  /**
   * Logs a send under `key` at `now` if every window has room, or at the opening if that is at most
   * `reserveWithinMs` ahead (`taken`, with the time it may leave); otherwise says when to try again.
   * With `queue` (a send that will wait for it), that time is a place in line: the places given to
   * sends already waiting count as sends, so a burst's waiting sends are each woken at their own
   * opening (`earliestSlot`) instead of all at the first; `release` gives back the caller's own
   * place when it comes to take it. Places are only wake-up times: a send is logged when it is taken.
   */
  take(key: string, windows: readonly RateWindow[], now: number, options?: TakeOptions): Promise<RateTake>;
  /**
   * The platform answered the send taken at `takenAt` (whatever it said): it counts from
   * `answeredAt` from now on, instead of from when it left plus a margin for its transit. Other
   * processes may learn it only with this one's next write for the key; with `writeIfLate`, an
   * answer that came later than the send's margin is written at once, so that none of them counts
   * that send from when it left.
   */
  answered(key: string, windows: readonly RateWindow[], takenAt: number, answeredAt: number, options?: { writeIfLate?: boolean }): Promise<void>;
}
