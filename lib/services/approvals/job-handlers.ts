import {
  approvalLocale,
  type ApprovalRecord,
  isStarted,
  isTerminal,
  nextNudgeAt,
  pendingApprovers,
  type PersonInput,
  type WebhookAttempt,
  type WebhookState,
  webhookBackoffMs,
  webhookRetryWindowMs,
} from '../../domain/approval.ts';
import { approverLabel, cardOf, currentStage } from '../../domain/approval-cards.ts';
import { formatTime } from '../../domain/locale.ts';
import { endReasonText, textsFor } from '../../domain/texts.ts';
import type { Job } from '../../domain/job.ts';
import type { MessageLevel } from '../../domain/message.ts';
import { webhookSignature } from '../../domain/webhook-signature.ts';
import { isCallerError, ProviderError } from '../../errors.ts';
import type { JobHandler, JobOutcome } from '../../jobs/ports.ts';
import type { PlatformEvent } from '../../providers/callbacks/callback-types.ts';
import type { ImProvider } from '../../providers/port.ts';
import type { ApprovalContext, CreatedNotification } from './context.ts';
import type { ApprovalPlatformDriver } from './platform-driver.ts';
import type { ApprovalStarter } from './starter.ts';
import { toApprovalView } from './view.ts';
import type { ApprovalWriter } from './writer.ts';

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

/** A `callback.event` job's payload: the verified event, as the callback path stored it. */
export interface CallbackEventPayload {
  integrationId: string;
  event: Pick<PlatformEvent, 'id' | 'type' | 'instanceId'>;
}

/**
 * The approval jobs: what the worker runs for an approval's check, its messages, its webhook, and
 * a platform event about it. Each reads the approval afresh, so a job that runs twice (a lease that
 * ran out) or late changes nothing a second time.
 */
export class ApprovalJobs {
  constructor(
    private readonly context: ApprovalContext,
    private readonly writer: ApprovalWriter,
    private readonly driver: ApprovalPlatformDriver,
    private readonly starter: ApprovalStarter,
  ) {}

  handlers(): Record<'callback.event' | 'approval.check' | 'approval.announce' | 'approval.webhook' | 'approval.nudge', JobHandler> {
    return {
      'callback.event': (job) => this.callbackEvent(job),
      'approval.check': async (job) => {
        const after = await this.check(job.subject);
        // While it is pending the job stays, due at its next look (the write that planned it moved
        // the job already; this keeps it when that write lost a race or changed nothing).
        if (!after || isTerminal(after.status)) return undefined;
        return { dueAt: new Date(Math.max(Date.parse(after.nextCheckAt), this.context.now().getTime() + 1000)) };
      },
      'approval.announce': (job) => this.announceDue(job.subject),
      'approval.webhook': (job, deadline) => this.deliverWebhook(job.subject, deadline),
      'approval.nudge': (job) => this.nudge(job.subject),
    };
  }

