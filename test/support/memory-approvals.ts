import type { JobKind } from '../../lib/domain/job.ts';
import type { Integration } from '../../lib/domain/integration.ts';
import type { JobHandler } from '../../lib/jobs/ports.ts';
import { JobWorker } from '../../lib/jobs/worker.ts';
import { createLogger } from '../../lib/log.ts';
import type { ImProvider } from '../../lib/providers/port.ts';
import { ApprovalService } from '../../lib/services/approvals/approval-service.ts';
import type { ApprovalServiceOptions } from '../../lib/services/approvals/context.ts';
import type { MemoryStore } from '../../lib/store/memory/memory-store.ts';

/**
 * The approval service over the in-memory store for services' unit tests: one app integration and
 * its fake platform, a clock, and the worker running the approval jobs (notifications' own job left
 * out). `extra` adds or replaces options (a notifications port, a fetch).
 */
export function memoryApprovals(store: MemoryStore, app: Integration, provider: ImProvider, now: () => Date, extra: Partial<ApprovalServiceOptions> = {}) {
  const logger = createLogger({ level: 'error', write: () => undefined });
  const approvals = new ApprovalService({
    approvals: store.approvals,
    index: store.index,
    // The app's credentials as opened: an Encrypt Key, so that Feishu card clicks can be signed.
    integrations: { requireReferenced: async () => app, require: async () => app, find: async () => app, credentials: async () => ({ encryptKey: 'memory-encrypt-key' }) } as never,
    providers: { providerOf: async () => provider } as never,
    sealer: { seal: async (value: string) => value, open: async (value: string) => value },
    urlPolicy: { allowInsecure: true },
    logger,
    now,
    ...extra,
  });
  const unused: JobHandler = async () => undefined;
  const worker = new JobWorker({ store: store.jobs, handlers: { ...approvals.jobHandlers(), 'notification.dispatch': unused } as Record<JobKind, JobHandler>, logger, now });
  return { approvals, worker };
}
