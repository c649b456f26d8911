import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformSimulator, simUserId } from '../../lib/sandbox/platform-simulator.ts';
import { feishuPlain, feishuSigned } from '../../lib/sandbox/platform-signing.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

/**
 * Feishu and Lark as their docs and SDK say they behave (docs/platforms/feishu.md): each test
 * sets the simulator up the way the platform behaves and shows imhub handling it. Sources are in
 * the simulator next to each behaviour.
 */

// A start (and a definition's claim) is owned for 1.5 s before the reconciler may take it over
// (60 s in production): longer than the slow create below, as production's is longer than a call's timeout.
process.env.IMHUB_LEASE_MS = '1500';
process.env.IMHUB_RECONCILE_FIRST_CHECK_MS = '200';

let api: TestApi;
let sim: PlatformSimulator;
const people = ['requester', 'alice', 'bob', 'carol', 'dave'] as const;
type PersonName = (typeof people)[number];
const apps = {
  feishu: { appId: 'cli_fidelity000001', credentials: { appId: 'cli_fidelity000001', appSecret: 'fidelity-feishu-secret-1', encryptKey: 'fidelity-encrypt-key-1', verificationToken: 'fidelity-vt-1' } },
  lark: { appId: 'cli_fidelity000002', credentials: { appId: 'cli_fidelity000002', appSecret: 'fidelity-lark-secret-002', encryptKey: 'fidelity-encrypt-key-2', verificationToken: 'fidelity-vt-2' } },
  // A second Feishu app whose console subscribed the v2 names of the approval events.
  v2: { appId: 'cli_fidelity000003', credentials: { appId: 'cli_fidelity000003', appSecret: 'fidelity-v2-secret-0003', encryptKey: 'fidelity-encrypt-key-3', verificationToken: 'fidelity-vt-3' } },
};
type AppName = keyof typeof apps;
const ids = {} as Record<AppName, string>;
const callbackUrls = {} as Record<AppName, string>;