  /**
   * A nudge, whichever is due. A reminder: a direct message through the approval's own app to each
   * approver of the current stage who has not decided, and the next one planned. Before the
   * platform instance exists there is nothing to open: the reminder waits a round, uncounted. The
   * escalation: one message to the people of `escalate` (looked up by the notification as any
   * recipient) saying whom the approval waits for. Each message's idempotency key is the approval
   * and what it is, so a run repeated after a lost write sends it once; the write that records it
   * moves the job to the next nudge, if one is left.
   */
  private async nudge(id: string): Promise<JobOutcome> {
    const approval = await this.context.options.approvals.get(id);
    const notifications = this.context.options.notifications;
    if (!approval || isTerminal(approval.status) || !notifications) return undefined;
    const now = this.context.now();
    const due = (at: string) => at <= now.toISOString();
    const pending = pendingApprovers(approval);
    const settings = approvalLocale(approval);
    const texts = textsFor(settings.locale);
    const links = approval.platform?.url ? [{ title: texts.open, url: approval.platform.url }] : [];
    const { remind, escalate } = approval;
    // The approval's platform, looked up once for the run, when a nudge needs it.
    let opened: Promise<ImProvider> | undefined;
    const provider = () => (opened ??= this.context.options.integrations.require(approval.integrationId).then((integration) => this.context.options.providers.providerOf(integration)));
    let reminded: NonNullable<ApprovalRecord['remind']> | undefined;
    if (remind && remind.sent < remind.times && due(remind.nextAt)) {
      const ready = isStarted(approval) && pending.length > 0;
      if (ready) {
        const number = remind.sent + 1;
        const created = await notifications.create({
          integrationId: approval.integrationId,
          to: { chatIds: [], userIds: pending, emails: [], mobiles: [] },
          message: { title: texts.reminderTitle(approval.title).slice(0, 200), text: texts.reminderText(formatTime(approval.createdAt, settings), number, remind.times), level: 'warning', links, mentions: [] },
          idempotencyKey: `${approval.id}-remind-${number}`,
          ...settings,
        });
        await this.buzz(approval, provider, pending, created, texts.reminderTitle(approval.title).slice(0, 200));
      }
      reminded = { ...remind, sent: ready ? remind.sent + 1 : remind.sent, nextAt: new Date(now.getTime() + remind.everySeconds * 1000).toISOString() };
    }
    let escalated = false;
    if (escalate && !escalate.sent && due(escalate.at)) {
      const by = (kind: 'userId' | 'email' | 'mobile') => escalate.approvers.flatMap((person) => (kind in person ? [(person as Record<string, string>)[kind]!] : []));
      try {
        await notifications.create({
          integrationId: approval.integrationId,
          to: { chatIds: [], userIds: by('userId'), emails: by('email'), mobiles: by('mobile') },
          message: {
            title: texts.escalatedTitle(approval.title).slice(0, 200),
            text: texts.escalatedText(formatTime(approval.createdAt, settings), pending.map((id) => approverLabel(approval, id))),
            level: 'warning',
            links,
            mentions: [],
          },
          idempotencyKey: `${approval.id}-escalate`,
          ...settings,
        });
      } catch (error) {
        // A person the platform does not know is not found by trying again: logged, and the escalation counts as done.
        if (!isCallerError(error)) throw error;
        this.context.options.logger.warn('an approval’s escalation could not be sent', { approvalId: approval.id, error });
      }
      escalated = true;
    }
    // On cards, an `any` stage takes the escalation's people as approvers too: they get its card and
    // their click counts. (An `all` stage is not widened: that would need their approval as well.)
    const added = escalated && approval.via === 'card' ? await this.escalationApprovers(approval, provider) : undefined;
    if (!reminded && !escalated) {
      // Woken before its time (another process's clock): run again when the next nudge is due.
      const next = nextNudgeAt(approval);
      return next ? { dueAt: new Date(next) } : undefined;
    }
    await this.writer.write(approval, (current) => ({
      ...current,
      ...(reminded && current.remind ? { remind: reminded } : {}),
      ...(escalated && current.escalate ? { escalate: { ...current.escalate, sent: true as const } } : {}),
      ...(added && currentStage(current) === added.stage ? { stages: withApprovers(current.stages, added) } : {}),
    }));
    return undefined;
  }

