import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ApprovalEvent,
  type ApprovalRecord,
  type ApprovalStatus,
  type CreateApprovalInput,
  isTerminal,
  type PersonInput,
  type StageMode,
  transition,
  type WebhookAttempt,
  type WebhookState,
  webhookBackoffMs,
  webhookRetryWindowMs,
} from '../domain/approval.ts';
import { hasAnyScope, type Principal, type Scope } from '../domain/api-key.ts';
import { requestHash, sameRequest } from '../domain/request-hash.ts';
import { type CheckPlan, callbacksArriveWithinMs, checkPlan, type DingtalkPolling } from '../domain/check-plan.ts';
import { type OutboundUrlPolicy, outboundUrlProblem } from '../domain/outbound-url.ts';
import { webhookSignature } from '../domain/webhook-signature.ts';
import type { SecretSealer } from '../secrets/sealer.ts';
import type { Integration } from '../domain/integration.ts';
import type { CreateNotificationInput, MessageLevel } from '../domain/message.ts';
import { BadRequestError, ConflictError, ForbiddenError, HttpError, invalidInput, NotFoundError, ProviderError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { PlatformEvent } from '../providers/callbacks/callback-types.ts';
import type { ApprovalOperations, ApprovalSpec } from '../providers/port.ts';
import type { ApprovalIndexRepository, ApprovalRepository, Page } from '../store/repository.ts';
import type { CallbackEventSink } from './callback-service.ts';
import type { IntegrationService } from './integration-service.ts';
import type { ProviderService } from './provider-service.ts';

export interface ApprovalServiceOptions {
  approvals: ApprovalRepository;
  index: ApprovalIndexRepository;
  integrations: IntegrationService;
  providers: ProviderService;
  sealer: SecretSealer;
  urlPolicy: OutboundUrlPolicy;
  logger: Logger;
  /** Sends the start and end messages of approvals with `notify`. */
  notifications?: { create(input: CreateNotificationInput): Promise<unknown> };
  /** First webhook retry delay, doubling after. @default 30000 */
  webhookFirstRetryMs?: number;
  /** Per webhook attempt. @default 10000 */
  webhookTimeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => Date;
  /** How long a start or a webhook delivery is owned before the reconciler may take it over. @default 60000 */
  leaseMs?: number;
  /** First reconciler look after creation, then doubling per check (the base of every platform's plan). @default 60000 */
  firstCheckMs?: number;
  /** How DingTalk re-reads are spent (`checkPlan`). @default 'sparing' */
  dingtalkPolling?: DingtalkPolling;
  /** Longest gap between two reconciler looks at one approval. @default 900000 */
  maxCheckGapMs?: number;
  /** Long-poll store re-read interval. @default 250 */
  pollMs?: number;
  /** How often a start waits to see the definition another start is making. @default 150 */
  provisionPollMs?: number;
  /**
   * How long past its timeout an approval whose platform cannot be read waits for a read before it
   * expires without withdrawing (a decision imhub could not see must not be undone). @default 600000
   */
  timeoutGraceMs?: number;
}

/** What a key needs, besides approvals:write, to start an approval with `notify`: the scope of POST /v1/notifications. */
export const notifyScopes: readonly Scope[] = ['notifications:send'];

/** The approval an idempotency key made, when `hash` is the request that made it; else a 409 `idempotency_conflict`. */
function repeatOf(approval: ApprovalRecord, hash: string): ApprovalRecord {
  if (sameRequest(approval.requestHash, hash)) return approval;
  throw new ConflictError(`idempotencyKey "${approval.idempotencyKey}" was already used with a different request; repeat that request unchanged, or use a new idempotencyKey`, {
    code: 'idempotency_conflict',
  });
}

export const newApprovalId = () => `apr_${randomBytes(15).toString('base64url').replace(/[-_]/g, 'x')}`;

/** How much earlier than imhub's first attempt a resumed start looks: DingTalk dates instances to the minute, and the platform's clock is not ours. */
const startClockSlackMs = 120_000;

/**
 * A create whose outcome is unknown: sent, and no answer said what happened (a timeout, a dropped
 * connection, a 5xx, an unreadable answer). A refusal, a throttle or a used-up quota says nothing
 * was made, and a failure safe to repeat is retried as it is.
 */
const createAnswerLost = (error: unknown) => error instanceof ProviderError && !error.refused && !error.throttled && !error.quotaExhausted && !error.repeatable;

/** Which approval a platform event is about: the instance id the receivers extract. */
const instanceEventTypes = new Set([
  // Feishu/Lark v1 names, and the v2 names of the same events (official Node SDK types).
  'approval_instance',
  'approval_task',
  'approval.instance.status_changed_v4',
  'approval.task.status_changed_v4',
  'bpms_task_change',
  'bpms_instance_change',
  'sys_approval_change',
]);

/**
 * Approvals: start one in the platform's app, learn decisions from callbacks (re-reading the
 * instance as the truth) and from the reconciler, enforce the timeout with withdrawal, cancel.
 * Every state change is a conditional write: of racing writers one wins, the others re-read.
 */
export class ApprovalService implements CallbackEventSink {
  private readonly now: () => Date;
  private readonly leaseMs: number;

  constructor(private readonly options: ApprovalServiceOptions) {
    this.now = options.now ?? (() => new Date());
    this.leaseMs = options.leaseMs ?? 60_000;
  }

  /**
   * `caller` is the API key behind the request: `notify` sends messages to chats, people or a
   * bot's group, so it needs what POST /v1/notifications needs (checked before anything is read
   * or stored).
   */
  async create(input: CreateApprovalInput, caller: Principal | undefined): Promise<{ approval: ApprovalView; created: boolean }> {
    if (input.notify && !(caller && hasAnyScope(caller, notifyScopes))) {
      throw new ForbiddenError(`this API key lacks the scope for notify: the start and end messages need ${notifyScopes.join(' or ')} (or admin); leave out notify or use a key with that scope`, {
        details: { field: 'notify', requiredScopes: ['admin', ...notifyScopes] },
      });
    }
    const integration = await this.options.integrations.requireReferenced(input.integrationId);
    // A repeated request returns what the first one made, without asking the platform again; the
    // same key with another request is a conflict, never the first request's approval.
    // The webhook's secret stays out of the hash: nothing derived from a secret is stored in the clear.
    const hash = requestHash(input.webhook ? { ...input, webhook: { url: input.webhook.url } } : input);
    if (input.idempotencyKey) {
      const earlier = await this.options.approvals.byIdempotencyKey(integration.id, input.idempotencyKey);
      if (earlier) return { approval: toApprovalView(repeatOf(earlier, hash)), created: false };
    }
    const provider = await this.options.providers.providerOf(integration);
    if (!provider.approvals) throw new BadRequestError('approvals need an app integration; a group bot cannot run them', { code: 'not_an_app' });
    const webhookProblem = input.webhook && outboundUrlProblem(input.webhook.url, this.options.urlPolicy);
    if (webhookProblem) throw invalidInput('request body', [{ path: 'webhook.url', message: `webhook.url ${webhookProblem}` }]);

    const notify = input.notify && (await this.checkNotify(integration, input.notify));

    // People first: an unknown approver is a 422 and nothing is stored. A lookup the platform
    // throttles or cannot answer now does not lose the start: the approval is kept unresolved, and
    // the reconciler resolves its people and starts it.
    let resolved: Pick<ApprovalRecord, 'requesterPlatformId' | 'stages'> | undefined;
    try {
      resolved = withPlatformIds(input.requester, input.stages, await provider.resolveUsers(peopleOf(input.requester, input.stages)));
    } catch (error) {
      if (!(error instanceof ProviderError && error.repeatable)) throw error;
      this.options.logger.warn('the platform is throttling people lookups: the reconciler will resolve and start this approval', { integrationId: integration.id, platformCode: error.platformCode });
    }
    const stages = resolved?.stages ?? input.stages.map((stage) => ({ mode: stage.mode, approvers: stage.approvers }));
    const requester = resolved?.requesterPlatformId;

    const now = this.now();
    const record: ApprovalRecord = {
      id: newApprovalId(),
      integrationId: integration.id,
      title: input.title,
      ...(input.content ? { content: input.content } : {}),
      requester: input.requester,
      ...(requester ? { requesterPlatformId: requester } : {}),
      stages,
      status: 'pending',
      decisions: [],
      timeoutAt: new Date(now.getTime() + input.timeoutSeconds * 1000).toISOString(),
      onTimeout: input.onTimeout,
      ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey, requestHash: hash } : {}),
      ...(notify ? { notify } : {}),
      ...(input.webhook
        ? {
            webhook: {
              url: input.webhook.url,
              sealedSecret: await this.options.sealer.seal(input.webhook.secret, { integrationId: integration.id }),
              state: 'waiting' as const,
              attempts: [],
            },
          }
        : {}),
      // Never later than the timeout: an approval of 30 s is ended at 30 s, not at the first look.
      nextCheckAt: new Date(Math.min(now.getTime() + this.checkPlanOf(integration).firstMs, now.getTime() + input.timeoutSeconds * 1000)).toISOString(),
      checks: 0,
      startLeaseUntil: new Date(now.getTime() + this.leaseMs).toISOString(),
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const { created, approval } = await this.options.approvals.create(record);
    if (!created) return { approval: toApprovalView(repeatOf(approval, hash)), created: false };
    if (!resolved) return { approval: toApprovalView(approval), created: true };
    return { approval: toApprovalView(await this.start(integration, provider.approvals, approval)), created: true };
  }

  /**
   * Creates the platform instance of a stored approval and links it. When the platform was
   * throttling or unavailable and the create is safe to repeat (it never acted, or the create
   * carries an idempotency key, as Feishu's uuid), the approval stays pending and the reconciler
   * starts it when the lease ends; any other failure ends it `failed` with the platform's message
   * and is thrown (a create that cannot be repeated safely is not repeated). Of two instances created for one approval (a
   * start taken over while the first was only slow), the first linked wins and the other is withdrawn.
   * Where the create has no idempotency key but instances can be listed (DingTalk, WeCom), the first
   * create leaves a marker (`startAttemptAt`); one whose answer was lost keeps the approval pending,
   * and the resumed start links what it made (`earlierInstances`), creating one only if it made none.
   */
  private async start(integration: Integration, operations: ApprovalOperations, stored: ApprovalRecord): Promise<ApprovalRecord> {
    let approval = stored;
    if (approval.requesterPlatformId === undefined) {
      // Kept unresolved when its lookups were throttled: resolve now (a repeatable failure waits
      // for the next look; a person the platform does not know ends it failed, saying who).
      try {
        const provider = await this.options.providers.providerOf(integration);
        const resolved = withPlatformIds(approval.requester, approval.stages, await provider.resolveUsers(peopleOf(approval.requester, approval.stages)));
        approval = (await this.write(approval, (current) => ({ ...current, ...resolved }))) ?? approval;
      } catch (error) {
        if (error instanceof ProviderError && error.repeatable) return approval;
        await this.apply(approval.id, { type: 'failed', at: this.now().toISOString(), reason: error instanceof HttpError ? error.message : 'its people could not be looked up' });
        throw error;
      }
      if (isTerminal(approval.status) || approval.requesterPlatformId === undefined) return approval;
    }
    const spec = specOf(approval);
    let created: { definition: string; instanceId: string; url?: string | undefined };
    let duplicates: string[] = [];
    try {
      const definition = await this.definitionFor(integration, operations, spec);
      if (!definition) {
        this.options.logger.info('another start is provisioning this shape: the reconciler will start this approval', { approvalId: approval.id });
        return approval;
      }
      // A create sent before (its answer lost, or its process gone) may have made the instance: look first.
      const earlier = approval.startAttemptAt && operations.findInstances ? await this.earlierInstances(integration, operations, definition, approval) : [];
      if (earlier.length > 0) {
        created = { definition, instanceId: earlier[0]! };
        duplicates = earlier.slice(1);
      } else {
        if (operations.findInstances && !approval.startAttemptAt) {
          const marked = await this.markStartAttempt(approval);
          if (!marked) return (await this.options.approvals.get(approval.id)) ?? approval;
          approval = marked;
        }
        try {
          const instance = await operations.createInstance(definition, spec);
          created = { definition, instanceId: instance.instanceId, url: instance.url };
        } catch (error) {
          if (!(operations.findInstances && createAnswerLost(error))) throw error;
          // It may have been made: the reconciler looks for it when the lease ends (not at the
          // plan's first re-read, an hour on DingTalk), and creates one only if it finds none.
          this.options.logger.warn('the create got no answer and may have made the instance: the reconciler will look for it, then start this approval', { approvalId: approval.id, platformCode: (error as ProviderError).platformCode });
          return (await this.write(approval, (current) => ({ ...current, nextCheckAt: current.startLeaseUntil && current.startLeaseUntil < current.nextCheckAt ? current.startLeaseUntil : current.nextCheckAt }))) ?? approval;
        }
      }
    } catch (error) {
      if (error instanceof ProviderError && error.repeatable) {
        this.options.logger.warn('the platform is throttling or unavailable: the reconciler will start this approval', { approvalId: approval.id, platformCode: error.platformCode });
        return approval;
      }
      const reason = error instanceof ProviderError ? error.message : 'the platform instance could not be created';
      await this.apply(approval.id, { type: 'failed', at: this.now().toISOString(), reason });
      throw error;
    }
    await this.options.index.linkInstance(integration.id, created.instanceId, approval.id);
    const started = await this.write(approval, (current) =>
      current.platform ? current : { ...current, platform: { instanceId: created.instanceId, definition: created.definition, ...(created.url ? { url: created.url } : {}) } },
    );
    // Not linked (another start linked first, or the approval ended meanwhile): nobody would ever
    // act on this instance, so take it back where the platform allows.
    if (started?.platform?.instanceId !== created.instanceId) {
      await this.withdraw({ ...approval, platform: { instanceId: created.instanceId, definition: created.definition } });
    }
    const current = started && duplicates.length > 0 ? await this.closeDuplicates(operations, started, created.definition, duplicates) : started;
    if (current) await this.followUp(current);
    return current ?? approval;
  }

  /**
   * The marker of the first create about to be sent: its time, written with a renewed start lease
   * under the version condition, so a start that lost its lease (or an approval that ended
   * meanwhile) sends nothing. Undefined when the write lost.
   */
  private async markStartAttempt(approval: ApprovalRecord): Promise<ApprovalRecord | undefined> {
    const now = this.now();
    const marked: ApprovalRecord = {
      ...approval,
      startAttemptAt: now.toISOString(),
      startLeaseUntil: new Date(now.getTime() + this.leaseMs).toISOString(),
      version: approval.version + 1,
      updatedAt: now.toISOString(),
    };
    return (await this.options.approvals.update(marked, approval)) ? marked : undefined;
  }

  /**
   * What earlier creates of this approval made: the platform's instances of its definition made for
   * it (`findInstances`) since its first attempt, less `startClockSlackMs`, and linked to no other
   * approval. Oldest first.
   */
  private async earlierInstances(integration: Integration, operations: ApprovalOperations, definition: string, approval: ApprovalRecord): Promise<string[]> {
    const since = new Date(new Date(approval.startAttemptAt!).getTime() - startClockSlackMs);
    const ours: string[] = [];
    for (const { instanceId } of await operations.findInstances!(definition, specOf(approval), since)) {
      const owner = await this.options.index.approvalOfInstance(integration.id, instanceId);
      if (owner === undefined || owner === approval.id) ours.push(instanceId);
    }
    if (ours.length > 0) this.options.logger.info('found the instance an earlier create made: linking it instead of creating one', { approvalId: approval.id, instanceIds: ours });
    return ours;
  }

  /**
   * Other instances made for one approval, besides the one it tracks (creates repeated after lost
   * answers): each withdrawn where the platform allows, and all recorded on the approval
   * (`duplicateInstances`); one that stays open (WeCom has no withdraw) is logged for a person to close.
   */
  private async closeDuplicates(operations: ApprovalOperations, approval: ApprovalRecord, definition: string, instanceIds: string[]): Promise<ApprovalRecord> {
    const outcomes: { instanceId: string; withdrawn: boolean }[] = [];
    for (const instanceId of instanceIds) {
      let withdrawn = false;
      try {
        withdrawn = (await operations.withdraw(definition, instanceId, specOf(approval))) === 'withdrawn';
      } catch (error) {
        this.options.logger.warn('withdrawing a second platform instance failed', { approvalId: approval.id, instanceId, error });
      }
      if (!withdrawn) this.options.logger.warn('a second platform instance was made for this approval and is still open: close it in the platform app', { approvalId: approval.id, instanceId, tracked: approval.platform?.instanceId });
      outcomes.push({ instanceId, withdrawn });
    }
    return (await this.write(approval, (current) => ({ ...current, duplicateInstances: [...(current.duplicateInstances ?? []), ...outcomes] }))) ?? approval;
  }

  /** The reconciler's part of a start: take the lease once it has run out, then start. */
  private async resumeStart(approval: ApprovalRecord): Promise<ApprovalRecord | undefined> {
    const now = this.now();
    const leaseEnd = approval.startLeaseUntil ?? new Date(new Date(approval.createdAt).getTime() + this.leaseMs).toISOString();
    if (leaseEnd > now.toISOString()) return approval;
    const claimed: ApprovalRecord = { ...approval, startLeaseUntil: new Date(now.getTime() + this.leaseMs).toISOString(), version: approval.version + 1, updatedAt: now.toISOString() };
    if (!(await this.options.approvals.update(claimed, approval))) return this.options.approvals.get(approval.id);
    const integration = await this.options.integrations.require(approval.integrationId);
    const provider = await this.options.providers.providerOf(integration);
    return this.start(integration, provider.approvals!, claimed);
  }

  async get(id: string, waitSeconds = 0): Promise<ApprovalView> {
    const deadline = Date.now() + Math.min(waitSeconds, 25) * 1000;
    for (;;) {
      const approval = await this.options.approvals.get(id);
      if (!approval) throw new NotFoundError(`approval ${id} does not exist`);
      if (isTerminal(approval.status) || Date.now() >= deadline) return toApprovalView(approval);
      await sleep(this.options.pollMs ?? 250);
    }
  }

  async list(request: { limit: number; cursor?: string | undefined; status?: ApprovalStatus | undefined; integrationId?: string | undefined }): Promise<Page<ApprovalView>> {
    const page = await this.options.approvals.list({
      limit: request.limit,
      ...(request.cursor ? { cursor: request.cursor } : {}),
      ...(request.status ? { status: request.status } : {}),
      ...(request.integrationId ? { integrationId: request.integrationId } : {}),
    });
    return { ...page, items: page.items.map(toApprovalView) };
  }

  /**
   * Cancels a pending approval. The platform is read first and its decision wins: an approval
   * already decided there (its callback late or lost) is not canceled, and answers 409
   * `already_decided` with the approval as it ended. Canceling a canceled approval is a no-op.
   */
  async cancel(id: string): Promise<ApprovalView> {
    const before = await this.options.approvals.get(id);
    if (!before) throw new NotFoundError(`approval ${id} does not exist`);
    const after = isTerminal(before.status) ? before : await this.endByImhub(before, { type: 'cancel', at: this.now().toISOString() });
    if (after && after.status !== 'canceled') {
      const view = toApprovalView(after);
      throw new ConflictError(`approval ${id} was already ${after.status}${after.endReason ? ` (${after.endReason})` : ''}; nothing was canceled`, { code: 'already_decided', details: { approval: view } });
    }
    return toApprovalView(after ?? before);
  }

  /**
   * Ends a pending approval on imhub's own account (its timeout or a cancel) the way the platform
   * allows. The instance is read first and what it says is applied: a grant whose callback was
   * late or lost stays a grant. Only an instance still pending is withdrawn, and only then is the
   * approval ended; a withdrawal the platform refuses is followed by another read, since the
   * refusal may mean someone decided in between. A read that fails is thrown (nothing changes).
   */
  private async endByImhub(approval: ApprovalRecord, event: Extract<ApprovalEvent, { type: 'timeout' | 'cancel' }>): Promise<ApprovalRecord | undefined> {
    if (approval.platform) {
      const seen = await this.refresh(approval.id);
      if (!seen || isTerminal(seen.status)) return seen;
      if (!(await this.withdraw(seen))) {
        const again = await this.refresh(approval.id).catch(() => undefined);
        if (again && isTerminal(again.status)) return again;
      }
    }
    return this.apply(approval.id, event);
  }

  /** A verified platform event: re-read the instance it names and apply what the platform says. */
  async handle(integration: Integration, event: PlatformEvent) {
    if (!event.instanceId || !instanceEventTypes.has(event.type)) return undefined;
    const approvalId = await this.options.index.approvalOfInstance(integration.id, event.instanceId);
    if (!approvalId) return undefined;
    await this.refresh(approvalId, integration, event.instanceId);
    return undefined;
  }

  /** An event whose handling failed: its approval is looked at by the next reconciler run. */
  async defer(integration: Integration, event: PlatformEvent): Promise<void> {
    if (!event.instanceId || !instanceEventTypes.has(event.type)) return;
    const approvalId = await this.options.index.approvalOfInstance(integration.id, event.instanceId);
    const approval = approvalId && (await this.options.approvals.get(approvalId));
    if (!approval || isTerminal(approval.status)) return;
    const now = this.now().toISOString();
    await this.write(approval, (current) => ({ ...current, nextCheckAt: current.nextCheckAt < now ? current.nextCheckAt : now }));
  }

  /**
   * The reconciler: approvals that are due, oldest first. Past their timeout they expire (or are
   * approved, per onTimeout) and the platform instance is withdrawn; otherwise the instance is
   * re-read, and the next look backs off (1, 2, 4 … 15 minutes), never past the timeout. No new
   * approval is taken once `deadline` (epoch ms, the run's budget) has passed: it stays due for the
   * next run. Webhooks are not delivered here (`deliverWebhooks`), so a slow receiver never holds
   * an approval's timeout back.
   */
  async reconcile(limit = 50, deadline = Number.POSITIVE_INFINITY): Promise<{ checked: number; ended: number }> {
    const due = await this.options.approvals.due(this.now(), limit);
    let ended = 0;
    let checked = 0;
    for (const approval of due) {
      if (Date.now() >= deadline) break;
      checked += 1;
      try {
        // An ended approval is due only while its end message is still to be handed on.
        if (isTerminal(approval.status)) {
          await this.followUp(approval);
          continue;
        }
        const now = this.now();
        const integration = await this.options.integrations.find(approval.integrationId);
        if (!integration) {
          // Nothing can read or withdraw its instance any more: end it, so that it is not looked at forever.
          await this.apply(approval.id, { type: 'failed', at: now.toISOString(), reason: 'its integration was deleted' });
          ended += 1;
          continue;
        }
        let result: ApprovalRecord | undefined;
        if (now.toISOString() >= approval.timeoutAt) {
          result = await this.expire(approval, now);
        } else if (!approval.platform) {
          // A start a crash or a throttling platform interrupted.
          result = await this.resumeStart(approval);
          if (result && !isTerminal(result.status)) await this.reschedule(result);
        } else {
          await this.followUp(approval);
          // While the platform says the app's call quota is used up, a read would only fail: wait for the reset.
          const quotaPaused = Boolean(integration.platformQuota && integration.platformQuota.resetsAt > now.toISOString());
          result = quotaPaused ? approval : await this.refresh(approval.id, integration);
          if (result && !isTerminal(result.status)) await this.reschedule(result, integration);
        }
        if (result && isTerminal(result.status)) ended += 1;
      } catch (error) {
        this.options.logger.warn('reconcile failed', { approvalId: approval.id, error });
        const current = await this.options.approvals.get(approval.id);
        if (current && !isTerminal(current.status)) await this.reschedule(current);
      }
    }
    return { checked, ended };
  }

  /**
   * The timeout: read the platform, withdraw what is still pending there, then expire (or approve,
   * per onTimeout). While the platform cannot be read the approval stays due and is tried again;
   * past the grace it expires without a withdrawal, so a decision imhub could not see is not undone.
   */
  private async expire(approval: ApprovalRecord, now: Date): Promise<ApprovalRecord | undefined> {
    const event = { type: 'timeout', at: now.toISOString() } as const;
    try {
      return await this.endByImhub(approval, event);
    } catch (error) {
      const overdueMs = now.getTime() - new Date(approval.timeoutAt).getTime();
      if (overdueMs < (this.options.timeoutGraceMs ?? 600_000)) throw error;
      this.options.logger.warn('the platform could not be read past the timeout grace: expiring without withdrawing the instance', { approvalId: approval.id, error });
      return this.apply(approval.id, event);
    }
  }

  /** Validates `notify` up front: the integration exists, and targets fit its kind. */
  private async checkNotify(approvalIntegration: Integration, notify: NonNullable<CreateApprovalInput['notify']>) {
    const integrationId = notify.integrationId ?? approvalIntegration.id;
    const target = integrationId === approvalIntegration.id ? approvalIntegration : await this.options.integrations.find(integrationId);
    if (!target) throw invalidInput('request body', [{ path: 'notify.integrationId', message: `integration ${integrationId} does not exist` }]);
    const count = notify.to ? Object.values(notify.to).reduce((sum, list) => sum + list.length, 0) : 0;
    if (target.kind === 'webhook' && count > 0) throw invalidInput('request body', [{ path: 'notify.to', message: 'a group bot posts to its own group: leave out notify.to' }]);
    if (target.kind === 'app' && count === 0) throw invalidInput('request body', [{ path: 'notify.to', message: 'give chatIds, userIds, emails or mobiles for an app' }]);
    return { integrationId, ...(notify.to ? { to: notify.to } : {}) };
  }

  /**
   * Hands the start message (once the instance exists) and the end message of an approval with
   * `notify` to the notifications outbox, and records that. Until recorded, the approval stays
   * due for the reconciler (the end message's job is born in the terminal write), so a crash
   * loses no message; the notification's idempotency key makes a second hand-over a no-op.
   */
  private async followUp(approval: ApprovalRecord): Promise<void> {
    if (!approval.notify || !this.options.notifications) return;
    const moments = (['start', 'end'] as const).filter(
      (moment) => !approval.announced?.includes(moment) && (moment === 'start' ? Boolean(approval.platform) : isTerminal(approval.status)),
    );
    const handed: ('start' | 'end')[] = [];
    for (const moment of moments) if (await this.announce(approval, moment)) handed.push(moment);
    if (handed.length === 0) return;
    const next: ApprovalRecord = { ...approval, announced: [...(approval.announced ?? []), ...handed], version: approval.version + 1, updatedAt: this.now().toISOString() };
    // A lost race leaves it due: the next look hands the message on again, which changes nothing.
    await this.options.approvals.updateAnyStatus(next, approval);
  }

  /**
   * Posts the start or end message of an approval with `notify`: the idempotency key is the
   * approval id and the moment. False when it should be tried again (the store failed); a
   * message the API refuses (say, its bot was deleted) is logged and not retried. It never
   * fails the approval.
   */
  private async announce(approval: ApprovalRecord, moment: 'start' | 'end'): Promise<boolean> {
    if (!approval.notify || !this.options.notifications) return true;
    const level: MessageLevel = moment === 'start' ? 'info' : approval.status === 'approved' ? 'success' : approval.status === 'rejected' || approval.status === 'failed' ? 'error' : 'warning';
    const who = (person: PersonInput | undefined) => (person ? ('userId' in person ? person.userId : 'email' in person ? person.email : person.mobile) : 'someone');
    const view = toApprovalView(approval);
    const text =
      moment === 'start'
        ? [`Requested by ${who(approval.requester)}`, approval.content, `Approvers: ${approval.stages.map((stage, index) => `stage ${index + 1} (${stage.mode}): ${stage.approvers.map(who).join(', ')}`).join('; ')}`]
        : [
            `Outcome: **${approval.status}**${approval.endReason ? ` (${approval.endReason})` : ''}`,
            ...view.decisions.map((decision) => `${decision.decision === 'approve' ? 'Approved' : 'Rejected'} by ${who(decision.person ?? { userId: decision.approver })} at ${decision.at}${decision.comment ? `: ${decision.comment}` : ''}`),
          ];
    try {
      await this.options.notifications.create({
        integrationId: approval.notify.integrationId,
        ...(approval.notify.to ? { to: approval.notify.to } : {}),
        message: {
          title: `${moment === 'start' ? 'Approval requested' : `Approval ${approval.status}`}: ${approval.title}`.slice(0, 200),
          text: text.filter(Boolean).join('\n').slice(0, 4000),
          level,
          links: approval.platform?.url ? [{ title: 'Open', url: approval.platform.url }] : [],
          mentions: [],
        },
        idempotencyKey: `${approval.id}-${moment}`,
      });
      return true;
    } catch (error) {
      this.options.logger.warn('approval notification failed', { approvalId: approval.id, moment, error });
      return error instanceof HttpError && error.statusCode < 500;
    }
  }

  /**
   * Delivers due webhooks, up to `concurrency` at once, so that receivers that never answer hold
   * back only each other's slots: one leased attempt per approval, signed, every attempt recorded;
   * retried with backoff for a day after the approval ended, then marked failed. Once `deadline`
   * (epoch ms, the run's budget) has passed no delivery starts (the rest is due next run), and an
   * attempt waits at most until then (at least 1 s): one it cuts short is recorded as a timeout.
   */
  async deliverWebhooks(limit = 50, deadline = Number.POSITIVE_INFINITY, concurrency = 8): Promise<{ attempted: number; delivered: number }> {
    const due = await this.options.approvals.dueWebhooks(this.now(), limit);
    let attempted = 0;
    let delivered = 0;
    const deliverInTurn = async () => {
      for (let approval = due.shift(); approval && Date.now() < deadline; approval = due.shift()) {
        const webhook = approval.webhook;
        if (!webhook || webhook.state !== 'pending') continue;
        try {
          const now = this.now();
          const count = webhook.attempts.length;
          if (!(await this.options.approvals.leaseWebhook(approval.id, count, now, new Date(now.getTime() + this.leaseMs)))) continue;
          attempted += 1;
          const attempt = await this.post(approval, webhook, deadline);
          const attempts = [...webhook.attempts, attempt];
          const ok = attempt.status >= 200 && attempt.status < 300;
          const expired = now.getTime() - new Date(approval.endedAt ?? approval.updatedAt).getTime() > webhookRetryWindowMs;
          const { nextAttemptAt: _previous, ...rest } = webhook;
          const next: WebhookState = ok
            ? { ...rest, attempts, state: 'delivered' }
            : expired
              ? { ...rest, attempts, state: 'failed' }
              : { ...rest, attempts, state: 'pending', nextAttemptAt: new Date(this.now().getTime() + webhookBackoffMs(attempts.length, this.options.webhookFirstRetryMs)).toISOString() };
          await this.options.approvals.recordWebhook(approval.id, count, next);
          if (ok) delivered += 1;
        } catch (error) {
          // The lease runs out and the next run tries again; the other deliveries go on.
          this.options.logger.warn('webhook delivery failed', { approvalId: approval.id, error });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, deliverInTurn));
    return { attempted, delivered };
  }

  private async post(approval: ApprovalRecord, webhook: WebhookState, deadline = Number.POSITIVE_INFINITY): Promise<WebhookAttempt> {
    const started = Date.now();
    const at = this.now().toISOString();
    const timeoutMs = Math.min(this.options.webhookTimeoutMs ?? 10_000, Math.max(deadline - started, 1_000));
    try {
      const secret = await this.options.sealer.open(webhook.sealedSecret, { integrationId: approval.integrationId });
      const body = JSON.stringify({ type: `approval.${approval.status}`, deliveryId: approval.id, approval: toApprovalView(approval) });
      const timestamp = String(Math.floor(Date.now() / 1000));
      const response = await (this.options.fetch ?? fetch)(webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'imhub-webhook/1',
          'x-imhub-timestamp': timestamp,
          'x-imhub-signature': webhookSignature(secret, timestamp, body),
          'x-imhub-delivery': approval.id,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      return { at, status: response.status, durationMs: Date.now() - started };
    } catch (error) {
      return { at, status: 0, durationMs: Date.now() - started, error: (error as Error).name === 'TimeoutError' ? 'timeout' : 'could not connect' };
    }
  }

  /**
   * Re-reads the platform instance and applies it. `eventInstanceId` covers an event that arrives
   * between the instance's creation and imhub recording it on the approval.
   */
  private async refresh(approvalId: string, known?: Integration, eventInstanceId?: string): Promise<ApprovalRecord | undefined> {
    const approval = await this.options.approvals.get(approvalId);
    const instanceId = approval?.platform?.instanceId ?? eventInstanceId;
    if (!approval || isTerminal(approval.status) || !instanceId) return approval;
    const integration = known ?? (await this.options.integrations.require(approval.integrationId));
    const provider = await this.options.providers.providerOf(integration);
    const snapshot = await provider.approvals!.getInstance(approval.platform?.definition ?? '', instanceId, specOf(approval));
    return this.apply(approvalId, { type: 'observed', platformStatus: snapshot.status, decisions: snapshot.decisions, at: this.now().toISOString() });
  }

  private async reschedule(approval: ApprovalRecord, integration?: Integration) {
    const plan = this.checkPlanOf(integration);
    const gap = Math.min(plan.firstMs * 2 ** (approval.checks + 1), plan.maxGapMs);
    const next = new Date(Math.min(this.now().getTime() + gap, new Date(approval.timeoutAt).getTime())).toISOString();
    await this.write(approval, (current) => ({ ...current, checks: current.checks + 1, nextCheckAt: next }));
  }

  /** When to re-read an approval of this integration (DingTalk spares its monthly call quota); the base plan without one. */
  private checkPlanOf(integration: Integration | undefined): CheckPlan {
    const base = { firstMs: this.options.firstCheckMs ?? 60_000, maxGapMs: this.options.maxCheckGapMs ?? 900_000 };
    if (!integration) return base;
    const callbacksArrive = Boolean(integration.callbacksSeenAt && this.now().getTime() - new Date(integration.callbacksSeenAt).getTime() < callbacksArriveWithinMs);
    return checkPlan(integration.provider, callbacksArrive, base, this.options.dingtalkPolling);
  }

  /** Withdraws the platform instance where the platform allows it; false when the platform refused or failed. */
  private async withdraw(approval: ApprovalRecord): Promise<boolean> {
    if (!approval.platform) return true;
    const integration = await this.options.integrations.require(approval.integrationId);
    const provider = await this.options.providers.providerOf(integration);
    try {
      const outcome = await provider.approvals!.withdraw(approval.platform.definition, approval.platform.instanceId, specOf(approval));
      this.options.logger.info('platform instance withdrawn', { approvalId: approval.id, outcome });
      return true;
    } catch (error) {
      // The approval ends in imhub either way (unless a read shows a decision); the platform instance is left for a person.
      this.options.logger.warn('withdrawing the platform instance failed', { approvalId: approval.id, error });
      return false;
    }
  }

  /** Applies an event under the pending-and-version condition, re-reading on a lost race. */
  private async apply(id: string, event: ApprovalEvent): Promise<ApprovalRecord | undefined> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const current = await this.options.approvals.get(id);
      if (!current || isTerminal(current.status)) return current;
      const next = transition(current, event) as ApprovalRecord;
      // Decisions are only ever added (the domain keeps the first ones and counts the rest), so their number says whether anything changed.
      if (next === current || (next.status === current.status && next.decisions.length === current.decisions.length && next.moreDecisions === current.moreDecisions)) return current;
      const written: ApprovalRecord = { ...next, version: current.version + 1, updatedAt: this.now().toISOString() };
      // The delivery job is born in the same write as the terminal state: one per approval.
      if (isTerminal(written.status) && written.webhook) written.webhook = { ...written.webhook, state: 'pending', nextAttemptAt: this.now().toISOString() };
      if (await this.options.approvals.update(written, current)) {
        if (isTerminal(written.status)) await this.followUp(written);
        return written;
      }
    }
    return this.options.approvals.get(id);
  }

  private async write(approval: ApprovalRecord, change: (current: ApprovalRecord) => ApprovalRecord): Promise<ApprovalRecord | undefined> {
    let current: ApprovalRecord | undefined = approval;
    for (let attempt = 0; attempt < 5 && current && !isTerminal(current.status); attempt += 1) {
      const written = { ...change(current), version: current.version + 1, updatedAt: this.now().toISOString() };
      if (await this.options.approvals.update(written, current)) return written;
      current = await this.options.approvals.get(approval.id);
    }
    return current;
  }

  /**
   * The platform definition (Feishu), form (DingTalk) or template (WeCom) for this shape, made once
   * per integration: one caller claims the making (single flight), the code is stored the moment
   * the platform returns it, and its follow-up (Feishu's subscription) is retried on its own, so a
   * definition, which Feishu cannot delete, is never made twice. Undefined while another start is
   * making it: the caller defers its start.
   */
  private async definitionFor(integration: Integration, approvals: ApprovalOperations, spec: ApprovalSpec): Promise<string | undefined> {
    const key = approvals.definitionKey(spec);
    const index = this.options.index;
    for (let look = 0; look < 20; look += 1) {
      const known = await index.definition(integration.id, key);
      if (known?.code) {
        if (!known.ready) {
          await approvals.activate(known.code);
          await index.markDefinitionReady(integration.id, key);
        }
        return known.code;
      }
      const now = this.now();
      const claim = await index.claimDefinition(integration.id, key, now, new Date(now.getTime() + this.leaseMs));
      if (claim) {
        let code: string;
        try {
          code = await approvals.provision(spec, definitionName(integration, claim.attempt));
        } catch (error) {
          // Refused or throttled: nothing was made, so the next start may try at once. Otherwise
          // (no answer) the claim stands until its lease ends: nobody makes a second one sooner.
          if (error instanceof ProviderError && (error.refused || error.throttled)) await index.releaseDefinition(integration.id, key);
          throw error;
        }
        const stored = await index.recordDefinition(integration.id, key, code);
        await approvals.activate(stored);
        await index.markDefinitionReady(integration.id, key);
        return stored;
      }
      // Another start is making it: its code is usually there within a moment.
      await sleep(this.options.provisionPollMs ?? 150);
    }
    return undefined;
  }
}

