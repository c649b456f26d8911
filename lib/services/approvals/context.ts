import type { DingtalkPolling } from '../../domain/check-plan.ts';
import type { CreateNotificationInput } from '../../domain/message.ts';
import type { OutboundUrlPolicy } from '../../domain/outbound-url.ts';
import type { Logger } from '../../log.ts';
import type { SecretSealer } from '../../secrets/sealer.ts';
import type { ApprovalIndexRepository, ApprovalRepository } from '../../store/repository.ts';
import type { IntegrationService } from '../integration-service.ts';
import type { ProviderService } from '../provider-service.ts';

/** What creating a notification answers, as far as approvals read it: each target's platform message id, once sent. */
export interface CreatedNotification {
  notification?: { deliveries?: readonly { target?: string; messageId?: string | null }[] };
}

export interface ApprovalServiceOptions {
  approvals: ApprovalRepository;
  index: ApprovalIndexRepository;
  integrations: IntegrationService;
  providers: ProviderService;
  sealer: SecretSealer;
  urlPolicy: OutboundUrlPolicy;
  logger: Logger;
  /** Sends the start and end messages of approvals with `notify`. */
  notifications?: { create(input: CreateNotificationInput, options?: { deferred?: boolean }): Promise<CreatedNotification | void> };
  /** First webhook retry delay, doubling after. @default 30000 */
  webhookFirstRetryMs?: number;
  /** Per webhook attempt. @default 10000 */
  webhookTimeoutMs?: number;
  /** How long a clicked card whose answer shows only to the clicker (DingTalk) is left alone before the job updates it for all. @default 3000 */
  cardSettleMs?: number;
  fetch?: typeof fetch;
  now?: () => Date;
  /** How long a start is owned before a check may take it over. @default 60000 */
  leaseMs?: number;
  /** First look after creation, then doubling per check (the base of every platform's plan). @default 60000 */
  firstCheckMs?: number;
  /** How DingTalk re-reads are spent (`checkPlan`). @default 'sparing' */
  dingtalkPolling?: DingtalkPolling;
  /** Longest gap between two looks at one approval. @default 900000 */
  maxCheckGapMs?: number;
  /**
   * Whether every write to the store is made in this process (the local runtime), so a long-poll
   * is woken by the commit alone; otherwise (Lambda) it re-reads every `pollMs`. @default false
   */
  commitsInProcess?: boolean;
  /** Long-poll store re-read interval where commits are made elsewhere. @default 1000 */
  pollMs?: number;
  /** How often a start waits to see the definition another start is making. @default 150 */
  provisionPollMs?: number;
  /**
   * How long past its timeout an approval whose platform cannot be read waits for a read before it
   * expires without withdrawing (a decision imhub could not see must not be undone). @default 600000
   */
  timeoutGraceMs?: number;
}

/** What the parts of the approval service share. */
export interface ApprovalContext {
  options: ApprovalServiceOptions;
  now: () => Date;
  leaseMs: number;
}

export const approvalContext = (options: ApprovalServiceOptions): ApprovalContext => ({ options, now: options.now ?? (() => new Date()), leaseMs: options.leaseMs ?? 60_000 });
