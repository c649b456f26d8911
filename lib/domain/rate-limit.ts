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

/** Given the send times in a log, when the next send may go (undefined: now). Pure. */
export function nextAllowedAt(log: readonly number[], windows: readonly RateWindow[], now: number): number | undefined {
  let at: number | undefined;
  for (const window of windows) {
    const inWindow = log.filter((time) => time > now - window.windowMs).sort((a, b) => a - b);
    if (inWindow.length >= window.max) {
      const free = inWindow[inWindow.length - window.max]! + window.windowMs;
      at = Math.max(at ?? 0, free);
    }
  }
  return at;
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
