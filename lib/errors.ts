import type * as z from 'zod';

/**
 * The one error taxonomy of imhub. Everything a handler throws on purpose is an {@link AppError}
 * with a {@link ErrorKind}; the error middleware (`lib/http/error-mapper.ts`) maps it to
 * `{"error": {code, message, details}}` with the status its kind has in `lib/http/status-of-kind.ts`.
 * Anything else becomes a 500 whose message reveals nothing.
 */
export interface ErrorDetail {
  /** Dotted path of the offending field, e.g. `credentials.appSecret`; empty for the whole input. */
  path: string;
  message: string;
}

/**
 * What went wrong, in terms that hold whatever protocol carries the answer. A kind is named like
 * its class's default `code`; a platform's failures split four ways. Only the HTTP layer knows
 * which status each kind is.
 */
export type ErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'too_many_requests'
  | 'verification_failed'
  // The platform turned down what the request named (a person it does not know, a recipient out of
  // the app's reach): the caller can fix it. A refusal over the integration's own credentials or
  // rights (a ProviderError with `refused`) is `platform_failed`, not this.
  | 'platform_refused'
  // The platform kept saying "too fast", or the app's quota there is used up.
  | 'platform_throttled'
  // The platform failed: an outage, an answer that cannot be read, no connection.
  | 'platform_failed'
  // The platform did not answer in time.
  | 'platform_timeout'
  | 'store_unavailable';

export abstract class AppError extends Error {
  abstract readonly kind: ErrorKind;
  abstract readonly code: string;
  /** Extra data safe to show to the caller (never a secret). */
  readonly details: unknown;
  /**
   * Hints any answer may carry, named as HTTP names them: when to retry (`retry-after`), what is
   * allowed (`allow`), how to authenticate (`www-authenticate`). Never a status.
   */
  readonly headers: Record<string, string>;

  constructor(message: string, options: ErrorOptions & { details?: unknown; headers?: Record<string, string> } = {}) {
    super(message, options);
    this.name = new.target.name;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

export class BadRequestError extends AppError {
  readonly kind = 'bad_request';
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

export class UnauthorizedError extends AppError {
  readonly kind = 'unauthorized';
  readonly code = 'unauthorized';
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, { ...options, headers: { 'www-authenticate': 'Bearer realm="imhub"' } });
  }
}

export class ForbiddenError extends AppError {
  readonly kind = 'forbidden';
  readonly code = 'forbidden';
}

export class NotFoundError extends AppError {
  readonly kind = 'not_found';
  readonly code = 'not_found';
}

export class MethodNotAllowedError extends AppError {
  readonly kind = 'method_not_allowed';
  readonly code = 'method_not_allowed';
  constructor(message: string, allowed: readonly string[]) {
    super(message, { details: { allowed }, headers: { allow: allowed.join(', ') } });
  }
}

export class ConflictError extends AppError {
  readonly kind = 'conflict';
  readonly code: string;
  constructor(message: string, options: ErrorOptions & { details?: unknown; code?: string } = {}) {
    super(message, options);
    this.code = options.code ?? 'conflict';
  }
}

export class PayloadTooLargeError extends AppError {
  readonly kind = 'payload_too_large';
  readonly code = 'payload_too_large';
}

export class UnsupportedMediaTypeError extends AppError {
  readonly kind = 'unsupported_media_type';
  readonly code = 'unsupported_media_type';
}

export class TooManyRequestsError extends AppError {
  readonly kind = 'too_many_requests';
  readonly code = 'too_many_requests';
}

/** The kinds a {@link ProviderError} can have: how the platform failed. */
export type PlatformErrorKind = Extract<ErrorKind, `platform_${string}`>;

/** A platform (Feishu, Lark, DingTalk, WeCom) answered with an error; carries the platform's own code. */
export class ProviderError extends AppError {
  /** How the platform failed; `platform_failed` unless the construction site says otherwise. */
  readonly kind: PlatformErrorKind;
  readonly code = 'provider_error';
  constructor(
    readonly platform: string,
    readonly platformCode: string | number,
    readonly platformMessage: string,
    options: ErrorOptions & { kind?: PlatformErrorKind; refused?: boolean; throttled?: boolean; repeatable?: boolean; retryAfterMs?: number; quotaExhausted?: boolean } = {},
  ) {
    const unanswered = platformCode === 'network' || platformCode === 'timeout';
    super(unanswered ? `${platform} could not be reached: ${platformMessage}` : `${platform} answered with code ${platformCode}: ${platformMessage}`, {
      ...options,
      details: { platform, platformCode, platformMessage },
    });
    this.kind = options.kind ?? 'platform_failed';
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
export class VerificationFailedError extends AppError {
  readonly kind = 'verification_failed';
  readonly code = 'verification_failed';
}

/**
 * imhub's own store was busy or out of reach (throttled, a conflicting transaction, a 5xx, a
 * timeout): the request can be repeated, with the same idempotencyKey where the route takes one.
 */
export class StoreUnavailableError extends AppError {
  readonly kind = 'store_unavailable';
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

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;

/** Kinds where imhub's store or a platform failed, not the request: the same request may succeed later. */
const upstreamKinds: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['platform_failed', 'platform_timeout', 'store_unavailable']);

/**
 * Whether the request itself was turned down (its input, its rights, its rate, or a platform turning
 * down what it named), as opposed to a failure upstream of it. An error outside the taxonomy: false.
 */
export const isCallerError = (error: unknown): error is AppError => isAppError(error) && !upstreamKinds.has(error.kind);

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

/** A `bad_request` whose message names the first few problems and whose details list them all. */
export function invalidInput(where: string, details: ErrorDetail[]): ValidationError {
  const summary = details
    .slice(0, 5)
    .map((detail) => (detail.path ? `${detail.path}: ${detail.message}` : detail.message))
    .join('; ');
  return new ValidationError(`${where} is invalid: ${summary}${details.length > 5 ? `; and ${details.length - 5} more` : ''}`, details);
}
