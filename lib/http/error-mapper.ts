import { isAppError, isTransientStoreError, StoreUnavailableError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type ApiMiddleware, type ApiRequest, apiState, jsonResponse } from './api-types.ts';
import { statusOfKind } from './status-of-kind.ts';

/**
 * Maps every error to `{"error": {code, message, details, requestId}}` once, for all routes.
 * An AppError shows its own message, with the status of its kind (`statusOfKind`) and its headers;
 * a transient store error becomes a 503 with Retry-After;
 * anything else is logged and answered with a 500 that reveals nothing but the request id.
 */
export const errorMapper = (options: { logger: Logger }): ApiMiddleware => {
  const errorMapperOnError = async (request: ApiRequest) => {
    if (request.response !== undefined) return;
    const { requestId } = apiState(request);
    // A busy store is the caller's cue to repeat, not an unexplained 500.
    const error = isTransientStoreError(request.error) ? new StoreUnavailableError({ cause: request.error }) : request.error;
    if (isAppError(error)) {
      const status = statusOfKind[error.kind];
      if (status >= 500) options.logger.warn('upstream error', { requestId, error });
      request.response = jsonResponse(
        status,
        { error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }), requestId } },
        requestId,
        error.headers,
      );
      return;
    }
    options.logger.error('unhandled error', { requestId, error });
    request.response = jsonResponse(
      500,
      { error: { code: 'internal', message: 'internal error; quote the request id when reporting it', requestId } },
      requestId,
    );
  };
  return { onError: errorMapperOnError };
};
