import { describe, expect, it } from 'vitest';
import type { Integration } from '../../../lib/domain/integration.ts';
import type { SecretSealer } from '../../../lib/secrets/sealer.ts';
import { IntegrationService } from '../../../lib/services/integration-service.ts';
import type { IntegrationRepository } from '../../../lib/store/repository.ts';

const integration: Integration = {
  id: 'int_1',
  provider: 'feishu',
  kind: 'app',
  name: 'x',
  publicCredentials: { appId: 'cli_1' },
  secretHints: {},
  sealedSecrets: 'sealed',
  credentialVersion: 1,
  version: 1,
  createdAt: '',
  updatedAt: '',
};

describe('IntegrationService.credentials', () => {
  it('opens credentials once per credential version, not per call', async () => {
    // Prepare: a sealer that counts how often it is asked to open
    let opened = 0;
    const sealer: SecretSealer = { seal: async (value) => value, open: async () => (opened++, JSON.stringify({ appSecret: `s${opened}` })) };
    const service = new IntegrationService({ repository: {} as IntegrationRepository, sealer, urlPolicy: { allowInsecure: true }, publicBaseUrl: 'http://x' });
    // Act
    for (let call = 0; call < 3; call += 1) expect(await service.credentials(integration)).toEqual({ appId: 'cli_1', appSecret: 's1' });
    const rotated = await service.credentials({ ...integration, credentialVersion: 2 });
    // Assess
    expect(opened).toBe(2);
    expect(rotated.appSecret).toBe('s2');
  });
});
