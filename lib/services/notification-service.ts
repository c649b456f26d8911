import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Integration } from '../domain/integration.ts';
import { integrationLocale } from '../domain/locale.ts';
import { newJob } from '../domain/job.ts';
import {
  type CreateNotificationInput,
  type Delivery,
  notificationStatus,
  type RenderableMessage,
} from '../domain/message.ts';
import { botLimits, feishuTargetLimits, openingWaitMs, type RateWindow, scaleWindows, wakeLeadMs } from '../domain/rate-limit.ts';
import { requestHash, sameRequest } from '../domain/request-hash.ts';
import { BadRequestError, ConflictError, NotFoundError, ProviderError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { longestCallMs } from '../providers/http-client.ts';
import type { Person } from '../providers/port.ts';
import type { NotificationListRequest, NotificationRecord, NotificationRepository, Page, RateLimitStore } from '../store/repository.ts';
import type { IntegrationService } from './integration-service.ts';
import type { ProviderService } from './provider-service.ts';

export interface NotificationServiceOptions {
  notifications: NotificationRepository;
  rateLimits: RateLimitStore;
  integrations: IntegrationService;
  providers: ProviderService;
  logger: Logger;
  /** Multiplies every rate window (tests and local tries shrink minutes to seconds). @default 1 */
  rateWindowScale?: number;
  /** How long a claimed delivery is owned before another dispatcher may send it (after a crash). @default 60000 */
  leaseMs?: number;
  now?: () => Date;
  /** Waits for a rate window's opening a moment ahead (tests move a fake clock instead). */
  sleep?: (ms: number) => Promise<void>;
}

export const newNotificationId = () => `ntf_${randomBytes(15).toString('base64url').replace(/[-_]/g, 'x')}`;

/** The notification an idempotency key made, when `hash` is the request that made it; else a 409 `idempotency_conflict`. */
function repeatOf(notification: NotificationRecord, hash: string): NotificationRecord {
  if (sameRequest(notification.requestHash, hash)) return notification;
  throw new ConflictError(`idempotencyKey "${notification.idempotencyKey}" was already used with a different request; repeat that request unchanged, or use a new idempotencyKey`, {
    code: 'idempotency_conflict',
  });
}

/** Throttled sends are retried this many times (spread by the limiter and backoff) before a delivery fails. */
const maxAttempts = 8;

/**
 * Notifications: one message to many targets, a delivery record per target. Sends beyond a
 * platform's rate limit wait in the store (the notification's queued deliveries) and go out when
 * the window opens, from the request or from the notification's `notification.dispatch` job, due
 * then; each delivery is claimed before it is sent, so concurrent dispatchers never send it twice.
 */
export class NotificationService {
  private readonly now: () => Date;
  /** Records this service wrote together with their job, due when their first queued delivery is. */
  private readonly savedWithJob = new WeakSet<NotificationRecord>();

  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: NotificationServiceOptions) {
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? ((ms) => sleep(ms));
  }

  /**
   * `deferred`: written with its dispatch job due now and not sent by this call, for callers that
   * must not call a platform before they answer (a card click's callback).
   */
  async create(input: CreateNotificationInput, options: { deferred?: boolean } = {}): Promise<{ notification: NotificationView; created: boolean }> {
    const integration = await this.options.integrations.requireReferenced(input.integrationId);
    // The same key with another request is a conflict, never the first request's notification.
    const hash = requestHash(input);
    if (input.idempotencyKey) {
      const earlier = await this.options.notifications.byIdempotencyKey(integration.id, input.idempotencyKey);
      if (earlier) return { notification: toNotificationView(repeatOf(earlier, hash)), created: false };
    }
    const provider = await this.options.providers.providerOf(integration);
    const to = input.to ?? { chatIds: [], userIds: [], emails: [], mobiles: [] };
    const targetCount = to.chatIds.length + to.userIds.length + to.emails.length + to.mobiles.length;

    let deliveries: Delivery[];
    if (integration.kind === 'webhook') {
      if (targetCount > 0) throw new BadRequestError('a group bot sends to its own group: leave out "to"', { code: 'bot_has_no_targets' });
      deliveries = [queued('group', { group: true })];
    } else {
      if (targetCount === 0) throw new BadRequestError('give at least one target in "to": chatIds, userIds, emails or mobiles', { code: 'no_targets' });
      const people: Person[] = [...to.emails.map((email) => ({ email })), ...to.mobiles.map((mobile) => ({ mobile }))];
      const resolved = people.length ? await provider.resolveUsers(people) : [];
      deliveries = [
        ...to.chatIds.map((chatId) => queued(`chat:${chatId}`, { chatId })),
        ...to.userIds.map((userId) => queued(`user:${userId}`, { userId })),
        ...people.map((person, index) => queued('email' in person ? `email:${person.email}` : `mobile:${'mobile' in person ? person.mobile : ''}`, { userId: resolved[index]! })),
      ];
    }

    const mentionPeople = input.message.mentions.filter((mention): mention is Person => !('all' in mention));
    const lookups = mentionPeople.filter((person) => !('userId' in person));
    if (lookups.length && integration.kind === 'webhook') throw new BadRequestError('a group bot cannot look people up: mention them by userId', { code: 'bot_cannot_resolve' });
    const mentionUserIds = mentionPeople.length ? await provider.resolveUsers(mentionPeople) : [];

    const at = this.now().toISOString();
    // Created claimed by this request (attempts 1), so that its dispatch below sends without writing
    // a claim per target first: owned for a claim's lease after the longest send, the time to get to
    // it (the dispatch sends a target only while a send still fits before the end, `owned`).
    const claimedUntil = options.deferred ? this.now().toISOString() : new Date(this.now().getTime() + longestCallMs + this.leaseMs()).toISOString();
    const record: NotificationRecord = {
      id: newNotificationId(),
      integrationId: integration.id,
      message: input.message,
      locale: input.locale ?? integrationLocale(integration).locale,
      timeZone: input.timeZone ?? integrationLocale(integration).timeZone,
      mentionUserIds,
      deliveries: options.deferred ? deliveries : deliveries.map((delivery) => ({ ...delivery, attempts: 1, nextAttemptAt: claimedUntil })),
      ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey, requestHash: hash } : {}),
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    // Should the request's own dispatch below be cut short (a crash), its job sends what is left once the claims' lease ends.
    const fallback = newJob('notification.dispatch', record.id, new Date(claimedUntil), this.now());
    const { created, notification } = await this.options.notifications.create(record, [fallback]);
    if (!created) return { notification: toNotificationView(repeatOf(notification, hash)), created: false };
    if (options.deferred) return { notification: toNotificationView(notification), created: true };
    return { notification: toNotificationView(await this.dispatch(notification, integration, claimedUntil)), created: true };
  }

  async list(request: NotificationListRequest): Promise<Page<NotificationView>> {
    const page = await this.options.notifications.list(request);
    return { ...page, items: page.items.map(toNotificationView) };
  }

  async get(id: string): Promise<NotificationView> {
    const notification = await this.options.notifications.get(id);
    if (!notification) throw new NotFoundError(`notification ${id} does not exist`);
    return toNotificationView(notification);
  }

  /**
   * The `notification.dispatch` job: sends what is due of one notification. What stays queued has
   * its job written again by the dispatch itself (`keepQueuedDue`), due when the first of it is.
   */
  async dispatchJob(id: string): Promise<void> {
    const notification = await this.options.notifications.get(id);
    if (notification) await this.dispatch(notification);
  }

  /**
   * How long a claim owns a delivery: at least as long as its take, its wait for the window's
   * opening and its send can take (a second sender must not start while the first may still get
   * through, since a group bot cannot tell two sends apart).
   */
  private leaseMs(): number {
    return Math.max(this.options.leaseMs ?? 60_000, longestCallMs + openingWaitMs + 5000);
  }

  /**
   * Sends every queued delivery that is due and allowed by the rate limits, in order. `createdClaim`:
   * the deliveries were created claimed by this dispatcher until then (`create`).
   */
  private async dispatch(start: NotificationRecord, known?: Integration, createdClaim?: string): Promise<NotificationRecord> {
    const integration = known ?? (await this.options.integrations.require(start.integrationId));
    const provider = await this.options.providers.providerOf(integration);
    const message: RenderableMessage = {
      title: start.message.title,
      text: start.message.text,
      level: start.message.level,
      links: start.message.links,
      mentions: { userIds: start.mentionUserIds, all: start.message.mentions.some((mention) => 'all' in mention) },
      locale: start.locale,
    };
    let current = start;
    for (let index = 0; index < current.deliveries.length; index += 1) {
      const delivery = current.deliveries[index]!;
      const now = this.now();
      // Still owned from the create, with a whole lease left for the send: no claim to write.
      const owned =
        createdClaim !== undefined && delivery.status === 'queued' && delivery.attempts === 1 && delivery.nextAttemptAt === createdClaim && now.getTime() + this.leaseMs() <= Date.parse(createdClaim);
      if (!owned && (delivery.status !== 'queued' || (delivery.nextAttemptAt && delivery.nextAttemptAt > now.toISOString()))) continue;

      // The claim first (attempts + 1, owned for the lease): a concurrent dispatcher's save then fails.
      if (!owned) {
        const claimed = await this.change(current, index, { ...delivery, attempts: delivery.attempts + 1, nextAttemptAt: new Date(this.now().getTime() + this.leaseMs()).toISOString() });
        if (!claimed) {
          // Another dispatcher changed it meanwhile: it sends what it claimed; this one only makes
          // sure below that what stays queued has its job.
          current = (await this.options.notifications.get(current.id)) ?? current;
          break;
        }
        current = claimed;
      }
      const claimedAttempts = current.deliveries[index]!.attempts;
      // Then the rate window, right before the send. A full window gives the claim back (the attempt
      // not counted) and the delivery its place in line: its job is due a second before the place
      // (`wakeLeadMs`), so that the job's own work is done when the window opens; it then takes the
      // opening, waiting for it here if it is a moment ahead. The sends waiting with it each wake at
      // their own opening. A request never waits: what the window does not allow now is queued.
      const limit = sendRateLimit(integration, delivery.platformTarget, this.options.rateWindowScale ?? 1);
      const lead = limit ? wakeLeadMs : 0;
      const fromJob = createdClaim === undefined;
      const taken =
        limit &&
        (await this.options.rateLimits.take(limit.key, limit.windows, this.now().getTime(), {
          queue: true,
          ...(fromJob ? { reserveWithinMs: openingWaitMs } : {}),
          ...(fromJob && delivery.nextAttemptAt ? { release: Date.parse(delivery.nextAttemptAt) + lead } : {}),
        }));
      if (taken && !taken.taken) {
        const wake = new Date(Math.max(this.now().getTime(), taken.retryAt - lead)).toISOString();
        current = await this.recordOutcome(current, index, { ...current.deliveries[index]!, attempts: claimedAttempts - 1, nextAttemptAt: wake }, claimedAttempts);
        continue;
      }
      if (taken && taken.at > this.now().getTime()) await this.sleep(taken.at - this.now().getTime());
      let outcome: Delivery;
      let answering: Promise<void> | undefined;
      try {
        // @all belongs in a chat or a bot's group; never in a one-to-one message (a Feishu card with
        // <at id=all> fails to send where the group owner has not allowed it).
        const forTarget = 'userId' in delivery.platformTarget ? { ...message, mentions: { ...message.mentions, all: false } } : message;
        const sent = await provider.messages.send(delivery.platformTarget, forTarget, `${current.id}-${index}`).finally(() => {
          if (limit && taken) answering = noteSendAnswer(this.options.rateLimits, limit, taken.at, this.now().getTime(), this.options.logger);
        });
        const { nextAttemptAt: _, ...rest } = current.deliveries[index]!;
        outcome = { ...rest, status: 'sent', ...(sent.messageId ? { messageId: sent.messageId } : {}), ...(sent.truncated ? { truncated: true } : {}) };
      } catch (error) {
        const claimedDelivery = current.deliveries[index]!;
        if (error instanceof ProviderError && error.repeatable && claimedDelivery.attempts < maxAttempts) {
          // Not before the platform's announced reset (Feishu's x-ogw-ratelimit-reset, up to 60 s).
          const waitMs = Math.max(1000 * 2 ** claimedDelivery.attempts, error.retryAfterMs ?? 0);
          outcome = { ...claimedDelivery, status: 'queued', nextAttemptAt: new Date(this.now().getTime() + waitMs).toISOString() };
        } else {
          const { nextAttemptAt: _, ...rest } = claimedDelivery;
          outcome = {
            ...rest,
            status: 'failed',
            error: error instanceof ProviderError ? { code: error.platformCode, message: error.platformMessage } : { code: (error as { code?: string }).code ?? 'error', message: (error as Error).message },
          };
        }
      }
      current = await this.recordOutcome(current, index, outcome);
      await answering;
    }
    return this.keepQueuedDue(current);
  }

  /**
   * What stays queued (a closed rate window, a retry, a claim another dispatcher holds) is sent by
   * the notification's job, due when the first of it is. Every dispatch ends here, on the latest
   * record (re-read after a lost race), so no queued delivery is ever left without its job.
   */
  private async keepQueuedDue(record: NotificationRecord): Promise<NotificationRecord> {
    if (this.savedWithJob.has(record)) return record;
    let current: NotificationRecord | undefined = record;
    for (let attempt = 0; attempt < 5 && current; attempt += 1) {
      const due = nextDispatchAt(current);
      if (!due) return current;
      const next: NotificationRecord = { ...current, version: current.version + 1, updatedAt: this.now().toISOString() };
      if (await this.options.notifications.save(next, current, [newJob('notification.dispatch', current.id, due, this.now())])) return next;
      current = await this.options.notifications.get(record.id);
    }
    return current ?? record;
  }

  /**
   * Records what a claimed send did (or gives the claim back), on the latest record when another dispatcher wrote it meanwhile
   * (say, to keep its job due): a send that went out must never stay claimed and go out again when
   * the claim runs out. The claim is still ours while the delivery has the attempts it set.
   */
  private async recordOutcome(claimed: NotificationRecord, index: number, outcome: Delivery, claimedAttempts = outcome.attempts): Promise<NotificationRecord> {
    // What stays queued is sent later by the job, written along.
    const withJob = outcome.status === 'queued';
    let current: NotificationRecord | undefined = claimed;
    for (let race = 0; race < 5 && current; race += 1) {
      const delivery = current.deliveries[index];
      if (!delivery || delivery.status !== 'queued' || delivery.attempts !== claimedAttempts) return current;
      const saved = await this.change(current, index, outcome, withJob);
      if (saved) return saved;
      current = await this.options.notifications.get(claimed.id);
    }
    this.options.logger.warn('a delivery’s outcome could not be recorded: it is sent again when its claim runs out', { notificationId: claimed.id, index });
    return current ?? claimed;
  }

  /**
   * Writes one delivery's change. With `withJob` (the delivery stays queued for later: a place in
   * line, a retry), the notification's job goes along, due when the first queued delivery is, so
   * that the dispatch need not write it again at its end (`keepQueuedDue`).
   */
  private async change(record: NotificationRecord, index: number, delivery: Delivery, withJob = false): Promise<NotificationRecord | undefined> {
    const next: NotificationRecord = {
      ...record,
      deliveries: record.deliveries.map((existing, position) => (position === index ? delivery : existing)),
      version: record.version + 1,
      updatedAt: this.now().toISOString(),
    };
    const due = withJob ? nextDispatchAt(next) : undefined;
    if (!(await this.options.notifications.save(next, record, due ? [newJob('notification.dispatch', record.id, due, this.now())] : undefined))) return undefined;
    if (due) this.savedWithJob.add(next);
    return next;
  }
}

