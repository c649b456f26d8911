import { describe, expect, it } from 'vitest';
import {
  AppError,
  BadRequestError,
  ConflictError,
  type ErrorKind,
  ForbiddenError,
  invalidInput,
  isCallerError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  ProviderError,
  StoreUnavailableError,
  TooManyRequestsError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  VerificationFailedError,
} from '../../../lib/errors.ts';
import type { ApiRequest } from '../../../lib/http/api-types.ts';
import { errorMapper } from '../../../lib/http/error-mapper.ts';
import { statusOfKind } from '../../../lib/http/status-of-kind.ts';
import { createLogger } from '../../../lib/log.ts';

/** The statuses the error classes carried themselves before they carried kinds: answers must not move. */
const statusBeforeKinds: Record<ErrorKind, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  verification_failed: 422,
  platform_refused: 422, // ProviderError { statusCode: 422 }
  too_many_requests: 429,
  platform_throttled: 429, // ProviderError { statusCode: 429 }
  platform_failed: 502, // ProviderError's default
  store_unavailable: 503,
  platform_timeout: 504, // ProviderError { statusCode: 504 }
};

/** A bare error of any kind, to ask about kinds without a class for each. */
class ErrorOfKind extends AppError {
  readonly code = 'test';
  constructor(readonly kind: ErrorKind) {
    super(`an error of kind ${kind}`);
  }
}

async function answerTo(error: unknown) {
  const lines: { level: string; message: string }[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) });
  const request = { event: { requestContext: { requestId: 'req-1' } }, context: {}, error, response: undefined } as unknown as ApiRequest;
  await errorMapper({ logger }).onError!(request);
  return { response: request.response!, body: JSON.parse(request.response!.body!), levels: lines.map((line) => line.level) };
}

const jsonHeaders = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-request-id': 'req-1' };

describe('statusOfKind', () => {
  it('gives every kind the status its error class had before errors carried kinds', () => {
    expect(statusOfKind).toEqual(statusBeforeKinds);
  });

  it('answers below 500 exactly the kinds that isCallerError takes for the caller\'s', () => {
    for (const [kind, status] of Object.entries(statusOfKind) as [ErrorKind, number][]) {
      expect({ kind, caller: isCallerError(new ErrorOfKind(kind)) }).toEqual({ kind, caller: status < 500 });
    }
  });
});

describe('errorMapper', () => {
  it.each([
    ['BadRequestError', new BadRequestError('no body', { code: 'body_required' }), 400, 'body_required', {}],
    ['ValidationError', invalidInput('body', [{ path: 'name', message: 'required' }]), 400, 'validation_failed', {}],
    ['UnauthorizedError', new UnauthorizedError('no key'), 401, 'unauthorized', { 'www-authenticate': 'Bearer realm="imhub"' }],
    ['ForbiddenError', new ForbiddenError('no scope'), 403, 'forbidden', {}],
    ['NotFoundError', new NotFoundError('no route'), 404, 'not_found', {}],
    ['MethodNotAllowedError', new MethodNotAllowedError('use GET', ['GET', 'POST']), 405, 'method_not_allowed', { allow: 'GET, POST' }],
    ['ConflictError', new ConflictError('taken', { code: 'name_taken' }), 409, 'name_taken', {}],
    ['PayloadTooLargeError', new PayloadTooLargeError('too big'), 413, 'payload_too_large', {}],
    ['UnsupportedMediaTypeError', new UnsupportedMediaTypeError('not json'), 415, 'unsupported_media_type', {}],
    ['TooManyRequestsError', new TooManyRequestsError('wait', { headers: { 'retry-after': '7' } }), 429, 'too_many_requests', { 'retry-after': '7' }],
    ['VerificationFailedError', new VerificationFailedError('refused'), 422, 'verification_failed', {}],
    ['ProviderError, refused', new ProviderError('wecom', 'invaliduser', 'ghost', { kind: 'platform_refused', refused: true }), 422, 'provider_error', {}],
    ['ProviderError, throttled', new ProviderError('feishu', 99991400, 'slow down', { kind: 'platform_throttled', throttled: true }), 429, 'provider_error', {}],
    ['ProviderError, by default', new ProviderError('wecom', 'no_token', 'no token'), 502, 'provider_error', {}],
    ['ProviderError, timed out', new ProviderError('dingtalk', 'timeout', 'no answer', { kind: 'platform_timeout' }), 504, 'provider_error', {}],
    ['StoreUnavailableError', new StoreUnavailableError(), 503, 'store_unavailable', { 'retry-after': '1' }],
  ])('answers a %s with the status, code and headers it always had', async (_, error, status, code, headers) => {
    // Act
    const { response, body } = await answerTo(error);
    // Assess
    expect(response.statusCode).toBe(status);
    expect(response.headers).toEqual({ ...jsonHeaders, ...headers });
    expect(body).toEqual({ error: { code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }), requestId: 'req-1' } });
  });

  it('answers a transient store error with a 503 to repeat, and anything else with a 500 that reveals nothing', async () => {
    // Prepare
    const throttled = Object.assign(new Error('throttled at 10.0.0.7'), { name: 'ThrottlingException' });
    // Act
    const busy = await answerTo(throttled);
    const unknown = await answerTo(new Error('socket hang up at 10.0.0.7'));
    // Assess
    expect([busy.response.statusCode, busy.body.error.code, busy.response.headers?.['retry-after']]).toEqual([503, 'store_unavailable', '1']);
    expect(unknown.response.statusCode).toBe(500);
    expect(unknown.body).toEqual({ error: { code: 'internal', message: 'internal error; quote the request id when reporting it', requestId: 'req-1' } });
    expect(JSON.stringify([busy.response, unknown.response])).not.toContain('10.0.0.7');
  });

  it('logs a failure upstream (a 5xx kind) as a warning and a caller\'s error not at all', async () => {
    expect((await answerTo(new ProviderError('feishu', 'timeout', 'no answer', { kind: 'platform_timeout' }))).levels).toEqual(['warn']);
    expect((await answerTo(new ProviderError('feishu', 'user_not_found', 'nobody', { kind: 'platform_refused' }))).levels).toEqual([]);
    expect((await answerTo(new Error('boom'))).levels).toEqual(['error']);
  });
});
