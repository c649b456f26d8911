import { createHash } from 'node:crypto';
import { type ApprovalCard, type ApprovalRecord, type CardTarget, isTerminal, transition } from '../../domain/approval.ts';
import { cardByRef, cardContent, cardOf, cardStamp, cardsDue, clickAnswer, clickProblem, currentStage, withCard } from '../../domain/approval-cards.ts';
import type { Integration } from '../../domain/integration.ts';
import { isCallerError, ProviderError } from '../../errors.ts';
import type { JobOutcome } from '../../jobs/ports.ts';
import type { CardClick, CardReply } from '../../providers/callbacks/callback-types.ts';
import type { ApprovalContext } from './context.ts';
import type { ApprovalWriter } from './writer.ts';

/** A send's dedupe key: the approval and a digest of the recipient, within Feishu's 50 characters. */
const dedupeKeyOf = (approvalId: string, target: CardTarget) => `${approvalId}-${createHash('sha256').update(JSON.stringify(target)).digest('base64url').slice(0, 16)}`;

/** A failure that repeating will not cure (a recipient outside the app's range, a chat without the bot). */
const refusal = (error: unknown) => isCallerError(error) || (error instanceof ProviderError && error.refused);

/** A card after an update: a single-use handle is spent. */
function spent(card: ApprovalCard): ApprovalCard {
  if (!card.once) return card;
  const { handle: _used, fresh: _fresh, ...rest } = card;
  return rest;
}

const describe = (error: unknown) => (error instanceof ProviderError ? `${error.message} (${error.platform} ${error.platformCode})` : error instanceof Error ? error.message : String(error));

/**
 * Approvals decided on cards: the job that keeps every card true (`sync`), and the clicks
 * (`click`), answered at once from the store: the click is checked against the signed identity of
 * who made it, recorded under the approval's version condition, and answered with the card as it
 * now is. No platform is called before the answer.
 */
export class ApprovalCards {
  constructor(
    private readonly context: ApprovalContext,
    private readonly writer: ApprovalWriter,
  ) {}

  /**
   * An `approval.cards` run: sends the card to each recipient without one and updates each card
   * that shows an older state, then records what was done. A refusal is recorded on its card and
   * not repeated; any other failure records the progress made and fails the run, which is retried.
   */
  async sync(id: string): Promise<JobOutcome> {
    const { options } = this.context;
    const approval = await options.approvals.get(id);
    if (!approval || (approval.via !== 'card' && !approval.announceAsCard)) return;
    const due = cardsDue(approval);
    if (due.send.length + due.update.length === 0) return;
    const integration = await options.integrations.find(approval.integrationId);
    if (!integration) return;
    const cards = (await options.providers.providerOf(integration)).cards;
    if (!cards) return;
    const stamp = cardStamp(approval);
    const now = this.context.now().toISOString();
    const done: ApprovalCard[] = [];
    let failure: unknown;
    for (const target of due.send) {
      try {
        const { handle, ref } = await cards.send(target, cardContent(approval, target), dedupeKeyOf(approval.id, target));
        done.push({ to: target, handle, ...(ref ? { ref } : {}), ...(cards.singleUseHandles ? { once: true as const } : {}), shown: stamp, sentAt: now });
      } catch (error) {
        if (!refusal(error)) {
          failure = error;
          break;
        }
        options.logger.warn('an approval card could not be sent', { approvalId: approval.id, error });
        done.push({ to: target, error: describe(error) });
      }
    }
    for (const card of failure ? [] : due.update) {
      try {
        await cards.update(card.handle!, card.to, cardContent(approval, card.to));
        done.push({ ...spent(card), shown: stamp });
      } catch (error) {
        if (!refusal(error)) {
          failure = error;
          break;
        }
        // The card cannot be changed any more (too old, deleted): it is left as it is.
        options.logger.warn('an approval card could not be updated', { approvalId: approval.id, error });
        done.push({ ...spent(card), shown: stamp });
      }
    }
    if (done.length > 0) await this.record(approval, done);
    if (failure) throw failure;
  }

