import * as z from 'zod';
import type { Scope } from '../domain/api-key.ts';

export const httpMethods = ['GET', 'POST', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof httpMethods)[number];

/** The Lambda functions the API is split into; each serves the routes of its group. */
export type FunctionGroup = 'meta' | 'integrations' | 'callbacks' | 'approvals' | 'notifications';

/**
 * One route of the HTTP API. The same table drives the Lambda dispatch, the local runtime's
 * router, the API Gateway routes in CDK and the OpenAPI document, so they cannot drift apart.
 */
export interface RouteContract<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  operationId: string;
  method: HttpMethod;
  /** API Gateway syntax: `/v1/integrations/{id}`. */
  path: string;
  group: FunctionGroup;
  /** Scopes of which the key needs one (admin always passes), or `public`. */
  auth: readonly Scope[] | 'public';
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Shown in the OpenAPI document instead of `body` when the runtime schema cannot express the variants. */
  bodyDoc?: z.ZodType;
  success: {
    status: number;
    description: string;
    schema?: z.ZodType;
    /** The media type of the success body. @default 'application/json' (a route serving a page says 'text/html') */
    contentType?: string;
    /** A create keyed by an idempotencyKey answers 200 with what the first request made: what that answer means. */
    replay?: string;
  };
  /**
   * The errors this route can answer beyond those its shape implies (400 for input, 401/403 for a
   * key, 404 for an id in the path, 413 for a body, 500 and 503 for all): the status, when it
   * happens and the codes it carries. The OpenAPI document lists exactly these and the implied ones.
   */
  errors?: Partial<Record<RouteErrorStatus, RouteError>>;
}

/** The statuses a route lists in `errors`; the others are implied by its shape. */
export type RouteErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 502 | 504;

/** One error answer of a route, for its documentation. */
export interface RouteError {
  description: string;
  /** The `error.code` values it carries, the first used in the example. */
  codes: readonly string[];
}

export const defineRoute = <P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType>(
  route: RouteContract<P, Q, B>,
) => route;

export const routeKey = (route: Pick<RouteContract, 'method' | 'path'>) => `${route.method} ${route.path}`;

/** Matches a concrete path against a route template; returns the decoded path parameters. */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const names: string[] = [];
  const pattern = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  const match = new RegExp(`^${pattern}$`).exec(path);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  try {
    names.forEach((name, index) => {
      params[name] = decodeURIComponent(match[index + 1] ?? '');
    });
  } catch {
    return undefined;
  }
  return params;
}

/** Common query parameters of listings. */
export const pageQuery = z.strictObject({
  limit: z.coerce
    .number({ error: 'limit must be a whole number from 1 to 100' })
    .int('limit must be a whole number from 1 to 100')
    .min(1, 'limit must be a whole number from 1 to 100')
    .max(100, 'limit must be a whole number from 1 to 100')
    .default(20),
  cursor: z.string().max(2048, 'cursor is invalid: pass the nextCursor of the previous page unchanged').optional(),
});

export const idParams = z.strictObject({ id: z.string().min(1).max(128) });

/**
 * Names a schema for the OpenAPI document (`components.schemas.<id>`, referenced by `$ref`) by
 * registering it in zod's global registry in place, so the very object the handlers validate with
 * is the one named; a description it already has is kept.
 */
export function named<T extends z.ZodType>(schema: T, id: string, description?: string): T {
  const before = z.globalRegistry.get(schema);
  z.globalRegistry.add(schema, { ...before, id, ...(description ? { description } : {}) });
  return schema;
}

/** Fields `describeFields` was asked to describe and could not: a test asserts there are none. */
export const undescribableFields: string[] = [];

/**
 * Describes fields of an object schema in place for the OpenAPI document, for request schemas that
 * live in the domain (whose comments are not zod descriptions). A field the schema does not have,
 * or a named schema (shared by every field that uses it: its description is its own), is noted in
 * `undescribableFields` rather than thrown: documentation never stops the API from loading.
 */
export function describeFields(schema: z.ZodType, descriptions: Record<string, string>): void {
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape;
  for (const [key, description] of Object.entries(descriptions)) {
    const field = shape?.[key];
    if (!field || z.globalRegistry.get(field)?.id) {
      undescribableFields.push(`${z.globalRegistry.get(schema)?.id ?? 'a schema'}.${key}`);
      continue;
    }
    z.globalRegistry.add(field, { ...z.globalRegistry.get(field), description });
  }
}

/** `details` of a 400 validation_failed: one entry per field that is wrong. */
const validationIssue = named(
  z.object({
    path: z.string().describe('Dotted path of the field, e.g. "credentials.appSecret"; empty for the whole input'),
    message: z.string().describe('What is wrong with it and what to send instead'),
  }),
  'ValidationIssue',
  'One field of the request that is wrong',
);

/** `details` of an error the platform gave (422 refused, 429 throttled, 502 failed, 504 timed out). */
const platformErrorDetails = named(
  z.object({
    platform: z.string().describe('feishu, lark, dingtalk or wecom'),
    platformCode: z.union([z.string(), z.number()]).describe('The platform’s own error code (e.g. Feishu 99991663, DingTalk 90020), or "network"/"timeout" when it did not answer'),
    platformMessage: z.string().describe('The platform’s own message'),
  }),
  'PlatformErrorDetails',
  'What the platform answered, as it answered it',
);

export const errorBody = named(
  z.object({
    error: z.object({
      code: z.string().describe('Stable machine-readable code, e.g. validation_failed, not_found, idempotency_conflict, provider_error'),
      message: z.string().describe('What went wrong and what to do, in English'),
      details: z
        .union([z.array(validationIssue), platformErrorDetails, z.record(z.string(), z.unknown())])
        .optional()
        .describe('validation_failed: the fields; provider_error: the platform’s code and message; some codes carry other data (already_decided: the approval)'),
      requestId: z.string().optional().describe('Quote it when reporting a problem; also in the X-Request-Id header'),
    }),
  }),
  'Error',
  'Every error answer: a code, a message, maybe details',
);

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().optional().describe('Pass as cursor to read the next page; absent on the last page') });