/**
 * The platform answered a send (whatever it said): its window counts it from now on, not from when
 * it left. Not written, the send keeps counting from then plus its margin: slower, not wrong.
 */
export async function noteSendAnswer(rateLimits: RateLimitStore, limit: SendRateLimit, takenAt: number, answeredAt: number, logger?: Logger): Promise<void> {
  try {
    await rateLimits.answered(limit.key, limit.windows, takenAt, answeredAt, { writeIfLate: limit.blocks });
  } catch (error) {
    logger?.warn('a send’s answer could not be logged in its rate window: it counts from when it left', { key: limit.key, error });
  }
}

export interface SendRateLimit {
  key: string;
  windows: RateWindow[];
  /**
   * One send too many blocks the sender for a while (a group bot: DingTalk for 10 minutes), rather
   * than being answered "too fast" and sent again (a chat's per-second window): a send slower than
   * its margin has its answer written at once (`RateLimitStore.answered`).
   */
  blocks: boolean;
}

/**
 * The rate window a post to `target` takes, if any: a group bot's own window (whatever it posts,
 * a verify's test message included), or a Feishu/Lark chat's.
 */
export function sendRateLimit(integration: Integration, target: Delivery['platformTarget'], scale: number): SendRateLimit | undefined {
  if (integration.kind === 'webhook') return { key: `bot:${integration.id}`, windows: scaleWindows(botLimits[integration.provider] ?? [], scale), blocks: true };
  if ((integration.provider === 'feishu' || integration.provider === 'lark') && 'chatId' in target) {
    return { key: `chat:${integration.id}:${target.chatId}`, windows: scaleWindows(feishuTargetLimits, scale), blocks: false };
  }
  return undefined;
}

