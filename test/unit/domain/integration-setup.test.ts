import { describe, expect, it } from 'vitest';
import type { Integration } from '../../../lib/domain/integration.ts';
import { setupChecks } from '../../../lib/domain/integration-setup.ts';

const now = new Date('2026-12-01T10:00:00Z');
const app: Integration = {
  id: 'int_a',
  provider: 'wecom',
  kind: 'app',
  name: 'a',
  publicCredentials: { corpId: 'ww1', agentId: '1' },
  secretHints: { secret: '…abcd' },
  sealedSecrets: 'sealed',
  credentialVersion: 1,
  version: 1,
  createdAt: '2026-12-01T09:00:00Z',
  updatedAt: '2026-12-01T09:00:00Z',
};
const ok = { ok: true as const, detail: 'fetched an access_token' };
const status = (result: ReturnType<typeof setupChecks>, name: string) => result.checks.find((check) => check.name === name)?.status;

describe('setupChecks', () => {
  it('is ready once the token works and the platform checked the request URL, though no event came yet', () => {
    const result = setupChecks(app, { handshakeAt: '2026-12-01T09:30:00Z' }, ok, now);
    expect(result.ready).toBe(true);
    expect(status(result, 'lastEvent')).toBe('waiting');
    expect(status(result, 'permissions')).toBe('unknown');
  });

  it('is not ready before the handshake, nor when the token fetch is refused, which keeps the platform’s code', () => {
    expect(setupChecks(app, {}, ok, now).ready).toBe(false);
    const refused = setupChecks(app, { handshakeAt: '2026-12-01T09:30:00Z' }, { ok: false, detail: 'wecom refused', platformCode: 40001 }, now);
    expect(refused.ready).toBe(false);
    expect(refused.checks[0]).toMatchObject({ name: 'credentials', status: 'failed', platformCode: 40001 });
  });

  it('shows the last call the platform refused, with its code, as failed for a day, without taking readiness away', () => {
    const error = { at: '2026-12-01T09:40:00Z', platformCode: 301055, message: 'wecom answered with code 301055: no approval permission' };
    const recent = setupChecks(app, { handshakeAt: '2026-12-01T09:30:00Z', lastPlatformError: error }, ok, now);
    expect(recent.checks.find((check) => check.name === 'lastError')).toMatchObject({ status: 'failed', platformCode: 301055, at: error.at });
    expect(recent.ready).toBe(true);
    const dayLater = setupChecks(app, { handshakeAt: '2026-12-01T09:30:00Z', lastPlatformError: error }, ok, new Date('2026-12-02T10:00:00Z'));
    expect(status(dayLater, 'lastError')).toBe('ok');
  });

  it('takes the hourly callbacksSeenAt as an event seen, and shows a used-up call quota as a failure with its code', () => {
    const seen = setupChecks({ ...app, callbacksSeenAt: '2026-12-01T09:45:00Z', platformQuota: { platformCode: 90020, since: '2026-12-01T09:00:00Z', resetsAt: '2026-12-31T16:00:00Z' } }, { handshakeAt: '2026-12-01T09:30:00Z' }, ok, now);
    expect(status(seen, 'lastEvent')).toBe('ok');
    expect(seen.checks.find((check) => check.platformCode === 90020)).toMatchObject({ status: 'failed' });
    expect(seen.ready).toBe(false);
  });

  it('checks a group bot only on request: no callbacks, no token', () => {
    const bot = setupChecks({ ...app, kind: 'webhook' }, {}, undefined, now);
    expect(bot.checks.map((check) => check.name)).toEqual(['credentials', 'lastError']);
    expect(bot.checks[0]!.status).toBe('unknown');
  });
});
