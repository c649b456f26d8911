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

/** What a take answers: the send is logged and may go at `at` (now, or an opening reserved a moment ahead), or when to try again. */
export type RateTake = { taken: true; at: number } | { taken: false; retryAt: number };

/**
 * A rate key's state. Our clock sees a send leave and its answer come back; the platform counts it
 * somewhere between. So a send is logged when it leaves (`log`), and moved to the time of its
 * answer once that comes (`answered`): the platform had counted it by then.
 */
export interface RateLog {
  /** Sends logged when they left (or at the opening they reserved), whose answer has not been logged. */
  log: number[];
  /** Sends the platform answered, at the time of the answer. */
  answered: number[];
  /** Places in line given to sends that wait. */
  ahead: number[];
}

/**
 * How much later than its logged time a send still unanswered may reach the platform: 5% of the
 * window, at least 100 ms (on DingTalk's 20/min, 3 s, more than any transit). A send keeps this
 * until its answer is logged: at once in the process that sent it; in the shared store with that
 * process's next write for the key, or on its own when the send took longer than this margin and
 * one send too many would block the sender (`RateLimitStore.answered`). A crash before the answer
 * leaves it at this.
 */
export const inFlightMarginMs = (window: RateWindow) => Math.max(Math.round(window.windowMs * 0.05), 100);

/**
 * How much later than its answer an answered send is counted: the platform counted it before it
 * answered, so only its clock's own steps are left: 0.5% of the window, at least 10 ms (300 ms a
 * minute).
 */
export const answeredMarginMs = (window: RateWindow) => Math.max(Math.round(window.windowMs * 0.005), 10);

/**
 * A send that waits is woken this long before its place, and waits in process for the opening: its
 * job's own work (its lease, its record, its claim: a few store calls, which a burst's jobs make all
 * at once) is done by then, so the send leaves when the window opens rather than after it; and in
 * AWS a wake-up is a delayed SQS message, in whole seconds rounded up, which this much lead absorbs.
 */
export const wakeLeadMs = 1000;

/**
 * How long a woken send may wait in process for its opening. Its place counted the sends in flight
 * as if each were answered when it left; the answers come later (more so when the store or the
 * platform is slow), and the opening with them: the send waits here for it instead of being woken
 * again.
 */
export const openingWaitMs = 2000;

/** How far back a key's sends still count: the longest window and its margin. */
export const rateHorizonMs = (windows: readonly RateWindow[]) => Math.max(0, ...windows.map((window) => window.windowMs + inFlightMarginMs(window)));

export interface TakeOptions {
  /** The send will wait for its place: the place is kept, so that those waiting together each get their own. */
  queue?: boolean;
  /** The send may wait in process up to this long for the opening: it is logged at the opening (a reservation). */
  reserveWithinMs?: number;
  /** This send's own place, given earlier: it no longer holds a place in line for another. */
  release?: number;
}

/**
 * One take against `state`, which it changes: a send at `now` is logged when every window has room
 * for it, or at the opening when that is at most `reserveWithinMs` ahead. Otherwise the answer is
 * its place in line, the earliest time the windows allow counting the places already given; with
 * `queue` the place is added to them. The one rule both rate stores apply.
 */
export function takeSlot(state: RateLog, windows: readonly RateWindow[], now: number, options: TakeOptions = {}): RateTake {
  if (options.release !== undefined) {
    const own = state.ahead.indexOf(options.release);
    if (own !== -1) state.ahead.splice(own, 1);
  }
  const opening = earliestSlot({ ...state, ahead: [] }, windows, now);
  if (opening === now || opening - now <= (options.reserveWithinMs ?? 0)) {
    state.log.push(opening);
    return { taken: true, at: opening };
  }
  // A first place in line counts the sends in flight and the places given before as if each were
  // answered when it left, the soonest its opening can be; woken a little before it, the send takes
  // the opening the logged answers allow. When those are not logged where this send is taken (sent
  // by another process, which has written nothing since), the opening is up to the in-flight margin
  // later than the place: a send woken before, which found its opening further than it may wait,
  // is placed where the windows allow counted exactly, so that it is woken once more at most; so is
  // a send that will not wait (a verify hears when it may try again).
  // A woken send keeps its turn: the places given after its own do not push it back behind them
  // (they are checked again, exactly, when their sends are woken).
  const before = options.release === undefined ? state : { ...state, ahead: state.ahead.filter((time) => time < options.release!) };
  const place = earliestSlot(before, windows, now, options.queue && options.release === undefined ? 'asAnswered' : 'exact');
  if (options.queue) state.ahead.push(place);
  return { taken: false, retryAt: place };
}

