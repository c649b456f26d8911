import { createApiHandler, operation } from '#lib/http/api-handler.ts';
import { routes } from '#lib/http/routes.ts';
import { logger } from '#lib/log.ts';
import { authenticator } from '#lib/services/auth.ts';
import { services } from '#lib/services/index.ts';

/** Integrations and API keys: the management routes. */
export const handler = createApiHandler({
  logger,
  authenticator,
  operations: [
    operation(routes.createIntegration, async ({ body }) => ({ body: await services.integrations().create(body) })),
    operation(routes.listIntegrations, async ({ query }) => ({ body: await services.integrations().list(query) })),
    operation(routes.getIntegration, async ({ params }) => ({ body: await services.integrations().get(params.id) })),
    operation(routes.updateIntegration, async ({ params, body, principal }) => ({ body: await services.integrations().update(params.id, body, principal) })),
    operation(routes.deleteIntegration, async ({ params }) => {
      await services.integrations().delete(params.id);
      return {};
    }),
    operation(routes.verifyIntegration, async ({ params }) => ({ body: await services.providers().verify(params.id) })),
    operation(routes.getIntegrationSetup, async ({ params }) => ({ body: await services.setup().check(params.id) })),
    operation(routes.createApiKey, async ({ body }) => ({ body: await services.apiKeys().create(body) })),
    operation(routes.listApiKeys, async ({ query }) => ({ body: await services.apiKeys().list(query) })),
    operation(routes.revokeApiKey, async ({ params }) => ({ body: await services.apiKeys().revoke(params.id) })),
  ],
});
