import { expect } from 'vitest';
import type { PlatformSimulator } from '../simulators/platform-simulator.ts';
import type { TestApi } from './local-api.ts';

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
