import { randomBytes } from 'node:crypto';
import { approvalLocale, type ApprovalRecord, type PersonInput, type StageMode, samePersonInput, selfApprovers } from '../../domain/approval.ts';
import { BadRequestError } from '../../errors.ts';
import type { Locale } from '../../domain/locale.ts';
import { textsFor } from '../../domain/texts.ts';
import type { Integration } from '../../domain/integration.ts';
import type { ApprovalSpec } from '../../providers/port.ts';

export const newApprovalId = () => `apr_${randomBytes(15).toString('base64url').replace(/[-_]/g, 'x')}`;

/**
 * The name of a definition, form or template: unique per integration and per attempt, within the
 * 40 characters WeCom allows. DingTalk and WeCom refuse a second form or template of one name in a
 * tenant ("已有相同名称表单", "模版名称不得和现有模版名称重复"), which an integration registered
 * again, two integrations of one name, or a create whose answer was lost would otherwise meet.
 */
export function definitionName(integration: Pick<Integration, 'id' | 'name'>, attempt: number, locale: Locale): string {
  const suffix = ` ${integration.id.slice(-6)}${attempt > 1 ? `-${attempt}` : ''}`;
  return `${`${textsFor(locale).definitionName} ${integration.name}`.slice(0, 40 - suffix.length).trimEnd()}${suffix}`;
}

/** Everyone a start must look up: the requester, then each stage's approvers in order. */
export const peopleOf = (requester: PersonInput, stages: readonly { approvers: PersonInput[] }[]): PersonInput[] => [requester, ...stages.flatMap((stage) => stage.approvers)];

/** The stages and requester with the platform ids `resolveUsers` returned for `peopleOf` them. */
export function withPlatformIds(requester: PersonInput, stages: readonly { mode: StageMode; approvers: PersonInput[] }[], ids: readonly string[]): Pick<ApprovalRecord, 'requesterPlatformId' | 'stages'> {
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

/**
 * Why a start may not go on when its requester is also one of its approvers, compared as given and
 * then by platform identity (an email and a userId can name one person); undefined when none is,
 * or when the request allowed it.
 */
export function selfApprovalProblem(approval: Pick<ApprovalRecord, 'requester' | 'requesterPlatformId' | 'stages' | 'allowSelfApproval'>): BadRequestError | undefined {
  if (approval.allowSelfApproval) return undefined;
  const found = [
    ...selfApprovers(approval.requester, approval.stages, samePersonInput),
    ...(approval.requesterPlatformId === undefined
      ? []
      : selfApprovers(
          approval.requesterPlatformId,
          approval.stages.map((stage) => ({ approvers: stage.platformUserIds ?? [] })),
          (a, b) => a === b,
        )),
  ].filter((place, index, all) => all.findIndex((other) => other.stage === place.stage && other.approver === place.approver) === index);
  if (found.length === 0) return undefined;
  const paths = found.map((place) => `stages.${place.stage}.approvers.${place.approver}`);
  return new BadRequestError(
    `the requester is also an approver (${paths.join(', ')}), and nobody approves their own request: name someone else there, or send "allowSelfApproval": true if the requester may decide`,
    { code: 'self_approval', details: paths.map((path) => ({ path, message: 'is the requester' })) },
  );
}

export function specOf(approval: ApprovalRecord): ApprovalSpec {
  return {
    approvalId: approval.id,
    title: approval.title,
    ...(approval.content ? { content: approval.content } : {}),
    requester: approval.requesterPlatformId ?? '',
    locale: approvalLocale(approval).locale,
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
    ...approvalLocale(approval),
    status: approval.status,
    requester: approval.requester,
    stages: approval.stages.map((stage) => ({ mode: stage.mode, approvers: stage.approvers })),
    decisions: approval.decisions.map((decision) => ({ ...decision, person: personOf(decision.stage, decision.approver) ?? null })),
    moreDecisions: approval.moreDecisions ?? 0,
    platformInstanceId: approval.platform?.instanceId ?? null,
    via: approval.via ?? 'app',
    cards: (approval.cards ?? []).map((card) => ({ to: card.to, state: card.error ? 'failed' : card.sentAt ? 'sent' : 'pending', ...(card.error ? { error: card.error } : {}) })),
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
