import { describe, expect, it } from 'vitest';
import type { FunctionGroup } from '../../lib/http/contract.ts';
import { allRoutes } from '../../lib/http/routes.ts';
import { apiEvent, lambdaContext } from '../support/events.ts';

Object.assign(process.env, { IMHUB_RUNTIME: 'local', TABLE_NAME: 'unused', API_TOKEN: 'unused', PUBLIC_BASE_URL: 'http://localhost' });
const handlers: Record<FunctionGroup, (typeof import('../../functions/meta.ts'))['handler']> = {
  meta: (await import('../../functions/meta.ts')).handler,
  integrations: (await import('../../functions/integrations.ts')).handler,
};

describe('routing', () => {
  it.each(allRoutes.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s is served by the function API Gateway sends it to',
    async (_, route) => {
      // Prepare: the event API Gateway builds for this route, without a key
      const path = route.path.replace('{id}', 'x');
      const event = apiEvent(route.method, path, { routeKey: `${route.method} ${route.path}`, ...(route.params ? { pathParameters: { id: 'x' } } : {}) });
      // Act
      const response = await handlers[route.group](event, lambdaContext());
      // Assess: bound to an operation, so it reaches auth (or answers, when public), never 404/405
      expect(response.statusCode).toBe(route.auth === 'public' ? route.success.status : 401);
    },
  );
});
