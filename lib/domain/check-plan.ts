import type { Provider } from './integration.ts';

/** When the reconciler re-reads a pending approval's platform instance: first look, then doubling up to a cap. */
export interface CheckPlan {
  firstMs: number;
  maxGapMs: number;
}

/** How the DingTalk reconciler spends reads: `sparing` for standard-edition orgs, `normal` for paid editions. */
export type DingtalkPolling = 'sparing' | 'normal';

/**
 * The re-read plan for one approval. DingTalk's standard-edition orgs get 10,000 calls a month for
 * all non-exempt APIs together ("如何处理钉钉服务端API限流": 90020 / ApiCountLimitForOrg), and a
 * re-read is one of them. While the integration's callbacks arrive, a lost one is the only thing a
 * re-read can find, so DingTalk looks after an hour and then every 2 hours (with the defaults);
 * before any callback has arrived, after 5 minutes and then every 30. Other platforms keep the
 * base plan (1 minute, doubling to 15). Every plan also looks at the timeout.
 */
export function checkPlan(provider: Provider, callbacksArrive: boolean, base: CheckPlan, dingtalk: DingtalkPolling = 'sparing'): CheckPlan {
  if (provider !== 'dingtalk' || dingtalk === 'normal') return base;
  return callbacksArrive ? { firstMs: base.firstMs * 60, maxGapMs: base.maxGapMs * 8 } : { firstMs: base.firstMs * 5, maxGapMs: base.maxGapMs * 2 };
}

/** Callbacks count as arriving for a day after the last authentic one. */
export const callbacksArriveWithinMs = 24 * 3600_000;

/** When a monthly platform quota starts again: the first of next month, 00:00 China time (UTC+8). UNCONFIRMED: DingTalk does not say which clock it resets on. */
export function nextMonthInChina(now: Date): Date {
  const china = new Date(now.getTime() + 8 * 3600_000);
  return new Date(Date.UTC(china.getUTCFullYear(), china.getUTCMonth() + 1, 1) - 8 * 3600_000);
}