  /**
   * Records cards sent or updated, over whatever the approval became meanwhile: a card that changed
   * since this run read it (a click answered it, or brought a fresh handle) stays as the click left
   * it, and the job the click set off shows the rest.
   */
  private async record(approval: ApprovalRecord, done: readonly ApprovalCard[]) {
    let current: ApprovalRecord | undefined = approval;
    for (let attempt = 0; attempt < 5 && current; attempt += 1) {
      let cards = current.cards;
      for (const card of done) {
        const existing = cardOf(current, card.to);
        const read = cardOf(approval, card.to);
        if (existing && JSON.stringify(existing) !== JSON.stringify(read)) continue;
        cards = withCard(cards, card);
      }
      const next: ApprovalRecord = { ...current, cards: cards ?? [], version: current.version + 1, updatedAt: this.context.now().toISOString() };
      if (await this.writer.save(next, current, true)) return;
      current = await this.context.options.approvals.get(approval.id);
    }
    throw new Error('the cards sent could not be recorded (the approval kept changing): the job runs again');
  }

  /**
   * A verified click. It counts when the approval is pending and `operator` is an approver of the
   * current stage who has not decided there; anything else changes nothing and says why. The
   * clicked card is answered with its new state (and recorded as showing it); the others are
   * updated by the cards job the write sets off.
   */
  async click(integration: Integration, click: CardClick): Promise<CardReply> {
    const { options } = this.context;
    let current = await options.approvals.get(click.choice.approvalId);
    if (!current || current.integrationId !== integration.id) return { toast: { type: 'error', text: 'This approval is not known here' } };
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const viewer = this.viewerOf(current, click);
      const problem = clickProblem(current, click.operator);
      if (problem) {
        const toast = clickAnswer(problem, current, click.choice.decision);
        if (click.noticeByMessage) await this.notice(current, click.operator, problem, toast.text);
        return { toast, card: cardContent(current, viewer) };
      }
      const now = this.context.now().toISOString();
      const stages = current.stages.map((stage) => ({ mode: stage.mode, approvers: stage.platformUserIds ?? [] }));
      const decided = transition(current, {
        type: 'decided',
        stages,
        decision: { stage: currentStage(current), approver: click.operator, decision: click.choice.decision, at: now, ...(click.comment?.trim() ? { comment: click.comment.trim() } : {}) },
      }) as ApprovalRecord;
      const next: ApprovalRecord = { ...decided, version: current.version + 1, updatedAt: now };
      if (isTerminal(next.status) && next.webhook) next.webhook = { ...next.webhook, state: 'pending' };
      // The clicked card is answered with this state. Where the answer shows to everyone who has the
      // card (Feishu), it is recorded as showing it, so the job leaves it; where it shows only to the
      // clicker (DingTalk) the job updates it for all; where the answer cannot change it (WeCom), the
      // click's fresh handle is kept for the job to show it.
      const clicked = cardOf(current, viewer);
      if (clicked && click.freshHandle) next.cards = withCard(current.cards, { ...clicked, handle: click.freshHandle, fresh: true });
      else if (clicked?.handle && click.answerShowsAll) next.cards = withCard(current.cards, { ...clicked, shown: cardStamp(next) });
      if (await this.writer.save(next, current)) {
        options.logger.info('approval decided on a card', { approvalId: current.id, decision: click.choice.decision, status: next.status });
        return { toast: clickAnswer(undefined, next, click.choice.decision), card: cardContent(next, viewer) };
      }
      const again = await options.approvals.get(current.id);
      if (!again) return { toast: { type: 'error', text: 'This approval is not known here' } };
      current = again;
    }
    return { toast: { type: 'error', text: 'This approval is changing: try again in a moment' } };
  }

  /**
   * Tells someone whose click changed nothing why, by a direct message through the approval's app,
   * where the platform's answer cannot (WeCom). Written for the worker to send, never sent before
   * the click is answered; one per approval, person and reason, so repeated clicks send it once.
   */
  private async notice(approval: ApprovalRecord, operator: string, problem: string, text: string) {
    try {
      await this.context.options.notifications?.create(
        {
          integrationId: approval.integrationId,
          to: { chatIds: [], userIds: [operator], emails: [], mobiles: [] },
          message: { title: approval.title.slice(0, 200), text, level: 'warning', links: [], mentions: [] },
          idempotencyKey: `${approval.id}-click-${problem}-${createHash('sha256').update(operator).digest('base64url').slice(0, 16)}`,
        },
        { deferred: true },
      );
    } catch (error) {
      this.context.options.logger.warn('the notice of a click that changed nothing could not be written', { approvalId: approval.id, error });
    }
  }

  /** Whose card was clicked: the card the handle names (a chat's, or a person's), else the clicker's own. */
  private viewerOf(approval: ApprovalRecord, click: CardClick): CardTarget {
    const card = click.ref ? cardByRef(approval, click.ref) : undefined;
    return card?.to ?? { userId: click.operator };
  }
}
