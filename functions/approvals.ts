import { createApiHandler, operation } from '#lib/http/api-handler.ts';
import { routes } from '#lib/http/routes.ts';
import { logger } from '#lib/log.ts';
import { authenticator } from '#lib/services/auth.ts';
import { services } from '#lib/services/index.ts';

/** Approvals: start, read (long-poll), list, cancel. */
export const handler = createApiHandler({
  logger,
  authenticator,
  operations: [
    operation(routes.createApproval, async ({ body, principal }) => {
      const { approval, created } = await services.approvals().create(body, principal);
      return { body: approval, status: created ? 201 : 200 };
    }),
    operation(routes.listApprovals, async ({ query }) => ({ body: await services.approvals().list(query) })),
    operation(routes.getApproval, async ({ params, query }) => ({ body: await services.approvals().get(params.id, query.waitSeconds) })),
    operation(routes.cancelApproval, async ({ params }) => ({ body: await services.approvals().cancel(params.id) })),
  ],
});