  /**
   * Makes the reminder urgent where the platform has urgent messages: Feishu/Lark 加急 (a buzz in
   * the app until read) on cards each pending approver's card itself, otherwise the reminder just
   * sent to them; DingTalk an in-app DING to them. Best effort: a tenant without the scope or the quota still gets the reminder, and
   * the refusal is logged with the platform's code.
   */
  private async buzz(approval: ApprovalRecord, provider: () => Promise<ImProvider>, pending: readonly string[], created: CreatedNotification | void, text: string) {
    try {
      const { urgent, remindUrgently } = (await provider()).messages;
      // DingTalk: an in-app DING of its own.
      if (remindUrgently) return await remindUrgently(pending, text);
      if (!urgent) return;
      const messages =
        approval.via === 'card'
          ? pending.flatMap((userId) => {
              const card = cardOf(approval, { userId });
              const messageId = card?.ref ?? card?.handle;
              return messageId ? [{ messageId, userId }] : [];
            })
          : pending.flatMap((userId) => {
              const messageId = created?.notification?.deliveries?.find((delivery) => delivery.target === `user:${userId}`)?.messageId;
              return messageId ? [{ messageId, userId }] : [];
            });
      for (const { messageId, userId } of messages) await urgent(messageId, [userId]);
    } catch (error) {
      this.context.options.logger.warn('the reminder could not be made urgent', { approvalId: approval.id, error });
    }
  }

  /**
   * The escalation's people as platform ids, to add to the current stage of a card approval when
   * it is an `any` stage: those not already its approvers, and never the requester unless the
   * request allowed self-approval. Undefined when there is nobody to add, or they could not be
   * looked up (they were still told, as on every platform).
   */
  private async escalationApprovers(approval: ApprovalRecord, provider: () => Promise<ImProvider>): Promise<{ stage: number; people: PersonInput[]; ids: string[] } | undefined> {
    const stage = currentStage(approval);
    if (approval.stages[stage]?.mode !== 'any' || !approval.escalate) return undefined;
    try {
      const ids = await (await provider()).resolveUsers(approval.escalate.approvers);
      const present = new Set([...(approval.stages[stage]!.platformUserIds ?? []), ...(approval.allowSelfApproval ? [] : [approval.requesterPlatformId])]);
      // A stage keeps at most 50 approvers, as the request schema allows (the item stays bounded).
      const room = Math.max(0, 50 - (approval.stages[stage]!.platformUserIds?.length ?? 0));
      const fresh = ids
        .map((id, index) => ({ id, person: approval.escalate!.approvers[index]! }))
        .filter((entry, index, all) => !present.has(entry.id) && all.findIndex((other) => other.id === entry.id) === index)
        .slice(0, room);
      return fresh.length ? { stage, people: fresh.map((entry) => entry.person), ids: fresh.map((entry) => entry.id) } : undefined;
    } catch (error) {
      if (!isCallerError(error)) throw error;
      this.context.options.logger.warn('the escalation’s people could not be added to the stage', { approvalId: approval.id, error });
      return undefined;
    }
  }

  /** A verified platform event: re-read the instance it names and apply what the platform says. */
  private async callbackEvent(job: Job): Promise<JobOutcome> {
    const { integrationId, event } = job.payload as unknown as CallbackEventPayload;
    if (!event.instanceId || !instanceEventTypes.has(event.type)) return;
    const approvalId = await this.context.options.index.approvalOfInstance(integrationId, event.instanceId);
    if (!approvalId) return;
    const integration = await this.context.options.integrations.find(integrationId);
    if (!integration) return;
    try {
      await this.driver.refresh(approvalId, integration, event.instanceId);
    } catch (error) {
      // The app's call quota is used up for the month (DingTalk): no retry helps before the reset,
      // and the approval's check job reads it then.
      if (error instanceof ProviderError && error.quotaExhausted) return;
      throw error;
    }
  }

