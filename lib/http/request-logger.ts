import type { Logger } from '../log.ts';
import { type ApiMiddleware, type ApiRequest, apiState } from './api-types.ts';

/** One log line per request: route, status, duration, request id. Never a header or a body. */
export const requestLogger = (options: { logger: Logger }): ApiMiddleware => {
  const requestLoggerBefore = async (request: ApiRequest) => {
    apiState(request);
  };
  const requestLoggerAfter = async (request: ApiRequest) => {
    const state = apiState(request);
    options.logger.info('request', {
      requestId: state.requestId,
      method: request.event.requestContext?.http?.method,
      route: state.route ? `${state.route.method} ${state.route.path}` : request.event.routeKey,
      status: request.response?.statusCode,
      durationMs: Date.now() - state.startedAt,
      ...(state.principal ? { apiKeyId: state.principal.keyId } : {}),
    });
  };
  return { before: requestLoggerBefore, after: requestLoggerAfter, onError: requestLoggerAfter };
};