beforeAll(async () => {
  sim = await new PlatformSimulator().start();
  api = await startTestApi();
  sim.afterCallback = () => api.runtime.idle();
  sim.addPeople(people);
  for (const [name, app] of Object.entries(apps) as [AppName, (typeof apps)[AppName]][]) {
    sim.addApp('feishu', app.appId, app.credentials.appSecret);
    const created = await api.call('POST', '/v1/integrations', { body: { provider: name === 'lark' ? 'lark' : 'feishu', name: `fidelity ${name}`, apiBaseUrl: sim.url, credentials: app.credentials } });
    expect(created.status, created.text).toBe(201);
    ids[name] = created.body.id;
    callbackUrls[name] = created.body.callbackUrl;
    sim.approvals.subscribeIntegration('feishu', app.appId, created.body.callbackUrl, app.credentials);
  }
  sim.approvals.subscribe('feishu', apps.v2.appId, { ...sim.approvals.subscriptions.get(`feishu:${apps.v2.appId}`)!, eventVersion: 'v2' });
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

const email = (name: PersonName) => `${name}@example.com`;
const user = (name: PersonName) => simUserId('feishu', name);
function start(stages: { mode: 'any' | 'all'; approvers: PersonName[] }[], extra: Record<string, unknown> = {}, app: AppName = 'feishu') {
  return api.call('POST', '/v1/approvals', {
    body: {
      integrationId: ids[app],
      title: `Deploy ${randomBytes(3).toString('hex')}`,
      requester: { email: email('requester') },
      stages: stages.map((stage) => ({ mode: stage.mode, approvers: stage.approvers.map((name) => ({ email: email(name) })) })),
      ...extra,
    },
  });
}
const read = async (id: string) => (await api.call('GET', `/v1/approvals/${id}`)).body;
const instanceOf = (instanceId: string) => sim.approvals.instances.get(instanceId)!;
/** Runs the reconciler until the approval has a platform instance (a start deferred by a throttle or another start's provisioning). */
async function untilStarted(id: string) {
  for (let round = 0; round < 100; round += 1) {
    const approval = await read(id);
    if (approval.platformInstanceId) return approval;
    await sleep(100);
    await api.runtime.reconcile();
  }
  throw new Error(`approval ${id} never started`);
}
/** A new shape of stages (definitions are made per shape), so provisioning happens in this test. */
const freshShape = (length: number): { mode: 'any' | 'all'; approvers: PersonName[] }[] =>
  Array.from({ length }, (_, index) => ({ mode: (index + length) % 2 ? 'all' : 'any', approvers: ['alice'] }));

describe('Feishu: a grant on the platform is never undone by imhub', () => {
  it('a cancel that meets an approval already granted on Feishu (its callback lost) leaves it granted and answers 409 already_decided with the approval', async () => {
    // Prepare: alice approves, and the callback never arrives
    const { body } = await start([{ mode: 'any', approvers: ['alice'] }]);
    sim.approvals.dropCallbacks = true;
    try {
      await sim.approvals.act(body.platformInstanceId, user('alice'), 'approve', 'ship it');
    } finally {
      sim.approvals.dropCallbacks = false;
    }
    // Act
    const canceled = await api.call('POST', `/v1/approvals/${body.id}/cancel`);
    // Assess: the platform's decision wins, and the instance is still approved there
    expect(canceled.status, canceled.text).toBe(409);
    expect(canceled.body.error).toMatchObject({ code: 'already_decided', details: { approval: { id: body.id, status: 'approved' } } });
    expect(await read(body.id)).toMatchObject({ status: 'approved', endReason: 'approved on the platform', decisions: [{ approver: user('alice'), comment: 'ship it' }] });
    expect(instanceOf(body.platformInstanceId).status).toBe('approved');
  });

  it('a timeout that meets an approval already granted on Feishu (its callback lost) reports approved and leaves the grant', async () => {
    const { body } = await start([{ mode: 'any', approvers: ['alice'] }], { timeoutSeconds: 1 });
    sim.approvals.dropCallbacks = true;
    try {
      await sim.approvals.act(body.platformInstanceId, user('alice'), 'approve');
    } finally {
      sim.approvals.dropCallbacks = false;
    }
    await sleep(1100);
    await api.runtime.reconcile();
    expect(await read(body.id)).toMatchObject({ status: 'approved', endReason: 'approved on the platform' });
    expect(instanceOf(body.platformInstanceId).status).toBe('approved');
  });

  it('a cancel of a pending approval withdraws it on Feishu after reading it, and a second cancel changes nothing', async () => {
    const { body } = await start([{ mode: 'any', approvers: ['alice'] }]);
    // Only the cancel's own read is counted: the approval's scheduled look is taken out.
    await api.unscheduleCheck(body.id);
    const reads = sim.approvals.reads.get(body.platformInstanceId) ?? 0;
    const canceled = await api.call('POST', `/v1/approvals/${body.id}/cancel`);
    expect(canceled.body).toMatchObject({ status: 'canceled', endReason: 'canceled through the API' });
    expect(sim.approvals.reads.get(body.platformInstanceId)).toBe(reads + 1);
    expect(instanceOf(body.platformInstanceId).status).toBe('canceled');
    const again = await api.call('POST', `/v1/approvals/${body.id}/cancel`);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('canceled');
  });

  it('a cancel while Feishu cannot be read answers with the platform error and changes nothing', async () => {
    const { body } = await start([{ mode: 'any', approvers: ['alice'] }]);
    sim.inject('feishu.instance.get', { kind: 'http', status: 503 }, 100);
    const canceled = await api.call('POST', `/v1/approvals/${body.id}/cancel`);
    sim.clearFaults('feishu.instance.get');
    expect(canceled.status).toBe(502);
    expect(canceled.body.error).toMatchObject({ code: 'provider_error', details: { platform: 'feishu', platformCode: 503 } });
    expect((await read(body.id)).status).toBe('pending');
    expect(instanceOf(body.platformInstanceId).status).toBe('pending');
  });

  it('definitions are made with revert_interval 0, so no withdrawal can ever put a grant back under review', async () => {
    const { body } = await start(freshShape(5));
    expect(body.platformInstanceId, JSON.stringify(body)).toEqual(expect.any(String));
    expect(sim.approvals.definitions.get(instanceOf(body.platformInstanceId).definition)).toMatchObject({ revertIntervalSeconds: 0 });
  });
});

describe('Feishu: several approvers in one stage', () => {
  it('a two-approver "any" stage and a three-approver "all" stage start and end (nodes allow several approvers)', async () => {
    const started = await start([
      { mode: 'any', approvers: ['alice', 'bob'] },
      { mode: 'all', approvers: ['alice', 'bob', 'carol'] },
    ]);
    expect(started.status, started.text).toBe(201);
    expect(started.body).toMatchObject({ status: 'pending', platformInstanceId: expect.any(String) });
    const instanceId = started.body.platformInstanceId;
    await sim.approvals.act(instanceId, user('bob'), 'approve');
    for (const name of ['alice', 'bob'] as const) await sim.approvals.act(instanceId, user(name), 'approve');
    expect((await read(started.body.id)).status).toBe('pending');
    await sim.approvals.act(instanceId, user('carol'), 'approve');
    const final = await read(started.body.id);
    expect(final.status).toBe('approved');
    expect(final.decisions.map((decision: { stage: number }) => decision.stage)).toEqual([0, 1, 1, 1]);
  });
});

describe('Feishu: codes that mean "later", not "never"', () => {
  it('a create answered 1395001 ("try again later", HTTP 400) stays pending and is started later', async () => {
    sim.inject('feishu.instance.create', { kind: 'code', code: 1395001, status: 400, message: 'There have been some errors. Please try again later' }, 4);
    const started = await start([{ mode: 'any', approvers: ['alice'] }]);
    expect(started.status, started.text).toBe(201);
    expect(started.body).toMatchObject({ status: 'pending', platformInstanceId: null });
    const resumed = await untilStarted(started.body.id);
    await sim.approvals.act(resumed.platformInstanceId, user('alice'), 'approve');
    expect((await read(started.body.id)).status).toBe('approved');
  });

  it('a bot answering 9499 "too many request" (HTTP 400) is throttling: the message is queued and sent, not failed', async () => {
    const { url, bot } = sim.addBot('feishu', 'fidelity-bot-secret-01');
    const created = await api.call('POST', '/v1/integrations', { body: { provider: 'feishu', kind: 'webhook', name: `bot ${randomBytes(3).toString('hex')}`, credentials: { url, secret: 'fidelity-bot-secret-01' } } });
    sim.inject('feishu.bot', { kind: 'code', code: 9499, status: 400, message: 'too many request' }, 4);
    const sent = await api.call('POST', '/v1/notifications', { body: { integrationId: created.body.id, message: { text: 'deployed' } } });
    expect(sent.body.deliveries).toMatchObject([{ status: 'queued' }]);
    const final = await drain(sent.body.id);
    expect(final.deliveries).toMatchObject([{ status: 'sent' }]);
    expect(bot.sent).toHaveLength(1);
  });

  it('a bot answering 9499 "Bad Request" is a refusal: the delivery fails with the code', async () => {
    const { url } = sim.addBot('feishu');
    const created = await api.call('POST', '/v1/integrations', { body: { provider: 'feishu', kind: 'webhook', name: `bot ${randomBytes(3).toString('hex')}`, credentials: { url } } });
    sim.inject('feishu.bot', { kind: 'code', code: 9499, status: 400, message: 'Bad Request' });
    const sent = await api.call('POST', '/v1/notifications', { body: { integrationId: created.body.id, message: { text: 'deployed' } } });
    expect(sent.body.deliveries).toMatchObject([{ status: 'failed', error: { code: 9499 } }]);
  });

  it('im/v1/messages answering 230049 ("the message is being sent") is repeated later with the same uuid, never marked failed', async () => {
    sim.inject('feishu.message', { kind: 'code', code: 230049, message: 'The message is being sent.' }, 4);
    const sent = await api.call('POST', '/v1/notifications', { body: { integrationId: ids.feishu, to: { chatIds: ['oc_release'] }, message: { text: 'deployed' } } });
    expect(sent.body.deliveries).toMatchObject([{ status: 'queued' }]);
    const final = await drain(sent.body.id);
    expect(final.deliveries).toMatchObject([{ status: 'sent' }]);
    expect(sim.messages.filter((message) => message.target === 'chat_id:oc_release')).toHaveLength(1);
  });
});

describe('Feishu: definitions cannot be deleted, so none may leak', () => {
  it('a subscribe that fails keeps the definition: the next try subscribes it, and no second definition is made', async () => {
    const shape = freshShape(6);
    const definitions = sim.count('feishu.approval.create');
    sim.inject('feishu.approval.subscribe', { kind: 'code', code: 1395001, status: 400 }, 4);
    const first = await start(shape);
    expect(first.status, first.text).toBe(201);
    expect(first.body.platformInstanceId).toBeNull();
    const resumed = await untilStarted(first.body.id);
    expect(resumed.platformInstanceId).toEqual(expect.any(String));
    const second = await start(shape);
    expect(second.body.platformInstanceId).toEqual(expect.any(String));
    expect(sim.count('feishu.approval.create') - definitions).toBe(1);
  });

  it('two concurrent first uses of a shape make one definition, and both approvals start', async () => {
    const shape = freshShape(7);
    const definitions = sim.count('feishu.approval.create');
    // The create is slow, so both starts look for the definition while it is being made.
    sim.inject('feishu.approval.create', { kind: 'slow', ms: 300 });
    const [a, b] = await Promise.all([start(shape), start(shape)]);
    expect([a.status, b.status]).toEqual([201, 201]);
    await untilStarted(a.body.id);
    await untilStarted(b.body.id);
    expect(sim.count('feishu.approval.create') - definitions).toBe(1);
  });

  it('a definition create whose answer was lost is not sent again: its claim stays until its lease ends, so no other start makes one meanwhile', async () => {
    const shape = freshShape(8);
    const definitions = sim.count('feishu.approval.create');
    sim.inject('feishu.approval.create', { kind: 'answer-lost', status: 504 });
    const first = await start(shape);
    expect(first.status).toBe(502);
    expect(sim.count('feishu.approval.create') - definitions).toBe(1);
    const claims = (await api.scan()).filter((item) => String(item.pk).startsWith(`PROV#${ids.feishu}#`) && !item.code && item.leaseUntil);
    expect(claims).toHaveLength(1);
  });
});

describe('Feishu: @all only where a group is', () => {
  it('mentions everyone in a chat card, never in a one-to-one card', async () => {
    const before = sim.messages.length;
    const sent = await api.call('POST', '/v1/notifications', { body: { integrationId: ids.feishu, to: { chatIds: ['oc_all'], userIds: [user('alice')] }, message: { text: 'heads up', mentions: [{ all: true }] } } });
    expect(sent.body.status).toBe('sent');
    const [toChat, toUser] = sim.messages.slice(before);
    expect(String(toChat!.body.content)).toContain('<at id=all></at>');
    expect(String(toUser!.body.content)).not.toContain('<at id=all>');
  });

  it('reports the platform code when a group owner has not allowed @all', async () => {
    sim.chatsWithoutAtAll.add('oc_locked');
    const sent = await api.call('POST', '/v1/notifications', { body: { integrationId: ids.feishu, to: { chatIds: ['oc_locked'] }, message: { text: 'heads up', mentions: [{ all: true }] } } });
    expect(sent.body.deliveries).toMatchObject([{ status: 'failed', error: { code: 11235 } }]);
  });
});

describe('Feishu: events and decisions', () => {
  it('takes the v2 approval events (approval.task.status_changed_v4, approval.instance.status_changed_v4) as triggers', async () => {
    const { body } = await start([{ mode: 'any', approvers: ['alice'] }], {}, 'v2');
    const answers = await sim.approvals.act(body.platformInstanceId, user('alice'), 'approve');
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect((await read(body.id)).status).toBe('approved');
  });

  it('attributes each comment to its own task when one person decides in two stages', async () => {
    const { body } = await start([
      { mode: 'any', approvers: ['alice'] },
      { mode: 'any', approvers: ['alice'] },
    ]);
    await sim.approvals.act(body.platformInstanceId, user('alice'), 'approve', 'code reviewed');
    await sim.approvals.act(body.platformInstanceId, user('alice'), 'approve', 'change window ok');
    const final = await read(body.id);
    expect(final.status).toBe('approved');
    expect(final.decisions.map((decision: { stage: number; comment: string }) => [decision.stage, decision.comment])).toEqual([
      [0, 'code reviewed'],
      [1, 'change window ok'],
    ]);
  });

  it('reads a transferred approver’s decision in the stage it was made, with its comment', async () => {
    const { body } = await start([{ mode: 'all', approvers: ['alice', 'bob'] }]);
    await sim.approvals.transfer(body.platformInstanceId, user('alice'), user('carol'), 'carol owns this service');
    await sim.approvals.act(body.platformInstanceId, user('bob'), 'approve', 'ok');
    expect((await read(body.id)).status).toBe('pending');
    await sim.approvals.act(body.platformInstanceId, user('carol'), 'approve', 'looks right');
    const final = await read(body.id);
    expect(final.status).toBe('approved');
    expect(final.decisions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ stage: 0, approver: user('bob'), comment: 'ok' }),
        // Not an approver imhub was given: the platform's id, and no person.
        expect.objectContaining({ stage: 0, approver: user('carol'), comment: 'looks right', person: null }),
      ]),
    );
  });

  it('reads an added approver’s decision (加签) as the stage’s', async () => {
    const { body } = await start([{ mode: 'any', approvers: ['alice'] }]);
    await sim.approvals.addApprover(body.platformInstanceId, user('alice'), user('dave'));
    await sim.approvals.act(body.platformInstanceId, user('dave'), 'approve', 'covering for alice');
    const final = await read(body.id);
    expect(final).toMatchObject({ status: 'approved', decisions: [{ stage: 0, approver: user('dave'), comment: 'covering for alice' }] });
  });

  it('reads a send-back (退回): the earlier stage decides again, and each decision keeps its own comment', async () => {
    const { body } = await start([
      { mode: 'any', approvers: ['alice'] },
      { mode: 'any', approvers: ['bob'] },
    ]);
    await sim.approvals.act(body.platformInstanceId, user('alice'), 'approve', 'first look: fine');
    await sim.approvals.sendBack(body.platformInstanceId, user('bob'), 0, 'missing the rollback plan');
    expect((await read(body.id)).status).toBe('pending');
    await sim.approvals.act(body.platformInstanceId, user('alice'), 'reject', 'no rollback plan: no');
    const final = await read(body.id);
    expect(final.status).toBe('rejected');
    expect(final.decisions.map((decision: { stage: number; decision: string; comment: string }) => [decision.stage, decision.decision, decision.comment])).toEqual([
      [0, 'approve', 'first look: fine'],
      [0, 'reject', 'no rollback plan: no'],
    ]);
  });
});

