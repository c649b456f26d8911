import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CommitSignals } from '../../../lib/jobs/signals.ts';

describe('commit signals: held long-polls', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.parse('2026-12-01T08:00:00.000Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('wakes the waiters of a record at its commit, and only them, leaving nothing behind', async () => {
    const signals = new CommitSignals();
    const woken: string[] = [];
    const waits = ['apr_1', 'apr_1', 'apr_2'].map((id, index) => signals.nextChange(id, 10_000).then(() => woken.push(`${id}#${index}`)));
    signals.recordChanged('apr_1');
    await Promise.all(waits.slice(0, 2));
    expect(woken.sort()).toEqual(['apr_1#0', 'apr_1#1']);
    expect(signals.held).toEqual({ records: 1, ticks: 1 });
    signals.recordChanged('apr_2');
    await waits[2];
    expect(signals.held).toEqual({ records: 0, ticks: 0 });
  });

  it('answers a wait whose time runs out at the end of its 50 ms tick, one timer for the waiters of a tick', async () => {
    const signals = new CommitSignals();
    const order: string[] = [];
    const early = signals.nextChange('apr_1', 1010).then(() => order.push('1010 ms'));
    const sameTick = signals.nextChange('apr_2', 1040).then(() => order.push('1040 ms'));
    const later = signals.nextChange('apr_3', 1060).then(() => order.push('1060 ms'));
    expect(signals.held).toEqual({ records: 3, ticks: 2 });
    expect(vi.getTimerCount()).toBe(2);
    await vi.advanceTimersByTimeAsync(1049);
    expect(order).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(order.sort()).toEqual(['1010 ms', '1040 ms']);
    await vi.advanceTimersByTimeAsync(50);
    await Promise.all([early, sameTick, later]);
    expect(order).toEqual(['1010 ms', '1040 ms', '1060 ms']);
    expect(signals.held).toEqual({ records: 0, ticks: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });
});
