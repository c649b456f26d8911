import { describe, expect, it } from 'vitest';
import { earliestSlot, scaleWindows, takeSlot } from '../../../lib/domain/rate-limit.ts';

describe('earliestSlot, past sends only', () => {
  const perMinute = [{ max: 3, windowMs: 60_000 }];

  it('allows a send while the window has room', () => {
    expect(earliestSlot([1000, 2000], perMinute, 3000)).toBe(3000);
  });

  it('waits until the oldest send of a full window leaves it', () => {
    expect(earliestSlot([1000, 2000, 3000], perMinute, 4000)).toBe(61_000);
    expect(earliestSlot([1000, 2000, 3000, 40_000], perMinute, 41_000)).toBe(62_000);
  });

  it('honours every window (Feishu bots: 5/s and 100/min)', () => {
    const windows = [
      { max: 5, windowMs: 1000 },
      { max: 100, windowMs: 60_000 },
    ];
    expect(earliestSlot([100, 200, 300, 400, 500], windows, 600)).toBe(1100);
  });

  it('keeps scaled windows 5% longer than documented, at least 100 ms', () => {
    expect(scaleWindows(perMinute, 1)[0]!.windowMs).toBe(63_000);
    expect(scaleWindows(perMinute, 0.05)[0]!.windowMs).toBe(3150);
    expect(scaleWindows([{ max: 5, windowMs: 1000 }], 1)[0]!.windowMs).toBe(1100);
  });
});

describe('earliestSlot', () => {
  const perMinute = [{ max: 3, windowMs: 60_000 }];

  it('is now while the window has room, and the oldest send plus the window when it is full', () => {
    expect(earliestSlot([1000, 2000], perMinute, 3000)).toBe(3000);
    expect(earliestSlot([1000, 2000, 3000], perMinute, 4000)).toBe(61_000);
  });

  it('lines sends deferred one after another up behind the times already reserved, one per opening', () => {
    const log = [0, 10, 20];
    const slots: number[] = [];
    for (let send = 0; send < 5; send += 1) {
      const at = earliestSlot(log, perMinute, 30);
      slots.push(at);
      log.push(at);
    }
    expect(slots).toEqual([60_000, 60_010, 60_020, 120_000, 120_010]);
  });

  it('fits a send before a reserved time when every window still holds, and never between two that would break one', () => {
    // One reserved at 60 s; a window of 3 per minute has room now (0, 60 s and now span a minute).
    expect(earliestSlot([60_000], perMinute, 1000)).toBe(1000);
    // Three reserved from 50 s on: a send now would make four within a minute with them.
    expect(earliestSlot([50_000, 50_001, 50_002], perMinute, 1000)).toBe(110_000);
  });

  it('keeps every window of a key (Feishu bots: 5/s and 100/min)', () => {
    const windows = [
      { max: 5, windowMs: 1000 },
      { max: 100, windowMs: 60_000 },
    ];
    const log: number[] = [];
    for (let send = 0; send < 120; send += 1) log.push(earliestSlot(log, windows, 0));
    const sorted = [...log].sort((a, b) => a - b);
    for (let index = 5; index < sorted.length; index += 1) expect(sorted[index]! - sorted[index - 5]!).toBeGreaterThanOrEqual(1000);
    for (let index = 100; index < sorted.length; index += 1) expect(sorted[index]! - sorted[index - 100]!).toBeGreaterThanOrEqual(60_000);
    expect(sorted[99]).toBe(19_000);
    expect(sorted[100]).toBe(60_000);
  });
});

describe('takeSlot', () => {
  const perMinute = [{ max: 2, windowMs: 60_000 }];

  it('logs a send while there is room, then gives places in line only to sends that will wait', () => {
    const state = { log: [] as number[], ahead: [] as number[] };
    expect(takeSlot(state, perMinute, 0, true)).toEqual({ taken: true });
    expect(takeSlot(state, perMinute, 10, true)).toEqual({ taken: true });
    // A verify (no queue) hears when, and nothing is kept for it
    expect(takeSlot(state, perMinute, 20, false)).toEqual({ taken: false, retryAt: 60_000 });
    expect(state).toEqual({ log: [0, 10], ahead: [] });
    // Two sends that wait get the two openings, one each
    expect(takeSlot(state, perMinute, 30, true)).toEqual({ taken: false, retryAt: 60_000 });
    expect(takeSlot(state, perMinute, 40, true)).toEqual({ taken: false, retryAt: 60_010 });
    expect(state).toEqual({ log: [0, 10], ahead: [60_000, 60_010] });
  });
});
