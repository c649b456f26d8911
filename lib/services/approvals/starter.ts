import { setTimeout as sleep } from 'node:timers/promises';
import { type ApprovalRecord, isTerminal, transition } from '../../domain/approval.ts';
import type { Integration } from '../../domain/integration.ts';
import { AppError, ProviderError } from '../../errors.ts';
import type { ApprovalOperations, ApprovalSpec } from '../../providers/port.ts';
import type { ApprovalContext } from './context.ts';
import type { ApprovalPlatformDriver } from './platform-driver.ts';
import { definitionName, peopleOf, selfApprovalProblem, specOf, withPlatformIds } from './view.ts';
import type { ApprovalWriter } from './writer.ts';

/** How much earlier than imhub's first attempt a resumed start looks: DingTalk dates instances to the minute, and the platform's clock is not ours. */
const startClockSlackMs = 120_000;

/**
 * A create whose outcome is unknown: sent, and no answer said what happened (a timeout, a dropped
 * connection, a 5xx, an unreadable answer). A refusal, a throttle or a used-up quota says nothing
 * was made, and a failure safe to repeat is retried as it is.
 */
const createAnswerLost = (error: unknown) => error instanceof ProviderError && !error.refused && !error.throttled && !error.quotaExhausted && !error.repeatable;

/**
 * Starting an approval on its platform: people resolved, the definition provisioned once per
 * shape, the instance created once and linked. A start a crash, a lost answer or a throttling
 * platform interrupted is finished by the approval's check job (`resumeStart`).
 */
export class ApprovalStarter {
  constructor(
    private readonly context: ApprovalContext,
    private readonly writer: ApprovalWriter,
    private readonly driver: ApprovalPlatformDriver,
  ) {}

