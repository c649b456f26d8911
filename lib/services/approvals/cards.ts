import { createHash } from 'node:crypto';
import { approvalLocale, type ApprovalCard, type ApprovalRecord, type CardTarget, isTerminal, transition } from '../../domain/approval.ts';
import { cardByRef, cardContent, cardOf, cardStamp, cardsDue, clickAnswer, type ClickProblem, clickProblem, currentStage, withCard } from '../../domain/approval-cards.ts';
import type { Integration } from '../../domain/integration.ts';
import { integrationLocale } from '../../domain/locale.ts';
import { textsFor } from '../../domain/texts.ts';
import { isCallerError, ProviderError } from '../../errors.ts';
import type { JobOutcome } from '../../jobs/ports.ts';
import type { CardClick, CardReply } from '../../providers/callbacks/callback-types.ts';
import type { CardOperations } from '../../providers/port.ts';
import type { ApprovalContext } from './context.ts';
import type { ApprovalWriter } from './writer.ts';

/** 16 characters of a value's SHA-256, for keys that must stay short and say nothing of who is in them. */
const shortDigest = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 16);

/** A send's dedupe key: the approval and a digest of the recipient, within Feishu's 50 characters. */
const dedupeKeyOf = (approvalId: string, target: CardTarget) => `${approvalId}-${shortDigest(JSON.stringify(target))}`;

/** A failure that repeating will not cure (a recipient outside the app's range, a chat without the bot). */
const refusal = (error: unknown) => isCallerError(error) || (error instanceof ProviderError && error.refused);

const describe = (error: unknown) => (error instanceof ProviderError ? `${error.message} (${error.platform} ${error.platformCode})` : error instanceof Error ? error.message : String(error));

/** Leave this much of a run's budget for recording what was done. */
const recordMarginMs = 5000;

/** The handle an update of `card` uses: a click's fresh one first (WeCom), else the card's own. */
const handleFor = (card: ApprovalCard) => card.freshHandle ?? card.handle;

