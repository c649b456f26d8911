import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validCredentials } from '../support/fixtures.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

/**
 * Red-team item 1: a key with only `integrations:write` pointed an app's apiBaseUrl at a server it
 * controls and called verify; the token fetch carried the app secret there. A secret can be replaced,
 * never read: moving apiBaseUrl takes the admin scope or every secret again in the same PATCH.
 */

interface Captured {
  method: string;
  url: string;
  body: string;
}

/** A platform stand-in answering each platform's token endpoint, recording every request it gets. */
async function startTokenServer(): Promise<{ url: string; requests: Captured[]; server: Server }> {
  const requests: Captured[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ method: request.method ?? '', url: request.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      const answer =
        path === '/open-apis/auth/v3/tenant_access_token/internal'
          ? { code: 0, msg: 'ok', tenant_access_token: 't-captured', expire: 7200 }
          : path === '/v1.0/oauth2/accessToken'
            ? { accessToken: 'captured', expireIn: 7200 }
            : { errcode: 0, errmsg: 'ok', access_token: 'captured', expires_in: 7200 };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

const apps = {
  feishu: { credentials: validCredentials['feishu/app'], secrets: ['appSecret', 'encryptKey', 'verificationToken'] },
  dingtalk: { credentials: validCredentials['dingtalk/app'], secrets: ['appSecret', 'aesKey', 'token'] },
  wecom: { credentials: validCredentials['wecom/app'], secrets: ['secret', 'token', 'encodingAesKey'] },
} as const;
type App = keyof typeof apps;

const secretValues = (app: App) => apps[app].secrets.map((field) => String((apps[app].credentials as Record<string, unknown>)[field]));
const onlySecrets = (app: App) => Object.fromEntries(apps[app].secrets.map((field) => [field, (apps[app].credentials as Record<string, unknown>)[field]]));

let api: TestApi;
let platform: Awaited<ReturnType<typeof startTokenServer>>;
let attacker: Awaited<ReturnType<typeof startTokenServer>>;
let writerKey: string;

beforeAll(async () => {
  api = await startTestApi();
  [platform, attacker] = await Promise.all([startTokenServer(), startTokenServer()]);
  const key = await api.call('POST', '/v1/api-keys', { body: { name: 'integrations writer', scopes: ['integrations:write'] } });
  expect(key.status, key.text).toBe(201);
  writerKey = key.body.key as string;
});
afterAll(async () => {
  await api?.stop();
  for (const stub of [platform, attacker]) stub?.server.close();
});

/** An app integration whose platform is the legitimate stand-in. */
async function createApp(app: App): Promise<string> {
  const created = await api.call('POST', '/v1/integrations', {
    body: { provider: app, name: `${app} ${Math.random()}`, apiBaseUrl: platform.url, credentials: apps[app].credentials },
  });
  expect(created.status, created.text).toBe(201);
  return created.body.id as string;
}

const capturedText = () => attacker.requests.map((request) => `${request.url} ${request.body}`).join('\n');

describe('apiBaseUrl and an integrations:write key', () => {
  it.each(Object.keys(apps) as App[])('%s: moving apiBaseUrl without the secrets is refused, so verify never sends a secret elsewhere', async (app) => {
    // Prepare
    const id = await createApp(app);
    attacker.requests.length = 0;

    // Act: the attack as the red-team ran it
    const patched = await api.call('PATCH', `/v1/integrations/${id}`, { token: writerKey, body: { apiBaseUrl: attacker.url } });
    const verified = await api.call('POST', `/v1/integrations/${id}/verify`, { token: writerKey });

    // Assess
    expect(patched.status, patched.text).toBe(403);
    expect(patched.body.error.message).toContain('changing apiBaseUrl needs the admin scope or the credentials again');
    expect(verified.status, verified.text).toBe(200);
    expect(attacker.requests).toEqual([]);
    for (const secret of secretValues(app)) expect(capturedText()).not.toContain(secret);
    expect((await api.call('GET', `/v1/integrations/${id}`)).body.apiBaseUrl).toBe(platform.url);
  });

  it('refuses a move that re-sends only some of the secrets', async () => {
    const id = await createApp('feishu');
    const patched = await api.call('PATCH', `/v1/integrations/${id}`, {
      token: writerKey,
      body: { apiBaseUrl: attacker.url, credentials: { appSecret: validCredentials['feishu/app'].appSecret } },
    });
    expect(patched.status, patched.text).toBe(403);
    expect(patched.body.error.message).toContain('encryptKey');
  });

  it.each(Object.keys(apps) as App[])('%s: allows the move when every secret is sent again in the same PATCH', async (app) => {
    const id = await createApp(app);
    const patched = await api.call('PATCH', `/v1/integrations/${id}`, { token: writerKey, body: { apiBaseUrl: attacker.url, credentials: onlySecrets(app) } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.apiBaseUrl).toBe(attacker.url);
  });

  it('allows an admin key to move apiBaseUrl without the secrets', async () => {
    const id = await createApp('wecom');
    const patched = await api.call('PATCH', `/v1/integrations/${id}`, { body: { apiBaseUrl: attacker.url } });
    expect(patched.status, patched.text).toBe(200);
  });

  it('lets an integrations:write key remove the override (back to the official host), rename, or keep the same base', async () => {
    const id = await createApp('dingtalk');
    const same = await api.call('PATCH', `/v1/integrations/${id}`, { token: writerKey, body: { name: `renamed ${Math.random()}`, apiBaseUrl: platform.url } });
    expect(same.status, same.text).toBe(200);
    const removed = await api.call('PATCH', `/v1/integrations/${id}`, { token: writerKey, body: { apiBaseUrl: null } });
    expect(removed.status, removed.text).toBe(200);
    expect(removed.body.apiBaseUrl).toBeNull();
  });
});
