import { createApiHandler, operation } from '#lib/http/api-handler.ts';
import { buildOpenApiDocument } from '#lib/http/openapi.ts';
import { operationExamples } from '#lib/http/openapi-examples.ts';
import { allRoutes, outboundWebhooks, routes } from '#lib/http/routes.ts';
import { logger } from '#lib/log.ts';

let openApiDocument: unknown;

/** Health, the OpenAPI document, and API Gateway's `$default` route (404/405 for everything unknown). */
export const handler = createApiHandler({
  logger,
  operations: [
    operation(routes.healthz, async () => ({ body: { status: 'ok' } })),
    operation(routes.openapi, async () => ({
      body: (openApiDocument ??= buildOpenApiDocument(allRoutes, {
        version: '1',
        serverUrl: process.env.PUBLIC_BASE_URL,
        examples: operationExamples,
        webhooks: outboundWebhooks,
      })),
    })),
  ],
});
