import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApi } from '../support/local-api.ts';
import { startSimulatedPlatforms } from '../support/sim-app.ts';
import type { SimCard } from '../../lib/sandbox/card-simulator.ts';
import { deliver } from '../../lib/sandbox/platform-signing.ts';
import { type PlatformSimulator, simUserId } from '../../lib/sandbox/platform-simulator.ts';

// Issue 16, items 1-3: approvals decided on cards in the chat ("via": "card"). Each approver of the
// stage reached gets one card, updated in place on every change; a click counts only when the
// platform's signed event names an approver of the current stage who has not decided there.

// A clicked DingTalk card is updated for everyone once the click's answer is out: 200 ms here, 3 s by default.
process.env.IMHUB_CARD_SETTLE_MS = '200';

let api: TestApi;
let sim: PlatformSimulator;
// Registered in en-US: these tests are about the mechanics and read the English texts (test/e2e/locale.test.ts reads the Chinese ones).
const platforms = {
  feishu: { sim: 'feishu' as const, locale: 'en-US' as const, appId: 'cli_cards00000000001', credentials: { appId: 'cli_cards00000000001', appSecret: 'cards-secret-000001', encryptKey: 'cards-encrypt-key-1', verificationToken: 'cards-vt-1' } },
  lark: { sim: 'feishu' as const, locale: 'en-US' as const, appId: 'cli_cardslark000001', credentials: { appId: 'cli_cardslark000001', appSecret: 'cards-lark-secret-01', encryptKey: 'cards-encrypt-key-2', verificationToken: 'cards-vt-2' } },
  wecom: { sim: 'wecom' as const, locale: 'en-US' as const, appId: 'wwcards0000000001', credentials: { corpId: 'wwcards0000000001', agentId: '1000003', secret: 'cards-wecom-secret-01', token: 'cardstoken', encodingAesKey: 'd'.repeat(43) } },
  dingtalk: {
    sim: 'dingtalk' as const, locale: 'en-US' as const,
    appId: 'dingcards00000001',
    credentials: { appKey: 'dingcards00000001', appSecret: 'cards-dingtalk-secret-1', aesKey: 'e'.repeat(43), token: 'cardstoken', cardTemplateId: 'tpl-imhub-approval' },
  },
};
type Name = keyof typeof platforms;
const integrationIds: Partial<Record<Name, string>> = {};