/**
 * The name of a definition, form or template: unique per integration and per attempt, within the
 * 40 characters WeCom allows. DingTalk and WeCom refuse a second form or template of one name in a
 * tenant ("已有相同名称表单", "模版名称不得和现有模版名称重复"), which an integration registered
 * again, two integrations of one name, or a create whose answer was lost would otherwise meet.
 */
export function definitionName(integration: Pick<Integration, 'id' | 'name'>, attempt: number): string {
  const suffix = ` ${integration.id.slice(-6)}${attempt > 1 ? `-${attempt}` : ''}`;
  return `${`imhub ${integration.name}`.slice(0, 40 - suffix.length).trimEnd()}${suffix}`;
}

/** Everyone a start must look up: the requester, then each stage's approvers in order. */
const peopleOf = (requester: PersonInput, stages: readonly { approvers: PersonInput[] }[]): PersonInput[] => [requester, ...stages.flatMap((stage) => stage.approvers)];

/** The stages and requester with the platform ids `resolveUsers` returned for `peopleOf` them. */
function withPlatformIds(requester: PersonInput, stages: readonly { mode: StageMode; approvers: PersonInput[] }[], ids: readonly string[]): Pick<ApprovalRecord, 'requesterPlatformId' | 'stages'> {
  const [requesterId, ...approverIds] = ids as [string, ...string[]];
  let offset = 0;
  return {
    requesterPlatformId: requesterId,
    stages: stages.map((stage) => {
      const platformUserIds = approverIds.slice(offset, offset + stage.approvers.length);
      offset += stage.approvers.length;
      return { mode: stage.mode, approvers: stage.approvers, platformUserIds };
    }),
  };
}

