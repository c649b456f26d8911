import { expect } from 'vitest';
import { PlatformSimulator } from '../../lib/sandbox/platform-simulator.ts';
import { startTestApi, type TestApi } from './local-api.ts';

/**
 * Registers a Feishu app as a person would against the simulator: the app known to the simulated
 * platform, the integration created on imhub with the simulator as its API base, and its callbacks
 * subscribed as the console would be set up. Returns the integration's id.
 */
export async function registerFeishuSimApp(api: TestApi, sim: PlatformSimulator, name: string, credentials: { appId: string; appSecret: string; encryptKey: string; verificationToken: string }): Promise<string> {
  sim.addApp('feishu', credentials.appId, credentials.appSecret);
  const created = await api.call('POST', '/v1/integrations', { body: { provider: 'feishu', name, apiBaseUrl: sim.url, credentials } });
  expect(created.status, created.text).toBe(201);
  sim.approvals.subscribeIntegration('feishu', credentials.appId, created.body.callbackUrl, credentials);
  return created.body.id as string;
}

/** An app as a test registers it: the simulated platform, its app id, and the credentials a person would paste. */
export interface SimAppSpec {
  sim: 'feishu' | 'dingtalk' | 'wecom';
  appId: string;
  credentials: { appSecret: string } | { secret: string };
  /** The integration's locale, where the test is about something else than the language (zh-CN by default; en-US for lark). */
  locale?: 'zh-CN' | 'en-US';
}

/**
 * Registers each app on the simulator and on imhub (as `provider` = its key, with the simulator as
 * its API base) and subscribes its callbacks, as a person would set up each console. Returns the
 * integration ids by key.
 */
export async function registerSimApps<Name extends string>(api: TestApi, sim: PlatformSimulator, apps: Record<Name, SimAppSpec>, label: string): Promise<Record<Name, string>> {
  const ids = {} as Record<Name, string>;
  for (const [name, app] of Object.entries(apps) as [Name, SimAppSpec][]) {
    sim.addApp(app.sim, app.appId, 'appSecret' in app.credentials ? app.credentials.appSecret : app.credentials.secret);
    const created = await api.call('POST', '/v1/integrations', { body: { provider: name, name: `${label} ${name}`, apiBaseUrl: sim.url, credentials: app.credentials, ...(app.locale ? { locale: app.locale } : {}) } });
    expect(created.status, created.text).toBe(201);
    ids[name] = created.body.id;
    sim.approvals.subscribeIntegration(app.sim, app.appId, created.body.callbackUrl, app.credentials as never);
  }
  return ids;
}

/**
 * A test file's platforms and imhub: the simulator and the local API (in-memory runtime), each
 * callback awaited until what it set off has run (as a person looks a moment later), these people
 * in the platforms' directories, and each app registered and subscribed (`registerSimApps`).
 */
export async function startSimulatedPlatforms<Name extends string>(apps: Record<Name, SimAppSpec>, label: string, people: readonly string[]) {
  const sim = await new PlatformSimulator().start();
  const api = await startTestApi();
  sim.afterCallback = () => api.runtime.idle();
  sim.addPeople(people);
  return { sim, api, integrationIds: await registerSimApps(api, sim, apps, label) };
}
