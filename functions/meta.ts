import { loadConfig } from '#lib/config.ts';
import { consolePage, consoleScript, consoleSecurityHeaders, consoleStyle } from '#lib/console/page.ts';
import { createApiHandler, operation } from '#lib/http/api-handler.ts';
import { buildOpenApiDocument } from '#lib/http/openapi.ts';
import { operationExamples } from '#lib/http/openapi-examples.ts';
import { allRoutes, outboundWebhooks, routes } from '#lib/http/routes.ts';
import { logger } from '#lib/log.ts';

let openApiDocument: unknown;
let page: string | undefined;

const asset = (contentType: string, body: string) => ({ raw: { status: 200, contentType, body }, headers: consoleSecurityHeaders });

/** Health, the OpenAPI document, the console, and API Gateway's `$default` route (404/405 for everything unknown). */
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
    operation(routes.console, async () => asset('text/html; charset=utf-8', (page ??= consolePage({ sandboxUrl: loadConfig().IMHUB_SANDBOX_URL })))),
    operation(routes.consoleScript, async () => asset('text/javascript; charset=utf-8', consoleScript)),
    operation(routes.consoleStyle, async () => asset('text/css; charset=utf-8', consoleStyle)),
  ],
});