/** Logs the answer to a send taken at `takenAt`: from now on it counts from `answeredAt`. */
export function answerSlot(state: RateLog, takenAt: number, answeredAt: number): void {
  const index = state.log.indexOf(takenAt);
  if (index !== -1) state.log.splice(index, 1);
  state.answered.push(answeredAt);
}

/** Drops what no longer counts at `now`: sends older than the horizon, places whose time has come. */
export function pruneRateLog(state: RateLog, windows: readonly RateWindow[], now: number): RateLog {
  const horizon = now - rateHorizonMs(windows);
  return { log: state.log.filter((time) => time > horizon), answered: state.answered.filter((time) => time > horizon), ahead: state.ahead.filter((time) => time > now) };
}

/** A send as a window counts it: when it left (or will leave), and the latest the platform may count it. */
interface Counted {
  left: number;
  latest: number;
}

/**
 * The earliest time at or after `now` that a send can leave at so that every window still holds.
 * A window of `max` per `windowMs` holds when no `max + 1` sends can be counted within `windowMs`:
 * with the sends in the order they leave, each one leaves at least `windowMs` after the `max`-th
 * latest time the platform may count the sends before it at (`fits`): a send still unanswered (or
 * a place given to one that waits) at its time plus `inFlightMarginMs`, an answered one at its
 * answer plus `answeredMarginMs` (with `asAnswered`, every send at its time plus that). The times
 * may lie ahead (places and reservations), so that sends waiting together are each given their
 * own opening, one after the other, instead of all the first one. Pure.
 */
export function earliestSlot(state: RateLog, windows: readonly RateWindow[], now: number, margins: 'exact' | 'asAnswered' = 'exact'): number {
  const counted = windows.map((window) => {
    const answered = answeredMarginMs(window);
    const inFlight = margins === 'exact' ? inFlightMarginMs(window) : answered;
    const sends: Counted[] = [
      ...[...state.log, ...state.ahead].map((time) => ({ left: time, latest: time + inFlight })),
      ...state.answered.map((time) => ({ left: time, latest: time + answered })),
    ];
    return sends.sort((a, b) => a.left - b.left);
  });
  const candidates = [now, ...windows.flatMap((window, index) => counted[index]!.map((send) => send.latest + window.windowMs))].filter((time) => time >= now).sort((a, b) => a - b);
  const ownMargin = (window: RateWindow) => (margins === 'exact' ? inFlightMarginMs(window) : answeredMarginMs(window));
  for (const candidate of candidates) if (windows.every((window, index) => fits(counted[index]!, window, candidate, ownMargin(window)))) return candidate;
  // Unreachable: after the latest counted time plus the longest window, every window is empty.
  return Math.max(now, ...windows.map((window, index) => Math.max(now, ...counted[index]!.map((send) => send.latest)) + window.windowMs));
}

/**
 * Whether a send leaving at `at` (counted up to `margin` later) keeps `window`: every send from it
 * on leaves at least a window after the `max`-th latest count among the sends before it (the
 * platform may count those `max` as late as that, and this one as early as it leaves). Only the
 * sends from `at` on are checked, as only they can have changed; one of them that broke the window
 * already (a place given counting others as answered) makes `at` not fit either.
 */
function fits(sends: readonly Counted[], window: RateWindow, at: number, margin: number): boolean {
  let position = sends.findIndex((send) => send.left > at);
  if (position === -1) position = sends.length;
  const order = [...sends.slice(0, position), { left: at, latest: at + margin }, ...sends.slice(position)];
  // The `max` latest counts so far, in ascending order: the first is the `max`-th latest.
  const latest: number[] = [];
  for (const [index, send] of order.entries()) {
    if (index >= position && latest.length === window.max && send.left - latest[0]! < window.windowMs) return false;
    const at = latest.findIndex((time) => time > send.latest);
    latest.splice(at === -1 ? latest.length : at, 0, send.latest);
    if (latest.length > window.max) latest.shift();
  }
  return true;
}

/** The documented windows with minutes shrunk by `scale` (tests and local tries). The margins are the rate log's (`earliestSlot`). */
export const scaleWindows = (windows: readonly RateWindow[], scale: number) => windows.map((window) => ({ ...window, windowMs: Math.round(window.windowMs * scale) }));
