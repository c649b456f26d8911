import { hasAnyScope } from '../domain/api-key.ts';
import { ForbiddenError } from '../errors.ts';
import type { Authenticator } from '../services/authenticator.ts';
import { type ApiMiddleware, type ApiRequest, apiState } from './api-types.ts';

/** Checks the bearer key (401) and that it holds one of the route's scopes (403). */
export const authorize = (options: { authenticator?: (() => Authenticator) | undefined }): ApiMiddleware => {
  const authorizeBefore = async (request: ApiRequest) => {
    const state = apiState(request);
    const accepted = state.route?.auth;
    if (!accepted || accepted === 'public') return;
    if (!options.authenticator) throw new Error(`route ${state.route?.path} needs a key but its function has no authenticator`);
    const principal = await options.authenticator().authenticate(request.event.headers?.authorization);
    state.principal = principal;
    if (!hasAnyScope(principal, accepted)) {
      throw new ForbiddenError(`this API key lacks the scope for this route: it needs one of ${['admin', ...accepted].join(', ')}`);
    }
  };
  return { before: authorizeBefore };
};
