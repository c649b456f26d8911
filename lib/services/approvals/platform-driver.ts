import { type ApprovalEvent, type ApprovalRecord, isStarted, isTerminal } from '../../domain/approval.ts';
import { type CheckPlan, callbacksArriveWithinMs, checkPlan } from '../../domain/check-plan.ts';
import type { Integration } from '../../domain/integration.ts';
import type { ApprovalContext } from './context.ts';
import { specOf } from './view.ts';
import type { ApprovalWriter } from './writer.ts';

/**
 * What imhub does to a started approval's platform instance: read it and apply what it says,
 * withdraw it, end the approval on imhub's own account (timeout, cancel) without undoing a grant,
 * and plan the next look.
 */
export class ApprovalPlatformDriver {
  constructor(
    private readonly context: ApprovalContext,
    private readonly writer: ApprovalWriter,
  ) {}

  /**
   * Re-reads the platform instance and applies it. `eventInstanceId` covers an event that arrives
   * between the instance's creation and imhub recording it on the approval.
   */
  async refresh(approvalId: string, known?: Integration, eventInstanceId?: string): Promise<ApprovalRecord | undefined> {
    const { options } = this.context;
    const approval = await options.approvals.get(approvalId);
    const instanceId = approval?.platform?.instanceId ?? eventInstanceId;
    if (!approval || isTerminal(approval.status) || !instanceId) return approval;
    const integration = known ?? (await options.integrations.require(approval.integrationId));
    const provider = await options.providers.providerOf(integration);
    const snapshot = await provider.approvals!.getInstance(approval.platform?.definition ?? '', instanceId, specOf(approval));
    return this.writer.apply(approvalId, { type: 'observed', platformStatus: snapshot.status, decisions: snapshot.decisions, at: this.context.now().toISOString() });
  }

  /**
   * Ends a pending approval on imhub's own account (its timeout or a cancel) the way the platform
   * allows. The instance is read first and what it says is applied: a grant whose callback was
   * late or lost stays a grant. Only an instance still pending is withdrawn, and only then is the
   * approval ended; a withdrawal the platform refuses is followed by another read, since the
   * refusal may mean someone decided in between. A read that fails is thrown (nothing changes).
   */
  async endByImhub(approval: ApprovalRecord, event: Extract<ApprovalEvent, { type: 'timeout' | 'cancel' }>): Promise<ApprovalRecord | undefined> {
    if (approval.platform) {
      const seen = await this.refresh(approval.id);
      if (!seen || isTerminal(seen.status)) return seen;
      if (!(await this.withdraw(seen))) {
        const again = await this.refresh(approval.id).catch(() => undefined);
        if (again && isTerminal(again.status)) return again;
      }
    }
    return this.writer.apply(approval.id, event);
  }

  /**
   * The timeout: read the platform, withdraw what is still pending there, then expire (or approve,
   * per onTimeout). While the platform cannot be read the approval's check fails and runs again;
   * past the grace it expires without a withdrawal, so a decision imhub could not see is not undone.
   */
  async expire(approval: ApprovalRecord, now: Date): Promise<ApprovalRecord | undefined> {
    const event = { type: 'timeout', at: now.toISOString() } as const;
    try {
      return await this.endByImhub(approval, event);
    } catch (error) {
      const overdueMs = now.getTime() - new Date(approval.timeoutAt).getTime();
      if (overdueMs < (this.context.options.timeoutGraceMs ?? 600_000)) throw error;
      this.context.options.logger.warn('the platform could not be read past the timeout grace: expiring without withdrawing the instance', { approvalId: approval.id, error });
      return this.writer.apply(approval.id, event);
    }
  }

  /** Withdraws the platform instance where the platform allows it; false when the platform refused or failed. */
  async withdraw(approval: ApprovalRecord): Promise<boolean> {
    if (!approval.platform) return true;
    const { options } = this.context;
    const integration = await options.integrations.require(approval.integrationId);
    const provider = await options.providers.providerOf(integration);
    try {
      const outcome = await provider.approvals!.withdraw(approval.platform.definition, approval.platform.instanceId, specOf(approval));
      options.logger.info('platform instance withdrawn', { approvalId: approval.id, outcome });
      return true;
    } catch (error) {
      // The approval ends in imhub either way (unless a read shows a decision); the platform instance is left for a person.
      options.logger.warn('withdrawing the platform instance failed', { approvalId: approval.id, error });
      return false;
    }
  }

  /**
   * The next look: backing off (1, 2, 4 … 15 minutes on the base plan), never past the timeout. A
   * start not yet made is looked at again when its lease ends, if that is sooner.
   */
  async reschedule(approval: ApprovalRecord, integration?: Integration): Promise<ApprovalRecord | undefined> {
    const plan = this.checkPlanOf(integration);
    const now = this.context.now().getTime();
    const gap = Math.min(plan.firstMs * 2 ** (approval.checks + 1), plan.maxGapMs);
    const leaseEnd = !isStarted(approval) && approval.startLeaseUntil ? Math.max(new Date(approval.startLeaseUntil).getTime(), now) : Number.POSITIVE_INFINITY;
    // Decided on cards, once started: imhub holds every decision, so there is nothing to re-read before the timeout.
    const readGap = approval.via === 'card' && isStarted(approval) ? Number.POSITIVE_INFINITY : now + gap;
    const next = new Date(Math.min(readGap, leaseEnd, new Date(approval.timeoutAt).getTime())).toISOString();
    return this.writer.write(approval, (current) => ({ ...current, checks: current.checks + 1, nextCheckAt: next }));
  }

  /** When to re-read an approval of this integration (DingTalk spares its monthly call quota); the base plan without one. */
  checkPlanOf(integration: Integration | undefined): CheckPlan {
    const { options } = this.context;
    const base = { firstMs: options.firstCheckMs ?? 60_000, maxGapMs: options.maxCheckGapMs ?? 900_000 };
    if (!integration) return base;
    const callbacksArrive = Boolean(integration.callbacksSeenAt && this.context.now().getTime() - new Date(integration.callbacksSeenAt).getTime() < callbacksArriveWithinMs);
    return checkPlan(integration.provider, callbacksArrive, base, options.dingtalkPolling);
  }
}
