import { type ApprovalRecord, type ApprovalStatus, type CreateApprovalInput, isTerminal } from '../../domain/approval.ts';
import { approvalJobs } from '../../domain/approval-jobs.ts';
import { hasAnyScope, type Principal, type Scope } from '../../domain/api-key.ts';
import type { Integration } from '../../domain/integration.ts';
import { integrationLocale } from '../../domain/locale.ts';
import { outboundUrlProblem } from '../../domain/outbound-url.ts';
import { requestHash, sameRequest } from '../../domain/request-hash.ts';
import { BadRequestError, ConflictError, ForbiddenError, invalidInput, NotFoundError, ProviderError } from '../../errors.ts';
import type { JobHandler } from '../../jobs/ports.ts';
import { commitSignals } from '../../jobs/signals.ts';
import type { Page } from '../../store/repository.ts';
import type { NotificationTargets } from '../../domain/message.ts';
import type { ImProvider } from '../../providers/port.ts';
import { type ApprovalContext, type ApprovalServiceOptions, approvalContext } from './context.ts';
import { ApprovalCards } from './cards.ts';
import { ApprovalJobs } from './job-handlers.ts';
import { ApprovalPlatformDriver } from './platform-driver.ts';
import { ApprovalStarter } from './starter.ts';
import { maxCardApprovers } from '../../domain/approval-cards.ts';
import { type ApprovalView, newApprovalId, peopleOf, selfApprovalProblem, toApprovalView, withPlatformIds } from './view.ts';
import { ApprovalWriter } from './writer.ts';

export type { ApprovalServiceOptions } from './context.ts';

/**
 * Whether an approval in the app announces itself as one card per target, updated in place: its
 * `notify` goes to chats and people (by platform id) of its own app, whose cards can be updated
 * more than once (Feishu/Lark, DingTalk with a card template; not WeCom, whose cards update once).
 * Otherwise (a group bot, which cannot change a message it sent; people by email or mobile) it
 * posts a start and an end message.
 */