describe('Feishu: people', () => {
  it('finds a person by email whatever its letter case', async () => {
    const started = await api.call('POST', '/v1/approvals', {
      body: { integrationId: ids.feishu, title: 'Case', requester: { email: 'Requester@Example.COM' }, stages: [{ approvers: [{ email: 'ALICE@example.com' }] }] },
    });
    expect(started.status, started.text).toBe(201);
    expect(started.body.platformInstanceId).toEqual(expect.any(String));
  });

  it('finds a person by a mobile written as people write it (+86 138-0000-0001), normalised to what the platform stores', async () => {
    const started = await api.call('POST', '/v1/approvals', {
      body: { integrationId: ids.lark, title: 'Mobile', requester: { mobile: '+86 138-0000-0000' }, stages: [{ approvers: [{ mobile: '0086 138 0000 0001' }] }] },
    });
    expect(started.status, started.text).toBe(201);
    expect(started.body.requester).toEqual({ mobile: '13800000000' });
  });

  it('refuses a mobile that is no number, or a non-mainland number without its country code, saying what to write', async () => {
    const started = await api.call('POST', '/v1/approvals', {
      body: { integrationId: ids.feishu, title: 'Mobile', requester: { mobile: '9123 4567' }, stages: [{ approvers: [{ mobile: 'call me' }] }] },
    });
    expect(started.status).toBe(400);
    expect(started.text).toMatch(/\+ and the country code/);
  });
});

