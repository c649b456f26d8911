import { createApiHandler, operation } from '#lib/http/api-handler.ts';
import { routes } from '#lib/http/routes.ts';
import { logger } from '#lib/log.ts';
import { services } from '#lib/services/index.ts';

/** Platform callbacks: verified by signature on the raw body, never by API key. */
const receive = async ({ params, raw }: { params: { integrationId: string }; raw: { headers: Record<string, string>; query: Record<string, string>; body: Buffer } }, method: 'GET' | 'POST') => ({
  raw: await services.callbacks().handle(params.integrationId, { method, headers: raw.headers, query: raw.query, rawBody: raw.body, now: new Date() }),
});

export const handler = createApiHandler({
  logger,
  operations: [
    operation(routes.callbackCheck, (input) => receive(input, 'GET')),
    operation(routes.callback, (input) => receive(input, 'POST')),
  ],
});
