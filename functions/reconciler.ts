import type { Context } from 'aws-lambda';
import { loadConfig } from '#lib/config.ts';
import { logger } from '#lib/log.ts';
import { services } from '#lib/services/index.ts';

/** Kept back from the function's timeout to record what the run did. */
const reserveMs = 5_000;

/** Approvals due, in a bounded number of rounds of 50. */
async function reconcileApprovals(deadline: number) {
  let total = { checked: 0, ended: 0 };
  for (let round = 0; round < 10 && Date.now() < deadline; round += 1) {
    const result = await services.approvals().reconcile(50, deadline);
    total = { checked: total.checked + result.checked, ended: total.ended + result.ended };
    if (result.checked < 50) break;
  }
  return total;
}

/** Due webhooks, the same way: up to 8 at once within each round (`deliverWebhooks`). */
async function deliverWebhooks(deadline: number) {
  let delivered = 0;
  for (let round = 0; round < 10 && Date.now() < deadline; round += 1) {
    const result = await services.approvals().deliverWebhooks(50, deadline);
    delivered += result.delivered;
    if (result.attempted < 50) break;
  }
  return delivered;
}

/**
 * Scheduled (EventBridge, every minute in AWS; a timer locally): re-reads pending approvals whose
 * callbacks may be lost, expires those past their timeout, delivers due webhooks and queued
 * notification deliveries. It reads only what is due. The three parts run side by side, so a slow
 * receiver or platform holds back only its own part, and each takes no new work once the run's
 * budget is spent (IMHUB_RECONCILE_BUDGET_MS; in AWS also 5 s before the function's timeout): what
 * is left is due at the next run. A part that failed fails the run, after the others are done.
 */
export const handler = async (_event?: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>) => {
  const remainingMs = context ? context.getRemainingTimeInMillis() - reserveMs : Number.POSITIVE_INFINITY;
  const deadline = Date.now() + Math.min(loadConfig().IMHUB_RECONCILE_BUDGET_MS, remainingMs);
  const [approvals, webhooks, notifications] = await Promise.allSettled([
    reconcileApprovals(deadline),
    deliverWebhooks(deadline),
    // Queued notification deliveries whose rate window has opened.
    services.notifications().dispatchDue(100, deadline),
  ]);
  const summary = {
    ...(approvals.status === 'fulfilled' ? approvals.value : { checked: 0, ended: 0 }),
    webhooks: webhooks.status === 'fulfilled' ? webhooks.value : 0,
    notifications: notifications.status === 'fulfilled' ? notifications.value : 0,
  };
  if (summary.checked || summary.webhooks || summary.notifications) logger.info('reconciled', summary);
  const failures = [approvals, webhooks, notifications].flatMap((part) => (part.status === 'rejected' ? [part.reason as unknown] : []));
  for (const error of failures) logger.warn('a reconciler part failed', { error });
  if (failures.length > 0) throw failures[0];
  return summary;
};
