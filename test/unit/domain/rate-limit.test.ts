import { describe, expect, it } from 'vitest';
import { answeredMarginMs, answerSlot, earliestSlot, inFlightMarginMs, pruneRateLog, type RateLog, scaleWindows, takeSlot } from '../../../lib/domain/rate-limit.ts';

const perMinute = [{ max: 3, windowMs: 60_000 }];
/** Sends the platform answered at these times (counted from the answer plus 300 ms). */
const answered = (...times: number[]): RateLog => ({ log: [], answered: times, ahead: [] });
/** Sends that left at these times and have no answer yet (counted from then plus 3 s). */
const inFlight = (...times: number[]): RateLog => ({ log: times, answered: [], ahead: [] });

/** The places `count` sends that wait at `now` are given, one after the other (each counted for the next). */
function placesInLine(state: RateLog, count: number, now: number): number[] {
  const places: number[] = [];
  for (let send = 0; send < count; send += 1) {
    const place = earliestSlot(state, perMinute, now);
    places.push(place);
    state.ahead.push(place);
  }
  return places;
}

describe('margins', () => {
  it('counts a send in flight up to 5% of the window later (at least 100 ms), an answered one 0.5% (at least 10 ms)', () => {
    expect(inFlightMarginMs({ max: 20, windowMs: 60_000 })).toBe(3000);
    expect(inFlightMarginMs({ max: 5, windowMs: 1000 })).toBe(100);
    expect(answeredMarginMs({ max: 20, windowMs: 60_000 })).toBe(300);
    expect(answeredMarginMs({ max: 20, windowMs: 3000 })).toBe(15);
    expect(answeredMarginMs({ max: 5, windowMs: 1000 })).toBe(10);
  });

  it('scales the documented windows and nothing else', () => {
    expect(scaleWindows([{ max: 20, windowMs: 60_000 }], 0.05)).toEqual([{ max: 20, windowMs: 3000 }]);
    expect(scaleWindows([{ max: 20, windowMs: 60_000 }], 1)).toEqual([{ max: 20, windowMs: 60_000 }]);
  });
});

describe('earliestSlot', () => {
  it('is now while the window has room', () => {
    expect(earliestSlot(answered(1000, 2000), perMinute, 3000)).toBe(3000);
    expect(earliestSlot(inFlight(1000, 2000), perMinute, 3000)).toBe(3000);
  });

  it('counts a full window from the oldest send’s answer plus a little, or from when it left plus its margin while it has no answer', () => {
    expect(earliestSlot(answered(1000, 2000, 3000), perMinute, 4000)).toBe(61_300);
    expect(earliestSlot(inFlight(1000, 2000, 3000), perMinute, 4000)).toBe(64_000);
    // The first send answered, the other two not: the first counts from its answer
    expect(earliestSlot({ log: [2000, 3000], answered: [1500], ahead: [] }, perMinute, 4000)).toBe(61_800);
  });

  it('honours every window (Feishu bots: 5/s and 100/min)', () => {
    const windows = [
      { max: 5, windowMs: 1000 },
      { max: 100, windowMs: 60_000 },
    ];
    expect(earliestSlot(answered(100, 200, 300, 400, 500), windows, 600)).toBe(1110);
  });

  it('lines sends deferred one after another up behind the places already given, one per opening', () => {
    // A place counts as a send in flight: the sends after it keep its margin too
    expect(placesInLine(answered(0, 10, 20), 5, 30)).toEqual([60_300, 60_310, 60_320, 123_300, 123_310]);
  });

  it('fits a send before a place given to another when every window still holds, never where a later send would make one too many', () => {
    // A place at 60 s; a window of 3 per minute has room now.
    expect(earliestSlot({ log: [], answered: [], ahead: [60_000] }, perMinute, 1000)).toBe(1000);
    // Three places from 50 s on: a send now would make four within a minute; after them it leaves a minute after the first one’s margin.
    expect(earliestSlot({ log: [], answered: [], ahead: [50_000, 50_001, 50_002] }, perMinute, 1000)).toBe(113_000);
  });

  it('keeps a send that leaves later from counting its margin the wrong way: each send leaves a window after the latest the platform may count the third before it', () => {
    expect(placesInLine(answered(0, 1000, 2000), 4, 3000)).toEqual([60_300, 61_300, 62_300, 123_300]);
  });

  it('never lets max + 1 sends be counted within a window when an answered send sits between sends still in flight', () => {
    // Two a minute: 0 and 200 ms left unanswered (the platform may count them until 3 s and 3.2 s), 100 ms was answered at 100 ms.
    // The two that may be counted latest are the ones in flight: a send before 63 s could be counted within a minute of both.
    expect(earliestSlot({ log: [0, 200], answered: [100], ahead: [] }, [{ max: 2, windowMs: 60_000 }], 1000)).toBe(63_000);
  });

  it('keeps every window of a key (Feishu bots: 5/s and 100/min)', () => {
    const windows = [
      { max: 5, windowMs: 1000 },
      { max: 100, windowMs: 60_000 },
    ];
    const state = answered();
    for (let send = 0; send < 120; send += 1) state.answered.push(earliestSlot(state, windows, 0));
    const sorted = [...state.answered].sort((a, b) => a - b);
    for (let index = 5; index < sorted.length; index += 1) expect(sorted[index]! - sorted[index - 5]!).toBeGreaterThanOrEqual(1010);
    for (let index = 100; index < sorted.length; index += 1) expect(sorted[index]! - sorted[index - 100]!).toBeGreaterThanOrEqual(60_300);
  });
});

