import { describe, expect, it } from 'vitest';
import { nextAllowedAt, scaleWindows } from '../../../lib/domain/rate-limit.ts';

describe('nextAllowedAt', () => {
  const perMinute = [{ max: 3, windowMs: 60_000 }];

  it('allows a send while the window has room', () => {
    expect(nextAllowedAt([1000, 2000], perMinute, 3000)).toBeUndefined();
  });

  it('waits until the oldest send of a full window leaves it', () => {
    expect(nextAllowedAt([1000, 2000, 3000], perMinute, 4000)).toBe(61_000);
    expect(nextAllowedAt([1000, 2000, 3000, 40_000], perMinute, 41_000)).toBe(62_000);
  });

  it('honours every window (Feishu bots: 5/s and 100/min)', () => {
    const windows = [
      { max: 5, windowMs: 1000 },
      { max: 100, windowMs: 60_000 },
    ];
    expect(nextAllowedAt([100, 200, 300, 400, 500], windows, 600)).toBe(1100);
  });

  it('keeps scaled windows 5% longer than documented, at least 100 ms', () => {
    expect(scaleWindows(perMinute, 1)[0]!.windowMs).toBe(63_000);
    expect(scaleWindows(perMinute, 0.05)[0]!.windowMs).toBe(3150);
    expect(scaleWindows([{ max: 5, windowMs: 1000 }], 1)[0]!.windowMs).toBe(1100);
  });
});
