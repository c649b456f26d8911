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
  success: { status: number; description: string; schema?: z.ZodType };
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

export const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
    requestId: z.string().optional(),
  }),
});

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().optional() });