  /**
   * Creates the platform instance of a stored approval and links it. When the platform was
   * throttling or unavailable and the create is safe to repeat (it never acted, or the create
   * carries an idempotency key, as Feishu's uuid), the approval stays pending and its check job
   * starts it when the lease ends; any other failure ends it `failed` with the platform's message
   * and is thrown (a create that cannot be repeated safely is not repeated). Of two instances created for one approval (a
   * start taken over while the first was only slow), the first linked wins and the other is withdrawn.
   * Where the create has no idempotency key but instances can be listed (DingTalk, WeCom), the first
   * create leaves a marker (`startAttemptAt`); one whose answer was lost keeps the approval pending,
   * and the resumed start links what it made (`earlierInstances`), creating one only if it made none.
   */
  async start(integration: Integration, operations: ApprovalOperations, stored: ApprovalRecord): Promise<ApprovalRecord> {
    let approval = stored;
    if (approval.requesterPlatformId === undefined) {
      // Kept unresolved when its lookups were throttled: resolve now (a repeatable failure waits
      // for the next look; a person the platform does not know ends it failed, saying who).
      try {
        const provider = await this.context.options.providers.providerOf(integration);
        const resolved = withPlatformIds(approval.requester, approval.stages, await provider.resolveUsers(peopleOf(approval.requester, approval.stages)));
        // Looked up only now: a requester who is also an approver under another name ends it failed,
        // saying where, in the same write, so that nothing (cards, a start message) goes out for it.
        const selfApproval = selfApprovalProblem({ ...approval, ...resolved });
        if (selfApproval) {
          const at = this.context.now().toISOString();
          return (
            (await this.writer.write(approval, (current) => {
              const ended = transition({ ...current, ...resolved }, { type: 'failed', at, reason: selfApproval.message }) as ApprovalRecord;
              return ended.webhook ? { ...ended, webhook: { ...ended.webhook, state: 'pending' } } : ended;
            })) ?? approval
          );
        }
        approval = (await this.writer.write(approval, (current) => ({ ...current, ...resolved }))) ?? approval;
      } catch (error) {
        if (error instanceof ProviderError && error.repeatable) return approval;
        await this.writer.apply(approval.id, { type: 'failed', at: this.context.now().toISOString(), reason: error instanceof AppError ? error.message : 'its people could not be looked up' });
        throw error;
      }
      if (isTerminal(approval.status) || approval.requesterPlatformId === undefined) return approval;
    }
    // Decided on cards: once its people are known there is nothing to create; the cards job sends them.
    if (approval.via === 'card') return approval;
    const spec = specOf(approval);
    let created: { definition: string; instanceId: string; url?: string | undefined };
    let duplicates: string[] = [];
    try {
      const definition = await this.definitionFor(integration, operations, spec);
      if (!definition) {
        this.context.options.logger.info('another start is provisioning this shape: its check will start this approval', { approvalId: approval.id });
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
          if (!marked) return (await this.context.options.approvals.get(approval.id)) ?? approval;
          approval = marked;
        }
        try {
          const instance = await operations.createInstance(definition, spec);
          created = { definition, instanceId: instance.instanceId, url: instance.url };
        } catch (error) {
          if (!(operations.findInstances && createAnswerLost(error))) throw error;
          // It may have been made: its check looks for it when the lease ends (not at the
          // plan's first re-read, an hour on DingTalk), and creates one only if it finds none.
          this.context.options.logger.warn('the create got no answer and may have made the instance: its check will look for it, then start this approval', { approvalId: approval.id, platformCode: (error as ProviderError).platformCode });
          return (await this.writer.write(approval, (current) => ({ ...current, nextCheckAt: current.startLeaseUntil && current.startLeaseUntil < current.nextCheckAt ? current.startLeaseUntil : current.nextCheckAt }))) ?? approval;
        }
      }
    } catch (error) {
      if (error instanceof ProviderError && error.repeatable) {
        this.context.options.logger.warn('the platform is throttling or unavailable: its check will start this approval', { approvalId: approval.id, platformCode: error.platformCode });
        return approval;
      }
      const reason = error instanceof ProviderError ? error.message : 'the platform instance could not be created';
      await this.writer.apply(approval.id, { type: 'failed', at: this.context.now().toISOString(), reason });
      throw error;
    }
    await this.context.options.index.linkInstance(integration.id, created.instanceId, approval.id);
    const started = await this.writer.write(approval, (current) =>
      current.platform ? current : { ...current, platform: { instanceId: created.instanceId, definition: created.definition, ...(created.url ? { url: created.url } : {}) } },
    );
    // Not linked (another start linked first, or the approval ended meanwhile): nobody would ever
    // act on this instance, so take it back where the platform allows.
    if (started?.platform?.instanceId !== created.instanceId) {
      await this.driver.withdraw({ ...approval, platform: { instanceId: created.instanceId, definition: created.definition } });
    }
    const current = started && duplicates.length > 0 ? await this.closeDuplicates(operations, started, created.definition, duplicates) : started;
    return current ?? approval;
  }

  /**
   * The marker of the first create about to be sent: its time, written with a renewed start lease
   * under the version condition, so a start that lost its lease (or an approval that ended
   * meanwhile) sends nothing. Undefined when the write lost.
   */
  private async markStartAttempt(approval: ApprovalRecord): Promise<ApprovalRecord | undefined> {
    const now = this.context.now();
    const marked: ApprovalRecord = {
      ...approval,
      startAttemptAt: now.toISOString(),
      startLeaseUntil: new Date(now.getTime() + this.context.leaseMs).toISOString(),
      version: approval.version + 1,
      updatedAt: now.toISOString(),
    };
    return (await this.writer.save(marked, approval)) ? marked : undefined;
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
      const owner = await this.context.options.index.approvalOfInstance(integration.id, instanceId);
      if (owner === undefined || owner === approval.id) ours.push(instanceId);
    }
    if (ours.length > 0) this.context.options.logger.info('found the instance an earlier create made: linking it instead of creating one', { approvalId: approval.id, instanceIds: ours });
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
        this.context.options.logger.warn('withdrawing a second platform instance failed', { approvalId: approval.id, instanceId, error });
      }
      if (!withdrawn) this.context.options.logger.warn('a second platform instance was made for this approval and is still open: close it in the platform app', { approvalId: approval.id, instanceId, tracked: approval.platform?.instanceId });
      outcomes.push({ instanceId, withdrawn });
    }
    return (await this.writer.write(approval, (current) => ({ ...current, duplicateInstances: [...(current.duplicateInstances ?? []), ...outcomes] }))) ?? approval;
  }

  /** A check job.s part of a start: take the lease once it has run out, then start. */
  async resumeStart(approval: ApprovalRecord): Promise<ApprovalRecord | undefined> {
    const now = this.context.now();
    const leaseEnd = approval.startLeaseUntil ?? new Date(new Date(approval.createdAt).getTime() + this.context.leaseMs).toISOString();
    if (leaseEnd > now.toISOString()) return approval;
    const claimed: ApprovalRecord = { ...approval, startLeaseUntil: new Date(now.getTime() + this.context.leaseMs).toISOString(), version: approval.version + 1, updatedAt: now.toISOString() };
    if (!(await this.writer.save(claimed, approval))) return this.context.options.approvals.get(approval.id);
    const integration = await this.context.options.integrations.require(approval.integrationId);
    const provider = await this.context.options.providers.providerOf(integration);
    return this.start(integration, provider.approvals!, claimed);
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
    const index = this.context.options.index;
    for (let look = 0; look < 20; look += 1) {
      const known = await index.definition(integration.id, key);
      if (known?.code) {
        if (!known.ready) {
          await approvals.activate(known.code);
          await index.markDefinitionReady(integration.id, key);
        }
        return known.code;
      }
      const now = this.context.now();
      const claim = await index.claimDefinition(integration.id, key, now, new Date(now.getTime() + this.context.leaseMs));
      if (claim) {
        let code: string;
        try {
          code = await approvals.provision(spec, definitionName(integration, claim.attempt, spec.locale));
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
      await sleep(this.context.options.provisionPollMs ?? 150);
    }
    return undefined;
  }
}
