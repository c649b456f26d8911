/** The value below which `p` percent of `values` fall (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

/** Milliseconds since `start` (a `process.hrtime.bigint()` reading), with sub-millisecond precision. */
export const elapsedMs = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
