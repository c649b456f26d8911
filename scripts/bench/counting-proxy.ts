import { type BenchChild, startChild } from './children.ts';

/** The proxy's counters at one moment, by DynamoDB operation (`GetItem`, `Query`, …). */
export type DynamoCounts = Readonly<Record<string, number>>;

/** One call as the proxy saw it arrive: operation, wall-clock ms (`performance.timeOrigin + performance.now()`), kinds of items touched. */
export interface DynamoCall {
  op: string;
  at: number;
  /** Partition-key prefixes (`APR`, `INT`, `EVENT`, `JOB callback.event`, …), or a Query's index. */
  on: string[];
}

/** A request through the front proxy (`CountingProxy.front`): its arrival, or imhub's answer coming back. */
export interface HttpEvent {
  kind: 'post' | 'answer';
  at: number;
  path: string;
  status?: number;
}

export interface CountingProxy {
  endpoint: string;
  /** Starts counting: the returned function tells the calls made since, in total and by operation. */
  meter(): Promise<() => Promise<{ calls: number; operations: DynamoCounts }>>;
  /** Starts recording: the returned function hands back every call made since, in arrival order. */
  record(): Promise<() => Promise<DynamoCall[]>>;
  /**
   * A proxy in front of imhub's HTTP server at `target` (one per run), in the proxy's process:
   * answers its base URL. What goes through it is logged on the DynamoDB calls' clock (`recordHttp`).
   */
  front(target: string): Promise<string>;
  /** Starts recording the front proxy's log: the returned function hands back what went through it since. */
  recordHttp(): Promise<() => Promise<HttpEvent[]>>;
  stop(): Promise<void>;
}

/** The wall clock as the proxy reads it (same machine, same clock), for comparing with `DynamoCall.at`. */
export const wallClockMs = () => performance.timeOrigin + performance.now();

/** `calls` grouped as `Operation on-kinds` → count, e.g. `{"GetItem APR": 2, "TransactWriteItems EVENT+JOB callback.event": 1}`. */
export function byOperation(calls: readonly DynamoCall[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const call of calls) {
    const key = `${call.op}${call.on.length ? ` ${call.on.join('+')}` : ''}`;
    result[key] = (result[key] ?? 0) + 1;
  }
  return result;
}

/**
 * Counts every call between imhub (and the bench's own clients) and DynamoDB Local, on the wire:
 * an HTTP proxy in a child process (children/counting-proxy.ts). On the wire, rather than in an
 * SDK middleware, it sees every call any client makes, retries included, without touching lib/.
 */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const proxy: BenchChild = startChild('counting-proxy.ts', [target]);
  try {
    const endpoint = `http://127.0.0.1:${Number(await proxy.nextLine())}`;
    const counts = async () => (await (await fetch(`${endpoint}/__counts`)).json()) as DynamoCounts;
    const logFrom = async (from: number) => (await (await fetch(`${endpoint}/__log?from=${from}`)).json()) as { next: number; entries: DynamoCall[] };
    return {
      endpoint,
      meter: async () => {
        const before = await counts();
        return async () => {
          const after = await counts();
          const operations = Object.fromEntries(Object.entries(after).flatMap(([operation, count]) => (count > (before[operation] ?? 0) ? [[operation, count - (before[operation] ?? 0)]] : [])));
          return { calls: Object.values(operations).reduce((sum, count) => sum + count, 0), operations };
        };
      },
      record: async () => {
        const { next } = await logFrom(Number.MAX_SAFE_INTEGER);
        return async () => (await logFrom(next)).entries;
      },
      front: async (target) => {
        const { port } = (await (await fetch(`${endpoint}/__front?target=${encodeURIComponent(target)}`)).json()) as { port: number };
        return `http://127.0.0.1:${port}`;
      },
      recordHttp: async () => {
        const httpFrom = async (from: number) => (await (await fetch(`${endpoint}/__http?from=${from}`)).json()) as { next: number; entries: HttpEvent[] };
        const { next } = await httpFrom(Number.MAX_SAFE_INTEGER);
        return async () => (await httpFrom(next)).entries;
      },
      stop: proxy.stop,
    };
  } catch (error) {
    await proxy.stop();
    throw error;
  }
}
