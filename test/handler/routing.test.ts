import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { localCredentials, localRegion } from '../../lib/local/embedded-dynamodb.ts';
import { ensureTable } from '../../lib/store/ensure-table.ts';
import type { FunctionGroup } from '../../lib/http/contract.ts';
import { allRoutes } from '../../lib/http/routes.ts';
import { apiEvent, lambdaContext } from '../support/events.ts';

// An empty table on the run's DynamoDB Local: public routes that read it find nothing.
const tableName = `routing-${randomUUID()}`;
await ensureTable(new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), region: localRegion, credentials: localCredentials }), tableName);
Object.assign(process.env, {
  IMHUB_RUNTIME: 'local',
  TABLE_NAME: tableName,
  API_TOKEN: 'unused',
  IMHUB_LOCAL_KEY_FILE: join(tmpdir(), `imhub-routing-${randomUUID()}`, 'secret.key'),
  PUBLIC_BASE_URL: 'http://localhost',
  AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
  AWS_REGION: localRegion,
  AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
});
const handlers: Record<FunctionGroup, (typeof import('../../functions/meta.ts'))['handler']> = {
  meta: (await import('../../functions/meta.ts')).handler,
  integrations: (await import('../../functions/integrations.ts')).handler,
  callbacks: (await import('../../functions/callbacks.ts')).handler,
  approvals: (await import('../../functions/approvals.ts')).handler,
  notifications: (await import('../../functions/notifications.ts')).handler,
};

describe('routing', () => {
  it.each(allRoutes.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s is served by the function API Gateway sends it to',
    async (_, route) => {
      // Prepare: the event API Gateway builds for this route, without a key
      const path = route.path.replace(/\{(\w+)\}/, 'x');
      const parameter = /\{(\w+)\}/.exec(route.path)?.[1];
      const event = apiEvent(route.method, path, { routeKey: `${route.method} ${route.path}`, ...(parameter ? { pathParameters: { [parameter]: 'x' } } : {}) });
      // Act
      const response = await handlers[route.group](event, lambdaContext());
      // Assess: bound to an operation, so it reaches auth (or its own logic, when public), never the router's 404/405
      // (the console's routes answer HTML, script and CSS, not JSON)
      if (route.group === 'callbacks') expect(JSON.parse(response.body || '{}').error?.message).toBe('no integration receives callbacks at this URL');
      else expect(response.statusCode).toBe(route.auth === 'public' ? route.success.status : 401);
    },
  );
});
