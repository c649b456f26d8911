import type { Job } from '../../lib/domain/job.ts';
import { loadConfig } from '../../lib/config.ts';
import type { JobStore } from '../../lib/jobs/ports.ts';
import { JobWorker } from '../../lib/jobs/worker.ts';
import { logger } from '../../lib/log.ts';
import { outboundFetch } from '../../lib/providers/http-client.ts';
import { LocalSecretSealer } from '../../lib/secrets/local-sealer.ts';
import { ApprovalService } from '../../lib/services/approvals/approval-service.ts';
import { services } from '../../lib/services/index.ts';
import { dynamoDocumentClient } from '../../lib/store/dynamodb-client.ts';
import { DynamoApprovalIndexRepository, DynamoApprovalRepository } from '../../lib/store/dynamodb/approvals.ts';
import { DynamoJobStore } from '../../lib/store/dynamodb/jobs.ts';

/**
 * lib's job worker (`JobWorker` over `DynamoJobStore`, with the `ApprovalService`'s job handlers)
 * on the runtime's own table, providers and DynamoDB client (so its calls are counted too), with
 * production's schedule (first look after 60 s, gaps doubling up to 15 min; DingTalk's sparing
 * plan) and a clock the bench moves: an hour of one-minute sweeps (`runDue`) takes seconds. Only
 * the clock is the bench's, and which jobs it sees (`only`: the approvals being measured, so that
 * jobs other suites left behind are not charged to them); everything a job does is imhub's.
 */
export function clockedWorker(tableName: string, now: () => Date, only: (job: Job) => boolean): JobWorker {
  const keyFile = process.env.IMHUB_LOCAL_KEY_FILE;
  if (!keyFile) throw new Error('start the local runtime first: it sets IMHUB_LOCAL_KEY_FILE');
  const config = loadConfig();
  const client = dynamoDocumentClient();
  const approvals = new ApprovalService({
    approvals: new DynamoApprovalRepository(client, tableName),
    index: new DynamoApprovalIndexRepository(client, tableName),
    integrations: services.integrations(),
    providers: services.providers(),
    sealer: LocalSecretSealer.fromKeyFile(keyFile),
    urlPolicy: { allowInsecure: true },
    logger,
    notifications: services.notifications(),
    firstCheckMs: config.IMHUB_RECONCILE_FIRST_CHECK_MS,
    dingtalkPolling: config.IMHUB_DINGTALK_POLLING,
    leaseMs: config.IMHUB_LEASE_MS,
    webhookFirstRetryMs: config.IMHUB_WEBHOOK_FIRST_RETRY_MS,
    webhookTimeoutMs: config.IMHUB_WEBHOOK_TIMEOUT_MS,
    fetch: outboundFetch({ allowInsecure: true }),
    commitsInProcess: true,
    now,
  });
  const store = new DynamoJobStore(client, tableName);
  // The same store, seeing only the measured approvals' jobs: the query is made (and counted) all the same.
  const scoped: JobStore = {
    due: async (at, limit) => (await store.due(at, limit)).filter(only),
    get: (id) => store.get(id),
    lease: (id, at, until) => store.lease(id, at, until),
    complete: (job) => store.complete(job),
    reschedule: (job, next) => store.reschedule(job, next),
  };
  return new JobWorker({
    store: scoped,
    handlers: { ...approvals.jobHandlers(), 'notification.dispatch': (job) => services.notifications().dispatchJob(job.subject) },
    logger,
    leaseMs: config.IMHUB_LEASE_MS,
    now,
  });
}
