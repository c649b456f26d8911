/**
 * The platforms' documented send limits, as sliding windows. A send is allowed when every window
 * of its key has room; otherwise it waits until the oldest send leaves the full window.
 */
export interface RateWindow {
  max: number;
  windowMs: number;
}

export const botLimits: Record<string, RateWindow[]> = {
  // Feishu/Lark custom bots: 5/s and 100/min.
  feishu: [
    { max: 5, windowMs: 1000 },
    { max: 100, windowMs: 60_000 },
  ],
  lark: [
    { max: 5, windowMs: 1000 },
    { max: 100, windowMs: 60_000 },
  ],
  // DingTalk robots: 20/min, then a 10-minute block. WeCom bots: 20/min.
  dingtalk: [{ max: 20, windowMs: 60_000 }],
  wecom: [{ max: 20, windowMs: 60_000 }],
};

/** Feishu/Lark: 5 messages/s per chat and per user, shared by all bots. */
export const feishuTargetLimits: RateWindow[] = [{ max: 5, windowMs: 1000 }];

/** What a take answers: the send may go now (and is logged), or when to try again. */
export type RateTake = { taken: true } | { taken: false; retryAt: number };

/** A rate key's state: the times of recent sends, and the places in line given to sends that wait. */
export interface RateLog {
  log: number[];
  ahead: number[];
}

/**
 * One take against `state`, which it changes: a send at `now` is logged when every window has room
 * for it. Otherwise the answer is its place in line, the earliest time the windows allow counting
 * the places already given; with `queue` (the send will wait for it) the place is added to them.
 * The one rule both rate stores apply; nothing else is touched.
 */
export function takeSlot(state: RateLog, windows: readonly RateWindow[], now: number, queue: boolean): RateTake {
  if (earliestSlot(state.log, windows, now) === now) {
    state.log.push(now);
    return { taken: true };
  }
  const place = earliestSlot([...state.log, ...state.ahead], windows, now);
  if (queue) state.ahead.push(place);
  return { taken: false, retryAt: place };
}

/**
 * The earliest time at or after `now` that a send can be logged at so that every window still holds:
 * among the sorted times with it added, any `max + 1` in a row span at least `windowMs`. The times
 * may lie ahead (places in line given to sends that wait), so that sends waiting together are each
 * given their own opening, one after the other, instead of all the first one. Pure.
 */
export function earliestSlot(log: readonly number[], windows: readonly RateWindow[], now: number): number {
  const sorted = [...log].sort((a, b) => a - b);
  const candidates = [now, ...windows.flatMap((window) => sorted.map((time) => time + window.windowMs))].filter((time) => time >= now).sort((a, b) => a - b);
  for (const candidate of candidates) if (fits(sorted, windows, candidate)) return candidate;
  // Unreachable: after the last logged time plus the longest window, every window is empty.
  return Math.max(now, (sorted.at(-1) ?? now) + Math.max(...windows.map((window) => window.windowMs)));
}

function fits(sorted: readonly number[], windows: readonly RateWindow[], at: number): boolean {
  let position = sorted.findIndex((time) => time > at);
  if (position === -1) position = sorted.length;
  const times = [...sorted.slice(0, position), at, ...sorted.slice(position)];
  return windows.every((window) => {
    // Only the runs of max + 1 that hold `at` can have changed.
    for (let first = Math.max(0, position - window.max); first <= position && first + window.max < times.length; first += 1) {
      if (times[first + window.max]! - times[first]! < window.windowMs) return false;
    }
    return true;
  });
}

/**
 * Our log records a send when it leaves, the platform when it arrives: windows are kept 5% longer than
 * documented (at least 100 ms), so that sends bunched up on the way (a slow first send, a fast
 * twenty-first) never arrive as one send too many. On DingTalk's 20/min that is 3 s, enough for any
 * transit, and it costs a burst 5% (50 messages: 126 s instead of the least the limit allows, 120 s);
 * a send the platform still throttles is queued and sent again.
 */
const safetyMargin = 0.05;
const minSafetyMarginMs = 100;

export const scaleWindows = (windows: readonly RateWindow[], scale: number) =>
  windows.map((window) => {
    const scaled = window.windowMs * scale;
    return { ...window, windowMs: Math.round(scaled + Math.max(scaled * safetyMargin, minSafetyMarginMs)) };
  });
