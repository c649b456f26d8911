import { randomUUID } from 'node:crypto';
import { type ApprovalRecord, isTerminal } from '../../domain/approval.ts';
import type { Job } from '../../domain/job.ts';
import { answerSlot, pruneRateLog, type RateLog, takeSlot } from '../../domain/rate-limit.ts';
import type { JobStore, LeasedJob } from '../../jobs/ports.ts';
import { commitSignals } from '../../jobs/signals.ts';
import type {
  ApprovalIndexRepository,
  ApprovalListRequest,
  ApprovalRepository,
  CallbackEventRepository,
  IntegrationActivity,
  IntegrationActivityRepository,
  NotificationRecord,
  NotificationRepository,
  Page,
  PageRequest,
  ProvisionedDefinition,
  RateLimitStore,
} from '../repository.ts';

interface StoredJob extends Job {
  leaseToken?: string;
  dead?: boolean;
}

const copy = <T>(value: T): T => structuredClone(value);

/** One page of records in creation order (or newest first); the cursor is the offset. */
function pageOf<T extends { id: string; createdAt: string }>(records: T[], request: PageRequest): Page<T> {
  const all = records.sort((a, b) => `${a.createdAt}#${a.id}`.localeCompare(`${b.createdAt}#${b.id}`));
  if (request.order === 'newest') all.reverse();
  const start = request.cursor ? Number(request.cursor) : 0;
  const items = all.slice(start, start + request.limit).map(copy);
  return start + request.limit < all.length ? { items, nextCursor: String(start + request.limit) } : { items };
}

/**
 * The store in memory, behind the same ports as DynamoDB, for services' unit tests without a
 * database: the same conditions (version, pending, idempotency keys), the same outbox (a record and
 * its jobs written together, or neither) and the same job leases. Records are copied in and out,
 * as a database would. It keeps nothing across processes: never for running imhub.
 */
export class MemoryStore {
  readonly approvalsById = new Map<string, ApprovalRecord>();
  readonly notificationsById = new Map<string, NotificationRecord>();
  readonly jobsById = new Map<string, StoredJob>();
  private readonly keys = new Map<string, string>();
  private readonly events = new Set<string>();
  private readonly definitions = new Map<string, { code?: string; ready: boolean; attempts: number; leaseUntil?: number }>();
  private readonly instances = new Map<string, string>();

  /** Writes jobs as the outbox does: one per id, the newest wins, with no lease. */
  private putJobs(jobs: readonly Job[]) {
    for (const job of jobs) this.jobsById.set(job.id, copy(job));
    commitSignals.jobsWritten(jobs);
  }

  /**
   * Stores a new record and its jobs, or with an idempotency key already used (per `kind` and
   * integration) returns what that key made: as `putOnce` does in DynamoDB.
   */
  private createOnce<T extends { id: string; integrationId: string; idempotencyKey?: string }>(kind: string, records: Map<string, T>, record: T, jobs: readonly Job[]): { created: boolean; record: T } {
    const keyName = record.idempotencyKey && `${kind}:${record.integrationId}:${record.idempotencyKey}`;
    const earlier = keyName ? this.keys.get(keyName) : undefined;
    if (earlier) return { created: false, record: copy(records.get(earlier)!) };
    if (keyName) this.keys.set(keyName, record.id);
    records.set(record.id, copy(record));
    this.putJobs(jobs);
    return { created: true, record };
  }

  private readById<T>(records: Map<string, T>, id: string | undefined): T | undefined {
    const found = id === undefined ? undefined : records.get(id);
    return found && copy(found);
  }

  readonly approvals: ApprovalRepository = {
    create: async (approval, jobs = []) => {
      const { created, record } = this.createOnce('apr', this.approvalsById, approval, jobs);
      return { created, approval: record };
    },
    get: async (id) => this.readById(this.approvalsById, id),
    byIdempotencyKey: async (integrationId, key) => this.readById(this.approvalsById, this.keys.get(`apr:${integrationId}:${key}`)),
    list: async (request: ApprovalListRequest): Promise<Page<ApprovalRecord>> =>
      pageOf(
        [...this.approvalsById.values()].filter((approval) => (!request.status || approval.status === request.status) && (!request.integrationId || approval.integrationId === request.integrationId)),
        request,
      ),
    update: async (next, previous, jobs = []) => this.writeApproval(next, previous, jobs, false),
    updateAnyStatus: async (next, previous, jobs = []) => this.writeApproval(next, previous, jobs, true),
  };

  private writeApproval(next: ApprovalRecord, previous: ApprovalRecord, jobs: readonly Job[], anyStatus: boolean): boolean {
    const stored = this.approvalsById.get(next.id);
    if (!stored || stored.version !== previous.version || (!anyStatus && isTerminal(stored.status))) return false;
    this.approvalsById.set(next.id, copy(next));
    this.putJobs(jobs);
    commitSignals.recordChanged(next.id);
    return true;
  }

  readonly notifications: NotificationRepository = {
    create: async (notification, jobs = []) => {
      const { created, record } = this.createOnce('ntf', this.notificationsById, notification, jobs);
      return { created, notification: record };
    },
    get: async (id) => this.readById(this.notificationsById, id),
    byIdempotencyKey: async (integrationId, key) => this.readById(this.notificationsById, this.keys.get(`ntf:${integrationId}:${key}`)),
    save: async (next, previous, jobs = []) => {
      if (this.notificationsById.get(next.id)?.version !== previous.version) return false;
      this.notificationsById.set(next.id, copy(next));
      this.putJobs(jobs);
      commitSignals.recordChanged(next.id);
      return true;
    },
    list: async (request) => pageOf([...this.notificationsById.values()].filter((notification) => !request.integrationId || notification.integrationId === request.integrationId), request),
  };

