import type { IncomingHttpHeaders } from 'node:http';

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