beforeAll(async () => {
  const started = await startSimulatedPlatforms(platforms, 'cards', ['requester', 'alice', 'bob', 'carol']);
  ({ sim, api } = started);
  Object.assign(integrationIds, started.integrationIds);
  // The tenant's published card template (DingTalk makes every card from one).
  sim.cards.dingtalkTemplates.add('tpl-imhub-approval');
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

let serial = 0;
async function start(name: Name, stages: { mode: 'any' | 'all'; approvers: string[] }[], extra: Record<string, unknown> = {}) {
  serial += 1;
  const title = `Release ${name} #${serial}`;
  const started = await api.call('POST', '/v1/approvals', {
    body: {
      integrationId: integrationIds[name],
      title,
      content: 'Roll out build 42 to production',
      requester: sim.personInput(name, 'requester'),
      stages: stages.map((stage) => ({ mode: stage.mode, approvers: stage.approvers.map((person) => sim.personInput(name, person)) })),
      via: 'card',
      ...extra,
    },
  });
  expect(started.status, started.text).toBe(201);
  await api.runtime.idle();
  return started.body as { id: string; status: string };
}

/** The one card of this approval a person has (their platform's target), as it shows now. */
function cardOf(name: Name, person: string, title: string): SimCard {
  const cards = sim.cards.of(platforms[name].sim, targetOf(name, person)).filter((card) => sim.cards.text(card).includes(title));
  expect(cards, `${person} has one card for "${title}"`).toHaveLength(1);
  return cards[0]!;
}

/** Feishu and Lark: one platform on two domains, with the same cards. */
const feishuLike = (name: Name) => platforms[name].sim === 'feishu';
const targetOf = (name: Name, person: string) => (feishuLike(name) ? `open_id:${simUserId('feishu', person)}` : `user:${simUserId(platforms[name].sim, person)}`);
/** A person as cards show them: an email's name part, a mobile masked (a chat may see the card). */
const label = (name: Name, person: string) => {
  const given = sim.personInput(name, person);
  return 'email' in given ? given.email.split('@')[0]! : `${given.mobile.slice(0, 3)}****${given.mobile.slice(-4)}`;
};
const view = async (id: string) => (await api.call('GET', `/v1/approvals/${id}`)).body;
const user = (name: Name, person: string) => simUserId(platforms[name].sim, person);

describe.each(Object.keys(platforms) as Name[])('%s: approve from the chat', (name) => {
  /** Feishu's and DingTalk's cards have a comment input; WeCom's have none (template cards take no text). */
  const comments = name !== 'wecom';

  it('approves by card: the decision names the approver, and every card shows the outcome without buttons', async () => {
    const approval = await start(name, [{ mode: 'any', approvers: ['alice', 'bob'] }]);
    const title = `Release ${name} #${serial}`;
    const alice = cardOf(name, 'alice', title);
    const bob = cardOf(name, 'bob', title);
    expect(sim.cards.buttons(alice)).toEqual(['Approve', 'Reject']);
    expect(sim.cards.text(bob)).toContain('Roll out build 42');

    const clicked = await sim.cards.click(alice, user(name, 'alice'), 'approve', comments ? 'ship it' : undefined);
    expect(clicked.status).toBe(200);
    if (feishuLike(name)) expect(clicked.toast).toEqual({ type: 'success', text: 'You approved this request' });

    const ended = await view(approval.id);
    expect(ended).toMatchObject({ status: 'approved', endReason: 'approved on the card', via: 'card' });
    expect(ended.decisions).toEqual([expect.objectContaining({ stage: 0, decision: 'approve', approver: user(name, 'alice'), person: sim.personInput(name, 'alice'), ...(comments ? { comment: 'ship it' } : {}) })]);
    for (const card of [alice, bob]) {
      expect(sim.cards.buttons(card)).toEqual([]);
      expect(sim.cards.text(card)).toContain(`Approved by ${label(name, 'alice')}`);
    }
    expect(ended.cards).toHaveLength(2);
  });

  it('rejects by card with the approver’s reason', async () => {
    const approval = await start(name, [{ mode: 'any', approvers: ['alice'] }]);
    const alice = cardOf(name, 'alice', `Release ${name} #${serial}`);
    await sim.cards.click(alice, user(name, 'alice'), 'reject', comments ? 'not during the freeze' : undefined);
    const ended = await view(approval.id);
    expect(ended).toMatchObject({ status: 'rejected', endReason: 'rejected on the card' });
    expect(ended.decisions[0]).toMatchObject({ decision: 'reject', person: sim.personInput(name, 'alice'), ...(comments ? { comment: 'not during the freeze' } : {}) });
    expect(sim.cards.text(alice)).toContain('Rejected');
  });

  it('ignores a click by someone who is not an approver of the stage (a toast says so), and a second click by one who decided', async () => {
    const approval = await start(name, [{ mode: 'all', approvers: ['alice', 'bob'] }]);
    const title = `Release ${name} #${serial}`;
    const alice = cardOf(name, 'alice', title);
    // Carol holds alice's card (forwarded, or clicked on her screen): the signed event names carol.
    const stranger = await sim.cards.click(alice, user(name, 'carol'), 'approve');
    expect(stranger.status).toBe(200);
    if (feishuLike(name)) expect(stranger.toast).toEqual({ type: 'error', text: 'You are not an approver of this stage' });
    // DingTalk: the clicker's private `notice`; WeCom, whose answer cannot show one: a direct message.
    if (name === 'dingtalk') expect(stranger.toast).toEqual({ type: 'notice', text: 'You are not an approver of this stage' });
    if (name === 'wecom') {
      const told = sim.messages.filter((message) => message.target === `user:${user(name, 'carol')}` && JSON.stringify(message.body).includes('You are not an approver of this stage'));
      expect(told).toHaveLength(1);
    }
    expect((await view(approval.id)).decisions).toEqual([]);

    await sim.cards.click(alice, user(name, 'alice'), 'approve');
    const afterFirst = await view(approval.id);
    expect(afterFirst.status).toBe('pending');
    expect(afterFirst.decisions).toHaveLength(1);
    // Alice on bob's card: a person's card is theirs alone, so the click is not a decision of hers.
    const onBobs = await sim.cards.click(cardOf(name, 'bob', title), user(name, 'alice'), 'reject');
    if (feishuLike(name)) expect(onBobs.toast).toEqual({ type: 'error', text: 'You are not an approver of this stage' });
    expect((await view(approval.id)).decisions).toHaveLength(1);
  });

  it('decides an "all" stage across two cards, each card updated after each click and at the end', async () => {
    const approval = await start(name, [{ mode: 'all', approvers: ['alice', 'bob'] }]);
    const title = `Release ${name} #${serial}`;
    const alice = cardOf(name, 'alice', title);
    const bob = cardOf(name, 'bob', title);
    await sim.cards.click(alice, user(name, 'alice'), 'approve');
    expect((await view(approval.id)).status).toBe('pending');
    // Alice's card: her decision, no buttons; waiting for bob.
    expect(sim.cards.buttons(alice)).toEqual([]);
    expect(sim.cards.text(alice)).toContain(`Approved by ${label(name, 'alice')}`);
    expect(sim.cards.text(alice)).toContain(label(name, 'bob'));
    if (name !== 'wecom') {
      // Bob's card shows alice's decision and keeps his buttons (WeCom keeps bob's one update for the outcome).
      expect(sim.cards.text(bob)).toContain(`Approved by ${label(name, 'alice')}`);
      expect(sim.cards.buttons(bob)).toEqual(['Approve', 'Reject']);
    }
    await sim.cards.click(bob, user(name, 'bob'), 'approve');
    const ended = await view(approval.id);
    expect(ended.status).toBe('approved');
    expect(ended.decisions.map((decision: { person: Record<string, string> }) => decision.person)).toEqual([sim.personInput(name, 'alice'), sim.personInput(name, 'bob')]);
    expect(sim.cards.text(bob)).toContain(`Approved by ${label(name, 'bob')}`);
    {
      // WeCom: alice's card keeps the code it was sent with for the outcome (her click's own code showed her click).
      // DingTalk leaves a clicked card alone while the platform delivers the click's answer (IMHUB_CARD_SETTLE_MS), then updates it.
      await expect.poll(() => sim.cards.text(alice)).toContain(`Approved by ${label(name, 'bob')}`);
      // Sent, then one update per change: alice's click, bob's click (WeCom: bob's card kept its one code for his own click).
      expect(bob.history.length).toBeGreaterThanOrEqual(name === 'wecom' ? 2 : 3);
    }
  });

  it('sends the next stage its cards once the first stage passes', async () => {
    const approval = await start(name, [
      { mode: 'any', approvers: ['alice'] },
      { mode: 'any', approvers: ['bob'] },
    ]);
    const title = `Release ${name} #${serial}`;
    expect(sim.cards.of(platforms[name].sim, targetOf(name, 'bob')).filter((card) => sim.cards.text(card).includes(title))).toHaveLength(0);
    await sim.cards.click(cardOf(name, 'alice', title), user(name, 'alice'), 'approve');
    const bob = cardOf(name, 'bob', title);
    expect(sim.cards.text(bob)).toContain('2 of 2');
    await sim.cards.click(bob, user(name, 'bob'), 'approve');
    expect((await view(approval.id)).status).toBe('approved');
  });

  it('shows a canceled approval on its cards', async () => {
    const approval = await start(name, [{ mode: 'any', approvers: ['alice'] }]);
    const alice = cardOf(name, 'alice', `Release ${name} #${serial}`);
    const canceled = await api.call('POST', `/v1/approvals/${approval.id}/cancel`);
    expect(canceled.status, canceled.text).toBe(200);
    await api.runtime.idle();
    expect(sim.cards.buttons(alice)).toEqual([]);
    expect(sim.cards.text(alice)).toContain('Canceled');
  });
});

describe('feishu: cards in a chat', () => {
  it('takes a second click by one who decided as nothing, saying so', async () => {
    const approval = await start('feishu', [{ mode: 'all', approvers: ['alice', 'bob'] }], { cardTo: { chatIds: ['oc_twice'] } });
    const [chat] = sim.cards.of('feishu', 'chat_id:oc_twice').filter((card) => sim.cards.text(card).includes(`Release feishu #${serial}`));
    expect((await sim.cards.click(chat!, user('feishu', 'alice'), 'approve')).toast?.type).toBe('success');
    expect((await sim.cards.click(chat!, user('feishu', 'alice'), 'reject')).toast).toEqual({ type: 'info', text: 'You have already decided on this stage' });
    expect((await view(approval.id)).decisions).toEqual([expect.objectContaining({ decision: 'approve' })]);
  });

  it('sends the card to cardTo.chatIds too; any member may click it, and only an approver’s click counts', async () => {
    const approval = await start('feishu', [{ mode: 'any', approvers: ['alice'] }], { cardTo: { chatIds: ['oc_release'] } });
    const title = `Release feishu #${serial}`;
    const [chat] = sim.cards.of('feishu', 'chat_id:oc_release').filter((card) => sim.cards.text(card).includes(title));
    expect(chat).toBeDefined();
    expect((await sim.cards.click(chat!, user('feishu', 'carol'), 'approve')).toast?.type).toBe('error');
    await sim.cards.click(chat!, user('feishu', 'alice'), 'approve', 'from the release chat');
    expect(await view(approval.id)).toMatchObject({ status: 'approved', decisions: [{ comment: 'from the release chat' }] });
    expect(sim.cards.text(cardOf('feishu', 'alice', title))).toContain('from the release chat');
  });

  it('refuses cardTo without "via": "card"', async () => {
    const refused = await api.call('POST', '/v1/approvals', {
      body: { integrationId: integrationIds.feishu, title: 't', requester: { email: 'requester@example.com' }, stages: [{ approvers: [{ email: 'alice@example.com' }] }], cardTo: { chatIds: ['oc_x'] } },
    });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('cardTo');
  });
});

describe('what each platform’s cards need', () => {
  it('refuses cards on a DingTalk app without a card template, saying what to add', async () => {
    sim.addApp('dingtalk', 'dingnotemplate001', 'no-template-secret-01');
    const created = await api.call('POST', '/v1/integrations', {
      body: { provider: 'dingtalk', name: 'cards no template', apiBaseUrl: sim.url, credentials: { appKey: 'dingnotemplate001', appSecret: 'no-template-secret-01', aesKey: 'f'.repeat(43), token: 't' } },
    });
    expect(created.status, created.text).toBe(201);
    const refused = await api.call('POST', '/v1/approvals', {
      body: { integrationId: created.body.id, title: 't', requester: sim.personInput('dingtalk', 'requester'), stages: [{ approvers: [sim.personInput('dingtalk', 'alice')] }], via: 'card' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'cards_unsupported' });
    expect(refused.body.error.message).toContain('cardTemplateId');
  });

  it('refuses a Feishu card approval that would outlive its cards (clickable 14 days)', async () => {
    const refused = await api.call('POST', '/v1/approvals', {
      body: { integrationId: integrationIds.feishu, title: 't', requester: { email: 'requester@example.com' }, stages: [{ approvers: [{ email: 'alice@example.com' }] }], via: 'card', timeoutSeconds: 15 * 86400 },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([expect.objectContaining({ path: 'timeoutSeconds', message: expect.stringContaining('14 days') })]);
  });

  it('refuses cardTo on WeCom, whose button cards go to people only', async () => {
    const refused = await api.call('POST', '/v1/approvals', {
      body: { integrationId: integrationIds.wecom, title: 't', requester: sim.personInput('wecom', 'requester'), stages: [{ approvers: [sim.personInput('wecom', 'alice')] }], via: 'card', cardTo: { chatIds: ['wrx'] } },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([expect.objectContaining({ path: 'cardTo.chatIds' })]);
  });
});

describe.each(Object.keys(platforms) as Name[])('%s: a click not signed by the platform', (name) => {
  it('is refused (401) and changes nothing', async () => {
    const approval = await start(name, [{ mode: 'any', approvers: ['alice'] }]);
    const alice = cardOf(name, 'alice', `Release ${name} #${serial}`);
    // Someone who knows the URL but not the integration's keys: the click is signed with others.
    const subscription = sim.approvals.subscriptions.get(`${platforms[name].sim}:${platforms[name].appId}`)!;
    const route = sim.cards.routes.get(`${platforms[name].appId}:imhub-${integrationIds[name]}`);
    const saved = { ...subscription };
    const savedSecret = route?.apiSecret;
    Object.assign(subscription, { encryptKey: 'forged-encrypt-key', token: 'forged', aesKey: 'F'.repeat(43) });
    if (route) route.apiSecret = 'forged-api-secret';
    try {
      const clicked = await sim.cards.click(alice, user(name, 'alice'), 'approve');
      expect(clicked.status).toBe(401);
    } finally {
      Object.assign(subscription, saved);
      if (route && savedSecret) route.apiSecret = savedSecret;
    }
    expect(await view(approval.id)).toMatchObject({ status: 'pending', decisions: [] });
    expect(sim.cards.buttons(alice)).toEqual(['Approve', 'Reject']);
  });
});

describe('what could go wrong, does not', () => {
  it('Feishu: cards need an Encrypt Key (400 saying so), and an unsigned click with the Verification Token alone decides nothing (401)', async () => {
    sim.addApp('feishu', 'cli_cardsnokey00001', 'cards-no-key-secret-1');
    const created = await api.call('POST', '/v1/integrations', {
      body: { provider: 'feishu', name: 'cards no encrypt key', apiBaseUrl: sim.url, credentials: { appId: 'cli_cardsnokey00001', appSecret: 'cards-no-key-secret-1', verificationToken: 'known-token' } },
    });
    const refused = await api.call('POST', '/v1/approvals', {
      body: { integrationId: created.body.id, title: 't', requester: { email: 'requester@example.com' }, stages: [{ approvers: [{ email: 'alice@example.com' }] }], via: 'card' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('cards_need_encrypt_key');
    // Someone who knows the token forges alice's click on an approval of another integration's id.
    const forged = {
      schema: '2.0',
      header: { event_id: 'forged-1', token: 'known-token', create_time: String(Date.now() * 1000), event_type: 'card.action.trigger', app_id: 'cli_cardsnokey00001' },
      event: { operator: { open_id: user('feishu', 'alice') }, action: { tag: 'button', value: { imhub: 'imhub:approve:apr_forgedforgedforged01' } }, context: { open_message_id: 'om_x' } },
    };
    const answer = await deliver(created.body.callbackUrl.replace(/\/v1\/callbacks\/.*$/, ''), new URL(created.body.callbackUrl).pathname, {
      method: 'POST',
      query: {},
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(forged),
    });
    expect(answer.status).toBe(401);
  });

  it('DingTalk: a click’s signature is taken once, so a copy of it carrying another body decides nothing', async () => {
    const approval = await start('dingtalk', [{ mode: 'all', approvers: ['alice', 'bob'] }]);
    const alice = cardOf('dingtalk', 'alice', `Release dingtalk #${serial}`);
    const route = sim.cards.routes.get(`${platforms.dingtalk.appId}:imhub-${integrationIds.dingtalk}`)!;
    const timestamp = String(Date.now());
    const headers = { 'content-type': 'application/json', 'x-ddpaas-signature-timestamp': timestamp, 'x-ddpaas-signature': createHmac('sha256', route.apiSecret).update(timestamp).digest('base64') };
    const body = (userId: string, action: string) =>
      JSON.stringify({ type: 'actionCallback', outTrackId: alice.id, corpId: 'dingcorp', userId, content: JSON.stringify({ cardPrivateData: { actionIds: ['b'], params: { action } } }) });
    const url = new URL(route.url);
    const first = await deliver(url.origin, url.pathname, { method: 'POST', query: {}, headers, body: body(user('dingtalk', 'alice'), 'approve') });
    expect(first.status).toBe(200);
    // The same signature and timestamp, another body: bob rejecting.
    const copy = await deliver(url.origin, url.pathname, { method: 'POST', query: {}, headers, body: body(user('dingtalk', 'bob'), 'reject') });
    expect(copy.status).toBe(200);
    await api.runtime.idle();
    expect(await view(approval.id)).toMatchObject({ status: 'pending', decisions: [{ approver: user('dingtalk', 'alice'), decision: 'approve' }] });
  });

  it('WeCom: an approval whose approvers can be sent no card ends failed, saying why, instead of waiting for its timeout', async () => {
    const started = await api.call('POST', '/v1/approvals', {
      body: { integrationId: integrationIds.wecom, title: 'Nobody reachable', requester: sim.personInput('wecom', 'requester'), stages: [{ approvers: [{ userId: 'ghost' }] }], via: 'card' },
    });
    expect(started.status, started.text).toBe(201);
    await api.runtime.idle();
    const ended = await view(started.body.id);
    expect(ended.status).toBe('failed');
    expect(ended.endReason).toContain('no approver of the current stage could be sent its card');
    expect(ended.cards).toEqual([expect.objectContaining({ to: { userId: 'ghost' }, state: 'failed' })]);
  });

  it('refuses more than 100 approvers on cards (every decision is kept)', async () => {
    const people = (count: number, from: number) => Array.from({ length: count }, (_, index) => ({ userId: `u${from + index}` }));
    const refused = await api.call('POST', '/v1/approvals', {
      body: { integrationId: integrationIds.wecom, title: 't', requester: { userId: 'r' }, stages: [{ mode: 'all', approvers: people(50, 0) }, { mode: 'all', approvers: people(50, 50) }, { approvers: people(1, 100) }], via: 'card' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([expect.objectContaining({ path: 'stages', message: expect.stringContaining('at most 100 approvers') })]);
  });
});
