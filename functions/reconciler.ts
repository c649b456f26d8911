import type { Context } from 'aws-lambda';
import { loadConfig } from '#lib/config.ts';
import { logger } from '#lib/log.ts';
import { services } from '#lib/services/index.ts';

/** Kept back from the function's timeout to record what the run did. */
const reserveMs = 5_000;

/**
 * The sweep (EventBridge, every minute in AWS; a timer locally): runs every job that is due and
 * was not run by its trigger (a job due more than 15 minutes after it was written, a run a crash
 * cut short, a stream batch that went to the dead-letter queue), in rounds of 100, each kind in its
 * own lane. No job starts once the run's budget is spent (IMHUB_RECONCILE_BUDGET_MS; in AWS also
 * 5 s before the function's timeout): what is left is due at the next run.
 */
export const handler = async (_event?: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>) => {
  const remainingMs = context ? context.getRemainingTimeInMillis() - reserveMs : Number.POSITIVE_INFINITY;
  const deadline = Date.now() + Math.min(loadConfig().IMHUB_RECONCILE_BUDGET_MS, remainingMs);
  const total = { ran: 0, failed: 0 };
  for (let round = 0; round < 10 && Date.now() < deadline; round += 1) {
    const result = await services.worker().runDue(100, deadline);
    total.ran += result.ran;
    total.failed += result.failed;
    if (result.ran + result.failed === 0) break;
  }
  if (total.ran || total.failed) logger.info('swept', total);
  return total;
};
