import type * as z from 'zod';

/**
 * The one error taxonomy of imhub. Everything a handler throws on purpose is an {@link HttpError};
 * the error middleware (`lib/http/error-mapper.ts`) maps it to `{"error": {code, message, details}}`
 * with its status. Anything else becomes a 500 whose message reveals nothing.
 */
export interface ErrorDetail {
  /** Dotted path of the offending field, e.g. `credentials.appSecret`; empty for the whole input. */
  path: string;
  message: string;
}

export abstract class HttpError extends Error {
  abstract readonly statusCode: number;
  abstract readonly code: string;
  /** Extra data safe to show to the caller (never a secret). */
  readonly details: unknown;
  readonly headers: Record<string, string>;

  constructor(message: string, options: ErrorOptions & { details?: unknown; headers?: Record<string, string> } = {}) {
    super(message, options);
    this.name = new.target.name;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

export class BadRequestError extends HttpError {
  readonly statusCode = 400;
  readonly code: string;
  constructor(message: string, options: ErrorOptions & { details?: unknown; code?: string } = {}) {
    super(message, options);
    this.code = options.code ?? 'bad_request';
  }
}

export class ValidationError extends BadRequestError {
  constructor(message: string, details: ErrorDetail[]) {
    super(message, { details, code: 'validation_failed' });
  }
}

export class UnauthorizedError extends HttpError {
  readonly statusCode = 401;
  readonly code = 'unauthorized';
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, { ...options, headers: { 'www-authenticate': 'Bearer realm="imhub"' } });
  }
}

export class ForbiddenError extends HttpError {
  readonly statusCode = 403;
  readonly code = 'forbidden';
}

export class NotFoundError extends HttpError {
  readonly statusCode = 404;
  readonly code = 'not_found';
}

export class MethodNotAllowedError extends HttpError {
  readonly statusCode = 405;
  readonly code = 'method_not_allowed';
  constructor(message: string, allowed: readonly string[]) {
    super(message, { details: { allowed }, headers: { allow: allowed.join(', ') } });
  }
}

export class ConflictError extends HttpError {
  readonly statusCode = 409;
  readonly code: string;
  constructor(message: string, options: ErrorOptions & { details?: unknown; code?: string } = {}) {
    super(message, options);
    this.code = options.code ?? 'conflict';
  }
}

export class PayloadTooLargeError extends HttpError {
  readonly statusCode = 413;
  readonly code = 'payload_too_large';
}

export class UnsupportedMediaTypeError extends HttpError {
  readonly statusCode = 415;
  readonly code = 'unsupported_media_type';
}

export class TooManyRequestsError extends HttpError {
  readonly statusCode = 429;
  readonly code = 'too_many_requests';
}

/** A platform (Feishu, Lark, DingTalk, WeCom) answered with an error; carries the platform's own code. */
export class ProviderError extends HttpError {
  readonly statusCode: number;
  readonly code = 'provider_error';
  constructor(
    readonly platform: string,
    readonly platformCode: string | number,
    readonly platformMessage: string,
    options: ErrorOptions & { statusCode?: number; refused?: boolean; throttled?: boolean; repeatable?: boolean; retryAfterMs?: number; quotaExhausted?: boolean } = {},
  ) {
    const unanswered = platformCode === 'network' || platformCode === 'timeout';
    super(unanswered ? `${platform} could not be reached: ${platformMessage}` : `${platform} answered with code ${platformCode}: ${platformMessage}`, {
      ...options,
      details: { platform, platformCode, platformMessage },
    });
    this.statusCode = options.statusCode ?? 502;
    this.refused = options.refused ?? false;
    this.throttled = options.throttled ?? false;
    this.repeatable = options.repeatable ?? false;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    this.quotaExhausted = options.quotaExhausted ?? false;
  }

  /** The app's call quota on the platform is used up for a long while (DingTalk's monthly quota): nothing helps until it resets. */
  readonly quotaExhausted: boolean;

  /** How long the platform asked to wait before trying again (its Retry-After or rate-limit reset), when it said. */
  readonly retryAfterMs?: number;

  /** The platform said "too fast" (429 or its rate-limit code) even after the client's retries: safe to send later. */
  readonly throttled: boolean;

  /** The platform answered and said no with its own code (not a timeout, an outage or a throttle). */
  readonly refused: boolean;

  /**
   * The failure was passing (throttled, 5xx, a timeout, no connection) and the request is safe to
   * send again (idempotent, or it never reached the platform): trying later may succeed.
   */
  readonly repeatable: boolean;
}

/** The platform refused the integration's credentials (or its settings, such as WeCom's trusted IPs). */
export class VerificationFailedError extends HttpError {
  readonly statusCode = 422;
  readonly code = 'verification_failed';
}

/**
 * imhub's own store was busy or out of reach (throttled, a conflicting transaction, a 5xx, a
 * timeout): the request can be repeated, with the same idempotencyKey where the route takes one.
 */
export class StoreUnavailableError extends HttpError {
  readonly statusCode = 503;
  readonly code = 'store_unavailable';
  constructor(options: ErrorOptions = {}) {
    super('the store is busy; repeat the request shortly (with the same idempotencyKey where the route takes one)', { ...options, headers: { 'retry-after': '1' } });
  }
}

const transientNames = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  'TransactionInProgressException',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);
const transientCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/** Whether an AWS SDK (DynamoDB, KMS) error is one a repeat of the request may not meet again. */
export function isTransientStoreError(error: unknown): boolean {
  const candidate = error as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number }; CancellationReasons?: { Code?: string }[] };
  if (!candidate || typeof candidate !== 'object') return false;
  if (candidate.name === 'TransactionCanceledException') return (candidate.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict' || reason.Code === 'ThrottlingError');
  return (
    transientNames.has(candidate.name ?? '') ||
    transientCodes.has(candidate.code ?? '') ||
    candidate.$retryable !== undefined ||
    (candidate.$metadata?.httpStatusCode ?? 0) >= 500
  );
}

export const isHttpError = (error: unknown): error is HttpError => error instanceof HttpError;

/** zod issues as `{path, message}` pairs a person can act on; `prefix` places them inside a larger body. */
export function zodIssuesToDetails(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): ErrorDetail[] {
  return issues.map((issue) => {
    const path = [...prefix, ...issue.path].map(String).join('.');
    const message =
      issue.code === 'unrecognized_keys' && !issue.message.includes('cannot be changed')
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}: remove ${issue.keys.length > 1 ? 'them' : 'it'}`
        : issue.message;
    return { path, message };
  });
}

/** A 400 whose message names the first few problems and whose details list them all. */
export function invalidInput(where: string, details: ErrorDetail[]): ValidationError {
  const summary = details
    .slice(0, 5)
    .map((detail) => (detail.path ? `${detail.path}: ${detail.message}` : detail.message))
    .join('; ');
  return new ValidationError(`${where} is invalid: ${summary}${details.length > 5 ? `; and ${details.length - 5} more` : ''}`, details);
}
