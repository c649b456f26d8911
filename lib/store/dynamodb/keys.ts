import { normalizeIntegrationName } from '../../domain/integration.ts';
import type { TokenKey } from '../../providers/token-cache.ts';

/** The key schema in one place, so every entity module writes the same keys (the table: `../table-schema.ts`). */
export const keys = {
  integration: (id: string) => ({ pk: `INT#${id}`, sk: 'INT' }),
  integrationActivity: (id: string) => ({ pk: `INT#${id}`, sk: 'ACTIVITY' }),
  integrationName: (name: string) => ({ pk: `INTNAME#${normalizeIntegrationName(name)}`, sk: 'INTNAME' }),
  apiKey: (id: string) => ({ pk: `APIKEY#${id}`, sk: 'APIKEY' }),
  token: (key: TokenKey) => ({ pk: `TOKEN#${key.integrationId}#${key.credentialVersion}`, sk: 'TOKEN' }),
  tokenLease: (key: TokenKey) => ({ pk: `TOKEN#${key.integrationId}#${key.credentialVersion}`, sk: 'LEASE' }),
  approval: (id: string) => ({ pk: `APR#${id}`, sk: 'APR' }),
  notification: (id: string) => ({ pk: `NOTIF#${id}`, sk: 'NOTIF' }),
  notificationKey: (integrationId: string, key: string) => ({ pk: `NOTIFKEY#${integrationId}#${key}`, sk: 'NOTIFKEY' }),
  rate: (key: string) => ({ pk: `RATE#${key}`, sk: 'RATE' }),
  definition: (integrationId: string, key: string) => ({ pk: `PROV#${integrationId}#${key}`, sk: 'PROV' }),
  instance: (integrationId: string, instanceId: string) => ({ pk: `APRINST#${integrationId}#${instanceId}`, sk: 'APRINST' }),
  approvalKey: (integrationId: string, key: string) => ({ pk: `APRKEY#${integrationId}#${key}`, sk: 'APRKEY' }),
  callbackEvent: (integrationId: string, eventId: string) => ({ pk: `EVENT#${integrationId}#${eventId}`, sk: 'EVENT' }),
  job: (id: string) => ({ pk: `JOB#${id}`, sk: 'JOB' }),
};
export const listings = { integration: 'INTEGRATION', apiKey: 'APIKEY', approval: 'APPROVAL', notification: 'NOTIFICATION' } as const;
const keyAttributeNames = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'];

/** The item without its key attributes. Built anew rather than with `delete`, which would leave every record in V8's slower, larger dictionary mode. */
export function stripKeys<T>(item: Record<string, unknown>): T {
  const copy: Record<string, unknown> = {};
  for (const name in item) if (!keyAttributeNames.includes(name)) copy[name] = item[name];
  return copy as T;
}
