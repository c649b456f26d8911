import { KMSClient } from '@aws-sdk/client-kms';
import { loadConfig, required } from '../config.ts';
import { logger } from '../log.ts';
import { outboundFetch } from '../providers/http-client.ts';
import { TokenCache } from '../providers/token-cache.ts';
import { KmsSecretSealer } from '../secrets/kms-sealer.ts';
import { LocalSecretSealer } from '../secrets/local-sealer.ts';
import type { SecretSealer } from '../secrets/sealer.ts';
import { dynamoDocumentClient } from '../store/dynamodb-client.ts';
import { DynamoApiKeyRepository } from '../store/dynamodb/api-keys.ts';
import { DynamoApprovalIndexRepository, DynamoApprovalRepository } from '../store/dynamodb/approvals.ts';
import { DynamoCallbackEventRepository } from '../store/dynamodb/callback-events.ts';
import { DynamoIntegrationActivityRepository } from '../store/dynamodb/integration-activity.ts';
import { DynamoIntegrationRepository } from '../store/dynamodb/integrations.ts';
import { DynamoJobStore } from '../store/dynamodb/jobs.ts';
import { DynamoNotificationRepository } from '../store/dynamodb/notifications.ts';
import { DynamoRateLimitStore } from '../store/dynamodb/rate-limits.ts';
import { DynamoTokenStore } from '../store/dynamodb/tokens.ts';
import { JobWorker } from '../jobs/worker.ts';
import { ApiKeyService } from './api-key-service.ts';
import { ApprovalService } from './approvals/approval-service.ts';
import { NotificationService } from './notification-service.ts';
import { CallbackService } from './callback-service.ts';
import { IntegrationService } from './integration-service.ts';
import { ProviderService } from './provider-service.ts';
import { IntegrationSetupService } from './setup-service.ts';
import type { CallbackEventPayload } from './approvals/job-handlers.ts';

/**
 * The composition root: each service is built once per process, on first use, from the
 * environment. The authenticator lives in `auth.ts`, so functions without key-protected routes
 * (meta, callbacks) bundle no Secrets Manager client.
 */
export const once = <T>(build: () => T) => {
  let value: T | undefined;
  return () => (value ??= build());
};

export const apiKeyRepository = once(() => new DynamoApiKeyRepository(dynamoDocumentClient(), required('TABLE_NAME')));

const sealer = once<SecretSealer>(() =>
  loadConfig().IMHUB_RUNTIME === 'local'
    ? LocalSecretSealer.fromKeyFile(required('IMHUB_LOCAL_KEY_FILE'))
    : new KmsSecretSealer(new KMSClient({}), required('KMS_KEY_ID')),
);

const integrations = once(
  () =>
    new IntegrationService({
      repository: new DynamoIntegrationRepository(dynamoDocumentClient(), required('TABLE_NAME')),
      sealer: sealer(),
      urlPolicy: { allowInsecure: loadConfig().IMHUB_RUNTIME === 'local' },
      allowedApiBases: loadConfig().IMHUB_ALLOWED_API_BASES,
      publicBaseUrl: required('PUBLIC_BASE_URL'),
    }),
);

/** The setup check's notes on each integration's callback path. */
const activity = once(() => new DynamoIntegrationActivityRepository(dynamoDocumentClient(), required('TABLE_NAME')));

/** One per process: a burst's reservations for one rate window are written together (lib/store/dynamodb/rate-limits.ts). */
const rateLimits = once(() => new DynamoRateLimitStore(dynamoDocumentClient(), required('TABLE_NAME')));

const providers = once(
  () =>
    new ProviderService({
      integrations: integrations(),
      tokens: new TokenCache({ store: new DynamoTokenStore(dynamoDocumentClient(), required('TABLE_NAME'), sealer()) }),
      // A group bot's verify posts a message: it takes a slot of the bot's window, as notifications do.
      rateLimits: rateLimits(),
      rateWindowScale: loadConfig().IMHUB_RATE_WINDOW_SCALE,
      // In AWS every platform and bot call checks the address it connects to.
      http: { fetch: outboundFetch({ allowInsecure: loadConfig().IMHUB_RUNTIME === 'local' }) },
      activity: activity(),
      logger,
    }),
);

const notifications = once(
  () =>
    new NotificationService({
      notifications: new DynamoNotificationRepository(dynamoDocumentClient(), required('TABLE_NAME')),
      rateLimits: rateLimits(),
      integrations: integrations(),
      providers: providers(),
      logger,
      rateWindowScale: loadConfig().IMHUB_RATE_WINDOW_SCALE,
      leaseMs: loadConfig().IMHUB_LEASE_MS,
    }),
);

const approvals = once(
  () =>
    new ApprovalService({
      approvals: new DynamoApprovalRepository(dynamoDocumentClient(), required('TABLE_NAME')),
      index: new DynamoApprovalIndexRepository(dynamoDocumentClient(), required('TABLE_NAME')),
      integrations: integrations(),
      providers: providers(),
      sealer: sealer(),
      urlPolicy: { allowInsecure: loadConfig().IMHUB_RUNTIME === 'local' },
      logger,
      notifications: notifications(),
      firstCheckMs: loadConfig().IMHUB_RECONCILE_FIRST_CHECK_MS,
      dingtalkPolling: loadConfig().IMHUB_DINGTALK_POLLING,
      leaseMs: loadConfig().IMHUB_LEASE_MS,
      webhookFirstRetryMs: loadConfig().IMHUB_WEBHOOK_FIRST_RETRY_MS,
      webhookTimeoutMs: loadConfig().IMHUB_WEBHOOK_TIMEOUT_MS,
      cardSettleMs: loadConfig().IMHUB_CARD_SETTLE_MS,
      fetch: outboundFetch({ allowInsecure: loadConfig().IMHUB_RUNTIME === 'local' }),
      // Locally the API and the worker share one process: a long-poll wakes on the commit alone.
      commitsInProcess: loadConfig().IMHUB_RUNTIME === 'local',
    }),
);

const worker = once(() => {
  const approvalJobs = approvals().jobHandlers();
  return new JobWorker({
      store: new DynamoJobStore(dynamoDocumentClient(), required('TABLE_NAME')),
      handlers: {
        ...approvalJobs,
        // "Last event seen" for the setup check, noted here and not on the callback's request path.
        'callback.event': async (job, deadline) => {
          const payload = job.payload as unknown as CallbackEventPayload | undefined;
          if (payload) await activity().noteEvent(payload.integrationId, payload.event.type, new Date());
          return approvalJobs['callback.event'](job, deadline);
        },
        'notification.dispatch': (job) => notifications().dispatchJob(job.subject),
      },
      logger,
      leaseMs: loadConfig().IMHUB_LEASE_MS,
    });
});

export const services = {
  notifications,
  apiKeys: once(() => new ApiKeyService(apiKeyRepository())),
  integrations,
  providers,
  approvals,
  setup: once(() => new IntegrationSetupService({ integrations: integrations(), providers: providers(), activity: activity() })),
  worker,
  callbacks: once(
    () =>
      new CallbackService({
        integrations: integrations(),
        // Verified, first-seen events are claimed with their job; the worker re-reads the instance.
        events: new DynamoCallbackEventRepository(dynamoDocumentClient(), required('TABLE_NAME')),
        logger,
        // Card clicks are decided from the store and answered with the card as it now is.
        cards: approvals().cards,
        activity: activity(),
      }),
  ),
};
