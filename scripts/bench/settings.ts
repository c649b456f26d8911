/** How much each suite does: `--quick` trades precision for a run of about a minute. */
export interface BenchSettings {
  quick: boolean;
  callbacks: {
    /** Signed payloads per round; each round runs them through our handler and the peer's. */
    eventsPerRound: number;
    /** Measured rounds per contender (after one warm-up round each), alternating which goes first. */
    rounds: number;
    /** Callbacks sent over HTTP to the local runtime, per round, and rounds per side. */
    httpEventsPerRound: number;
    httpRounds: number;
    httpConcurrency: number;
  };
  /** Fresh `node` processes per bundle for the import time. */
  coldStartSamples: number;
  /** Row 1k–1l: approvals whose two callbacks are posted while every Feishu instance read takes `platformDelayMs`. */
  slowCallbacks: { approvals: number; platformDelayMs: number };
  /** Rows 3g–3h: approvals decided one after the other, each timed from the decision to its webhook. */
  decisions: { approvals: number };
  fanOut: { botMessages: number; chats: number };
  throughput: { concurrency: number; roundMs: number; rounds: number };
  longPoll: { waiters: number; waitSeconds: number; approvals: number };
}

export const fullSettings: BenchSettings = {
  quick: false,
  callbacks: { eventsPerRound: 500, rounds: 40, httpEventsPerRound: 200, httpRounds: 2, httpConcurrency: 8 },
  coldStartSamples: 7,
  slowCallbacks: { approvals: 30, platformDelayMs: 4000 },
  decisions: { approvals: 100 },
  fanOut: { botMessages: 50, chats: 50 },
  throughput: { concurrency: 16, roundMs: 3000, rounds: 2 },
  longPoll: { waiters: 500, waitSeconds: 10, approvals: 25 },
};

export const quickSettings: BenchSettings = {
  quick: true,
  callbacks: { eventsPerRound: 250, rounds: 16, httpEventsPerRound: 100, httpRounds: 1, httpConcurrency: 8 },
  coldStartSamples: 3,
  slowCallbacks: { approvals: 10, platformDelayMs: 4000 },
  decisions: { approvals: 30 },
  fanOut: { botMessages: 50, chats: 50 },
  throughput: { concurrency: 16, roundMs: 1500, rounds: 1 },
  longPoll: { waiters: 200, waitSeconds: 5, approvals: 10 },
};
