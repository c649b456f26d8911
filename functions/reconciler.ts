import { logger } from '#lib/log.ts';
import { services } from '#lib/services/index.ts';

/**
 * Scheduled (EventBridge, every minute in AWS; a timer locally): re-reads pending approvals whose
 * callbacks may be lost, expires those past their timeout, delivers due webhooks and queued
 * notification deliveries. It reads only what is due.
 */
export const handler = async () => {
  let total = { checked: 0, ended: 0, webhooks: 0 };
  // A bounded number of rounds keeps one invocation inside its timeout.
  for (let round = 0; round < 10; round += 1) {
    const result = await services.approvals().reconcile(50);
    total = { checked: total.checked + result.checked, ended: total.ended + result.ended, webhooks: total.webhooks + result.webhooks };
    if (result.checked < 50) break;
  }
  // Queued notification deliveries whose rate window has opened.
  const notifications = await services.notifications().dispatchDue(100);
  if (total.checked || total.webhooks || notifications) logger.info('reconciled', { ...total, notifications });
  return { ...total, notifications };
};
