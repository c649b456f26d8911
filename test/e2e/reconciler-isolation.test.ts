import { randomBytes } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformSimulator, simUserId } from '../../lib/sandbox/platform-simulator.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

// Red team, issue 15 item 7: webhooks went one at a time with a 10 s timeout, so 8 receivers that
// never answer held every other part of the reconciler back (a 2 s timeout ended after 83 s, and
// queued notifications waited behind them). Now each is a job, and each kind of job has its own lane.
// Here the receivers hold every request until the test lets them go, and a webhook attempt may take
// a minute, so only the order of events can decide.
process.env.IMHUB_WEBHOOK_TIMEOUT_MS = '60000';
// A new approval's first look is after 300 ms (60 s in production), before its 1 s timeout.
process.env.IMHUB_RECONCILE_FIRST_CHECK_MS = '300';

/** A pipeline's webhook receiver that answers nothing until `release()`. */
interface HangingReceiver {
  url: string;
  held: ServerResponse[];
  server: Server;
}
const receivers: HangingReceiver[] = [];
const release = () => {
  for (const receiver of receivers) for (const response of receiver.held.splice(0)) response.writeHead(204).end();
};

let api: TestApi;
let sim: PlatformSimulator;
const feishu = { appId: 'cli_isolation00001', appSecret: 'isolation-feishu-secret', encryptKey: 'isolation-encrypt-key', verificationToken: 'isolation-vt' };
const wecom = { corpId: 'wwisolation0001', agentId: '1000002', secret: 'isolation-wecom-secret-01', token: 'isolationtoken', encodingAesKey: 'i'.repeat(43) };
const ids = { feishu: '', wecom: '' };

beforeAll(async () => {
  for (let index = 0; index < 8; index += 1) {
    const receiver: HangingReceiver = { url: '', held: [], server: createServer((request, response) => {
      request.resume();
      receiver.held.push(response);
    }) };
    await new Promise<void>((ready) => receiver.server.listen(0, '127.0.0.1', () => ready()));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/hooks/${index}`;
    receivers.push(receiver);
  }
  sim = await new PlatformSimulator().start();
  // No waiting for idle after a callback here: the webhook jobs the decisions set off hang by design.
  api = await startTestApi();
  sim.addPeople(['requester', 'alice']);
  sim.addApp('feishu', feishu.appId, feishu.appSecret);
  sim.addApp('wecom', wecom.corpId, wecom.secret);
  const approvals = await api.call('POST', '/v1/integrations', { body: { provider: 'feishu', name: 'isolation approvals', apiBaseUrl: sim.url, credentials: feishu } });
  const messages = await api.call('POST', '/v1/integrations', { body: { provider: 'wecom', name: 'isolation messages', apiBaseUrl: sim.url, credentials: wecom } });
  expect([approvals.status, messages.status]).toEqual([201, 201]);
  ids.feishu = approvals.body.id;
  ids.wecom = messages.body.id;
  sim.approvals.subscribeIntegration('feishu', feishu.appId, approvals.body.callbackUrl, feishu);
});
afterAll(async () => {
  release();
  for (const receiver of receivers) {
    receiver.server.closeAllConnections();
    receiver.server.close();
  }
  await api?.stop();
  await sim?.stop();
});

const start = (extra: Record<string, unknown>) =>
  api.call('POST', '/v1/approvals', {
    body: { integrationId: ids.feishu, title: `Deploy ${randomBytes(3).toString('hex')}`, requester: sim.personInput('feishu', 'requester'), stages: [{ mode: 'any', approvers: [sim.personInput('feishu', 'alice')] }], ...extra },
  });
const read = async (path: string) => (await api.call('GET', path)).body;

/** Looks every 50 ms until `observe` returns `wanted`, for at most `ms`; returns the last observation. */
async function eventually<T>(observe: () => Promise<T>, wanted: T, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const seen = await observe();
    if (JSON.stringify(seen) === JSON.stringify(wanted) || Date.now() >= until) return seen;
    await sleep(50);
  }
}

describe('background jobs', () => {
  it('end a timed-out approval and send a queued notification while 8 webhook receivers hang', async () => {
    // Prepare: 8 approvals decided, each with its webhook job posting to a receiver that hangs
    const decided: string[] = [];
    for (const receiver of receivers) {
      const { body } = await start({ webhook: { url: receiver.url, secret: 'isolation-webhook-secret-01' } });
      await sim.approvals.act(body.platformInstanceId, simUserId('feishu', 'alice'), 'approve');
      decided.push(body.id);
    }
    const allHeld = [1, 1, 1, 1, 1, 1, 1, 1];
    expect(await eventually(async () => receivers.map((receiver) => receiver.held.length), allHeld, 30_000)).toEqual(allHeld);
    // … a ninth with a 1 s timeout, still pending on the platform
    const ninth = (await start({ timeoutSeconds: 1 })).body;
    // … and a notification whose first send WeCom throttled (45009), queued for a later try
    sim.inject('wecom.message', { kind: 'code', code: 45009 }, 4);
    const queued = (await api.call('POST', '/v1/notifications', { body: { integrationId: ids.wecom, to: { userIds: ['alice'] }, message: { text: 'deploy finished' } } })).body;
    expect(queued.status).toBe('pending');

    // Act: nothing but time: the ninth's check job is due at its timeout, the notification's job when its retry is
    const wanted = { heldRequests: allHeld, ninth: 'expired', notification: 'sent' };
    let seen: typeof wanted | undefined;
    try {
      seen = await eventually(
        async () => ({
          heldRequests: receivers.map((receiver) => receiver.held.length),
          ninth: (await read(`/v1/approvals/${ninth.id}`)).status,
          notification: (await read(`/v1/notifications/${queued.id}`)).status,
        }),
        wanted,
        30_000,
      );
    } finally {
      release();
    }

    // Assess: while all 8 receivers held a request, the timeout ended the ninth (its instance
    // withdrawn) and the notification went out; then each webhook was delivered once
    expect(seen).toEqual(wanted);
    expect(await read(`/v1/approvals/${ninth.id}`)).toMatchObject({ status: 'expired', endReason: 'timed out' });
    expect(sim.approvals.instances.get(ninth.platformInstanceId)!.status).toBe('canceled');
    await api.runtime.idle();
    for (const id of decided) expect((await read(`/v1/approvals/${id}`)).webhook).toMatchObject({ state: 'delivered', attempts: [{ status: 204 }] });
  }, 120_000);
});
