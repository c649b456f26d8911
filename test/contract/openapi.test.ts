import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { approvalStatuses } from '../../lib/domain/approval.ts';
import { defineRoute, type RouteContract, undescribableFields } from '../../lib/http/contract.ts';
import { buildOpenApiDocument } from '../../lib/http/openapi.ts';
import { operationExamples } from '../../lib/http/openapi-examples.ts';
import { allRoutes, outboundWebhooks, routes } from '../../lib/http/routes.ts';

/*
 * What the OpenAPI document says, built from the real route table: named schemas by $ref, every
 * answer a route can give, an example of each request and answer that the route's own zod schemas
 * take, and the approval webhook. redocly's lint of the same document: openapi-lint.test.ts.
 */
const document = buildOpenApiDocument(allRoutes, { version: '1', examples: operationExamples, webhooks: outboundWebhooks }) as any;
const operationOf = (route: RouteContract) => document.paths[route.path][route.method.toLowerCase()];
const byId = (operationId: string) => allRoutes.find((route) => route.operationId === operationId)!;
const json = (response: any) => response.content['application/json'];

describe('the OpenAPI document', () => {
  it('names the API’s schemas under components.schemas and refers to them by $ref', () => {
    const schemas = document.components.schemas;
    for (const name of ['Approval', 'ApprovalCreate', 'Decision', 'Integration', 'IntegrationCreate', 'IntegrationUpdate', 'Notification', 'NotificationCreate', 'Delivery', 'Message', 'ApiKey', 'ApiKeyCreate', 'Error', 'PlatformErrorDetails', 'ValidationIssue', 'ApprovalWebhook']) {
      expect(schemas[name], name).toBeDefined();
      expect(schemas[name].description, `${name} has a description`).toEqual(expect.any(String));
    }
    expect(json(operationOf(byId('createApproval')).requestBody).schema).toEqual({ $ref: '#/components/schemas/ApprovalCreate' });
    expect(json(operationOf(byId('getApproval')).responses['200']).schema).toEqual({ $ref: '#/components/schemas/Approval' });
    expect(json(operationOf(byId('listIntegrations')).responses['200']).schema).toEqual({ $ref: '#/components/schemas/IntegrationPage' });
    expect(schemas.IntegrationPage.properties.items.items).toEqual({ $ref: '#/components/schemas/Integration' });
    expect(schemas.Notification.properties.deliveries.items).toEqual({ $ref: '#/components/schemas/Delivery' });
    expect(schemas.NotificationCreate.properties.message).toEqual({ $ref: '#/components/schemas/Message' });
    expect(schemas.Approval.properties.decisions.items).toEqual({ $ref: '#/components/schemas/Decision' });
    // A field's description in zod is the property's description.
    expect(schemas.Delivery.properties.truncated.description).toMatch(/cut/);
    // Request fields of domain schemas, described in routes.ts.
    expect(undescribableFields).toEqual([]);
    expect(schemas.ApprovalCreate.properties.notify.description).toMatch(/notifications:send/);
    expect(schemas.Message.properties.level.description).toMatch(/info, success, warning or error/);
  });

  it('leaves no $ref dangling', () => {
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of new Set(refs)) {
      const name = /#\/components\/schemas\/([^"]+)"/.exec(ref)?.[1];
      expect(name, ref).toBeDefined();
      expect(document.components.schemas[name!], ref).toBeDefined();
    }
  });

  it('documents the 201 of an idempotent create and its 200 replay, with the same schema', () => {
    for (const operationId of ['createApproval', 'createNotification']) {
      const { responses } = operationOf(byId(operationId));
      expect(Object.keys(responses), operationId).toEqual(expect.arrayContaining(['200', '201']));
      expect(responses['200'].description).toMatch(/idempotencyKey/);
      expect(json(responses['200']).schema).toEqual(json(responses['201']).schema);
    }
    expect(operationOf(byId('createIntegration')).responses['200']).toBeUndefined();
  });

  it('lists the platform’s failures (422, 502) where the platform is called during the request, with its code in details', () => {
    for (const operationId of ['createApproval', 'createNotification', 'verifyIntegration']) {
      const { responses } = operationOf(byId(operationId));
      expect(Object.keys(responses), operationId).toEqual(expect.arrayContaining(['422', '502', '504']));
      const example = Object.values(json(responses['502']).examples as Record<string, { value: any }>)[0]!.value;
      expect(example.error.details).toEqual({ platform: expect.any(String), platformCode: expect.anything(), platformMessage: expect.any(String) });
    }
    const refused = Object.values(json(operationOf(byId('verifyIntegration')).responses['422']).examples as Record<string, { value: any }>)[0]!.value;
    expect(refused.error).toMatchObject({ code: 'verification_failed', details: { platform: 'feishu', platformCode: 10014 } });
    expect(Object.keys(operationOf(byId('cancelApproval')).responses)).toEqual(expect.arrayContaining(['409', '502']));
    for (const operationId of ['getApproval', 'listIntegrations', 'getNotification', 'createApiKey']) {
      expect(Object.keys(operationOf(byId(operationId)).responses), operationId).not.toContain('502');
      expect(Object.keys(operationOf(byId(operationId)).responses), operationId).not.toContain('422');
    }
    const details = document.components.schemas.Error.properties.error.properties.details;
    expect(JSON.stringify(details)).toContain('#/components/schemas/PlatformErrorDetails');
    expect(JSON.stringify(details)).toContain('#/components/schemas/ValidationIssue');
  });

  it('derives 400, 401, 403, 404 and 413 from the route’s shape, and every error refers to the Error schema', () => {
    for (const route of allRoutes) {
      const statuses = Object.keys(operationOf(route).responses);
      const keyed = route.auth !== 'public';
      expect(statuses.includes('401'), `${route.operationId} 401`).toBe(keyed || route.group === 'callbacks');
      expect(statuses.includes('403'), `${route.operationId} 403`).toBe(keyed);
      expect(statuses.includes('404'), `${route.operationId} 404`).toBe(Boolean(route.params));
      expect(statuses.includes('413'), `${route.operationId} 413`).toBe(Boolean(route.body) || route.operationId === 'receiveCallback');
      expect(statuses.includes('400'), `${route.operationId} 400`).toBe(Boolean(route.params || route.query || route.body));
      if (route.params || route.query || route.body || keyed) expect(statuses.some((status) => status.startsWith('4')), route.operationId).toBe(true);
      for (const status of statuses.filter((status) => Number(status) >= 400)) {
        expect(json(operationOf(route).responses[status]).schema, `${route.operationId} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
      }
    }
    expect(Object.keys(operationOf(byId('createApproval')).responses['409'].content['application/json'].examples)).toContain('idempotency_conflict');
  });

  it('has a request and a response example for each operation, and the route’s own schemas take them', () => {
    for (const route of allRoutes) {
      const examples = operationExamples[route.operationId];
      expect(examples, route.operationId).toBeDefined();
      const operation = operationOf(route);
      if (route.body) {
        expect(route.body.safeParse(examples!.body).error, route.operationId).toBeUndefined();
        expect(json(operation.requestBody).example).toEqual(examples!.body);
      }
      if (route.params) {
        expect(route.params.safeParse(examples!.params).error, route.operationId).toBeUndefined();
        for (const parameter of operation.parameters.filter((p: any) => p.in === 'path')) expect(parameter.example, `${route.operationId} ${parameter.name}`).toBeDefined();
      }
      if (route.query && examples!.query) expect(route.query.safeParse(examples!.query).error, route.operationId).toBeUndefined();
      if (route.success.schema) {
        expect(route.success.schema.safeParse(examples!.response).error, route.operationId).toBeUndefined();
        expect(json(operation.responses[String(route.success.status)]).example).toEqual(examples!.response);
      }
    }
    // No example carries what looks like a real secret.
    expect(JSON.stringify(operationExamples)).not.toMatch(/"(appSecret|secret|encryptKey)":"(?!EXAMPLE|\(secret)/);
  });

  it('describes the webhook imhub posts when an approval ends, its signature headers and how to verify them', () => {
    const post = document.webhooks.approvalEnded.post;
    expect(post.parameters.map((p: any) => `${p.in} ${p.name}`)).toEqual(['header X-Imhub-Signature', 'header X-Imhub-Timestamp', 'header X-Imhub-Delivery']);
    expect(post.description).toMatch(/HMAC-SHA256/);
    expect(post.description).toMatch(/X-Imhub-Timestamp \+ "\." \+ <raw body>/);
    expect(json(post.requestBody).schema).toEqual({ $ref: '#/components/schemas/ApprovalWebhook' });
    const body = document.components.schemas.ApprovalWebhook;
    expect(body.properties.approval).toEqual({ $ref: '#/components/schemas/Approval' });
    expect(body.properties.type.enum).toEqual(approvalStatuses.filter((status) => status !== 'pending').map((status) => `approval.${status}`));
    expect(outboundWebhooks[0]!.body.safeParse(json(post.requestBody).example).error).toBeUndefined();
  });

  it('builds any route shaped like the table’s, a page (text/html) answer included', () => {
    // The console's page as the table has it; a made-up route with a platform error beside it.
    const page = routes.console;
    const setup = defineRoute({
      operationId: 'getIntegrationSetup',
      method: 'GET',
      path: '/v1/integrations/{id}/setup',
      group: 'integrations',
      auth: ['read'],
      tag: 'integrations',
      summary: 'The setup check',
      params: z.strictObject({ id: z.string() }),
      success: { status: 200, description: 'The check', schema: z.object({ ok: z.boolean().describe('all passed') }) },
      errors: { 502: { description: 'The platform failed', codes: ['provider_error'] } },
    });
    const built = buildOpenApiDocument([page, setup], { version: '1', examples: { getConsole: { response: '<!doctype html><title>imhub</title>' } } }) as any;
    expect(built.paths['/console'].get.responses['200'].content['text/html']).toEqual({ schema: { type: 'string' }, example: '<!doctype html><title>imhub</title>' });
    expect(built.paths['/console'].get.security).toEqual([]);
    const check = built.paths['/v1/integrations/{id}/setup'].get;
    expect(Object.keys(check.responses)).toEqual(['200', '400', '401', '403', '404', '500', '502', '503']);
    expect(check.responses['200'].content['application/json'].schema.properties.ok.description).toBe('all passed');
  });
});
