import { describe, expect, it } from 'vitest';
import {
  createIntegrationBody,
  mergeCredentials,
  secretHint,
  splitCredentials,
  toIntegrationView,
  updateIntegrationBody,
} from '../../../lib/domain/integration.ts';
import { validCredentials } from '../../support/fixtures.ts';

describe('createIntegrationBody', () => {
  it.each(Object.entries(validCredentials))('accepts the documented credentials of %s', (variant, credentials) => {
    // Prepare
    const [provider, kind] = variant.split('/');
    // Act
    const parsed = createIntegrationBody.safeParse({ provider, kind, name: `n ${variant}`, credentials });
    // Assess
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  it('defaults kind to app', () => {
    const parsed = createIntegrationBody.parse({ provider: 'lark', name: 'x', credentials: validCredentials['lark/app'] });
    expect(parsed.kind).toBe('app');
  });

  it('keeps a numeric WeCom agentId as a string', () => {
    const parsed = createIntegrationBody.parse({
      provider: 'wecom',
      name: 'x',
      credentials: { ...validCredentials['wecom/app'], agentId: 1000002 },
    });
    expect(parsed.credentials.agentId).toBe('1000002');
  });

  it('names each missing or malformed credential field under credentials.*', () => {
    const parsed = createIntegrationBody.safeParse({
      provider: 'dingtalk',
      name: 'x',
      credentials: { appKey: 'ding1', aesKey: 'too-short', token: 't' },
    });
    expect(parsed.success).toBe(false);
    const paths = parsed.error!.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['credentials.appSecret', 'credentials.aesKey']));
    expect(parsed.error!.issues.find((issue) => issue.path.join('.') === 'credentials.aesKey')!.message).toMatch(/43/);
  });

  it('rejects unknown fields at the top level and inside credentials', () => {
    const parsed = createIntegrationBody.safeParse({
      provider: 'feishu',
      name: 'x',
      color: 'red',
      credentials: { ...validCredentials['feishu/app'], appSecretTypo: 'x' },
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((issue) => issue.code)).toEqual(['unrecognized_keys', 'unrecognized_keys']);
  });

  it('refuses a bot URL from another platform, saying which shape is expected', () => {
    const parsed = createIntegrationBody.safeParse({
      provider: 'wecom',
      kind: 'webhook',
      name: 'x',
      credentials: validCredentials['feishu/webhook'],
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.message).toContain('/cgi-bin/webhook/send?key=');
  });

  it('refuses apiBaseUrl on a webhook integration', () => {
    const parsed = createIntegrationBody.safeParse({
      provider: 'feishu',
      kind: 'webhook',
      name: 'x',
      apiBaseUrl: 'https://open.feishu.cn',
      credentials: validCredentials['feishu/webhook'],
    });
    expect(parsed.error!.issues.map((issue) => issue.path.join('.'))).toEqual(['apiBaseUrl']);
  });

  it('refuses an unknown provider with the list of providers', () => {
    const parsed = createIntegrationBody.safeParse({ provider: 'slack', name: 'x', credentials: {} });
    expect(parsed.error!.issues[0]!.message).toBe('provider must be one of feishu, lark, dingtalk, wecom');
  });
});

describe('updateIntegrationBody', () => {
  it('refuses to change provider or kind, saying what can change', () => {
    const parsed = updateIntegrationBody.safeParse({ provider: 'lark' });
    expect(parsed.error!.issues[0]!.message).toBe('provider cannot be changed; only name, apiBaseUrl, credentials, locale and timeZone can');
  });

  it('refuses an empty patch', () => {
    expect(updateIntegrationBody.safeParse({}).success).toBe(false);
  });
});

describe('splitCredentials', () => {
  it('seals every secret field and keeps only ids in the clear', () => {
    const { publicCredentials, secrets } = splitCredentials('wecom', 'app', { ...validCredentials['wecom/app'], agentId: '1000002' });
    expect(Object.keys(publicCredentials).sort()).toEqual(['agentId', 'corpId']);
    expect(Object.keys(secrets).sort()).toEqual(['encodingAesKey', 'secret', 'token']);
  });

  it("treats a bot's whole URL as a secret", () => {
    const { publicCredentials, secrets } = splitCredentials('dingtalk', 'webhook', validCredentials['dingtalk/webhook'] as Record<string, string>);
    expect(publicCredentials).toEqual({});
    expect(Object.keys(secrets).sort()).toEqual(['secret', 'url']);
  });

  it("keeps a keyword-mode bot's keyword and a DingTalk app's robotCode in the clear: neither grants anything", () => {
    const bot = createIntegrationBody.parse({ provider: 'dingtalk', kind: 'webhook', name: 'kw', credentials: { ...validCredentials['dingtalk/webhook'], keyword: '发布' } });
    expect(splitCredentials('dingtalk', 'webhook', bot.credentials).publicCredentials).toEqual({ keyword: '发布' });
    const app = createIntegrationBody.parse({ provider: 'dingtalk', name: 'rc', credentials: { ...validCredentials['dingtalk/app'], robotCode: 'dingscenebot01' } });
    expect(splitCredentials('dingtalk', 'app', app.credentials).publicCredentials).toMatchObject({ robotCode: 'dingscenebot01' });
  });
});

describe('secretHint', () => {
  it('shows the last four characters of a long secret only', () => {
    expect(secretHint('appSecret', 'abcdefghijklmnopqrstuvwxyz')).toBe('…wxyz');
    expect(secretHint('token', 'short-token')).toBe('…');
  });

  it("shows a bot URL's origin, never its token", () => {
    const hint = secretHint('url', 'https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef0123');
    expect(hint).toBe('https://oapi.dingtalk.com/…0123');
    expect(hint).not.toContain('access_token');
  });
});

describe('mergeCredentials', () => {
  it('replaces given fields, keeps the others, and removes fields set to null', () => {
    expect(mergeCredentials({ a: '1', b: '2', c: '3' }, { b: 'new', c: null })).toEqual({ a: '1', b: 'new' });
  });
});

describe('toIntegrationView', () => {
  it('gives apps a callback URL under the public base and bots none', () => {
    const base = {
      id: 'int_1',
      provider: 'feishu' as const,
      name: 'x',
      publicCredentials: { appId: 'cli_1' },
      secretHints: { appSecret: '…' },
      sealedSecrets: 'sealed',
      credentialVersion: 1,
      version: 1,
      createdAt: 't',
      updatedAt: 't',
    };
    expect(toIntegrationView({ ...base, kind: 'app' }, 'https://api.example.com/').callbackUrl).toBe('https://api.example.com/v1/callbacks/int_1');
    expect(toIntegrationView({ ...base, kind: 'webhook' }, 'https://api.example.com').callbackUrl).toBeNull();
    expect(JSON.stringify(toIntegrationView({ ...base, kind: 'app' }, 'x'))).not.toContain('sealed');
  });
});