/** A card once `used` was used to update it: a single-use handle is gone. */
function spend(card: ApprovalCard, used: string | undefined): ApprovalCard {
  if (!card.once || used === undefined) return card;
  const { freshHandle, handle, ...rest } = card;
  return { ...rest, ...(freshHandle !== undefined && freshHandle !== used ? { freshHandle } : {}), ...(handle !== undefined && handle !== used ? { handle } : {}) };
}

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
   * that shows an older state, then records what was done. One run at a time per approval (its
   * cards lease, taken under the version condition before any platform call; a single-use handle
   * is recorded as spent in the same write, so no two runs spend it). A refusal is recorded on its
   * card and not repeated; any other failure of one card leaves the others going and fails the run
   * at the end, which is retried. Work left (the run's budget, a card whose click is still being
   * answered, a change meanwhile) is its next run.
   */
  async sync(id: string, deadline = Number.POSITIVE_INFINITY): Promise<JobOutcome> {
    const { options } = this.context;
    const now = this.context.now();
    const taken = await this.lease(id, now);
    if (!('leased' in taken)) return taken.outcome;
    const { approval, leased, due, cards } = taken;

    const stamp = cardStamp(approval);
    const done: ApprovalCard[] = [];
    let failure: unknown;
    // The deadline is on the worker's clock, which is the service's. A quarter of the run (at most
    // 5 s) is kept for recording; every run does at least one card, so runs always make progress.
    const margin = Math.min(recordMarginMs, (deadline - now.getTime()) / 4);
    const inBudget = () => done.length === 0 || this.context.now().getTime() < deadline - margin;
    for (const target of due.send) {
      if (!inBudget()) break;
      try {
        const sent = await cards.send(target, cardContent(approval, target), dedupeKeyOf(approval.id, target));
        done.push({
          to: target,
          ...(sent.handle ? { handle: sent.handle } : {}),
          ...(sent.ref ? { ref: sent.ref } : {}),
          ...(cards.singleUseHandles ? { once: true as const } : {}),
          // Sent before (a repeat): what it shows is not known, so it is updated.
          ...(sent.repeated ? {} : { shown: stamp }),
          sentAt: now.toISOString(),
        });
      } catch (error) {
        if (!refusal(error)) {
          failure ??= error;
          continue;
        }
        options.logger.warn('an approval card could not be sent', { approvalId: approval.id, error });
        done.push({ to: target, error: describe(error).slice(0, 300) });
      }
    }
    for (const card of due.update) {
      if (!inBudget()) break;
      const used = handleFor(card);
      try {
        await cards.update(used!, card.to, cardContent(approval, card.to));
        done.push({ ...spend(card, used), shown: stamp });
      } catch (error) {
        if (!refusal(error)) {
          failure ??= error;
          continue;
        }
        // The card cannot be changed any more (too old, deleted, its code expired): it is left as it is.
        options.logger.warn('an approval card could not be updated', { approvalId: approval.id, error });
        done.push({ ...spend(card, used), shown: stamp });
      }
    }
    const recorded = await this.record(leased, done);
    if (recorded) await this.failIfNobodyCanDecide(recorded);
    if (failure) throw failure;
    const left = recorded && cardsDue(recorded, this.context.now());
    // What is left (a change came meanwhile, the budget ran out) is the next run's: at once after progress, else a moment later.
    if (left && left.send.length + left.update.length > 0) return { dueAt: new Date(this.context.now().getTime() + (done.length > 0 ? 0 : 1000)) };
    return left?.settling ? { dueAt: new Date(left.settling) } : undefined;
  }

  /**
   * Takes the approval's cards lease for this run, with every single-use handle the run will use
   * marked spent, in one conditional write (re-read and tried again when another write won). What
   * to answer instead when there is nothing to do now, or another run holds the lease.
   */
  private async lease(
    id: string,
    now: Date,
  ): Promise<{ outcome: JobOutcome } | { approval: ApprovalRecord; leased: ApprovalRecord; due: ReturnType<typeof cardsDue>; cards: CardOperations }> {
    const { options } = this.context;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const approval = await options.approvals.get(id);
      if (!approval || (approval.via !== 'card' && !approval.announceAsCard)) return { outcome: undefined };
      const due = cardsDue(approval, now);
      if (due.send.length + due.update.length === 0) return { outcome: due.settling ? { dueAt: new Date(due.settling) } : undefined };
      if (approval.cardsLeaseUntil && approval.cardsLeaseUntil > now.toISOString()) return { outcome: { dueAt: new Date(approval.cardsLeaseUntil) } };
      const integration = await options.integrations.find(approval.integrationId);
      if (!integration) return { outcome: undefined };
      const cards = (await options.providers.providerOf(integration)).cards;
      if (!cards) return { outcome: undefined };
      const leased: ApprovalRecord = {
        ...approval,
        cardsLeaseUntil: new Date(now.getTime() + this.context.leaseMs).toISOString(),
        cards: (approval.cards ?? []).map((card) => (due.update.includes(card) ? spend(card, handleFor(card)) : card)),
        version: approval.version + 1,
        updatedAt: now.toISOString(),
      };
      if (await this.writer.save(leased, approval, true)) return { approval, leased, due, cards };
    }
    return { outcome: { dueAt: new Date(now.getTime() + 1000) } };
  }

  /**
   * Records cards sent or updated and ends the lease, over whatever the approval became meanwhile:
   * a card that changed since the lease was taken (a click answered it, or brought a fresh handle)
   * keeps what the click left, and the job the click set off shows the rest.
   */
  private async record(leased: ApprovalRecord, done: readonly ApprovalCard[]): Promise<ApprovalRecord | undefined> {
    let current: ApprovalRecord | undefined = leased;
    for (let attempt = 0; attempt < 5 && current; attempt += 1) {
      let cards = current.cards;
      for (const card of done) {
        const existing = cardOf(current, card.to);
        const read = cardOf(leased, card.to);
        if (existing && JSON.stringify(existing) !== JSON.stringify(read)) continue;
        cards = withCard(cards, card);
      }
      const { cardsLeaseUntil: _ended, ...rest } = current;
      const next: ApprovalRecord = { ...rest, cards: cards ?? [], version: current.version + 1, updatedAt: this.context.now().toISOString() };
      if (await this.writer.save(next, current, true)) return next;
      current = await this.context.options.approvals.get(leased.id);
    }
    throw new Error('the cards sent could not be recorded (the approval kept changing): the job runs again');
  }

  /**
   * A card approval whose current stage can reach none of its approvers (every card refused: the
   * bot not enabled, people outside the app's range) would wait silently for its timeout: it ends
   * failed, saying why, unless a chat has its card.
   */
  private async failIfNobodyCanDecide(approval: ApprovalRecord) {
    if (approval.via !== 'card' || isTerminal(approval.status)) return;
    const ids = approval.stages[currentStage(approval)]?.platformUserIds ?? [];
    const cards = ids.map((userId) => cardOf(approval, { userId }));
    const chatReached = (approval.cards ?? []).some((card) => 'chatId' in card.to && card.error === undefined);
    if (ids.length === 0 || chatReached || !cards.every((card) => card?.error !== undefined)) return;
    const reason = `no approver of the current stage could be sent its card: ${[...new Set(cards.map((card) => card!.error))].join('; ')}`.slice(0, 1000);
    await this.writer.apply(approval.id, { type: 'failed', at: this.context.now().toISOString(), reason });
  }

  /**
   * A verified click. It counts when the approval is pending (and not past its timeout) and
   * `operator` is an approver of the current stage who has not decided there, on their own card or
   * in a chat; anything else changes nothing and says why. A repeat of a click already taken
   * (`duplicate`: the platform's retry, a replay) changes nothing and is answered with the card as
   * it is. The clicked card is answered with its new state; the others are updated by the cards
   * job the write sets off.
   */
  async click(integration: Integration, click: CardClick, duplicate = false): Promise<CardReply> {
    const { options } = this.context;
    let current = await options.approvals.get(click.choice.approvalId);
    // What no approval's own locale can say is said in the integration's.
    const integrationTexts = textsFor(integrationLocale(integration).locale);
    if (!current || current.integrationId !== integration.id) return { toast: { type: 'error', text: integrationTexts.clickUnknown } };
    if (duplicate) return { toast: { type: 'info', text: textsFor(approvalLocale(current).locale).clickRepeated }, card: cardContent(current, this.viewerOf(current, click)) };
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const now = this.context.now();
      const card = click.ref ? cardByRef(current, click.ref) : undefined;
      const viewer = card?.to ?? { userId: click.operator };
      // A person's card is theirs: a click on it naming someone else is not a decision of theirs.
      const ownCard = !card || !('userId' in card.to) || card.to.userId === click.operator;
      const problem: ClickProblem | undefined = ownCard ? clickProblem(current, click.operator, now) : 'not_approver';
      if (problem) {
        const toast = clickAnswer(problem, current, click.choice.decision);
        // Their card may be out of date (why they could click): the fresh handle shows them the state.
        if (card && ownCard && click.freshHandle) await this.keepFreshHandle(current, card, click.freshHandle);
        if (click.noticeByMessage) await this.notice(current, click.operator, problem, toast.text);
        return { toast, card: cardContent(current, viewer) };
      }
      const stages = current.stages.map((stage) => ({ mode: stage.mode, approvers: stage.platformUserIds ?? [] }));
      const decided = transition(current, {
        type: 'decided',
        stages,
        decision: { stage: currentStage(current), approver: click.operator, decision: click.choice.decision, at: now.toISOString(), ...(click.comment?.trim() ? { comment: click.comment.trim() } : {}) },
      }) as ApprovalRecord;
      // Never so (a card approval has at most as many approvers as decisions are kept), but a decision not kept must not be reported as taken.
      if (decided.decisions.length === current.decisions.length && decided.status === current.status) {
        return { toast: { type: 'error', text: textsFor(approvalLocale(current).locale).clickNoMoreDecisions }, card: cardContent(current, viewer) };
      }
      const next: ApprovalRecord = { ...decided, version: current.version + 1, updatedAt: now.toISOString() };
      if (isTerminal(next.status) && next.webhook) next.webhook = { ...next.webhook, state: 'pending' };
      next.cards = this.clickedCard(current, next, card, click, now);
      if (await this.writer.save(next, current)) {
        options.logger.info('approval decided on a card', { approvalId: current.id, decision: click.choice.decision, status: next.status });
        return { toast: clickAnswer(undefined, next, click.choice.decision), card: cardContent(next, viewer) };
      }
      const again = await options.approvals.get(current.id);
      if (!again) return { toast: { type: 'error', text: integrationTexts.clickUnknown } };
      current = again;
    }
    return { toast: { type: 'error', text: textsFor(approvalLocale(current).locale).clickBusy } };
  }

  /**
   * The clicked card after a decision. The answer shows its new state: where that shows to everyone
   * who has the card (Feishu's shared cards) it is recorded as shown, so the job leaves it; where
   * only to the clicker (DingTalk) the job updates it for all once the answer is out
   * (`settleUntil`); where the answer cannot change it (WeCom) the click's fresh handle is kept for
   * the job to show it.
   */
  private clickedCard(current: ApprovalRecord, next: ApprovalRecord, card: ApprovalCard | undefined, click: CardClick, now: Date): ApprovalRecord['cards'] {
    if (!card) return current.cards;
    if (click.freshHandle) return withCard(current.cards, { ...card, freshHandle: click.freshHandle });
    if (click.answerShowsAll && card.handle) return withCard(current.cards, { ...card, shown: cardStamp(next) });
    return withCard(current.cards, { ...card, settleUntil: new Date(now.getTime() + (this.context.options.cardSettleMs ?? 3000)).toISOString() });
  }

  /** Keeps a fresh single-use handle a click brought, so that the cards job can bring that card up to date. */
  private async keepFreshHandle(approval: ApprovalRecord, card: ApprovalCard, freshHandle: string) {
    if (!card.once || card.shown === cardStamp(approval)) return;
    await this.writer.save({ ...approval, cards: withCard(approval.cards, { ...card, freshHandle }), version: approval.version + 1, updatedAt: this.context.now().toISOString() }, approval, true);
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
          idempotencyKey: `${approval.id}-click-${problem}-${shortDigest(operator)}`,
          ...approvalLocale(approval),
        },
        { deferred: true },
      );
    } catch (error) {
      this.context.options.logger.warn('the notice of a click that changed nothing could not be written', { approvalId: approval.id, error });
    }
  }

  /** Whose card was clicked: the card the click names (a chat's, or a person's), else the clicker's own. */
  private viewerOf(approval: ApprovalRecord, click: CardClick): CardTarget {
    const card = click.ref ? cardByRef(approval, click.ref) : undefined;
    return card?.to ?? { userId: click.operator };
  }
}

