import { clockedWorker } from './clocked-worker.ts';

/**
 * The minute sweep of functions/reconciler.ts (lib's job worker, `runDue` in rounds until nothing
 * more is due) on the runtime's own table, with a clock the caller moves: what the bench used
 * before background work became jobs, kept for tests that run an hour of sweeps in seconds. It
 * sees every job (the bench's own rows use `clockedWorker`, scoped to the approvals they measure).
 */
export function clockedReconciler(tableName: string, now: () => Date): { reconcile(): Promise<{ ran: number; failed: number }> } {
  const worker = clockedWorker(tableName, now, () => true);
  return {
    async reconcile() {
      const total = { ran: 0, failed: 0 };
      for (let round = 0; round < 10; round += 1) {
        const result = await worker.runDue(100);
        total.ran += result.ran;
        total.failed += result.failed;
        if (result.ran + result.failed === 0) break;
      }
      return total;
    },
  };
}
