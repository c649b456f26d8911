import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { stackFromContext } from '../../infra/context.ts';
import { ImhubStack } from '../../infra/imhub-stack.ts';
import { parseConfig } from '../../lib/config.ts';
import type { Integration, Provider } from '../../lib/domain/integration.ts';
import type { SecretSealer } from '../../lib/secrets/sealer.ts';
import { IntegrationService } from '../../lib/services/integration-service.ts';
import type { IntegrationRepository } from '../../lib/store/repository.ts';
import { validCredentials } from '../support/fixtures.ts';

/**
 * Red-team item 1, the AWS half: there an app's apiBaseUrl must be one of the platform's official API
 * hosts, or a base the operator listed (`-c allowedApiBases=…` → IMHUB_ALLOWED_API_BASES), whatever the
 * caller's scopes; locally any base goes, for simulators.
 */

function serviceIn(runtime: 'aws' | 'local', allowedApiBases?: string[]) {
  const stored = new Map<string, Integration>();
  const repository: IntegrationRepository = {
    create: async (integration) => void stored.set(integration.id, integration),
    get: async (id) => stored.get(id),
    list: async () => ({ items: [...stored.values()], nextCursor: null }) as never,
    update: async (next) => void stored.set(next.id, next),
    delete: async (integration) => void stored.delete(integration.id),
  };
  const sealer: SecretSealer = { seal: async (value) => value, open: async (value) => value };
  return new IntegrationService({
    repository,
    sealer,
    urlPolicy: { allowInsecure: runtime === 'local' },
    publicBaseUrl: 'https://api.example.com',
    ...(allowedApiBases ? { allowedApiBases } : {}),
  });
}

const appCredentials = (provider: Provider) => validCredentials[`${provider}/app`] as Record<string, unknown> as Record<string, string>;
const create = (service: IntegrationService, provider: Provider, apiBaseUrl: string) =>
  service.create({ provider, kind: 'app', name: `${provider} ${Math.random()}`, apiBaseUrl, credentials: appCredentials(provider) });
const admin = { scopes: ['admin'] as const };

describe('apiBaseUrl in AWS', () => {
  it.each([
    ['feishu', 'https://open.feishu.cn'],
    ['lark', 'https://open.larksuite.com'],
    ['dingtalk', 'https://api.dingtalk.com'],
    ['dingtalk', 'https://oapi.dingtalk.com/'],
    ['wecom', 'https://qyapi.weixin.qq.com'],
  ] as const)('accepts %s on its official host %s', async (provider, apiBaseUrl) => {
    await expect(create(serviceIn('aws'), provider, apiBaseUrl)).resolves.toMatchObject({ apiBaseUrl });
  });

  it.each([
    ['feishu', 'https://capture.example.com'],
    ['feishu', 'https://open.feishu.cn.capture.example.com'],
    ['wecom', 'https://open.feishu.cn'],
    ['lark', 'https://open.larksuite.com:8443'],
  ] as const)('refuses to create %s with %s (400 naming the allowed bases)', async (provider, apiBaseUrl) => {
    const refused = create(serviceIn('aws'), provider, apiBaseUrl);
    await expect(refused).rejects.toMatchObject({ kind: 'bad_request', details: [{ path: 'apiBaseUrl', message: expect.stringContaining('allowedApiBases') }] });
  });

  it('refuses to move an existing app elsewhere, even for an admin or with every secret re-sent', async () => {
    const service = serviceIn('aws');
    const { id } = await create(service, 'wecom', 'https://qyapi.weixin.qq.com');
    await expect(service.update(id, { apiBaseUrl: 'https://capture.example.com' }, admin)).rejects.toMatchObject({ kind: 'bad_request' });
    const secrets = { secret: 'WECOM-NEW-SECRET-0123456789abcdef', token: 't0k3n', encodingAesKey: appCredentials('wecom').encodingAesKey! };
    await expect(service.update(id, { apiBaseUrl: 'https://capture.example.com', credentials: secrets }, { scopes: ['integrations:write'] })).rejects.toMatchObject({ kind: 'bad_request' });
    await expect(service.get(id)).resolves.toMatchObject({ apiBaseUrl: 'https://qyapi.weixin.qq.com' });
  });

  it('accepts the bases the operator allowed, and only below their path', async () => {
    const service = serviceIn('aws', ['https://proxy.example.com/feishu', 'https://gw.example.net']);
    await expect(create(service, 'feishu', 'https://proxy.example.com/feishu')).resolves.toBeDefined();
    await expect(create(service, 'lark', 'https://proxy.example.com/feishu/lark/')).resolves.toBeDefined();
    await expect(create(service, 'dingtalk', 'https://gw.example.net/dingtalk')).resolves.toBeDefined();
    for (const outside of ['https://proxy.example.com/feishu-evil', 'https://proxy.example.com/', 'https://evil.gw.example.net']) {
      await expect(create(service, 'feishu', outside), outside).rejects.toMatchObject({ kind: 'bad_request' });
    }
  });

  it('leaves a base that is not allowed to the local runtime (simulators)', async () => {
    await expect(create(serviceIn('local'), 'feishu', 'http://127.0.0.1:4010')).resolves.toBeDefined();
  });
});

describe('the allowed-bases setting', () => {
  it('is read from IMHUB_ALLOWED_API_BASES as a comma-separated list of https URLs', () => {
    expect(parseConfig({ IMHUB_ALLOWED_API_BASES: ' https://proxy.example.com/feishu, https://gw.example.net ,' }).IMHUB_ALLOWED_API_BASES).toEqual([
      'https://proxy.example.com/feishu',
      'https://gw.example.net',
    ]);
    expect(parseConfig({}).IMHUB_ALLOWED_API_BASES).toEqual([]);
    expect(() => parseConfig({ IMHUB_ALLOWED_API_BASES: 'http://proxy.example.com' })).toThrow();
  });

  const newApp = (context: Record<string, unknown> = {}) =>
    new App({ outdir: mkdtempSync(join(tmpdir(), 'imhub-cdk-')), context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const environments = (template: Template) =>
    Object.values(template.findResources('AWS::Lambda::Function')).map((fn) => (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>);

  it('comes from -c allowedApiBases=… and reaches every function that checks or calls an apiBaseUrl', () => {
    const app = newApp({ allowedApiBases: 'https://proxy.example.com/feishu,https://gw.example.net' });
    const { id, props } = stackFromContext(app.node, {});
    expect(props.allowedApiBases).toEqual(['https://proxy.example.com/feishu', 'https://gw.example.net']);
    const withBases = environments(Template.fromStack(new ImhubStack(app, id, props))).filter((variables) => 'TABLE_NAME' in variables);
    expect(withBases.length).toBeGreaterThanOrEqual(5);
    for (const variables of withBases) expect(variables.IMHUB_ALLOWED_API_BASES).toBe('https://proxy.example.com/feishu,https://gw.example.net');
  });

  it('is absent by default (only the official hosts) and refuses a base that is not an https URL at synth', () => {
    for (const variables of environments(Template.fromStack(new ImhubStack(newApp(), 'Imhub')))) expect(variables).not.toHaveProperty('IMHUB_ALLOWED_API_BASES');
    expect(() => new ImhubStack(newApp(), 'Imhub', { allowedApiBases: ['http://proxy.example.com'] })).toThrow('allowedApiBases');
  });
});
