import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSecretSealer } from '../../lib/secrets/local-sealer.ts';
import { knownBotTokens, knownSecrets, validCredentials, type Variant, variants } from '../support/fixtures.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.stop());

const create = (variant: Variant, name: string = `${variant} ${Math.random()}`) => {
  const [provider, kind] = variant.split('/');
  return api.call('POST', '/v1/integrations', { body: { provider, kind, name, credentials: validCredentials[variant] } });
};

/** Opens the sealed secrets of a stored item with the local key, as only the service may. */
async function storedSecrets(id: string): Promise<Record<string, string>> {
  const item = (await api.scan()).find((candidate) => candidate.pk === `INT#${id}`)!;
  const sealer = LocalSecretSealer.fromKeyFile(process.env.IMHUB_LOCAL_KEY_FILE!);
  return JSON.parse(await sealer.open(item.sealedSecrets as string, { integrationId: id }));
}

describe('integrations lifecycle for every provider and kind', () => {
  it.each(variants)('%s: create, read, list, update, delete', async (variant) => {
    // Create
    const created = await create(variant, `lifecycle ${variant}`);
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;
    expect(id).toMatch(/^int_/);
    expect(created.body.callbackUrl).toBe(variant.endsWith('/app') ? `${api.runtime.url}/v1/callbacks/${id}` : null);

    // Read and list
    const read = await api.call('GET', `/v1/integrations/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    const listed = await api.call('GET', '/v1/integrations?limit=100');
    expect(listed.body.items.map((item: { id: string }) => item.id)).toContain(id);

    // Update: rename and replace one secret; the other secrets stay as they were
    const secretField = variant.endsWith('/webhook') ? 'secret' : variant.startsWith('wecom') ? 'secret' : 'appSecret';
    const before = await storedSecrets(id);
    const patched = await api.call('PATCH', `/v1/integrations/${id}`, {
      body: { name: `renamed ${variant}`, credentials: { [secretField]: 'REPLACED-SECRET-VALUE-0123456789' } },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ name: `renamed ${variant}`, version: 2, credentialVersion: 2 });
    expect(patched.body.credentials[secretField]).toBe('(secret, …6789)');
    const after = await storedSecrets(id);
    expect(after).toEqual({ ...before, [secretField]: 'REPLACED-SECRET-VALUE-0123456789' });

    // Delete
    expect((await api.call('DELETE', `/v1/integrations/${id}`)).status).toBe(204);
    const gone = await api.call('GET', `/v1/integrations/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.message).toBe(`integration ${id} does not exist`);
    expect((await api.scan()).filter((item) => JSON.stringify(item).includes(id))).toEqual([]);
  });
});

