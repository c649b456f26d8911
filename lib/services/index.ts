import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadConfig, required } from '../config.ts';
import { LocalSecretSealer } from '../secrets/local-sealer.ts';
import { KmsSecretSealer } from '../secrets/kms-sealer.ts';
import type { SecretSealer } from '../secrets/sealer.ts';
import { dynamoDocumentClient } from '../store/dynamodb-client.ts';
import { DynamoApiKeyRepository, DynamoCallbackEventRepository, DynamoIntegrationRepository } from '../store/dynamodb-repository.ts';
import { logger } from '../log.ts';
import { CallbackService, loggingEventSink } from './callback-service.ts';
import { ProviderService } from './provider-service.ts';
import { TokenCache } from '../providers/token-cache.ts';
import { DynamoTokenStore } from '../store/dynamodb-repository.ts';
import { ApiKeyService } from './api-key-service.ts';
import { Authenticator } from './authenticator.ts';
import { type BootstrapKey, SecretsManagerBootstrapKey, StaticBootstrapKey } from './bootstrap-key.ts';
import { IntegrationService } from './integration-service.ts';

/**
 * The composition root: each service is built once per process, on first use, from the
 * environment. A function only builds what its routes touch (the meta function builds none).
 */
const once = <T>(build: () => T) => {
  let value: T | undefined;
  return () => (value ??= build());
};

const apiKeyRepository = once(() => new DynamoApiKeyRepository(dynamoDocumentClient(), required('TABLE_NAME')));

const sealer = once<SecretSealer>(() =>
  loadConfig().IMHUB_RUNTIME === 'local'
    ? LocalSecretSealer.fromKeyFile(required('IMHUB_LOCAL_KEY_FILE'))
    : new KmsSecretSealer(new KMSClient({}), required('KMS_KEY_ID')),
);

const bootstrapKey = once<BootstrapKey>(() => {
  const config = loadConfig();
  if (config.BOOTSTRAP_SECRET_ARN) return new SecretsManagerBootstrapKey(new SecretsManagerClient({}), config.BOOTSTRAP_SECRET_ARN);
  return new StaticBootstrapKey(required('API_TOKEN'));
});

const integrations = once(
  () =>
    new IntegrationService({
      repository: new DynamoIntegrationRepository(dynamoDocumentClient(), required('TABLE_NAME')),
      sealer: sealer(),
      urlPolicy: { allowInsecure: loadConfig().IMHUB_RUNTIME === 'local' },
      publicBaseUrl: required('PUBLIC_BASE_URL'),
    }),
);

export const services = {
  authenticator: once(() => new Authenticator(apiKeyRepository(), bootstrapKey())),
  apiKeys: once(() => new ApiKeyService(apiKeyRepository())),
  integrations,
  providers: once(
    () =>
      new ProviderService({
        integrations: integrations(),
        tokens: new TokenCache({ store: new DynamoTokenStore(dynamoDocumentClient(), required('TABLE_NAME'), sealer()) }),
      }),
  ),
  callbacks: once(
    () =>
      new CallbackService({
        integrations: integrations(),
        events: new DynamoCallbackEventRepository(dynamoDocumentClient(), required('TABLE_NAME')),
        sink: loggingEventSink(logger),
      }),
  ),
};
