import { createHmac, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyWebhookSignature } from '../../lib/domain/webhook-signature.ts';
import { outboundWebhooks } from '../../lib/http/routes.ts';
import { logger } from '../../lib/log.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';
import { registerSimApps } from '../support/sim-app.ts';
import { PlatformSimulator, simUserId } from '../../lib/sandbox/platform-simulator.ts';

// The reconciler looks at a new approval after 300 ms (60 s in production), so lost callbacks are found fast.
process.env.IMHUB_RECONCILE_FIRST_CHECK_MS = '300';
// Webhook retries start after 200 ms (30 s in production).
process.env.IMHUB_WEBHOOK_FIRST_RETRY_MS = '200';
// A start is owned for 500 ms before the reconciler may take it over (60 s in production).
process.env.IMHUB_LEASE_MS = '500';
// These behaviours hold on every platform; DingTalk's sparing re-reads have their own tests.
process.env.IMHUB_DINGTALK_POLLING = 'normal';

/** A pipeline's webhook receiver: records every delivery; it answers 503 to the next `refuse` posts. */
const receiver = { refuse: 0, received: [] as { headers: Record<string, string>; body: string }[], url: '' };
const receiverServer = createServer(async (request, response) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (receiver.refuse > 0) {
    receiver.refuse -= 1;
    response.writeHead(503).end();
    return;
  }
  receiver.received.push({ headers: request.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') });
  response.writeHead(204).end();
});
/**
 * Runs the sweep until `check` holds: a job may be running on its own timer (leased) when a sweep
 * comes, so the test waits for the outcome, never for a time.
 */
const sweepUntil = (check: () => Promise<void>) =>
  vi.waitFor(
    async () => {
      await api.runtime.reconcile();
      await check();
    },
    { timeout: 20_000, interval: 100 },
  );
const deliveriesFor = (id: string) => receiver.received.filter((delivery) => JSON.parse(delivery.body).approval.id === id);

let api: TestApi;
let sim: PlatformSimulator;
const aesKey = 'b'.repeat(43);
const people = ['requester', 'alice', 'bob', 'carol'] as const;

// Registered in en-US: these tests are about the mechanics and read the English texts (test/e2e/locale.test.ts reads the Chinese ones).
const platforms = {
  feishu: { sim: 'feishu' as const, locale: 'en-US' as const, appId: 'cli_e2efeishu00001', credentials: { appId: 'cli_e2efeishu00001', appSecret: 'e2e-feishu-secret-001', encryptKey: 'e2e-encrypt-key-1', verificationToken: 'e2e-vt-1' } },
  lark: { sim: 'feishu' as const, locale: 'en-US' as const, appId: 'cli_e2elark000001', credentials: { appId: 'cli_e2elark000001', appSecret: 'e2e-lark-secret-00001', encryptKey: 'e2e-encrypt-key-2', verificationToken: 'e2e-vt-2' } },
  dingtalk: { sim: 'dingtalk' as const, locale: 'en-US' as const, appId: 'dinge2eappkey0001', credentials: { appKey: 'dinge2eappkey0001', appSecret: 'e2e-dingtalk-secret-1', aesKey, token: 'e2etoken' } },
  wecom: { sim: 'wecom' as const, locale: 'en-US' as const, appId: 'wwe2ecorp00001', credentials: { corpId: 'wwe2ecorp00001', agentId: '1000002', secret: 'e2e-wecom-secret-0001', token: 'e2etoken', encodingAesKey: aesKey } },
};
type Name = keyof typeof platforms;
const integrationIds: Partial<Record<Name, string>> = {};

beforeAll(async () => {
  await new Promise<void>((ready) => receiverServer.listen(0, '127.0.0.1', () => ready()));
  receiver.url = `http://127.0.0.1:${(receiverServer.address() as AddressInfo).port}/hooks/deploy`;
  sim = await new PlatformSimulator().start();
  api = await startTestApi();
  sim.afterCallback = () => api.runtime.idle();
  sim.addPeople(people);
  Object.assign(integrationIds, await registerSimApps(api, sim, platforms, 'e2e'));

});
afterAll(async () => {
  receiverServer.closeAllConnections();
  receiverServer.close();
  await api?.stop();
  await sim?.stop();
});

/** People by email; on DingTalk, which has no lookup by email, by mobile. */
const named = (name: Name, person: string) => sim.personInput(name, person);

function start(name: Name, stages: { mode: 'any' | 'all'; approvers: string[] }[], extra: Record<string, unknown> = {}) {
  return api.call('POST', '/v1/approvals', {
    body: {
      integrationId: integrationIds[name],
      title: `Deploy ${randomBytes(3).toString('hex')} to production`,
      content: 'Release notes: fixes and features',
      requester: named(name, 'requester'),
      stages: stages.map((stage) => ({ mode: stage.mode, approvers: stage.approvers.map((person) => named(name, person)) })),
      ...extra,
    },
  });
}
const read = async (id: string) => (await api.call('GET', `/v1/approvals/${id}`)).body;
const act = (name: Name, instanceId: string, person: (typeof people)[number], decision: 'approve' | 'reject') =>
  sim.approvals.act(instanceId, simUserId(platforms[name].sim, person), decision, `${decision} by ${person}`);

describe.each(Object.keys(platforms) as Name[])('%s approvals', (name) => {
  it('end approved from the signed callback alone, with the decision recorded, and answer a waiting long-poll', async () => {
    const started = await start(name, [{ mode: 'any', approvers: ['alice', 'bob'] }]);
    expect(started.status, started.text).toBe(201);
    expect(started.body).toMatchObject({ status: 'pending', platformInstanceId: expect.any(String) });
    const waiting = api.call('GET', `/v1/approvals/${started.body.id}?waitSeconds=15`);
    await sleep(100);
    const answers = await act(name, started.body.platformInstanceId, 'alice', 'approve');
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    const waited = await waiting;
    expect(waited.body).toMatchObject({ status: 'approved', decisions: [{ decision: 'approve', approver: simUserId(platforms[name].sim, 'alice'), person: named(name, 'alice'), stage: 0 }] });
  });

  it('end rejected from the callback', async () => {
    const { body } = await start(name, [{ mode: 'any', approvers: ['alice', 'bob'] }]);
    await act(name, body.platformInstanceId, 'bob', 'reject');
    expect((await read(body.id)).status).toBe('rejected');
  });

  it('wait for every approver of an "all" stage, and go through two stages', async () => {
    const { body } = await start(name, [{ mode: 'any', approvers: ['alice'] }, { mode: 'all', approvers: ['bob', 'carol'] }]);
    await act(name, body.platformInstanceId, 'alice', 'approve');
    await act(name, body.platformInstanceId, 'bob', 'approve');
    expect((await read(body.id)).status).toBe('pending');
    await act(name, body.platformInstanceId, 'carol', 'approve');
    const final = await read(body.id);
    expect(final.status).toBe('approved');
    expect(final.decisions.map((decision: { stage: number }) => decision.stage)).toEqual([0, 1, 1]);
  });

  it('end from the reconciler alone when callbacks are lost', async () => {
    const { body } = await start(name, [{ mode: 'any', approvers: ['alice'] }]);
    sim.approvals.dropCallbacks = true;
    try {
      await act(name, body.platformInstanceId, 'alice', 'approve');
    } finally {
      sim.approvals.dropCallbacks = false;
    }
    expect((await read(body.id)).status).toBe('pending');
    await sweepUntil(async () => expect((await read(body.id)).status).toBe('approved'));
  });

  it('expire at the timeout and withdraw the platform instance where the platform allows it', async () => {
    const { body } = await start(name, [{ mode: 'any', approvers: ['alice'] }], { timeoutSeconds: 1 });
    // WeCom has no API to withdraw an application; Feishu/Lark cancel and DingTalk terminate.
    await sweepUntil(async () => {
      expect(await read(body.id)).toMatchObject({ status: 'expired', endReason: 'timed out' });
      expect(sim.approvals.instances.get(body.platformInstanceId)!.status).toBe(name === 'wecom' ? 'pending' : 'canceled');
    });
  });

  it('cancel through the API, withdrawing the instance', async () => {
    const { body } = await start(name, [{ mode: 'any', approvers: ['alice'] }]);
    const canceled = await api.call('POST', `/v1/approvals/${body.id}/cancel`);
    expect(canceled.body).toMatchObject({ status: 'canceled', endReason: 'canceled through the API' });
    expect(sim.approvals.instances.get(body.platformInstanceId)!.status).toBe(name === 'wecom' ? 'pending' : 'canceled');
  });

  it('return the same approval for the same idempotency key, with one platform instance', async () => {
    const key = `deploy-${randomBytes(4).toString('hex')}`;
    // A repeat is the same request: same key, same body (another body is a 409, test/security/idempotency-conflict.test.ts).
    const repeat = { idempotencyKey: key, title: `Deploy ${key} to production` };
    const before = sim.approvals.instances.size;
    const first = await start(name, [{ mode: 'any', approvers: ['alice'] }], repeat);
    const lookups = sim.count(`${platforms[name].sim}.lookup`);
    const [second, third] = await Promise.all([1, 2].map(() => start(name, [{ mode: 'any', approvers: ['alice'] }], repeat)));
    expect([first.status, second!.status, third!.status]).toEqual([201, 200, 200]);
    expect(second!.body.id).toBe(first.body.id);
    expect(third!.body.id).toBe(first.body.id);
    expect(sim.approvals.instances.size - before).toBe(1);
    // A repeat asks the platform nothing.
    expect(sim.count(`${platforms[name].sim}.lookup`)).toBe(lookups);
  });
});

describe('outbound webhooks', () => {
  const webhook = { url: '', secret: 'pipeline-webhook-secret-0001' };
  beforeAll(() => {
    webhook.url = receiver.url;
  });

  it('deliver each terminal transition once, signed with the documented formula, every attempt readable', async () => {
    const { body } = await start('feishu', [{ mode: 'any', approvers: ['alice'] }], { webhook });
    await act('feishu', body.platformInstanceId, 'alice', 'approve');
    await api.runtime.reconcile();
    await api.runtime.reconcile();
    const deliveries = deliveriesFor(body.id);
    expect(deliveries).toHaveLength(1);
    const [delivery] = deliveries;
    expect(verifyWebhookSignature({ secret: webhook.secret, timestamp: delivery!.headers['x-imhub-timestamp']!, body: delivery!.body, signature: delivery!.headers['x-imhub-signature']! })).toBe(true);
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: 'approval.approved', approval: { id: body.id, status: 'approved', decisions: [{ decision: 'approve' }] } });
    // As the OpenAPI document's webhooks.approvalEnded describes it: its headers, its body's schema
    // (every field of the approval documented), and the signature computed as its description says.
    const documented = outboundWebhooks.find((hook) => hook.name === 'approvalEnded')!;
    for (const header of documented.headers) expect(delivery!.headers[header.name.toLowerCase()], header.name).toEqual(expect.any(String));
    const sent = JSON.parse(delivery!.body);
    expect(documented.body.safeParse(sent).error).toBeUndefined();
    const approvalShape = (documented.body as unknown as { shape: { approval: { shape: Record<string, unknown> } } }).shape.approval.shape;
    expect(Object.keys(sent.approval).sort()).toEqual(Object.keys(approvalShape).sort());
    const timestamp = delivery!.headers['x-imhub-timestamp']!;
    expect(delivery!.headers['x-imhub-signature']).toBe(`sha256=${createHmac('sha256', webhook.secret).update(`${timestamp}.${delivery!.body}`).digest('hex')}`);
    const approval = await read(body.id);
    expect(approval.webhook).toMatchObject({ state: 'delivered', attempts: [{ status: 204 }] });
    expect(JSON.stringify(approval)).not.toContain(webhook.secret);
  });

  it('retry while the receiver is down, then deliver once when it is back', async () => {
    const { body } = await start('wecom', [{ mode: 'any', approvers: ['alice'] }], { webhook });
    // Down for two posts, whenever they come: the retries' own timers (200 ms, then longer) bring
    // them, and the test waits for the outcome, not for a time.
    receiver.refuse = 2;
    await act('wecom', body.platformInstanceId, 'alice', 'reject');
    await vi.waitFor(
      async () => {
        await api.runtime.reconcile();
        expect((await read(body.id)).webhook.state).toBe('delivered');
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(receiver.refuse).toBe(0);
    expect(deliveriesFor(body.id)).toHaveLength(1);
    expect((await read(body.id)).webhook).toMatchObject({ state: 'delivered', attempts: [{ status: 503 }, { status: 503 }, { status: 204 }] });
    await api.runtime.reconcile();
    expect(deliveriesFor(body.id)).toHaveLength(1);
  });

  it('two conflicting events at once end in one terminal state and one webhook', async () => {
    const { body } = await start('dingtalk', [{ mode: 'any', approvers: ['alice'] }], { webhook });
    const [canceled] = await Promise.all([api.call('POST', `/v1/approvals/${body.id}/cancel`), act('dingtalk', body.platformInstanceId, 'alice', 'approve').catch(() => [])]);
    // The cancel wins (200), or the platform decided first and the cancel says so (409 already_decided).
    expect([200, 409]).toContain(canceled.status);
    const final = await read(body.id);
    expect(['approved', 'canceled']).toContain(final.status);
    await api.runtime.reconcile();
    await api.runtime.reconcile();
    const deliveries = deliveriesFor(body.id);
    expect(deliveries).toHaveLength(1);
    expect(JSON.parse(deliveries[0]!.body).approval.status).toBe(final.status);
  });

  it('refuse a webhook URL the runtime may not call', async () => {
    const answer = await start('feishu', [{ mode: 'any', approvers: ['alice'] }], { webhook: { url: 'ftp://example.com/hook', secret: webhook.secret } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([{ path: 'webhook.url', message: 'webhook.url must use https' }]);
  });
});

describe('approval notifications', () => {
  it('post one start and one end message (outcome, who, when) to a group bot, however many callbacks arrive', async () => {
    const { url, bot } = sim.addBot('wecom');
    const botIntegration = await api.call('POST', '/v1/integrations', { body: { provider: 'wecom', kind: 'webhook', name: `notify bot ${randomBytes(3).toString('hex')}`, credentials: { url } } });
    const { body } = await start('wecom', [{ mode: 'any', approvers: ['alice'] }], { notify: { integrationId: botIntegration.body.id } });
    // The start message is the started approval's job: sent once its commit lands.
    await api.runtime.idle();
    expect(bot.sent).toHaveLength(1);
    expect(JSON.stringify(bot.sent[0]!.body)).toContain('Approval requested');
    await act('wecom', body.platformInstanceId, 'alice', 'approve');
    await sim.approvals.redeliverLast();
    expect(bot.sent).toHaveLength(2);
    const end = JSON.stringify(bot.sent[1]!.body);
    expect(end).toContain('Approval approved');
    expect(end).toContain('Approved by alice@example.com');
  });

  it('post to an app chat of the approval’s own integration one card, updated in place from the start to the end', async () => {
    const before = sim.messages.length;
    const { body } = await start('feishu', [{ mode: 'any', approvers: ['alice'] }], { notify: { to: { chatIds: ['oc_releases'] } } });
    await api.runtime.idle();
    const sent = () => sim.messages.slice(before).filter((message) => message.target === 'chat_id:oc_releases');
    expect(sent()).toHaveLength(1);
    const card = sim.cards.cards.get(`feishu:${String(sent()[0]!.body.message_id)}`)!;
    expect(sim.cards.text(card)).toContain('Approval requested');
    expect(sim.cards.buttons(card)).toEqual([]);
    await act('feishu', body.platformInstanceId, 'alice', 'approve');
    await api.runtime.idle();
    // Still one message in the chat: the card now shows the outcome and who decided.
    expect(sent()).toHaveLength(1);
    expect(sim.cards.text(card)).toContain('Approved');
    expect(sim.cards.text(card)).toContain('Approved by alice: approve by alice');
    expect(card.history).toHaveLength(2);
  });

  it('refuse notify targets that do not fit the integration, starting nothing', async () => {
    const answer = await start('feishu', [{ mode: 'any', approvers: ['alice'] }], { notify: {} });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([{ path: 'notify.to', message: 'give chatIds, userIds, emails or mobiles for an app' }]);
  });
});

describe('approvals, across platforms', () => {
  it('refuse an approver the platform does not know with 422, storing nothing', async () => {
    const before = (await api.scan()).filter((item) => String(item.pk).startsWith('APR#')).length;
    const answer = await api.call('POST', '/v1/approvals', {
      body: { integrationId: integrationIds.wecom, title: 't', requester: { email: 'requester@example.com' }, stages: [{ approvers: [{ email: 'ghost@example.com' }] }] },
    });
    expect(answer.status).toBe(422);
    expect(answer.body.error.message).toContain('ghost@example.com');
    expect((await api.scan()).filter((item) => String(item.pk).startsWith('APR#')).length).toBe(before);
  });

  it('take duplicate callbacks into effect once', async () => {
    const { body } = await start('dingtalk', [{ mode: 'all', approvers: ['alice', 'bob'] }]);
    await act('dingtalk', body.platformInstanceId, 'alice', 'approve');
    // Each event claimed logs once and sets off one read; the approval's own check may read it
    // meanwhile (its first look is due 300 ms after the start), so the events are counted, not the reads.
    const claimed = vi.spyOn(logger, 'info');
    const again = await sim.approvals.redeliverLast();
    await Promise.all([sim.approvals.redeliverLast(), sim.approvals.redeliverLast()]);
    expect(again.every((answer) => answer.status === 200)).toBe(true);
    expect(claimed.mock.calls.filter(([message]) => message === 'callback event')).toEqual([]);
    claimed.mockRestore();
    const approval = await read(body.id);
    expect(approval).toMatchObject({ status: 'pending', decisions: [{ decision: 'approve', stage: 0 }] });
  });

  it('spend a bounded reconciler budget on a pending approval: checks back off, nothing polls on a short fixed interval', async () => {
    const { body } = await start('wecom', [{ mode: 'any', approvers: ['alice'] }]);
    const readsOf = () => sim.approvals.reads.get(body.platformInstanceId) ?? 0;
    const started = Date.now();
    const runs = 20;
    for (let run = 0; run < runs; run += 1) {
      await api.runtime.reconcile();
      await sleep(120);
    }
    const elapsed = Date.now() - started;
    const spent = readsOf();
    // Checks fall due at 300 ms, then gaps of 600, 1200, 2400 … ms: within `elapsed` at most
    // log2(elapsed / 300 + 1) of them (plus one for timing), however often the reconciler runs.
    expect(spent).toBeGreaterThanOrEqual(1);
    expect(spent).toBeLessThanOrEqual(Math.floor(Math.log2(elapsed / 300 + 1)) + 1);
    expect(spent).toBeLessThan(runs / 3);
    expect((await read(body.id)).status).toBe('pending');
  });

  it('cost one instance re-read per event, and a create of a known shape no provisioning', async () => {
    const { body } = await start('feishu', [{ mode: 'any', approvers: ['alice'] }]);
    // Only what the callbacks set off is counted: the approval's own first look (due 300 ms after the start) is taken out.
    await api.unscheduleCheck(body.id);
    const before = sim.approvals.reads.get(body.platformInstanceId) ?? 0;
    const created = sim.count('feishu.approval.create');
    await act('feishu', body.platformInstanceId, 'alice', 'approve');
    // Feishu sends two events for the last approval (task, then instance): the second finds the approval ended.
    expect(sim.approvals.reads.get(body.platformInstanceId)).toBe(before + 1);
    await start('feishu', [{ mode: 'any', approvers: ['bob'] }]);
    expect(sim.count('feishu.approval.create')).toBe(created);
  });

  it.each([
    ['WeCom throttles its create', 'wecom', 'wecom.instance.create', { kind: 'code', code: 45009 }],
    ['Feishu answers 500 to a create it keys by uuid', 'feishu', 'feishu.instance.create', { kind: 'http', status: 500 }],
    ['Feishu throttles its people lookups', 'feishu', 'feishu.lookup', { kind: 'code', code: 99991400 }],
    ['DingTalk throttles its people lookups', 'dingtalk', 'dingtalk.lookup', { kind: 'code', code: 90018 }],
  ] as const)('start later when %s every time: 201 pending, then the reconciler starts it', async (_case, name, route, fault) => {
    // Prepare: every attempt of the call fails in a way that is safe to repeat, until the platform recovers
    sim.inject(route, fault, 100);
    const before = sim.approvals.instances.size;
    // Act
    const started = await start(name, [{ mode: 'any', approvers: ['alice'] }]);
    expect(started.status, started.text).toBe(201);
    expect(started.body).toMatchObject({ status: 'pending', platformInstanceId: null });
    expect(sim.approvals.instances.size).toBe(before);
    sim.clearFaults(route);
    // Assess: one instance, linked, its people resolved, and it decides the approval. The start job
    // runs on its own timer when due: no sweep beside it, whose run could overlap a slow create past
    // this file's 500 ms lease and make a second instance (WeCom and DingTalk take no idempotency key).
    await vi.waitFor(async () => expect((await read(started.body.id)).platformInstanceId).toEqual(expect.any(String)), { timeout: 20_000, interval: 100 });
    const resumed = await read(started.body.id);
    expect(sim.approvals.instances.size).toBe(before + 1);
    await act(name, resumed.platformInstanceId, 'alice', 'approve');
    expect(await read(started.body.id)).toMatchObject({ status: 'approved', decisions: [{ person: named(name, 'alice') }] });
  });

  it('link the Feishu instance an attempt whose answer was lost already made (found by its uuid), not fail on 60012', async () => {
    sim.inject('feishu.instance.create', { kind: 'answer-lost', status: 502 });
    const before = sim.approvals.instances.size;
    const started = await start('feishu', [{ mode: 'any', approvers: ['alice'] }]);
    expect(started.status, started.text).toBe(201);
    expect(sim.approvals.instances.size).toBe(before + 1);
    const [instance] = [...sim.approvals.instances.values()].slice(-1);
    expect(started.body).toMatchObject({ status: 'pending', platformInstanceId: instance!.id });
  });

  it('end an approval failed once its integration is deleted, instead of looking at it forever', async () => {
    const { credentials } = platforms.feishu;
    const created = await api.call('POST', '/v1/integrations', { body: { provider: 'feishu', name: `doomed ${randomBytes(3).toString('hex')}`, apiBaseUrl: sim.url, credentials } });
    const started = await api.call('POST', '/v1/approvals', { body: { integrationId: created.body.id, title: 'Orphan', requester: named('feishu', 'requester'), stages: [{ approvers: [named('feishu', 'alice')] }] } });
    expect(started.status, started.text).toBe(201);
    expect((await api.call('DELETE', `/v1/integrations/${created.body.id}`)).status).toBe(204);
    // Its check ends it once due (300 ms here): looked at until then, however busy the machine.
    await expect
      .poll(async () => {
        await api.runtime.reconcile();
        return (await read(started.body.id)).status;
      }, { timeout: 10_000 })
      .toBe('failed');
    expect(await read(started.body.id)).toMatchObject({ status: 'failed', endReason: 'its integration was deleted' });
  });

  it('list approvals by status and integration', async () => {
    const page = await api.call('GET', `/v1/approvals?status=approved&integrationId=${integrationIds.dingtalk}&limit=100`);
    expect(page.status).toBe(200);
    expect(page.body.items.length).toBeGreaterThan(0);
    expect(page.body.items.every((item: { status: string; integrationId: string }) => item.status === 'approved' && item.integrationId === integrationIds.dingtalk)).toBe(true);
  });
});