describe('secrets at rest', () => {
  it('stores only ciphertext: no secret appears anywhere in the raw items', async () => {
    for (const variant of variants) expect((await create(variant)).status).toBe(201);
    const raw = JSON.stringify(await api.scan());
    for (const secret of [...knownSecrets, ...knownBotTokens]) expect(raw).not.toContain(secret);
    const items = (await api.scan()).filter((item) => item.sk === 'INT');
    expect(items.length).toBeGreaterThanOrEqual(variants.length);
    for (const item of items) expect(item.sealedSecrets).toMatch(/^local\.v1\./);
  });

  it('a PATCH that changes no credential keeps the credential version', async () => {
    const { body } = await create('lark/app');
    const patched = await api.call('PATCH', `/v1/integrations/${body.id}`, { body: { credentials: { appId: body.credentials.appId } } });
    expect(patched.body).toMatchObject({ version: 2, credentialVersion: 1 });
  });

  it('a PATCH can remove an optional secret with null, but not a required one', async () => {
    const { body } = await create('feishu/app');
    const removed = await api.call('PATCH', `/v1/integrations/${body.id}`, { body: { credentials: { encryptKey: null } } });
    expect(removed.status).toBe(200);
    expect(removed.body.credentials.encryptKey).toBeUndefined();
    const refused = await api.call('PATCH', `/v1/integrations/${body.id}`, { body: { credentials: { appSecret: null } } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([{ path: 'credentials.appSecret', message: 'appSecret is required' }]);
  });
});

describe('names are unique', () => {
  it('refuses a duplicate name regardless of case with 409', async () => {
    expect((await create('feishu/app', 'Release Bot')).status).toBe(201);
    const duplicate = await create('wecom/webhook', '  release bot ');
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error).toMatchObject({ code: 'name_taken', message: expect.stringContaining('already exists') });
  });

  it('frees the old name on rename and refuses renaming onto a taken name', async () => {
    const a = (await create('dingtalk/app', 'name-a')).body;
    await create('dingtalk/app', 'name-b');
    expect((await api.call('PATCH', `/v1/integrations/${a.id}`, { body: { name: 'NAME-B' } })).status).toBe(409);
    expect((await api.call('PATCH', `/v1/integrations/${a.id}`, { body: { name: 'name-c' } })).status).toBe(200);
    expect((await create('lark/app', 'name-a')).status).toBe(201);
  });

  it('gives exactly one of many concurrent creates with the same name', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => create('wecom/app', 'racing name')));
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    const locks = (await api.scan()).filter((item) => item.pk === 'INTNAME#racing name');
    expect(locks).toHaveLength(1);
  });

  it('lets concurrent PATCHes of one version win once each version, losers get 409, no name lock is orphaned', async () => {
    const { body } = await create('feishu/webhook', 'patch race');
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, index) => api.call('PATCH', `/v1/integrations/${body.id}`, { body: { name: `patch race ${index}` } })),
    );
    const wins = answers.filter((answer) => answer.status === 200).length;
    expect(wins).toBeGreaterThanOrEqual(1);
    expect(answers.every((answer) => answer.status === 200 || answer.status === 409)).toBe(true);
    const final = (await api.call('GET', `/v1/integrations/${body.id}`)).body;
    expect(final.version).toBe(1 + wins);
    const locks = (await api.scan()).filter((item) => item.integrationId === body.id);
    expect(locks.map((lock) => lock.pk)).toEqual([`INTNAME#${final.name}`]);
  });
});

