import * as z from 'zod';
import { errorBody, type RouteContract, type RouteError } from './contract.ts';

/**
 * The OpenAPI 3.1 document, built from the route table and the zod schemas the handlers validate
 * with. A schema named with `named(schema, id)` becomes `components.schemas.<id>` and is referenced
 * by `$ref`; every answer a route can give comes from its shape (input → 400, key → 401/403, id in
 * the path → 404, body → 413) and its `errors`. `test/contract/openapi-lint.test.ts` runs
 * `redocly lint` (redocly.yaml) on the document built from the real table.
 */

/** Request and response examples of one operation, checked against its schemas by the tests. */
export interface OperationExamples {
  params?: Record<string, string>;
  query?: Record<string, unknown>;
  body?: unknown;
  /** The success body (for a text success, its text). */
  response?: unknown;
}

/** A request imhub sends to the caller's URL (OpenAPI 3.1 `webhooks`). */
export interface OutboundWebhook {
  name: string;
  operationId: string;
  summary: string;
  description: string;
  headers: readonly { name: string; description: string; example: string }[];
  body: z.ZodType;
  example: unknown;
  responses: Record<string, string>;
}

export interface OpenApiOptions {
  version: string;
  /** The API's base URL; without it the document names the host that served it (`/`). */
  serverUrl?: string;
  examples?: Readonly<Record<string, OperationExamples>>;
  webhooks?: readonly OutboundWebhook[];
}

type Json = Record<string, unknown>;

const tagDescriptions: Record<string, string> = {
  meta: 'Health and this document',
  integrations: 'Apps and group bots of Feishu, Lark, DingTalk and WeCom',
  'api-keys': 'Scoped keys for this API (admin only)',
  approvals: 'Approvals in the platform’s approval app or on cards in the chat',
  notifications: 'Messages to chats, people or a bot’s group',
  callbacks: 'Where the platforms post their events (signed by the platform, no API key)',
  console: 'The web console',
};

/** What each implied error means, and an example message per code. */
const errorMessages: Record<string, string> = {
  validation_failed: 'request body is invalid: title: title is required',
  malformed_json: 'request body is not valid JSON (error at character 12): send a JSON object',
  body_required: 'request body is required: send a JSON object',
  unauthorized: 'missing Authorization header: send "Authorization: Bearer <api key>"',
  forbidden: 'this API key lacks the scope for this route',
  not_found: 'the resource does not exist',
  payload_too_large: 'request body is 300000 bytes; the limit is 262144 bytes (256 KB)',
  internal: 'internal error; quote the request id when reporting it',
  store_unavailable: 'the store is busy; repeat the request after Retry-After seconds',
  verification_failed: 'feishu refused these credentials: code 10014, "app secret invalid". Check the app credentials (and trusted IPs for WeCom).',
  too_many_requests: 'this group bot has sent as many messages as the platform allows for now; it can take one again in 42 s',
};

const errorRef = { $ref: '#/components/schemas/Error' };
const requestIdHeader = { 'X-Request-Id': { description: 'The request’s id, also in error bodies', schema: { type: 'string' } } };

/** Turns zod schemas into OpenAPI schemas, gathering each named one into `components.schemas` once. */
class SchemaCollector {
  readonly components: Record<string, Json> = {};

  toSchema(schema: z.ZodType): Json {
    const { $schema: _dialect, $defs, ...root } = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io: 'input',
      unrepresentable: 'any',
      // `anyOf: [{}, {type: "null"}]` (unknown or null) says nothing `{}` does not.
      override: ({ jsonSchema }) => {
        const members = jsonSchema.anyOf;
        if (Array.isArray(members) && members.some((member) => typeof member === 'object' && Object.keys(member).length === 0)) delete jsonSchema.anyOf;
      },
    }) as Json & { $defs?: Record<string, Json> };
    for (const [id, definition] of Object.entries($defs ?? {})) {
      if (id.startsWith('__schema')) throw new Error(`a schema without an id had to be extracted (a cycle?): name it with named()`);
      const body = withComponentRefs(definition) as Json;
      const existing = this.components[id];
      if (existing && JSON.stringify(existing) !== JSON.stringify(body)) throw new Error(`the schema id "${id}" names two different schemas`);
      this.components[id] = body;
    }
    return withComponentRefs(root) as Json;
  }
}

function withComponentRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withComponentRefs);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) =>
      key === '$ref' && typeof inner === 'string' && inner.startsWith('#/$defs/') ? [key, `#/components/schemas/${inner.slice('#/$defs/'.length)}`] : [key, withComponentRefs(inner)],
    ),
  );
}