describe('Feishu: deadlines and freshness', () => {
  it('answers the URL check without calling the platform', async () => {
    // Earlier tests' approvals are still re-read by their check jobs meanwhile: those reads are not the handshake's.
    const mark = sim.timeline.length;
    const answer = await deliverTo('feishu', feishuSigned({ encryptKey: apps.feishu.credentials.encryptKey, payload: { challenge: 'c-123', token: apps.feishu.credentials.verificationToken, type: 'url_verification' }, signed: false }));
    expect(answer).toMatchObject({ status: 200, body: { challenge: 'c-123' } });
    expect(sim.timeline.slice(mark).filter((event) => event.startsWith('call ') && event !== 'call feishu.instance.get')).toEqual([]);
  });

  it('accepts an event retried 6 hours after it was signed (Feishu retries for about 7 h), once; a replay of it is a duplicate', async () => {
    const { body } = await start([{ mode: 'any', approvers: ['alice'] }]);
    sim.approvals.dropCallbacks = true;
    try {
      await sim.approvals.act(body.platformInstanceId, user('alice'), 'approve');
    } finally {
      sim.approvals.dropCallbacks = false;
    }
    const sixHoursAgo = Math.floor(Date.now() / 1000) - 6 * 3600;
    const event = { uuid: `retry-${randomBytes(4).toString('hex')}`, token: apps.feishu.credentials.verificationToken, ts: String(sixHoursAgo), type: 'event_callback', event: { app_id: apps.feishu.appId, type: 'approval_instance', instance_code: body.platformInstanceId, status: 'APPROVED' } };
    const request = feishuSigned({ encryptKey: apps.feishu.credentials.encryptKey, payload: event, timestamp: sixHoursAgo });
    expect((await deliverTo('feishu', request)).status).toBe(200);
    expect((await read(body.id)).status).toBe('approved');
    const reads = sim.approvals.reads.get(body.platformInstanceId);
    expect((await deliverTo('feishu', request)).status).toBe(200);
    expect(sim.approvals.reads.get(body.platformInstanceId)).toBe(reads);
  });

  it('refuses an event signed more than 7.5 hours ago', async () => {
    const old = Math.floor(Date.now() / 1000) - 8 * 3600;
    const event = { uuid: `old-${randomBytes(4).toString('hex')}`, token: apps.feishu.credentials.verificationToken, type: 'event_callback', event: { app_id: apps.feishu.appId, type: 'approval_instance', instance_code: 'x' } };
    const answer = await deliverTo('feishu', feishuSigned({ encryptKey: apps.feishu.credentials.encryptKey, payload: event, timestamp: old }));
    expect(answer.status).toBe(401);
    expect(answer.text).toMatch(/minutes old/);
  });

  it('refuses a plain (unencrypted) event to an integration that has an Encrypt Key', async () => {
    const answer = await deliverTo('feishu', feishuPlain({ uuid: 'u', token: apps.feishu.credentials.verificationToken, type: 'event_callback', event: { app_id: apps.feishu.appId, type: 'approval_instance' } }));
    expect(answer.status).toBe(401);
  });
});

async function deliverTo(app: AppName, request: { method: string; headers: Record<string, string>; body?: string }) {
  const response = await fetch(callbackUrls[app], { method: request.method, headers: request.headers, ...(request.body === undefined ? {} : { body: request.body }) });
  const text = await response.text();
  // What the event set off (its job) has run, as for the simulator's own deliveries.
  await api.runtime.idle();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, text, body };
}

/** Runs the reconciler until nothing of the notification is queued. */
async function drain(id: string) {
  for (let round = 0; round < 60; round += 1) {
    const { body } = await api.call('GET', `/v1/notifications/${id}`);
    if (body.status !== 'pending') return body;
    await sleep(150);
    await api.runtime.reconcile();
  }
  return (await api.call('GET', `/v1/notifications/${id}`)).body;
}