function specOf(approval: ApprovalRecord): ApprovalSpec {
  return {
    approvalId: approval.id,
    title: approval.title,
    ...(approval.content ? { content: approval.content } : {}),
    requester: approval.requesterPlatformId ?? '',
    stages: approval.stages.map((stage) => ({ mode: stage.mode, approvers: stage.platformUserIds ?? [] })),
  };
}

export type ApprovalView = ReturnType<typeof toApprovalView>;

/** What callers see; decisions name the approver as the platform does and as the caller gave them. */
export function toApprovalView(approval: ApprovalRecord) {
  const personOf = (stage: number, platformUserId: string) => {
    const index = approval.stages[stage]?.platformUserIds?.indexOf(platformUserId) ?? -1;
    return index >= 0 ? approval.stages[stage]!.approvers[index] : undefined;
  };
  return {
    id: approval.id,
    integrationId: approval.integrationId,
    title: approval.title,
    content: approval.content ?? null,
    status: approval.status,
    requester: approval.requester,
    stages: approval.stages.map((stage) => ({ mode: stage.mode, approvers: stage.approvers })),
    decisions: approval.decisions.map((decision) => ({ ...decision, person: personOf(decision.stage, decision.approver) ?? null })),
    moreDecisions: approval.moreDecisions ?? 0,
    platformInstanceId: approval.platform?.instanceId ?? null,
    timeoutAt: approval.timeoutAt,
    onTimeout: approval.onTimeout,
    endedAt: approval.endedAt ?? null,
    endReason: approval.endReason ?? null,
    idempotencyKey: approval.idempotencyKey ?? null,
    webhook: approval.webhook ? { url: approval.webhook.url, state: approval.webhook.state, attempts: approval.webhook.attempts } : null,
    createdAt: approval.createdAt,
    updatedAt: approval.updatedAt,
  };
}