  /**
   * An approval's look: past its timeout it expires (or is approved, per onTimeout) and the
   * platform instance is withdrawn; a start that did not finish is resumed; otherwise the instance
   * is re-read. A pending approval's next look is planned by the write (`reschedule`); a failure
   * is the job's, retried with backoff.
   */
  private async check(id: string): Promise<ApprovalRecord | undefined> {
    const { options } = this.context;
    const approval = await options.approvals.get(id);
    if (!approval || isTerminal(approval.status)) return approval;
    const now = this.context.now();
    const integration = await options.integrations.find(approval.integrationId);
    // Nothing can read or withdraw its instance any more: end it, so that it is not looked at forever.
    if (!integration) return this.writer.apply(approval.id, { type: 'failed', at: now.toISOString(), reason: 'its integration was deleted' });
    if (now.toISOString() >= approval.timeoutAt) return this.driver.expire(approval, now);
    // A start a crash or a throttling platform interrupted is resumed; otherwise the instance is
    // re-read, unless the platform says the app's call quota is used up (a read would only fail).
    const quotaPaused = Boolean(integration.platformQuota && integration.platformQuota.resetsAt > now.toISOString());
    const result =
      approval.via === 'card'
        ? approval.requesterPlatformId === undefined
          ? await this.starter.resumeStart(approval)
          : approval
        : !approval.platform
          ? await this.starter.resumeStart(approval)
          : quotaPaused
            ? approval
            : await this.driver.refresh(approval.id, integration);
    return result && !isTerminal(result.status) ? this.driver.reschedule(result, integration) : result;
  }

  /**
   * Hands the start message (once the instance exists) and the end message of an approval with
   * `notify` to the notifications, and records that. A message that could not be handed on fails
   * the job, which runs again; the notification's idempotency key makes a second hand-over a no-op.
   */
  private async announceDue(id: string): Promise<JobOutcome> {
    const approval = await this.context.options.approvals.get(id);
    if (!approval?.notify || !this.context.options.notifications) return;
    // Announced as cards once started: the cards job shows the start and the end.
    if (approval.announceAsCard && isStarted(approval)) return;
    const moments = (['start', 'end'] as const).filter(
      (moment) => !approval.announced?.includes(moment) && (moment === 'start' ? isStarted(approval) : isTerminal(approval.status)),
    );
    const handed: ('start' | 'end')[] = [];
    for (const moment of moments) if (await this.announce(approval, moment)) handed.push(moment);
    if (handed.length > 0) {
      const next: ApprovalRecord = { ...approval, announced: [...(approval.announced ?? []), ...handed], version: approval.version + 1, updatedAt: this.context.now().toISOString() };
      // A lost race is harmless: the next run hands the message on again, which changes nothing.
      await this.writer.save(next, approval, true);
    }
    if (handed.length < moments.length) throw new Error('an approval message could not be handed on: it is tried again');
  }

  /**
   * One delivery attempt of an ended approval's webhook, signed and recorded: delivered on a 2xx;
   * otherwise due again with backoff for a day after the approval ended, then failed. The job's
   * lease is the delivery's: one attempt at a time. An attempt waits at most until `deadline`
   * (epoch ms, the run's budget; at least 1 s): one it cuts short is recorded as a timeout.
   */
  private async deliverWebhook(id: string, deadline: number): Promise<JobOutcome> {
    const approval = await this.context.options.approvals.get(id);
    const webhook = approval?.webhook;
    if (!approval || !webhook || webhook.state !== 'pending') return;
    const attempt = await this.post(approval, webhook, deadline);
    const ok = attempt.status >= 200 && attempt.status < 300;
    // Recorded on the latest approval: the end message's job may have written it meanwhile (a lost
    // race here must not send the webhook again).
    let current: ApprovalRecord | undefined = approval;
    let next: WebhookState | undefined;
    let retryAt = new Date();
    for (let race = 0; race < 5 && current?.webhook; race += 1) {
      const now = this.context.now();
      const attempts = [...current.webhook.attempts, attempt];
      const expired = now.getTime() - new Date(current.endedAt ?? current.updatedAt).getTime() > webhookRetryWindowMs;
      const { nextAttemptAt: _previous, ...rest } = current.webhook;
      retryAt = new Date(now.getTime() + webhookBackoffMs(attempts.length, this.context.options.webhookFirstRetryMs));
      next = ok ? { ...rest, attempts, state: 'delivered' } : expired ? { ...rest, attempts, state: 'failed' } : { ...rest, attempts, state: 'pending', nextAttemptAt: retryAt.toISOString() };
      if (await this.writer.save({ ...current, webhook: next, version: current.version + 1, updatedAt: now.toISOString() }, current, true)) break;
      next = undefined;
      current = await this.context.options.approvals.get(id);
    }
    if (!next) throw new Error('the webhook attempt could not be recorded (the approval kept changing): it is tried again');
    return next.state === 'pending' ? { dueAt: retryAt } : undefined;
  }

