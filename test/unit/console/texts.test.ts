import { describe, expect, it } from 'vitest';
import { consoleScript } from '../../../lib/console/script.ts';
import { consoleTexts } from '../../../lib/console/texts.ts';
import { type Integration, providers } from '../../../lib/domain/integration.ts';
import { quotaDetailPrefix, quotaSkippedDetail, type SetupActivity, setupChecks } from '../../../lib/domain/integration-setup.ts';
import { endReasons } from '../../../lib/domain/approval.ts';

const now = new Date('2026-12-01T12:00:00Z');
const integration = (provider: Integration['provider'], more: Partial<Integration> = {}): Integration => ({
  id: 'int_1',
  provider,
  kind: 'app',
  name: 'n',
  publicCredentials: {},
  secretHints: {},
  sealedSecrets: '',
  credentialVersion: 1,
  version: 1,
  createdAt: now.toISOString(),
  updatedAt: now.toISOString(),
  ...more,
});
const seen: SetupActivity = { handshakeAt: '2026-12-01T11:00:00Z', lastEventAt: '2026-12-01T11:30:00Z', lastEventType: 'approval_instance', lastPlatformError: { at: '2026-12-01T11:40:00Z', platformCode: 99991663, message: 'token invalid' } };

describe('the console’s own texts', () => {
  it('has a Chinese and an English line for every check and status the setup check gives (the API’s detail is English)', () => {
    const lines = providers.flatMap((provider) => [
      ...setupChecks(integration(provider), {}, { ok: true, detail: 'token fetched' }, now).checks,
      ...setupChecks(integration(provider), seen, { ok: false, detail: 'app secret invalid', platformCode: 10014 }, now).checks,
      ...setupChecks({ ...integration(provider), kind: 'webhook' }, {}, undefined, now).checks,
      ...setupChecks(integration(provider, { platformQuota: { platformCode: 90020, since: '2026-12-01T11:00:00Z', resetsAt: '2026-12-02T00:00:00Z' } }), {}, { ok: true, detail: 'token fetched' }, now).checks,
    ]);
    const kinds = new Set(lines.map((check) => `${check.name}.${check.status}`));
    expect(kinds.size).toBeGreaterThanOrEqual(9);
    for (const kind of kinds) {
      expect(consoleTexts['zh-CN'], kind).toHaveProperty([`setup.${kind}`]);
      expect(consoleTexts['zh-CN'][`setup.${kind}` as keyof (typeof consoleTexts)['zh-CN']]).toMatch(/[\u4e00-\u9fff]/);
      expect(consoleTexts['en-US'], kind).toHaveProperty([`setup.${kind}`]);
    }
    // The quota line is known by the start of its detail, which the script carries
    const quota = lines.find((check) => check.name === 'lastError' && check.detail?.startsWith(quotaDetailPrefix));
    expect(quota).toBeDefined();
    expect(consoleScript).toContain(JSON.stringify(quotaDetailPrefix));
    // So is the credentials line of an app not probed while its quota is used up (the setup service gives it)
    expect(consoleScript).toContain(JSON.stringify(quotaSkippedDetail));
    expect(setupChecks(integration('dingtalk'), {}, { ok: 'skipped', detail: quotaSkippedDetail }, now).checks[0]).toMatchObject({ name: 'credentials', status: 'unknown', detail: quotaSkippedDetail });
    expect(consoleTexts['zh-CN']['setup.credentials.quota']).toMatch(/[\u4e00-\u9fff]/);
    expect(consoleTexts['en-US']['setup.credentials.quota']).toContain('quota');
  });

  it('says what a notification and a webhook are doing in words of their own, not an approval’s 审批中', () => {
    const zh = consoleTexts['zh-CN'];
    expect(zh['status.pending']).toBe('审批中');
    expect(zh['notification.pending']).toBe('发送中');
    expect([zh['webhook.waiting'], zh['webhook.sending'], zh['webhook.retrying']]).toEqual(['待发送', '发送中', '重试中']);
    expect(consoleTexts['en-US']['notification.pending']).toBe('Sending');
    expect(consoleScript).toContain("notificationStatus(item.status)");
    expect(consoleScript).toContain('webhookStatus(item.webhook)');
  });

  it('translates the approval’s via, onTimeout and imhub’s own end reasons', () => {
    for (const locale of ['zh-CN', 'en-US'] as const) {
      const texts = consoleTexts[locale] as Record<string, string>;
      for (const key of ['via.app', 'via.card', 'onTimeout.expire', 'onTimeout.approve', ...Object.values(endReasons).map((reason) => `endReason.${reason}`)]) expect(texts[key], `${locale} ${key}`).toBeTruthy();
    }
    expect((consoleTexts['zh-CN'] as Record<string, string>)['endReason.canceled through the API']).toBe('经 API 撤销');
  });
});
