import { elapsedMs } from './stats.ts';

export interface LoopResult {
  completed: number;
  failed: number;
  elapsedMs: number;
}

/**
 * Closed-loop load: `concurrency` workers, each starting its next call when the last one ended,
 * until `count` calls were started or `durationMs` passed. A call answers whether it succeeded.
 */
export async function closedLoop(options: { concurrency: number; count?: number; durationMs?: number; call: (index: number) => Promise<boolean> }): Promise<LoopResult> {
  const start = process.hrtime.bigint();
  const deadline = performance.now() + (options.durationMs ?? Number.POSITIVE_INFINITY);
  let next = 0;
  let completed = 0;
  let failed = 0;
  const worker = async () => {
    while ((options.count === undefined || next < options.count) && performance.now() < deadline) {
      const index = next++;
      const ok = await options.call(index).catch(() => false);
      if (ok) completed += 1;
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { completed, failed, elapsedMs: elapsedMs(start) };
}
