import { describe, expect, it } from 'vitest';
import { checkPlan, nextMonthInChina } from '../../../lib/domain/check-plan.ts';

const base = { firstMs: 60_000, maxGapMs: 900_000 };

describe('checkPlan', () => {
  it('keeps the base plan on Feishu, Lark and WeCom', () => {
    for (const provider of ['feishu', 'lark', 'wecom'] as const) expect(checkPlan(provider, true, base)).toEqual(base);
  });

  it('spares DingTalk calls: an hour, then every 2 hours while callbacks arrive; 5 and 30 minutes before any has', () => {
    expect(checkPlan('dingtalk', true, base)).toEqual({ firstMs: 3_600_000, maxGapMs: 7_200_000 });
    expect(checkPlan('dingtalk', false, base)).toEqual({ firstMs: 300_000, maxGapMs: 1_800_000 });
  });

  it('polls DingTalk like the others when told its edition has calls to spare', () => {
    expect(checkPlan('dingtalk', true, base, 'normal')).toEqual(base);
  });
});

describe('nextMonthInChina', () => {
  it('is the first of next month at 00:00 China time, also across a year end and for a UTC evening that is already tomorrow in China', () => {
    expect(nextMonthInChina(new Date('2026-12-01T03:00:00Z')).toISOString()).toBe('2026-12-31T16:00:00.000Z');
    // 2026-11-30T20:00Z is 2026-12-01 04:00 in China: December's quota resets on 2027-01-01.
    expect(nextMonthInChina(new Date('2026-11-30T20:00:00Z')).toISOString()).toBe('2026-12-31T16:00:00.000Z');
    expect(nextMonthInChina(new Date('2026-11-30T15:00:00Z')).toISOString()).toBe('2026-11-30T16:00:00.000Z');
  });
});