function parameters(route: RouteContract, schemas: SchemaCollector, examples: OperationExamples | undefined) {
  const list: Json[] = [];
  for (const [where, schema, given] of [
    ['path', route.params, examples?.params],
    ['query', route.query, examples?.query],
  ] as const) {
    if (!schema) continue;
    const object = schemas.toSchema(schema) as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, property] of Object.entries(object.properties ?? {})) {
      const { description, ...rest } = property;
      list.push({
        name,
        in: where,
        required: where === 'path' || (object.required ?? []).includes(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
        ...(given && name in given ? { example: given[name] } : {}),
      });
    }
  }
  return list;
}

/** What the platform said, by the status imhub answers with: examples of `PlatformErrorDetails`. */
const platformDetails: Record<number, Json> = {
  422: { platform: 'feishu', platformCode: 'user_not_found', platformMessage: 'no feishu user visible to this app has han.meimei@example.com' },
  429: { platform: 'feishu', platformCode: 99991400, platformMessage: 'request trigger frequency limit' },
  502: { platform: 'feishu', platformCode: 99991663, platformMessage: 'tenant access token invalid' },
  504: { platform: 'feishu', platformCode: 'timeout', platformMessage: 'no answer within 10 s' },
};

/** An example error body for `code`: validation and platform errors show their `details`. */
function errorExample(code: string, status: number): Json {
  const details =
    code === 'validation_failed'
      ? [{ path: 'title', message: 'title is required' }]
      : code === 'verification_failed'
        ? { platform: 'feishu', platformCode: 10014, platformMessage: 'app secret invalid' }
        : code === 'provider_error'
          ? platformDetails[status]
          : undefined;
  const message =
    code === 'provider_error' && details && !Array.isArray(details)
      ? details.platformCode === 'timeout'
        ? `${details.platform} could not be reached: ${details.platformMessage}`
        : `${details.platform} answered with code ${details.platformCode}: ${details.platformMessage}`
      : (errorMessages[code] ?? code.replaceAll('_', ' '));
  return { error: { code, message, ...(details ? { details } : {}), requestId: 'req_4f1c2b7e9a' } };
}

/** The errors a route's shape implies, merged with those it lists. */
function errorsOf(route: RouteContract): [string, RouteError][] {
  const keyed = route.auth !== 'public';
  const implied: Record<number, RouteError | undefined> = {
    400:
      route.params || route.query || route.body
        ? { description: 'Invalid input: details names every field and what is wrong with it', codes: ['validation_failed', ...(route.body ? ['malformed_json', 'body_required'] : [])] }
        : undefined,
    401: keyed ? { description: 'Missing, unknown, revoked or expired API key', codes: ['unauthorized'] } : undefined,
    403: keyed ? { description: `The API key has none of the scopes ${['admin', ...(route.auth as readonly string[])].filter((s, i, all) => all.indexOf(s) === i).join(', ')}`, codes: ['forbidden'] } : undefined,
    404: route.params ? { description: 'Nothing has this id', codes: ['not_found'] } : undefined,
    413: route.body ? { description: 'The body is over 256 KB', codes: ['payload_too_large'] } : undefined,
    500: { description: 'An unexpected error; the body reveals nothing but the request id', codes: ['internal'] },
    503: route.group === 'meta' ? undefined : { description: 'The store is busy for now: repeat after Retry-After seconds', codes: ['store_unavailable'] },
  };
  const merged = new Map<number, RouteError>();
  for (const [status, error] of Object.entries(implied)) if (error) merged.set(Number(status), error);
  for (const [status, error] of Object.entries(route.errors ?? {})) {
    if (!error) continue;
    const before = merged.get(Number(status));
    merged.set(
      Number(status),
      before ? { description: `${before.description}. Also: ${error.description}`, codes: [...new Set([...before.codes, ...error.codes])] } : error,
    );
  }
  return [...merged.entries()].sort(([a], [b]) => a - b).map(([status, error]) => [String(status), error]);
}

const errorHeaders: Record<string, Json> = {
  '401': { 'WWW-Authenticate': { description: 'Bearer realm="imhub"', schema: { type: 'string' } } },
  '429': { 'Retry-After': { description: 'Seconds to wait before repeating the request', schema: { type: 'integer' } } },
  '503': { 'Retry-After': { description: 'Seconds to wait before repeating the request', schema: { type: 'integer' } } },
};