function announcesAsCard(integration: Integration, provider: ImProvider, notify: { integrationId: string; to?: NotificationTargets | undefined }): boolean {
  const cards = provider.cards;
  if (!cards || cards.singleUseHandles || notify.integrationId !== integration.id || !notify.to) return false;
  if (notify.to.emails.length > 0 || notify.to.mobiles.length > 0) return false;
  return notify.to.chatIds.length === 0 || cards.chats;
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

/**
 * Approvals, as callers use them: start one in the platform's app, read it (or wait for its end),
 * list, cancel. What follows a start (checks, the timeout, messages, the webhook, platform events)
 * is jobs the worker runs (`jobHandlers`). Every change is a conditional write with its jobs.
 */
export class ApprovalService {
  private readonly context: ApprovalContext;
  private readonly driver: ApprovalPlatformDriver;
  private readonly starter: ApprovalStarter;
  private readonly jobs: ApprovalJobs;
  /** Cards (`via: "card"`): their job, and the clicks the callback path hands over. */
  readonly cards: ApprovalCards;

  constructor(options: ApprovalServiceOptions) {
    this.context = approvalContext(options);
    const writer = new ApprovalWriter(this.context);
    this.driver = new ApprovalPlatformDriver(this.context, writer);
    this.starter = new ApprovalStarter(this.context, writer, this.driver);
    this.jobs = new ApprovalJobs(this.context, writer, this.driver, this.starter);
    this.cards = new ApprovalCards(this.context, writer);
  }

  /** What the worker runs for approvals. */
  jobHandlers(): Record<'callback.event' | 'approval.check' | 'approval.announce' | 'approval.webhook' | 'approval.nudge' | 'approval.cards', JobHandler> {
    return { ...this.jobs.handlers(), 'approval.cards': (job, deadline) => this.cards.sync(job.subject, deadline) };
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
    const integration = await this.context.options.integrations.requireReferenced(input.integrationId);
    // A repeated request returns what the first one made, without asking the platform again; the
    // same key with another request is a conflict, never the first request's approval.
    // The webhook's secret stays out of the hash: nothing derived from a secret is stored in the clear.
    // allowSelfApproval left at its default stays out too, so a request repeated across an upgrade hashes the same.
    // So does via at its default ("app").
    const { allowSelfApproval, webhook, via, ...rest } = input;
    const hash = requestHash({ ...rest, ...(webhook ? { webhook: { url: webhook.url } } : {}), ...(allowSelfApproval ? { allowSelfApproval } : {}), ...(via === 'card' ? { via } : {}) });
    if (input.idempotencyKey) {
      const earlier = await this.context.options.approvals.byIdempotencyKey(integration.id, input.idempotencyKey);
      if (earlier) return { approval: toApprovalView(repeatOf(earlier, hash)), created: false };
    }
    const provider = await this.context.options.providers.providerOf(integration);
    if (!provider.approvals) throw new BadRequestError('approvals need an app integration; a group bot cannot run them', { code: 'not_an_app' });
    if (via === 'card' && !provider.cards) {
      const why =
        integration.provider === 'dingtalk'
          ? 'DingTalk makes every card from a template the tenant publishes in its card platform: add cardTemplateId to this integration’s credentials (docs/platforms/dingtalk.md says what the template holds), or use "via": "app"'
          : `${integration.provider} approval cards are not supported; use "via": "app"`;
      throw new BadRequestError(why, { code: 'cards_unsupported' });
    }
    if (via === 'card') await this.checkCards(integration, input);
    const maxAge = via === 'card' ? provider.cards?.maxAgeSeconds : undefined;
    if (maxAge !== undefined && input.timeoutSeconds > maxAge) {
      throw invalidInput('request body', [
        { path: 'timeoutSeconds', message: `${integration.provider} cards can be clicked for ${maxAge / 86400} days after they are sent: give timeoutSeconds at most ${maxAge}, or use "via": "app"` },
      ]);
    }
    if (input.cardTo && provider.cards && !provider.cards.chats) {
      throw invalidInput('request body', [{ path: 'cardTo.chatIds', message: `${integration.provider} sends button cards to people only, not to chats: leave out cardTo` }]);
    }
    const webhookProblem = input.webhook && outboundUrlProblem(input.webhook.url, this.context.options.urlPolicy);
    if (webhookProblem) throw invalidInput('request body', [{ path: 'webhook.url', message: `webhook.url ${webhookProblem}` }]);

    const notify = input.notify && (await this.checkNotify(integration, input.notify));
    const allowSelf = allowSelfApproval ? ({ allowSelfApproval: true } as const) : {};
    const asGiven = selfApprovalProblem({ requester: input.requester, stages: input.stages, ...allowSelf });
    if (asGiven) throw asGiven;

    // People first: an unknown approver is a 422 and nothing is stored. A lookup the platform
    // throttles or cannot answer now does not lose the start: the approval is kept unresolved, and
    // the reconciler resolves its people and starts it.
    let resolved: Pick<ApprovalRecord, 'requesterPlatformId' | 'stages'> | undefined;
    try {
      resolved = withPlatformIds(input.requester, input.stages, await provider.resolveUsers(peopleOf(input.requester, input.stages)));
    } catch (error) {
      if (!(error instanceof ProviderError && error.repeatable)) throw error;
      this.context.options.logger.warn('the platform is throttling people lookups: the reconciler will resolve and start this approval', { integrationId: integration.id, platformCode: error.platformCode });
    }
    // The same person may be named two ways (an email for the requester, a userId in a stage).
    const resolvedProblem = resolved && selfApprovalProblem({ requester: input.requester, ...resolved, ...allowSelf });
    if (resolvedProblem) throw resolvedProblem;
    const stages = resolved?.stages ?? input.stages.map((stage) => ({ mode: stage.mode, approvers: stage.approvers }));
    const requester = resolved?.requesterPlatformId;

    const now = this.context.now();
    const record: ApprovalRecord = {
      id: newApprovalId(),
      integrationId: integration.id,
      title: input.title,
      ...(input.content ? { content: input.content } : {}),
      ...integrationLocale(integration),
      ...(input.locale ? { locale: input.locale } : {}),
      ...(input.timeZone ? { timeZone: input.timeZone } : {}),
      requester: input.requester,
      ...(requester ? { requesterPlatformId: requester } : {}),
      stages,
      status: 'pending',
      decisions: [],
      timeoutAt: new Date(now.getTime() + input.timeoutSeconds * 1000).toISOString(),
      onTimeout: input.onTimeout,
      ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey, requestHash: hash } : {}),
      ...(notify ? { notify } : {}),
      ...allowSelf,
      ...(via === 'card' ? { via, cards: [], ...(input.cardTo ? { cardTo: input.cardTo } : {}) } : {}),
      ...(via === 'app' && notify && announcesAsCard(integration, provider, notify) ? { announceAsCard: true as const, cards: [] } : {}),
      ...(input.remind ? { remind: { ...input.remind, sent: 0, nextAt: new Date(now.getTime() + input.remind.everySeconds * 1000).toISOString() } } : {}),
      ...(input.escalate ? { escalate: { approvers: input.escalate.approvers, at: new Date(now.getTime() + input.escalate.afterSeconds * 1000).toISOString() } } : {}),
      ...(input.webhook
        ? {
            webhook: {
              url: input.webhook.url,
              sealedSecret: await this.context.options.sealer.seal(input.webhook.secret, { integrationId: integration.id }),
              state: 'waiting' as const,
              attempts: [],
            },
          }
        : {}),
      // Never later than the timeout: an approval of 30 s is ended at 30 s, not at the first look.
      nextCheckAt: new Date(Math.min(now.getTime() + this.driver.checkPlanOf(integration).firstMs, now.getTime() + input.timeoutSeconds * 1000)).toISOString(),
      checks: 0,
      startLeaseUntil: new Date(now.getTime() + this.context.leaseMs).toISOString(),
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const { created, approval } = await this.context.options.approvals.create(record, approvalJobs(undefined, record, now));
    if (!created) return { approval: toApprovalView(repeatOf(approval, hash)), created: false };
    if (!resolved || approval.via === 'card') return { approval: toApprovalView(approval), created: true };
    return { approval: toApprovalView(await this.starter.start(integration, provider.approvals, approval)), created: true };
  }

  /**
   * One approval; with `waitSeconds` (at most 25) a long-poll that answers as soon as the approval
   * ends. Where every write is made in this process (the local runtime) it wakes on the commit that
   * ends it; in Lambda, where the worker commits in another function, it re-reads every `pollMs`.
   */
  async get(id: string, waitSeconds = 0): Promise<ApprovalView> {
    const { options } = this.context;
    const deadline = Date.now() + Math.min(waitSeconds, 25) * 1000;
    for (;;) {
      // The record is not kept across the wait: hundreds of long-polls may be held at once.
      const ended = await this.viewIfDone(id, deadline);
      if (ended) return ended;
      const left = deadline - Date.now();
      await commitSignals.nextChange(id, options.commitsInProcess ? left : Math.min(left, options.pollMs ?? 1000));
    }
  }

  /** The approval's view once it has ended or the wait is over; undefined while it is pending. */
  private async viewIfDone(id: string, deadline: number): Promise<ApprovalView | undefined> {
    const approval = await this.context.options.approvals.get(id);
    if (!approval) throw new NotFoundError(`approval ${id} does not exist`);
    return isTerminal(approval.status) || Date.now() >= deadline ? toApprovalView(approval) : undefined;
  }

  async list(request: { limit: number; cursor?: string | undefined; status?: ApprovalStatus | undefined; integrationId?: string | undefined; order?: 'oldest' | 'newest' | undefined }): Promise<Page<ApprovalView>> {
    const page = await this.context.options.approvals.list({
      limit: request.limit,
      ...(request.order ? { order: request.order } : {}),
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
    const before = await this.context.options.approvals.get(id);
    if (!before) throw new NotFoundError(`approval ${id} does not exist`);
    const after = isTerminal(before.status) ? before : await this.driver.endByImhub(before, { type: 'cancel', at: this.context.now().toISOString() });
    if (after && after.status !== 'canceled') {
      const view = toApprovalView(after);
      throw new ConflictError(`approval ${id} was already ${after.status}${after.endReason ? ` (${after.endReason})` : ''}; nothing was canceled`, { code: 'already_decided', details: { approval: view } });
    }
    return toApprovalView(after ?? before);
  }

  /**
   * What cards need besides the platform's support: at most `maxCardApprovers` approvers (every
   * decision is kept, and the outcome is computed from them), and on Feishu/Lark an Encrypt Key,
   * since only a signed click may decide (a Verification Token alone is a fixed string).
   */
  private async checkCards(integration: Integration, input: CreateApprovalInput) {
    const approvers = input.stages.reduce((sum, stage) => sum + stage.approvers.length, 0);
    if (approvers > maxCardApprovers) {
      throw invalidInput('request body', [{ path: 'stages', message: `an approval on cards has at most ${maxCardApprovers} approvers in all its stages (this one has ${approvers}); use "via": "app" for more` }]);
    }
    if (integration.provider === 'feishu' || integration.provider === 'lark') {
      const credentials = (await this.context.options.integrations.credentials(integration)) as { encryptKey?: string };
      if (!credentials.encryptKey) {
        throw new BadRequestError('card clicks decide only when Feishu signs them: set an Encrypt Key in the app’s console (事件与回调 → 加密策略) and on this integration (PATCH credentials.encryptKey), or use "via": "app"', {
          code: 'cards_need_encrypt_key',
        });
      }
    }
  }

  /** Validates `notify` up front: the integration exists, and targets fit its kind. */
  private async checkNotify(approvalIntegration: Integration, notify: NonNullable<CreateApprovalInput['notify']>) {
    const integrationId = notify.integrationId ?? approvalIntegration.id;
    const target = integrationId === approvalIntegration.id ? approvalIntegration : await this.context.options.integrations.find(integrationId);
    if (!target) throw invalidInput('request body', [{ path: 'notify.integrationId', message: `integration ${integrationId} does not exist` }]);
    const count = notify.to ? Object.values(notify.to).reduce((sum, list) => sum + list.length, 0) : 0;
    if (target.kind === 'webhook' && count > 0) throw invalidInput('request body', [{ path: 'notify.to', message: 'a group bot posts to its own group: leave out notify.to' }]);
    if (target.kind === 'app' && count === 0) throw invalidInput('request body', [{ path: 'notify.to', message: 'give chatIds, userIds, emails or mobiles for an app' }]);
    return { integrationId, ...(notify.to ? { to: notify.to } : {}) };
  }
}
