import type { Integration } from '../../lib/domain/integration.ts';
import type { HttpClientOptions } from '../../lib/providers/http-client.ts';
import { providerFor } from '../../lib/providers/provider-factory.ts';
import { TokenCache } from '../../lib/providers/token-cache.ts';
import { LocalSecretSealer } from '../../lib/secrets/local-sealer.ts';
import { dynamoDocumentClient } from '../../lib/store/dynamodb-client.ts';
import { DynamoTokenStore } from '../../lib/store/dynamodb/tokens.ts';
import type { TestApi } from './local-api.ts';

/**
 * The provider of a stored integration, built as the service builds it: the item read raw, its
 * secrets opened with the local key. Each call without `tokens` is a fresh "Lambda instance".
 */
export async function storedProvider(api: TestApi, id: string, options: { tokens?: TokenCache; http?: HttpClientOptions } = {}) {
  const stored = (await api.scan()).find((item) => item.pk === `INT#${id}`) as unknown as Integration;
  const sealer = LocalSecretSealer.fromKeyFile(process.env.IMHUB_LOCAL_KEY_FILE!);
  const credentials = { ...stored.publicCredentials, ...JSON.parse(await sealer.open(stored.sealedSecrets, { integrationId: id })) };
  const tokens = options.tokens ?? new TokenCache({ store: new DynamoTokenStore(dynamoDocumentClient(), api.tableName, sealer) });
  return { provider: providerFor(stored, credentials, { tokens, http: options.http ?? { baseDelayMs: 10 } }), tokens, stored };
}
