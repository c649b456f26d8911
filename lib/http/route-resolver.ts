import { MethodNotAllowedError, NotFoundError } from '../errors.ts';
import { type ApiMiddleware, type ApiRequest, apiState } from './api-types.ts';
import { matchPath, type RouteContract, routeKey } from './contract.ts';

/**
 * Picks the route this function serves from API Gateway's `routeKey`. A `$default` request (no
 * API route matched) is answered from the whole route table: 405 with `Allow` when the path exists
 * under another method, else 404.
 */
export const routeResolver = (options: { served: readonly RouteContract[]; all: readonly RouteContract[] }): ApiMiddleware => {
  const byKey = new Map(options.served.map((route) => [routeKey(route), route]));
  const routeResolverBefore = async (request: ApiRequest) => {
    const route = byKey.get(request.event.routeKey);
    if (route) {
      apiState(request).route = route;
      return;
    }
    const path = request.event.rawPath ?? '';
    const method = request.event.requestContext?.http?.method ?? '';
    const allowed = options.all.filter((candidate) => matchPath(candidate.path, path)).map((candidate) => candidate.method);
    if (allowed.length > 0) {
      throw new MethodNotAllowedError(`${method} is not allowed on ${path}; use ${allowed.join(' or ')}`, allowed);
    }
    throw new NotFoundError(`no route ${method} ${path.slice(0, 200)}; see GET /v1/openapi.json for the API`);
  };
  return { before: routeResolverBefore };
};