describe('takeSlot', () => {
  const twoPerMinute = [{ max: 2, windowMs: 60_000 }];

  it('logs a send while there is room, then gives places in line only to sends that will wait', () => {
    const state = answered();
    expect(takeSlot(state, twoPerMinute, 0, { queue: true })).toEqual({ taken: true, at: 0 });
    expect(takeSlot(state, twoPerMinute, 10, { queue: true })).toEqual({ taken: true, at: 10 });
    // A verify (no queue) hears when, counting the sends in flight from when they left plus 3 s, and nothing is kept for it
    expect(takeSlot(state, twoPerMinute, 20, {})).toEqual({ taken: false, retryAt: 63_000 });
    expect(state).toEqual({ log: [0, 10], answered: [], ahead: [] });
    // Two sends that wait get the two openings, one each, counting the sends in flight as if answered when they left
    expect(takeSlot(state, twoPerMinute, 30, { queue: true })).toEqual({ taken: false, retryAt: 60_300 });
    expect(takeSlot(state, twoPerMinute, 40, { queue: true })).toEqual({ taken: false, retryAt: 60_310 });
    expect(state).toEqual({ log: [0, 10], answered: [], ahead: [60_300, 60_310] });
    // Woken at 60.05 s with no answer logged, the first takes the opening the margin allows if it can wait that long,
    // or is placed where the windows allow counted exactly
    expect(takeSlot(structuredClone(state), twoPerMinute, 60_050, { reserveWithinMs: 1000, release: 60_300 })).toEqual({ taken: false, retryAt: 63_000 });
    expect(takeSlot(structuredClone(state), twoPerMinute, 60_050, { reserveWithinMs: 3000, release: 60_300 })).toEqual({ taken: true, at: 63_000 });
  });

  it('counts a send from its answer once it is logged: the places given before were later than the openings', () => {
    const state = answered();
    takeSlot(state, twoPerMinute, 0, {});
    takeSlot(state, twoPerMinute, 10, {});
    answerSlot(state, 0, 40);
    answerSlot(state, 10, 45);
    expect(state).toEqual({ log: [], answered: [40, 45], ahead: [] });
    expect(takeSlot(state, twoPerMinute, 100, {})).toEqual({ taken: false, retryAt: 60_340 });
  });

  it('reserves an opening a moment ahead, and only that far: the send leaves then', () => {
    const state = answered(0, 10);
    expect(takeSlot(state, twoPerMinute, 60_000, { reserveWithinMs: 200 })).toEqual({ taken: false, retryAt: 60_300 });
    expect(takeSlot(state, twoPerMinute, 60_000, { reserveWithinMs: 300 })).toEqual({ taken: true, at: 60_300 });
    expect(state.log).toEqual([60_300]);
    // The next opening counts the reservation as a send in flight
    expect(takeSlot(state, twoPerMinute, 60_001, { reserveWithinMs: 1000 })).toEqual({ taken: true, at: 60_310 });
  });

  it('gives back the place of the send that comes to take it, so that it does not wait behind itself', () => {
    const state = answered(0, 10);
    expect(takeSlot(state, twoPerMinute, 20, { queue: true })).toEqual({ taken: false, retryAt: 60_300 });
    expect(takeSlot(state, twoPerMinute, 21, { queue: true })).toEqual({ taken: false, retryAt: 60_310 });
    // The first wakes a little early: its own place no longer counts, the second's still does
    expect(takeSlot(state, twoPerMinute, 60_050, { reserveWithinMs: 1000, release: 60_300 })).toEqual({ taken: true, at: 60_300 });
    expect(state.ahead).toEqual([60_310]);
  });

  it('keeps a woken send’s turn: placed again where it may go, not behind the places given after its own', () => {
    // 20 a minute: 20 sends in flight from 0 to 19 ms (no answer logged here: another process sent them), 30 waiting
    const perMinute20 = [{ max: 20, windowMs: 60_000 }];
    const state: RateLog = { log: Array.from({ length: 20 }, (_, index) => index), answered: [], ahead: [] };
    const places = Array.from({ length: 30 }, (_, index) => takeSlot(state, perMinute20, 20 + index, { queue: true }));
    const first = places[0]!;
    expect(first).toEqual({ taken: false, retryAt: 60_300 });
    // Woken at 60.05 s, its opening is at 63 s (the first send unanswered, counted from 0 plus 3 s): too far to wait
    const again = takeSlot(state, perMinute20, 60_050, { queue: true, reserveWithinMs: 1000, release: first.taken ? 0 : first.retryAt });
    expect(again).toEqual({ taken: false, retryAt: 63_000 });
  });
});

describe('pruneRateLog', () => {
  it('drops sends older than the longest window and its margin, and places whose time has come', () => {
    const state: RateLog = { log: [0, 2000], answered: [1000, 5000], ahead: [9000, 70_000] };
    expect(pruneRateLog(state, [{ max: 20, windowMs: 60_000 }], 64_500)).toEqual({ log: [2000], answered: [5000], ahead: [70_000] });
  });
});
