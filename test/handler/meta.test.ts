import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/meta.ts';
import { allRoutes, routes } from '../../lib/http/routes.ts';
import { apiEvent, lambdaContext } from '../support/events.ts';

describe('meta function', () => {
  it('answers /healthz without a key', async () => {
    const response = await handler(apiEvent('GET', '/healthz'), lambdaContext());
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body!)).toEqual({ status: 'ok' });
  });

  it('serves an OpenAPI 3.1 document that documents every route in the table', async () => {
    const response = await handler(apiEvent('GET', '/v1/openapi.json'), lambdaContext());
    const document = JSON.parse(response.body!);
    expect(document.openapi).toBe('3.1.0');
    const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(allRoutes.map((route) => `${route.method} ${route.path}`).sort());
  });

  it('documents each provider and kind of credentials, and marks secured routes', async () => {
    const document = JSON.parse((await handler(apiEvent('GET', '/v1/openapi.json'), lambdaContext())).body!);
    const create = document.paths['/v1/integrations'].post;
    const body = create.requestBody.content['application/json'].schema;
    expect(body).toEqual({ $ref: '#/components/schemas/IntegrationCreate' });
    const variants = document.components.schemas.IntegrationCreate.anyOf;
    expect(variants).toHaveLength(8);
    const wecom = variants.find((variant: any) => variant.properties.provider.const === 'wecom' && variant.properties.kind.const === 'app');
    expect(wecom.properties.credentials.required).toEqual(['corpId', 'agentId', 'secret', 'token', 'encodingAesKey']);
    expect(create.responses['401']).toBeDefined();
    expect(document.paths['/healthz'].get.security).toEqual([]);
  });

  it('serves the document with its examples and the approval webhook', async () => {
    const document = JSON.parse((await handler(apiEvent('GET', '/v1/openapi.json'), lambdaContext())).body!);
    expect(document.paths['/v1/approvals'].post.requestBody.content['application/json'].example.integrationId).toMatch(/^int_/);
    expect(document.webhooks.approvalEnded.post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ApprovalWebhook' });
    expect(routes.openapi.success.schema!.safeParse(document).error).toBeUndefined();
  });

  it('answers $default with 405 and Allow for a known path under another method', async () => {
    const response = await handler(apiEvent('DELETE', '/v1/integrations', { routeKey: '$default' }), lambdaContext());
    expect(response.statusCode).toBe(405);
    expect(response.headers!.allow).toBe('POST, GET');
  });

  it('answers $default with 404 for an unknown path', async () => {
    const response = await handler(apiEvent('GET', '/v2/anything', { routeKey: '$default' }), lambdaContext());
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body!).error.code).toBe('not_found');
  });
});
