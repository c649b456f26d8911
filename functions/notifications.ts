import { createApiHandler, operation } from '#lib/http/api-handler.ts';
import { routes } from '#lib/http/routes.ts';
import { logger } from '#lib/log.ts';
import { authenticator } from '#lib/services/auth.ts';
import { services } from '#lib/services/index.ts';

/** Notifications: send (fan-out with a delivery per target) and read the deliveries. */
export const handler = createApiHandler({
  logger,
  authenticator,
  operations: [
    operation(routes.createNotification, async ({ body }) => {
      const { notification, created } = await services.notifications().create(body);
      return { body: notification, status: created ? 201 : 200 };
    }),
    operation(routes.listNotifications, async ({ query }) => ({ body: await services.notifications().list(query) })),
    operation(routes.getNotification, async ({ params }) => ({ body: await services.notifications().get(params.id) })),
  ],
});
