import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadConfig, required } from '../config.ts';
import { Authenticator } from './authenticator.ts';
import { type BootstrapKey, SecretsManagerBootstrapKey, StaticBootstrapKey } from './bootstrap-key.ts';
import { apiKeyRepository, once } from './index.ts';

const bootstrapKey = once<BootstrapKey>(() => {
  const config = loadConfig();
  if (config.BOOTSTRAP_SECRET_ARN) return new SecretsManagerBootstrapKey(new SecretsManagerClient({}), config.BOOTSTRAP_SECRET_ARN);
  return new StaticBootstrapKey(required('API_TOKEN'));
});

/** API keys and the bootstrap admin key, for the functions whose routes need a key. */
export const authenticator = once(() => new Authenticator(apiKeyRepository(), bootstrapKey()));
