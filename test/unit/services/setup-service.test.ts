import { describe, expect, it, vi } from 'vitest';
import type { Integration } from '../../../lib/domain/integration.ts';
import { IntegrationSetupService } from '../../../lib/services/setup-service.ts';

const now = new Date('2026-12-01T10:00:00Z');
const app = { id: 'int_a', provider: 'dingtalk', kind: 'app', name: 'dingtalk prod' } as unknown as Integration;

const serviceFor = (integration: Integration) => {
  const fetchToken = vi.fn(async () => ({ verified: true as const, provider: 'dingtalk' as const, kind: 'app' as const, detail: 'fetched an access_token (valid 7200 s)' }));
  const service = new IntegrationSetupService({
    integrations: { require: async () => integration } as never,
    providers: { fetchToken },
    activity: { get: async () => ({ handshakeAt: '2026-12-01T09:00:00Z' }) } as never,
    now: () => now,
  });
  return { service, fetchToken };
};

describe('the setup check service', () => {
  it('fetches a token to check an app’s credentials', async () => {
    const { service, fetchToken } = serviceFor(app);
    const setup = await service.check('int_a');
    expect(fetchToken).toHaveBeenCalledWith('int_a');
    expect(setup.checks.find((check) => check.name === 'credentials')).toMatchObject({ status: 'ok', detail: 'fetched an access_token (valid 7200 s)' });
  });

  it('spends no call while the platform’s call quota is used up, and says so', async () => {
    const { service, fetchToken } = serviceFor({ ...app, platformQuota: { platformCode: 88, since: '2026-12-01T08:00:00Z', resetsAt: '2027-01-01T00:00:00Z' } });
    const setup = await service.check('int_a');
    expect(fetchToken).not.toHaveBeenCalled();
    expect(setup.checks.find((check) => check.name === 'credentials')).toMatchObject({ status: 'unknown', detail: expect.stringContaining('quota') });
    expect(setup.checks.find((check) => check.name === 'lastError')).toMatchObject({ status: 'failed', platformCode: 88 });
  });

  it('probes again once the quota has reset', async () => {
    const { service, fetchToken } = serviceFor({ ...app, platformQuota: { platformCode: 88, since: '2026-11-01T08:00:00Z', resetsAt: '2026-12-01T00:00:00Z' } });
    await service.check('int_a');
    expect(fetchToken).toHaveBeenCalledTimes(1);
  });
});