  readonly activityById = new Map<string, IntegrationActivity>();

  readonly activity: IntegrationActivityRepository = {
    get: async (integrationId) => copy(this.activityById.get(integrationId) ?? {}),
    noteHandshake: async (integrationId, at) => this.noteActivity(integrationId, { handshakeAt: at.toISOString() }),
    noteEvent: async (integrationId, eventType, at) => this.noteActivity(integrationId, { lastEventAt: at.toISOString(), lastEventType: eventType }),
    notePlatformError: async (integrationId, error, at) => {
      const last = this.activityById.get(integrationId)?.lastPlatformError;
      if (last && Date.parse(last.at) > at.getTime() - 60_000) return;
      this.noteActivity(integrationId, { lastPlatformError: { at: at.toISOString(), ...error } });
    },
  };

  private noteActivity(integrationId: string, patch: IntegrationActivity) {
    this.activityById.set(integrationId, { ...this.activityById.get(integrationId), ...patch });
  }

  readonly callbackEvents: CallbackEventRepository = {
    claim: async ({ integrationId, eventId, job }) => {
      const key = `${integrationId}#${eventId}`;
      if (this.events.has(key)) return false;
      this.events.add(key);
      this.putJobs(job ? [job] : []);
      return true;
    },
  };

  readonly index: ApprovalIndexRepository = {
    definition: async (integrationId, key): Promise<ProvisionedDefinition | undefined> => {
      const found = this.definitions.get(`${integrationId}#${key}`);
      return found && (found.code ? { code: found.code, ready: found.ready } : { ready: false });
    },
    claimDefinition: async (integrationId, key, now, until) => {
      const found = this.definitions.get(`${integrationId}#${key}`);
      if (found && (found.code || (found.leaseUntil ?? 0) >= now.getTime())) return undefined;
      const attempts = (found?.attempts ?? 0) + 1;
      this.definitions.set(`${integrationId}#${key}`, { ready: false, attempts, leaseUntil: until.getTime() });
      return { attempt: attempts };
    },
    releaseDefinition: async (integrationId, key) => {
      const found = this.definitions.get(`${integrationId}#${key}`);
      if (found && !found.code) delete found.leaseUntil;
    },
    recordDefinition: async (integrationId, key, code) => {
      const found = this.definitions.get(`${integrationId}#${key}`) ?? { ready: false, attempts: 1 };
      if (found.code) return found.code;
      this.definitions.set(`${integrationId}#${key}`, { ...found, code, ready: false });
      return code;
    },
    markDefinitionReady: async (integrationId, key) => {
      const found = this.definitions.get(`${integrationId}#${key}`);
      if (found) found.ready = true;
    },
    linkInstance: async (integrationId, instanceId, approvalId) => void this.instances.set(`${integrationId}#${instanceId}`, approvalId),
    approvalOfInstance: async (integrationId, instanceId) => this.instances.get(`${integrationId}#${instanceId}`),
  };

  /** Per key, the recent sends and the places in line given to sends that wait. */
  private readonly rateLogs = new Map<string, RateLog>();

  readonly rateLimits: RateLimitStore = {
    take: async (key, windows, now, options) => {
      const state = pruneRateLog(this.rateLogs.get(key) ?? { log: [], answered: [], ahead: [] }, windows, now);
      this.rateLogs.set(key, state);
      return takeSlot(state, windows, now, options);
    },
    answered: async (key, windows, takenAt, answeredAt) => {
      const state = pruneRateLog(this.rateLogs.get(key) ?? { log: [], answered: [], ahead: [] }, windows, answeredAt);
      answerSlot(state, takenAt, answeredAt);
      this.rateLogs.set(key, state);
    },
  };

  readonly jobs: JobStore = {
    due: async (now, limit) =>
      [...this.jobsById.values()]
        .filter((job) => !job.dead && job.dueAt <= now.toISOString())
        .sort((a, b) => `${a.dueAt}#${a.id}`.localeCompare(`${b.dueAt}#${b.id}`))
        .slice(0, limit)
        .map(({ leaseToken: _token, dead: _dead, ...job }) => copy(job)),
    get: async (id) => {
      const found = this.jobsById.get(id);
      if (!found) return undefined;
      const { leaseToken: _token, dead: _dead, ...job } = found;
      return copy(job);
    },
    lease: async (id, now, until): Promise<LeasedJob | undefined> => {
      const found = this.jobsById.get(id);
      if (!found || found.dead || found.dueAt > now.toISOString()) return undefined;
      const { leaseToken: _token, dead: _dead, ...job } = found;
      const token = randomUUID();
      this.jobsById.set(id, { ...found, dueAt: until.toISOString(), leaseToken: token });
      return { ...copy(job), token };
    },
    complete: async (job) => {
      if (this.jobsById.get(job.id)?.leaseToken !== job.token) return false;
      this.jobsById.delete(job.id);
      return true;
    },
    reschedule: async (job, next) => {
      if (this.jobsById.get(job.id)?.leaseToken !== job.token) return false;
      const { token: _token, ...rest } = job;
      const rescheduled: StoredJob = { ...rest, dueAt: next.dueAt.toISOString(), attempts: next.attempts, ...(next.lastError ? { lastError: next.lastError } : {}), ...(next.dead ? { dead: true } : {}) };
      this.jobsById.set(job.id, rescheduled);
      if (!next.dead) commitSignals.jobsWritten([rescheduled]);
      return true;
    },
  };
}
