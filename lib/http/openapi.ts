import * as z from 'zod';
import { type RouteContract, errorBody } from './contract.ts';

const jsonSchema = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;

const stripDialect = ({ $schema: _ignored, ...rest }: Record<string, unknown>) => rest;

const errorStatuses: Record<string, string> = {
  '400': 'Invalid input: every field and what is wrong with it',
  '401': 'Missing or invalid API key',
  '403': 'The API key lacks the scope',
  '404': 'Not found',
  '409': 'Conflict (name taken, concurrent change)',
  '413': 'Body over 256 KB',
  '422': 'The platform refused the credentials (verify only)',
  '502': 'The platform failed or answered with an error; details carry its code',
};

function parameters(route: RouteContract) {
  const list: Record<string, unknown>[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const object = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, property] of Object.entries(object.properties ?? {})) {
      list.push({ name, in: where, required: where === 'path' || (object.required ?? []).includes(name), schema: property });
    }
  }
  return list;
}

/** The OpenAPI 3.1 document, built from the same route table and zod schemas the handlers validate with. */
export function buildOpenApiDocument(routes: readonly RouteContract[], info: { version: string; serverUrl?: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const errorRefs = Object.fromEntries(
      Object.entries(errorStatuses)
        .filter(([status]) => (status === '401' || status === '403' ? route.auth !== 'public' : status === '413' ? Boolean(route.body) : status === '422' || status === '502' ? route.operationId === 'verifyIntegration' : true))
        .map(([status, description]) => [status, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
    );
    const bodySchema = route.bodyDoc ?? route.body;
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      ...(route.auth === 'public' ? { security: [] } : { 'x-imhub-scopes': ['admin', ...route.auth] }),
      parameters: parameters(route),
      ...(bodySchema ? { requestBody: { required: true, content: { 'application/json': { schema: stripDialect(jsonSchema(bodySchema)) } } } } : {}),
      responses: {
        [String(route.success.status)]: {
          description: route.success.description,
          ...(route.success.schema ? { content: { 'application/json': { schema: stripDialect(jsonSchema(route.success.schema)) } } } : {}),
        },
        ...errorRefs,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'imhub',
      version: info.version,
      description: 'Manual approvals and notifications through Feishu, Lark, DingTalk and WeCom.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An imhub API key' } },
      schemas: { Error: stripDialect(jsonSchema(errorBody)) },
    },
  };
}
