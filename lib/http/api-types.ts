import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Principal } from '../domain/api-key.ts';
import type { RouteContract } from './contract.ts';

export type ApiEvent = APIGatewayProxyEventV2;
export type ApiResponse = APIGatewayProxyStructuredResultV2;

/** The request as received, for routes that verify signatures over exact bytes (callbacks). */
export interface RawRequest {
  headers: Record<string, string>;
  query: Record<string, string>;
  body: Buffer;
}

/** What the middlewares learn about a request, in the order they learn it. */
export interface ApiState {
  requestId: string;
  startedAt: number;
  route?: RouteContract;
  principal?: Principal;
  input?: { params: unknown; query: unknown; body: unknown; raw: RawRequest };
}

export type ApiRequest = Request<ApiEvent, ApiResponse, Error, Context>;
export type ApiMiddleware = MiddlewareObj<ApiEvent, ApiResponse, Error, Context>;

// Keyed by the event, which is new for every invocation, so the handler can reach the state too.
const states = new WeakMap<ApiEvent, ApiState>();

export function apiState(request: Pick<ApiRequest, 'event' | 'context'>): ApiState {
  let state = states.get(request.event);
  if (!state) {
    state = { requestId: request.event.requestContext?.requestId ?? request.context?.awsRequestId ?? 'unknown', startedAt: Date.now() };
    states.set(request.event, state);
  }
  return state;
}

export function jsonResponse(status: number, body: unknown, requestId: string, headers: Record<string, string> = {}): ApiResponse {
  return {
    statusCode: status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-request-id': requestId,
      ...headers,
    },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}