/** When the first queued delivery of a notification is due, if any is queued. */
export function nextDispatchAt(notification: NotificationRecord): string | undefined {
  return notification.deliveries
    .filter((delivery) => delivery.status === 'queued')
    .map((delivery) => delivery.nextAttemptAt ?? notification.updatedAt)
    .sort()[0];
}

const queued = (target: string, platformTarget: Delivery['platformTarget']): Delivery => ({ target, platformTarget, status: 'queued', attempts: 0 });

export type NotificationView = ReturnType<typeof toNotificationView>;

export function toNotificationView(notification: NotificationRecord) {
  return {
    id: notification.id,
    integrationId: notification.integrationId,
    status: notificationStatus(notification.deliveries),
    message: notification.message,
    locale: notification.locale ?? ('en-US' as const),
    timeZone: notification.timeZone ?? 'UTC',
    deliveries: notification.deliveries.map((delivery) => ({
      target: delivery.target,
      status: delivery.status,
      messageId: delivery.messageId ?? null,
      error: delivery.error ?? null,
      truncated: delivery.truncated ?? false,
      attempts: delivery.attempts,
    })),
    idempotencyKey: notification.idempotencyKey ?? null,
    createdAt: notification.createdAt,
    updatedAt: notification.updatedAt,
  };
}
