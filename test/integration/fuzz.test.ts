import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../lib/http/routes.ts';
import { validCredentials, variants } from '../support/fixtures.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.stop());

const headerText = fc.string({ unit: fc.constantFrom(...' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~'), maxLength: 80 });

/** Bodies from nonsense to almost-valid: a valid create body with one field replaced by anything. */
const bodyArb = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 3 }),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc
    .tuple(fc.constantFrom(...variants), fc.constantFrom('provider', 'kind', 'name', 'credentials', 'apiBaseUrl', 'extra'), fc.jsonValue({ maxDepth: 2 }))
    .map(([variant, field, value]) => {
      const [provider, kind] = variant.split('/');
      return JSON.stringify({ provider, kind, name: `fuzz ${Math.random()}`, credentials: validCredentials[variant], [field]: value });
    }),
  fc
    .tuple(fc.constantFrom('integrationId', 'title', 'requester', 'stages', 'timeoutSeconds', 'onTimeout', 'webhook', 'notify', 'extra'), fc.jsonValue({ maxDepth: 3 }))
    .map(([field, value]) =>
      JSON.stringify({
        integrationId: 'int_missing',
        title: 'Deploy',
        requester: { email: 'dev@example.com' },
        stages: [{ mode: 'all', approvers: [{ userId: 'u1' }] }],
        [field]: value,
      }),
    ),
  fc
    .tuple(fc.constantFrom('integrationId', 'to', 'message', 'idempotencyKey', 'extra'), fc.jsonValue({ maxDepth: 3 }))
    .map(([field, value]) => JSON.stringify({ integrationId: 'int_missing', to: { chatIds: ['oc_1'] }, message: { text: 'hi', mentions: [{ all: true }] }, [field]: value })),
  fc
    .tuple(fc.constantFrom(...variants), fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 2 }))
    .map(([variant, field, value]) => JSON.stringify({ credentials: { ...validCredentials[variant], [field]: value } })),
);

const requestArb = fc.record({
  route: fc.constantFrom(...allRoutes),
  method: fc.option(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'), { nil: undefined }),
  pathValue: fc.oneof(fc.string({ maxLength: 300 }), fc.constant('int_missing'), fc.string({ unit: 'binary', maxLength: 40 })),
  query: fc.dictionary(fc.constantFrom('limit', 'cursor', 'x', 'status'), fc.string({ maxLength: 40 }), { maxKeys: 3 }),
  body: bodyArb,
  authorization: fc.oneof(fc.constant('admin'), fc.constant(undefined), headerText, headerText.map((text) => `Bearer ${text}`)),
  contentType: fc.option(fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data'), {
    nil: undefined,
  }),
});

describe('fuzzing every route', () => {
  it('never answers 5xx, and a rejected request stores nothing', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(requestArb, async (request) => {
        const path = request.route.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(request.pathValue));
        const query = new URLSearchParams(request.query).toString();
        const before = JSON.stringify(await api.scan());
        const response = await fetch(`${api.runtime.url}${path}${query ? `?${query}` : ''}`, {
          method: request.method ?? request.route.method,
          headers: {
            ...(request.authorization === 'admin'
              ? { authorization: `Bearer ${api.adminToken}` }
              : request.authorization === undefined
                ? {}
                : { authorization: request.authorization }),
            ...(request.contentType ? { 'content-type': request.contentType } : {}),
          },
          ...(request.body !== undefined && (request.method ?? request.route.method) !== 'GET' ? { body: request.body } : {}),
        });
        const text = await response.text();
        seen.add(response.status);
        expect(response.status, `${request.method ?? request.route.method} ${path}: ${text}`).toBeLessThan(500);
        if (response.status >= 400) {
          expect(JSON.parse(text).error.message).toEqual(expect.any(String));
          expect(JSON.stringify(await api.scan())).toBe(before);
        }
      }),
      { numRuns: 300 },
    );
    // The inputs reach past the gates: some requests succeed, and each kind of refusal occurs.
    expect([...seen].filter((status) => status < 300).length).toBeGreaterThan(0);
    for (const status of [400, 401, 404, 405]) expect(seen).toContain(status);
  }, 120_000);
});
