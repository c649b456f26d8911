import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { knownBotTokens, knownSecrets, validCredentials, variants } from '../support/fixtures.ts';
import * as wecom from '@wecom/crypto';
import { deliver, dingtalkSigned, feishuSigned, wecomUrlCheck } from '../../lib/sandbox/platform-signing.ts';
import { killLeftoverServers, processesMatching, startServerProcess } from '../support/server-process.ts';

const call = async (url: string, token: string | null, method: string, path: string, body?: unknown, raw?: string) => {
  const response = await fetch(url + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, text: await response.text() };
};

afterEach(killLeftoverServers);

describe('npm start as a process', () => {
  it('keeps data across a restart, answers the platforms’ URL checks, stops its DynamoDB on Ctrl-C, and never prints or returns a secret', async () => {
    // Prepare: a data folder of our own, debug logging so every log line is there to search
    const dataDir = mkdtempSync(join(tmpdir(), 'imhub-process-'));
    const env = { IMHUB_DATA_DIR: dataDir, LOG_LEVEL: 'debug' };
    const first = await startServerProcess(env);
    expect(first.token).toMatch(/^imh_admin_/);
    const texts: string[] = [];
    const record = async (...args: Parameters<typeof call>) => {
      const answer = await call(...args);
      texts.push(answer.text);
      return answer;
    };

    // Act: every route, every provider and kind, with secrets also in rejected requests
    expect((await record(first.url, null, 'GET', '/healthz')).status).toBe(200);
    const ids: string[] = [];
    for (const variant of variants) {
      const [provider, kind] = variant.split('/');
      const created = await record(first.url, first.token, 'POST', '/v1/integrations', {
        provider,
        kind,
        name: variant,
        credentials: validCredentials[variant],
      });
      expect(created.status, created.text).toBe(201);
      ids.push(JSON.parse(created.text).id);
    }
    await record(first.url, first.token, 'GET', '/v1/integrations?limit=3');
    for (const id of ids) {
      await record(first.url, first.token, 'GET', `/v1/integrations/${id}`);
      await record(first.url, first.token, 'PATCH', `/v1/integrations/${id}`, { credentials: { secret: 12345 } });
    }
    await record(first.url, first.token, 'PATCH', `/v1/integrations/${ids[0]}`, { credentials: { appSecret: knownSecrets[0] } });
    await record(first.url, first.token, 'POST', '/v1/integrations', undefined, `{"credentials":{"appSecret":"${knownSecrets[1]}"`);
    await record(first.url, first.token, 'POST', '/v1/integrations', { provider: 'feishu', name: 1, credentials: { appSecret: knownSecrets[2] } });
    await record(first.url, knownSecrets[3]!, 'GET', '/v1/integrations');
    await record(first.url, first.token, 'POST', '/v1/api-keys', { name: 'k', scopes: ['read'] });
    await record(first.url, first.token, 'GET', '/v1/api-keys');
    await record(first.url, first.token, 'GET', '/v1/openapi.json');
    await record(first.url, first.token, 'DELETE', `/v1/integrations/${ids[7]}`);

    // The platforms' URL checks, answered by the real server process
    const [feishuId, dingtalkId, wecomId] = [ids[variants.indexOf('feishu/app')], ids[variants.indexOf('dingtalk/app')], ids[variants.indexOf('wecom/app')]];
    const feishuCreds = validCredentials['feishu/app'];
    const challenge = await deliver(first.url, `/v1/callbacks/${feishuId}`, feishuSigned({ encryptKey: feishuCreds.encryptKey, signed: false, payload: { challenge: 'ch-1', token: feishuCreds.verificationToken, type: 'url_verification' } }));
    expect(JSON.parse(challenge.text)).toEqual({ challenge: 'ch-1' });
    const dingtalkCreds = validCredentials['dingtalk/app'];
    const checkUrl = await deliver(first.url, `/v1/callbacks/${dingtalkId}`, dingtalkSigned({ ...dingtalkCreds, receiverId: dingtalkCreds.appKey, payload: { EventType: 'check_url' } }));
    expect(wecom.decrypt(dingtalkCreds.aesKey, JSON.parse(checkUrl.text).encrypt).message).toBe('success');
    const wecomCreds = validCredentials['wecom/app'];
    const echo = await deliver(first.url, `/v1/callbacks/${wecomId}`, wecomUrlCheck({ ...wecomCreds, echo: 'echo-123' }));
    expect(echo.text).toBe('echo-123');
    texts.push(challenge.text, checkUrl.text, echo.text);

    // Ctrl-C: the server and its DynamoDB Local both end
    expect(processesMatching(dataDir).length).toBeGreaterThan(0);
    expect(await first.stop('SIGINT')).toBe(0);
    await sleep(200);
    expect(processesMatching(dataDir)).toEqual([]);

    // Restart on the same folder: same token, same data
    const second = await startServerProcess(env);
    expect(second.token).toBe(first.token);
    const reread = await record(second.url, second.token, 'GET', `/v1/integrations/${ids[0]}`);
    expect(reread.status).toBe(200);
    expect(JSON.parse(reread.text).name).toBe('feishu/app');
    expect((await record(second.url, second.token, 'GET', `/v1/integrations/${ids[7]}`)).status).toBe(404);
    expect(await second.stop('SIGTERM')).toBe(0);

    // Assess: no secret in any response or any line either process printed
    const everything = [...texts, first.output(), second.output()].join('\n');
    expect(first.output()).toContain('"message":"request"');
    for (const secret of [...knownSecrets, ...knownBotTokens]) expect(everything).not.toContain(secret);
  }, 120_000);

  it('starts in memory with --in-memory and leaves no data behind', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'imhub-memory-'));
    const server = await startServerProcess({ IMHUB_DATA_DIR: dataDir, IMHUB_IN_MEMORY: '1', API_TOKEN: 'memory-token' });
    expect((await call(server.url, 'memory-token', 'GET', '/v1/integrations')).status).toBe(200);
    expect(await server.stop('SIGINT')).toBe(0);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dataDir)).toEqual([]);
  }, 60_000);
});
