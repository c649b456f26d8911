import { type BenchChild, startChild } from './children.ts';

/** The proxy's counters at one moment, by DynamoDB operation (`GetItem`, `Query`, …). */
export type DynamoCounts = Readonly<Record<string, number>>;

export interface CountingProxy {
  endpoint: string;
  /** Starts counting: the returned function tells the calls made since, in total and by operation. */
  meter(): Promise<() => Promise<{ calls: number; operations: DynamoCounts }>>;
  stop(): Promise<void>;
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
      stop: proxy.stop,
    };
  } catch (error) {
    await proxy.stop();
    throw error;
  }
}