describe('listing', () => {
  it('pages through every integration exactly once with an opaque cursor', async () => {
    for (let index = 0; index < 5; index += 1) await create('lark/webhook');
    const total = (await api.scan()).filter((item) => item.sk === 'INT').length;
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.call('GET', `/v1/integrations?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((item: { id: string }) => item.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
  });

  it.each([
    ['limit=0', 'query string is invalid: limit: limit must be a whole number from 1 to 100'],
    ['limit=abc', 'query string is invalid: limit: limit must be a whole number from 1 to 100'],
    ['cursor=garbage', 'cursor is invalid: pass the nextCursor of the previous page unchanged'],
    ['colour=red', 'query string is invalid: unknown field "colour": remove it'],
  ])('answers ?%s with 400', async (query, message) => {
    const answer = await api.call('GET', `/v1/integrations?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toBe(message);
  });
});

describe('API keys and scopes', () => {
  it('returns a key once, lists keys without it, and enforces scopes and revocation', async () => {
    const created = await api.call('POST', '/v1/api-keys', { body: { name: 'ci reader', scopes: ['read'] } });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect(key).toMatch(/^imh_/);

    const listed = await api.call('GET', '/v1/api-keys');
    // The secret is everything after `imh_<id>_` (it may itself contain "_").
    const secret = key.slice(`imh_${created.body.id}_`.length);
    expect(secret).toHaveLength(43);
    expect(listed.text).not.toContain(secret);
    expect(listed.text).not.toContain('secretHash');
    expect(listed.body.items.map((item: { id: string }) => item.id)).toContain(created.body.id);

    expect((await api.call('GET', '/v1/integrations', { token: key })).status).toBe(200);
    const forbidden = await api.call('POST', '/v1/integrations', {
      token: key,
      body: { provider: 'lark', name: 'nope', credentials: validCredentials['lark/app'] },
    });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.message).toContain('integrations:write');
    expect((await api.call('GET', '/v1/api-keys', { token: key })).status).toBe(403);

    const revoked = await api.call('DELETE', `/v1/api-keys/${created.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    const refused = await api.call('GET', '/v1/integrations', { token: key });
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toBe('this API key was revoked or has expired');
  });

  it('lets an integrations:write key manage integrations but not keys', async () => {
    const { body } = await api.call('POST', '/v1/api-keys', { body: { name: 'writer', scopes: ['integrations:write'] } });
    const made = await api.call('POST', '/v1/integrations', {
      token: body.key,
      body: { provider: 'wecom', kind: 'webhook', name: 'writer bot', credentials: validCredentials['wecom/webhook'] },
    });
    expect(made.status).toBe(201);
    expect((await api.call('POST', '/v1/api-keys', { token: body.key, body: { name: 'x', scopes: ['admin'] } })).status).toBe(403);
  });

  it('refuses an expired key', async () => {
    const { body } = await api.call('POST', '/v1/api-keys', { body: { name: 'old', scopes: ['read'], expiresAt: '2020-01-01T00:00:00Z' } });
    expect((await api.call('GET', '/v1/integrations', { token: body.key })).status).toBe(401);
  });

  it('answers 404 when revoking a key that does not exist', async () => {
    expect((await api.call('DELETE', '/v1/api-keys/nope')).status).toBe(404);
  });
});

describe('errors say what to fix', () => {
  const valid = { provider: 'feishu', name: 'errors', credentials: validCredentials['feishu/app'] };

  it.each([
    ['no Authorization header', null, 'missing Authorization header: send "Authorization: Bearer <api key>"'],
    ['a wrong key', 'wrong-key', 'invalid API key'],
    ['a forged imhub key', `imh_${'A'.repeat(16)}_${'b'.repeat(43)}`, 'invalid API key'],
  ])('401 for %s', async (_, token, message) => {
    const answer = await api.call('GET', '/v1/integrations', { token });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toMatchObject({ code: 'unauthorized', message });
    expect(answer.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('400 for malformed JSON, without echoing the body', async () => {
    const answer = await api.call('POST', '/v1/integrations', { rawBody: '{"name": "FEISHU-APP-SECRET-7c9e1f3a5b7d9e1f' });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('malformed_json');
    expect(answer.text).not.toContain('FEISHU-APP-SECRET');
  });

  it('400 for a missing body', async () => {
    const answer = await api.call('POST', '/v1/integrations');
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toBe('request body is required: send a JSON object');
  });

  it('400 listing each field path and its problem', async () => {
    const answer = await api.call('POST', '/v1/integrations', { body: { provider: 'wecom', name: '', credentials: { corpId: 'ww1' }, x: 1 } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual(
      expect.arrayContaining([
        { path: '', message: 'unknown field "x": remove it' },
        { path: 'name', message: 'name must not be empty' },
      ]),
    );
  });

  it('400 for a credential URL that the runtime may not call', async () => {
    const answer = await api.call('POST', '/v1/integrations', { body: { ...valid, name: 'bad base', apiBaseUrl: 'ftp://example.com' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([{ path: 'apiBaseUrl', message: 'apiBaseUrl must use https' }]);
  });

  it('413 for a body over 256 KB, and nothing stored', async () => {
    const before = (await api.scan()).length;
    const answer = await api.call('POST', '/v1/integrations', { body: { ...valid, name: 'x'.repeat(300 * 1024) } });
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('payload_too_large');
    expect((await api.scan()).length).toBe(before);
  });

  it('404 for an unknown route and for an unknown integration', async () => {
    expect((await api.call('GET', '/v1/nothing-here')).status).toBe(404);
    expect((await api.call('GET', '/v1/integrations/int_missing')).body.error.code).toBe('not_found');
  });

  it('405 with Allow for a known path under the wrong method', async () => {
    const answer = await api.call('PUT', '/v1/integrations/int_x', { body: {} });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET, PATCH, DELETE');
  });

  it('every error carries a request id that is also in the response header', async () => {
    const answer = await api.call('GET', '/v1/integrations/int_missing');
    expect(answer.body.error.requestId).toBe(answer.headers.get('x-request-id'));
  });
});
