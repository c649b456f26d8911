import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type FunctionGroup, matchPath, type RouteContract, routeKey } from '../http/contract.ts';
import { statusOfKind } from '../http/status-of-kind.ts';

export type LambdaHttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** API Gateway HTTP APIs refuse payloads above 10 MB before a function sees them; so does this server. */
const gatewayPayloadLimit = 10 * 1024 * 1024;

export interface LocalApiOptions {
  routes: readonly RouteContract[];
  /** The handler of each function group; `meta` also takes `$default` (unmatched) requests. */
  handlers: Record<FunctionGroup, LambdaHttpHandler>;
}

/**
 * The Lambda context of one local invocation. Its methods live on the class, not in closures per
 * request: a long-poll holds its context for up to 25 s, and hundreds may be held at once.
 */
class LocalLambdaContext implements Context {
  callbackWaitsForEmptyEventLoop = false;
  functionName = 'imhub-local';
  functionVersion = '$LATEST';
  invokedFunctionArn = 'arn:aws:lambda:local:000000000000:function:imhub-local';
  memoryLimitInMB = '512';
  logGroupName = 'local';
  logStreamName = 'local';
  private readonly deadline = Date.now() + 29_000;

  constructor(readonly awsRequestId: string) {}

  getRemainingTimeInMillis() {
    return Math.max(0, this.deadline - Date.now());
  }
  done() {}
  fail() {}
  succeed() {}
}

const lambdaContext = (requestId: string): Context => new LocalLambdaContext(requestId);

/**
 * An id shaped like API Gateway's (`JhvBgi2sIAMEVxw=`). Not `randomUUID()`: Node builds that from
 * 20 pieces into a rope that stays so, about 400 bytes held by every request while it waits.
 */
const newRequestId = () => randomBytes(11).toString('base64');

/**
 * The whole body, or 'too-large' (the rest is read and dropped). Listeners, not `for await`: a
 * stream's async iterator leaves its end-of-stream listeners on the request until the socket
 * closes, about half a kilobyte held by every long-poll while it waits.
 */
function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= gatewayPayloadLimit) {
        chunks.push(chunk);
        return;
      }
      done();
      request.resume();
      resolve('too-large');
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
  });
}

/** Builds the event API Gateway (HTTP API, payload format 2.0) would hand the function. */
export function toApiGatewayEvent(
  request: IncomingMessage,
  body: Buffer,
  routes: readonly RouteContract[],
  requestId: string,
): { event: APIGatewayProxyEventV2; route?: RouteContract } {
  const url = new URL(request.url ?? '/', 'http://local');
  const method = (request.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;

  let route: RouteContract | undefined;
  let pathParameters: Record<string, string> | undefined;
  for (const candidate of routes) {
    if (candidate.method !== method) continue;
    const params = matchPath(candidate.path, url.pathname);
    if (params) {
      route = candidate;
      pathParameters = Object.keys(params).length ? params : undefined;
      break;
    }
  }
  const now = new Date();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: route ? routeKey(route) : '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(pathParameters ? { pathParameters } : {}),
    ...(body.length ? { body: body.toString('utf8') } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: route ? routeKey(route) : '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
  return route ? { event, route } : { event };
}

function send(response: ServerResponse, result: APIGatewayProxyStructuredResultV2) {
  const body = result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  response.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
  response.end(body);
}

/**
 * An HTTP server that behaves like API Gateway in front of the Lambda functions: it matches the
 * route table, builds a payload 2.0 event, and calls the same handler the function runs in AWS.
 */
export function createLocalApiServer(options: LocalApiOptions): Server {
  // Promise chains, not an async function: a held long-poll keeps only the reaction that answers
  // it, not a suspended frame with the request's body and everything else in scope.
  return createServer((request, response) => {
    const requestId = newRequestId();
    readBody(request)
      .then((body) => {
        if (body === 'too-large') {
          send(response, {
            statusCode: statusOfKind.payload_too_large,
            headers: { 'content-type': 'application/json; charset=utf-8', connection: 'close' },
            body: JSON.stringify({ error: { code: 'payload_too_large', message: 'request body is over the 10 MB gateway limit', requestId } }),
          });
          return;
        }
        const { event, route } = toApiGatewayEvent(request, body, options.routes, requestId);
        const handler = options.handlers[route?.group ?? 'meta'];
        return handler(event, lambdaContext(requestId)).then((result) => send(response, result));
      })
      .catch(() => {
        // What API Gateway answers when the function itself fails.
        if (!response.headersSent) {
          send(response, { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Internal Server Error' }) });
        } else response.destroy();
      });
  });
}
