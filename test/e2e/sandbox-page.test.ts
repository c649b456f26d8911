import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformSimulator } from '../../lib/sandbox/platform-simulator.ts';
import { sandboxPages } from '../../lib/sandbox/sandbox-page.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

let api: TestApi;
let sim: PlatformSimulator;
const aesKey = 'g'.repeat(43);

beforeAll(async () => {
  sim = new PlatformSimulator();
  sim.pages = sandboxPages(sim);
  await sim.start();
  api = await startTestApi();
  sim.afterCallback = () => api.runtime.idle();
  sim.addApp('dingtalk', 'dingpagekey0001', 'page-dingtalk-secret-1');
  for (const [name, index] of [['dev', 1], ['lead', 2]] as const) {
    sim.users.push({ name, email: `${name}@example.com`, mobile: `1380000000${index}`, ids: { feishu: `ou_${name}`, dingtalk: `d_${name}`, wecom: name } });
  }
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

describe('the sandbox approver page', () => {
  it('lists a pending approval, and approving it there ends it approved through the real callback path', async () => {
    // Prepare: a DingTalk app whose callbacks the simulator signs and delivers to imhub
    const integration = await api.call('POST', '/v1/integrations', {
      body: { provider: 'dingtalk', name: 'page', apiBaseUrl: sim.url, credentials: { appKey: 'dingpagekey0001', appSecret: 'page-dingtalk-secret-1', aesKey, token: 'tok' } },
    });
    sim.approvals.subscribe('dingtalk', 'dingpagekey0001', { url: integration.body.callbackUrl, token: 'tok', aesKey, receiverId: 'dingpagekey0001' });
    const started = await api.call('POST', '/v1/approvals', {
      body: { integrationId: integration.body.id, title: 'Deploy <b>v2</b>', content: 'notes', requester: { mobile: '13800000001' }, stages: [{ approvers: [{ mobile: '13800000002' }] }] },
    });
    // Act: read the page, then submit its form as a person would
    const page = await (await fetch(`${sim.url}/sandbox`)).text();
    expect(page).toContain('dingtalk · Deploy &lt;b&gt;v2&lt;/b&gt;');
    expect(page).toContain(`value="${started.body.platformInstanceId}"`);
    const submitted = await fetch(`${sim.url}/sandbox/act`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ instance: started.body.platformInstanceId, user: 'd_lead', comment: 'ship it', decision: 'approve' }),
      redirect: 'manual',
    });
    expect(submitted.status).toBe(303);
    // Assess: imhub learned it from the signed callback, and the page shows the delivery
    const approval = await api.call('GET', `/v1/approvals/${started.body.id}`);
    expect(approval.body).toMatchObject({ status: 'approved', decisions: [{ approver: 'd_lead', comment: 'ship it' }] });
    const after = await (await fetch(`${sim.url}/sandbox`)).text();
    expect(after).toContain('None. Start one with curl');
    expect(after).toContain('HTTP 200');
  });
});