function errorResponses(route: RouteContract) {
  return Object.fromEntries(
    errorsOf(route).map(([status, error]) => [
      status,
      {
        description: error.codes.length > 1 || status === '502' || status === '422' ? `${error.description} (error.code: ${error.codes.join(', ')})` : error.description,
        headers: { ...requestIdHeader, ...errorHeaders[status] },
        content: {
          'application/json': {
            schema: errorRef,
            examples: Object.fromEntries(error.codes.map((code) => [code, { summary: code, value: errorExample(code, Number(status)) }])),
          },
        },
      },
    ]),
  );
}

function successResponses(route: RouteContract, schemas: SchemaCollector, examples: OperationExamples | undefined) {
  const { status, description, schema, contentType = 'application/json', replay } = route.success;
  const content =
    status === 204
      ? undefined
      : schema || contentType !== 'application/json'
        ? {
            [contentType]: {
              schema: schema ? schemas.toSchema(schema) : { type: 'string' },
              ...(examples?.response !== undefined ? { example: examples.response } : {}),
            },
          }
        : undefined;
  const answer = (text: string) => ({ description: text, headers: requestIdHeader, ...(content ? { content } : {}) });
  return { [String(status)]: answer(description), ...(replay ? { '200': answer(replay) } : {}) };
}

/** The first sentence is the summary; the whole text, when longer, the description. */
function summaryOf(text: string) {
  const end = text.search(/[.:;](\s|$)/);
  const summary = end > 0 && end < 100 ? text.slice(0, end) : text.length <= 100 ? text : `${text.slice(0, 98).replace(/[\s(,]+\S*$/, '')}…`;
  return summary === text ? { summary } : { summary, description: text };
}

function webhookOperation(webhook: OutboundWebhook, schemas: SchemaCollector) {
  return {
    post: {
      operationId: webhook.operationId,
      summary: webhook.summary,
      description: webhook.description,
      tags: ['approvals'],
      security: [],
      parameters: webhook.headers.map((header) => ({ name: header.name, in: 'header', required: true, description: header.description, schema: { type: 'string' }, example: header.example })),
      requestBody: { required: true, content: { 'application/json': { schema: schemas.toSchema(webhook.body), example: webhook.example } } },
      responses: Object.fromEntries(Object.entries(webhook.responses).map(([status, description]) => [status, { description }])),
    },
  };
}

/** The OpenAPI 3.1 document, built from the same route table and zod schemas the handlers validate with. */
export function buildOpenApiDocument(routes: readonly RouteContract[], options: OpenApiOptions) {
  const schemas = new SchemaCollector();
  schemas.toSchema(errorBody);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const examples = options.examples?.[route.operationId];
    const bodySchema = route.bodyDoc ?? route.body;
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      operationId: route.operationId,
      ...summaryOf(route.summary),
      tags: [route.tag],
      ...(route.auth === 'public' ? { security: [] } : { 'x-imhub-scopes': ['admin', ...route.auth].filter((s, i, all) => all.indexOf(s) === i) }),
      parameters: parameters(route, schemas, examples),
      ...(bodySchema
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schemas.toSchema(bodySchema), ...(examples?.body !== undefined ? { example: examples.body } : {}) } },
            },
          }
        : {}),
      responses: { ...successResponses(route, schemas, examples), ...errorResponses(route) },
    };
  }
  const webhooks = Object.fromEntries((options.webhooks ?? []).map((webhook) => [webhook.name, webhookOperation(webhook, schemas)]));
  const tags = [...new Set(routes.map((route) => route.tag))].map((name) => ({ name, description: tagDescriptions[name] ?? `Operations on ${name}` }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'imhub',
      version: options.version,
      description:
        'Manual approvals and notifications through Feishu, Lark, DingTalk and WeCom. Every route but the public ones takes an API key as `Authorization: Bearer imh_…`; each operation names the scopes that pass in `x-imhub-scopes`.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [options.serverUrl ? { url: options.serverUrl, description: 'This deployment' } : { url: '/', description: 'The host that served this document' }],
    security: [{ bearer: [] }],
    tags,
    paths,
    ...(Object.keys(webhooks).length ? { webhooks } : {}),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An imhub API key, `imh_…`, made by POST /v1/api-keys or the bootstrap key' } },
      schemas: Object.fromEntries(Object.entries(schemas.components).sort(([a], [b]) => a.localeCompare(b))),
    },
  };
}
