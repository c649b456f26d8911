import * as z from 'zod';
import type { Integration } from './integration.ts';

/**
 * The setup check of an integration: what the console shows after "add", one line per step of the
 * platform's console setup. Pure: the caller brings what it learned (a token fetch now) and what
 * the callback path and the jobs noted (handshake, last event, the last call the platform refused).
 */

export const setupCheckNames = ['credentials', 'permissions', 'handshake', 'lastEvent', 'lastError'] as const;
export type SetupCheckName = (typeof setupCheckNames)[number];
export const setupCheckStatuses = ['ok', 'failed', 'waiting', 'unknown'] as const;
export type SetupCheckStatus = (typeof setupCheckStatuses)[number];

export const setupCheckSchema = z.object({
  name: z.enum(setupCheckNames),
  status: z.enum(setupCheckStatuses).describe('ok; failed (fix something); waiting (the platform has not called yet); unknown (imhub cannot tell)'),
  at: z.string().optional().describe('when it was seen'),
  detail: z.string().optional(),
  platformCode: z.union([z.string(), z.number()]).optional().describe('the platform’s own error code, when it gave one'),
});
export type SetupCheck = z.output<typeof setupCheckSchema>;

export const integrationSetupSchema = z.object({
  integrationId: z.string(),
  ready: z.boolean().describe('credentials work, the call quota is not used up and, for an app, the platform reached the callback URL (a refused call shows as lastError without making it false)'),
  checks: z.array(setupCheckSchema),
  checkedAt: z.string(),
});
export type IntegrationSetup = z.output<typeof integrationSetupSchema>;

/** What the callback path and platform calls noted (see IntegrationActivityRepository). */
export interface SetupActivity {
  handshakeAt?: string;
  lastEventAt?: string;
  lastEventType?: string;
  lastPlatformError?: { at: string; platformCode: string | number; message: string };
}

/** How long a refused platform call shows as a failure: nothing records that the same call later worked. */
const recentErrorMs = 24 * 3600_000;

/** The outcome of fetching a token now (apps); bots are checked by sending a test message, on request only. */
export type CredentialProbe = { ok: true; detail: string } | { ok: false; detail: string; platformCode?: string | number } | { ok: 'skipped'; detail: string };

/**
 * imhub probes no permission (docs/console.md): Feishu's app-information call needs a further scope
 * of its own, and for DingTalk and WeCom no call that lists an app's granted permissions with its own
 * token was found (UNCONFIRMED). The check says what to enable and where a missing one will show.
 */
const permissionHints: Record<Integration['provider'], string> = {
  feishu: 'imhub cannot read the app’s granted scopes: enable the scopes listed on this page; a missing one fails the first approval with Feishu’s code.',
  lark: 'imhub cannot read the app’s granted scopes: enable the scopes listed on this page; a missing one fails the first approval with Lark’s code.',
  dingtalk: 'imhub cannot read the app’s granted permissions: enable the permissions listed on this page; a missing one fails the first approval with DingTalk’s code.',
  wecom: 'imhub cannot read the app’s granted permissions: give the app the approval permission and add imhub’s egress IPs as trusted IPs (else WeCom answers 60020 on the first approval).',
};

/** How the lastError line says the call quota is used up (the console knows it by this start). */
export const quotaDetailPrefix = "The platform's call quota is used up until ";
/** The credentials line while the call quota is used up: no token is fetched then (the console knows it by this text). */
export const quotaSkippedDetail = 'not probed while the platform’s call quota is used up';

const latest = (...times: (string | undefined)[]) => times.filter((time): time is string => Boolean(time)).sort().at(-1);

export function setupChecks(integration: Integration, activity: SetupActivity, probe: CredentialProbe | undefined, now: Date): IntegrationSetup {
  const checks: SetupCheck[] = [];
  const at = now.toISOString();
  if (!probe) {
    checks.push({ name: 'credentials', status: 'unknown', detail: 'A group bot is checked by sending a test message to its group: use “Send test message”.' });
  } else if (probe.ok === 'skipped') {
    checks.push({ name: 'credentials', status: 'unknown', detail: probe.detail });
  } else if (probe.ok) {
    checks.push({ name: 'credentials', status: 'ok', at, detail: probe.detail });
  } else {
    checks.push({ name: 'credentials', status: 'failed', at, detail: probe.detail, ...(probe.platformCode !== undefined ? { platformCode: probe.platformCode } : {}) });
  }
  if (integration.kind === 'app') {
    checks.push({ name: 'permissions', status: 'unknown', detail: permissionHints[integration.provider] });
    checks.push(
      activity.handshakeAt
        ? { name: 'handshake', status: 'ok', at: activity.handshakeAt, detail: 'The platform checked the request URL and imhub answered.' }
        : {
            name: 'handshake',
            status: 'waiting',
            detail:
              'Paste the request URL into the platform console and save it: the platform checks it then. If the platform says the check failed, the keys here differ from the console’s (a refused request is not recorded: a forgery stores nothing).',
          },
    );
    const lastEvent = latest(activity.lastEventAt, integration.callbacksSeenAt);
    checks.push(
      lastEvent
        ? { name: 'lastEvent', status: 'ok', at: lastEvent, ...(activity.lastEventType && lastEvent === activity.lastEventAt ? { detail: activity.lastEventType } : {}) }
        : { name: 'lastEvent', status: 'waiting', detail: 'No approval event has arrived yet: start an approval and decide it on the platform.' },
    );
  }
  // The last error: a used-up call quota while it lasts, else the last call the platform refused.
  const quota = integration.platformQuota && integration.platformQuota.resetsAt > at ? integration.platformQuota : undefined;
  const error = activity.lastPlatformError;
  if (quota) {
    checks.push({ name: 'lastError', status: 'failed', at: quota.since, platformCode: quota.platformCode, detail: `${quotaDetailPrefix}${quota.resetsAt}` });
  } else if (error) {
    const recent = now.getTime() - Date.parse(error.at) < recentErrorMs;
    checks.push({ name: 'lastError', status: recent ? 'failed' : 'ok', at: error.at, platformCode: error.platformCode, detail: error.message });
  } else {
    checks.push({ name: 'lastError', status: 'ok', detail: 'The platform has refused no call.' });
  }
  const status = (name: SetupCheckName) => checks.find((check) => check.name === name)?.status;
  const ready = !quota && status('credentials') !== 'failed' && (integration.kind !== 'app' || (status('credentials') === 'ok' && status('handshake') === 'ok'));
  return { integrationId: integration.id, ready, checks, checkedAt: at };
}
