import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as a recording server saw it. */
export interface Recorded {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  text: string;
}

export type Shape = string | Shape[] | { [field: string]: Shape };

/**
 * Field names at every depth and the JSON type of each leaf. Fields named in `jsonStringFields`
 * (by their path from the body's root) hold JSON in a string: it is parsed and shaped too.
 */
export function shapeOf(value: unknown, jsonStringFields: ReadonlySet<string>, path = ''): Shape {
  if (Array.isArray(value)) return value.map((item) => shapeOf(item, jsonStringFields, path));
  if (value !== null && typeof value === 'object') {
    const fields = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(fields).sort().map((field) => [field, shapeOf(fields[field], jsonStringFields, path ? `${path}.${field}` : field)]));
  }
  // The '#' keeps fields inside the parsed JSON from matching a body path.
  if (typeof value === 'string' && jsonStringFields.has(path)) return { 'JSON string of': shapeOf(JSON.parse(value), jsonStringFields, `${path}#`) };
  return value === null ? 'null' : typeof value;
}

/**
 * What must agree between imhub's request and an official SDK's for the same operation: method,
 * path, query (less `ignoreQuery`), the body's shape, and that a body is sent as JSON. Headers
 * differ legitimately (casing, user-agent, charset); each test compares its token header itself.
 * An SDK's `{}` and imhub's absent body both carry no field.
 */
export function requestShape(request: Recorded, jsonStringFields: ReadonlySet<string>, ignoreQuery: readonly string[] = []) {
  const body: unknown = request.text ? JSON.parse(request.text) : undefined;
  const hasFields = body !== undefined && !(typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0);
  return {
    method: request.method,
    path: request.url.pathname,
    query: [...request.url.searchParams].filter(([name]) => !ignoreQuery.includes(name)).map(([name, value]) => `${name}=${value}`).sort(),
    body: hasFields ? shapeOf(body, jsonStringFields) : 'no fields',
    json: hasFields ? /^application\/json\b/i.test(request.headers['content-type'] ?? '') : 'no body',
  };
}

/** The approval every contract test drives through imhub and the SDK, with the platform's user-id style (`ou_`, `ding_`). */
export const contractSpec = (userPrefix: string) => ({
  approvalId: 'apr_01JZ8Q3V7W2X9Y4Z5A6B7C8D9E',
  title: 'Deploy v42 to production',
  content: 'Change 1234',
  requester: `${userPrefix}requester`,
  stages: [
    { mode: 'any' as const, approvers: [`${userPrefix}ada`] },
    { mode: 'all' as const, approvers: [`${userPrefix}ada`, `${userPrefix}bob`] },
  ],
  locale: 'zh-CN' as const,
});

/** The message every contract test sends. */
export const contractMessage = (userPrefix: string) => ({
  title: 'Deploy finished',
  text: 'build 42 is live',
  level: 'success' as const,
  links: [{ title: 'Open', url: 'https://ci.example.com/42' }],
  mentions: { userIds: [`${userPrefix}ada`], all: false },
});

/**
 * A local server that plays a platform for contract tests: records every request and answers with
 * what `answerFor` returns for it (undefined: 404 with `notFound`). `sentTo` gives the requests an
 * action made to one path (clients fetch a token first when they have none).
 */
export async function startRecordingServer(answerFor: (request: Recorded) => unknown, notFound: unknown) {
  const recorded: Recorded[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const seen = { method: request.method ?? '', url: new URL(request.url ?? '/', 'http://127.0.0.1'), headers: request.headers, text: Buffer.concat(chunks).toString('utf8') };
      recorded.push(seen);
      const answer = answerFor(seen);
      response.writeHead(answer === undefined ? 404 : 200, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(answer ?? notFound));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    recorded,
    async sentTo(path: string, act: () => Promise<unknown>, method?: string): Promise<Recorded[]> {
      const from = recorded.length;
      await act();
      return recorded.slice(from).filter((request) => request.url.pathname === path && (method === undefined || request.method === method));
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
