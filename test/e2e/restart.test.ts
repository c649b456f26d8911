import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../lib/local/embedded-dynamodb.ts';
import { PlatformSimulator } from '../../lib/sandbox/platform-simulator.ts';
import { killLeftoverServers, startServerProcess } from '../support/server-process.ts';

afterEach(killLeftoverServers);

describe('a restart in the middle of an approval', () => {
  it('loses nothing: the approval completes from the callback the restarted server receives', async () => {
    // Prepare: the simulator here, the real `npm start` program in its own process group
    const sim = await new PlatformSimulator().start();
    const aesKey = 'c'.repeat(43);
    sim.addApp('wecom', 'wwrestart0001', 'restart-secret-00001');
    sim.users.push({ name: 'alice', email: 'alice@example.com', mobile: '13800000001', ids: { feishu: 'ou_a', dingtalk: 'd_a', wecom: 'alice' } });
    sim.users.push({ name: 'req', email: 'req@example.com', mobile: '13800000002', ids: { feishu: 'ou_r', dingtalk: 'd_r', wecom: 'req' } });
    const env = { IMHUB_DATA_DIR: mkdtempSync(join(tmpdir(), 'imhub-restart-')), API_TOKEN: 'restart-admin-token', PORT: String(await freePort()) };
    const call = async (url: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(url + path, { method, headers: { authorization: `Bearer ${env.API_TOKEN}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
      return { status: response.status, body: (await response.json()) as any };
    };
    const first = await startServerProcess(env);
    try {
      const integration = await call(first.url, 'POST', '/v1/integrations', {
        provider: 'wecom',
        name: 'restart',
        apiBaseUrl: sim.url,
        credentials: { corpId: 'wwrestart0001', agentId: '1000002', secret: 'restart-secret-00001', token: 'tok', encodingAesKey: aesKey },
      });
      sim.approvals.subscribe('wecom', 'wwrestart0001', { url: integration.body.callbackUrl, token: 'tok', aesKey, receiverId: 'wwrestart0001', agentId: '1000002' });
      const approval = await call(first.url, 'POST', '/v1/approvals', {
        integrationId: integration.body.id,
        title: 'Deploy across a restart',
        requester: { email: 'req@example.com' },
        stages: [{ approvers: [{ email: 'alice@example.com' }] }],
      });
      expect(approval.status).toBe(201);

      // Act: kill the server without warning, start it again on the same data, then approve
      await first.stop('SIGKILL');
      const second = await startServerProcess(env);
      try {
        const answers = await sim.approvals.act(approval.body.platformInstanceId, 'alice', 'approve');
        expect(answers.map((answer) => answer.status)).toEqual([200]);
        // Assess
        const after = await call(second.url, 'GET', `/v1/approvals/${approval.body.id}?waitSeconds=5`);
        expect(after.body).toMatchObject({ status: 'approved', decisions: [{ approver: 'alice', person: { email: 'alice@example.com' } }] });
      } finally {
        await second.stop('SIGINT');
      }
    } finally {
      await first.stop('SIGKILL');
      await sim.stop();
    }
  }, 120_000);
});