  /**
   * Posts the start or end message of an approval with `notify`: the idempotency key is the
   * approval id and the moment. False when it should be tried again (the store failed); a
   * message the API refuses (say, its bot was deleted) is logged and not retried. It never
   * fails the approval.
   */
  private async announce(approval: ApprovalRecord, moment: 'start' | 'end'): Promise<boolean> {
    if (!approval.notify || !this.context.options.notifications) return true;
    const level: MessageLevel = moment === 'start' ? 'info' : approval.status === 'approved' ? 'success' : approval.status === 'rejected' || approval.status === 'failed' ? 'error' : 'warning';
    const settings = approvalLocale(approval);
    const texts = textsFor(settings.locale);
    const who = (person: PersonInput | undefined) => (person ? ('userId' in person ? person.userId : 'email' in person ? person.email : person.mobile) : texts.someone);
    const view = toApprovalView(approval);
    const text =
      moment === 'start'
        ? [
            texts.startRequestedBy(who(approval.requester)),
            approval.content,
            texts.startApprovers(approval.stages.map((stage) => ({ mode: stage.mode, approvers: stage.approvers.map(who) }))),
            `${texts.timesOut}${texts.colon}${formatTime(approval.timeoutAt, settings)}`,
          ]
        : [
            texts.endOutcome(texts.status[approval.status], endReasonText(texts, approval.endReason)),
            ...view.decisions.map((decision) => texts.decisionAt(decision.decision, who(decision.person ?? { userId: decision.approver }), formatTime(decision.at, settings), decision.comment)),
          ];
    try {
      await this.context.options.notifications.create({
        integrationId: approval.notify.integrationId,
        ...(approval.notify.to ? { to: approval.notify.to } : {}),
        message: {
          title: (moment === 'start' ? texts.startTitle(approval.title) : texts.endTitle(texts.status[approval.status], approval.title)).slice(0, 200),
          text: text.filter(Boolean).join('\n').slice(0, 4000),
          level,
          links: approval.platform?.url ? [{ title: texts.open, url: approval.platform.url }] : [],
          mentions: [],
        },
        idempotencyKey: `${approval.id}-${moment}`,
        ...settings,
      });
      return true;
    } catch (error) {
      this.context.options.logger.warn('approval notification failed', { approvalId: approval.id, moment, error });
      return isCallerError(error);
    }
  }

  private async post(approval: ApprovalRecord, webhook: WebhookState, deadline = Number.POSITIVE_INFINITY): Promise<WebhookAttempt> {
    const started = Date.now();
    const at = this.context.now().toISOString();
    const timeoutMs = Math.min(this.context.options.webhookTimeoutMs ?? 10_000, Math.max(deadline - started, 1_000));
    try {
      const secret = await this.context.options.sealer.open(webhook.sealedSecret, { integrationId: approval.integrationId });
      const body = JSON.stringify({ type: `approval.${approval.status}`, deliveryId: approval.id, approval: toApprovalView(approval) });
      const timestamp = String(Math.floor(Date.now() / 1000));
      const response = await (this.context.options.fetch ?? fetch)(webhook.url, {
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
}

/** The stages with `added` people appended to one of them (as given, and as platform ids). */
function withApprovers(stages: ApprovalRecord['stages'], added: { stage: number; people: PersonInput[]; ids: string[] }): ApprovalRecord['stages'] {
  return stages.map((stage, index) =>
    index === added.stage ? { ...stage, approvers: [...stage.approvers, ...added.people], platformUserIds: [...(stage.platformUserIds ?? []), ...added.ids] } : stage,
  );
}
