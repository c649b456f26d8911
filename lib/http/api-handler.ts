import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import type { Principal } from '../domain/api-key.ts';
import type { Logger } from '../log.ts';
import type { Authenticator } from '../services/authenticator.ts';
import { type ApiEvent, type ApiResponse, apiState, jsonResponse, type RawRequest } from './api-types.ts';
import { authorize } from './authorize.ts';
import { type RouteContract, routeKey } from './contract.ts';
import { errorMapper } from './error-mapper.ts';
import { inputParser } from './input-parser.ts';
import { requestLogger } from './request-logger.ts';
import { routeResolver } from './route-resolver.ts';
import { allRoutes } from './routes.ts';

type Out<S> = NonNullable<S> extends z.ZodType ? z.output<NonNullable<S>> : undefined;

/** What an operation receives: validated input and the caller. */
export interface OperationInput<R extends RouteContract> {
  params: Out<R['params']>;
  query: Out<R['query']>;
  body: Out<R['body']>;
  principal: Principal | undefined;
  requestId: string;
  raw: RawRequest;
}

/** An operation answers with a body (status from the route's contract) and maybe headers. */
export interface OperationResult {
  body?: unknown;
  /** Overrides the contract's success status (e.g. 200 for an idempotent repeat of a create). */
  status?: number;
  headers?: Record<string, string>;
  /** Answer these exact bytes instead of JSON (platform callbacks). */
  raw?: { status: number; contentType: string; body: string };
}

export interface Operation<R extends RouteContract = RouteContract> {
  route: R;
  run(input: OperationInput<R>): Promise<OperationResult>;
}

/** Binds an implementation to its route contract, typed by the contract's schemas. */
export const operation = <R extends RouteContract>(route: R, run: (input: OperationInput<R>) => Promise<OperationResult>): Operation =>
  ({ route, run }) as unknown as Operation;

export interface ApiHandlerOptions {
  operations: readonly Operation[];
  logger: Logger;
  /** Needed when any operation requires a key; a function of public routes only leaves it out (and its clients). */
  authenticator?: () => Authenticator;
}

/**
 * A Lambda handler for one function group: request log → error mapping → route → auth → input,
 * then the one call into the operation. The same chain serves every group.
 */
export function createApiHandler(options: ApiHandlerOptions) {
  const byKey = new Map(options.operations.map((op) => [routeKey(op.route), op]));
  const dispatch = async (event: ApiEvent, context: Context): Promise<ApiResponse> => {
    const state = apiState({ event, context });
    const op = state.route && byKey.get(routeKey(state.route));
    if (!op || !state.input) throw new Error(`no operation bound for ${event.routeKey}`);
    const result = await op.run({ ...(state.input as OperationInput<RouteContract>), principal: state.principal, requestId: state.requestId });
    if (result.raw) {
      return {
        statusCode: result.raw.status,
        headers: { 'content-type': result.raw.contentType, 'cache-control': 'no-store', 'x-request-id': state.requestId, ...result.headers },
        body: result.raw.body,
      };
    }
    const status = result.status ?? op.route.success.status;
    return jsonResponse(status, status === 204 ? undefined : result.body, state.requestId, result.headers);
  };
  // No early-timeout timer per request: every handler is bounded by its own waits (a long-poll by
  // its 25 s), well inside each function's timeout, and a timer held by each of hundreds of waiting
  // long-polls costs memory for nothing.
  return middy<ApiEvent, ApiResponse, Error, Context>({ timeoutEarlyInMillis: 0 })
    .use(requestLogger({ logger: options.logger }))
    .use(errorMapper({ logger: options.logger }))
    .use(routeResolver({ served: options.operations.map((op) => op.route), all: allRoutes }))
    .use(authorize({ authenticator: options.authenticator }))
    .use(inputParser())
    .handler(dispatch);
}
