import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/local-api.ts';
import { registerSimApps } from '../support/sim-app.ts';
import type { SimCard } from '../simulators/card-simulator.ts';
import { PlatformSimulator, simUserId } from '../simulators/platform-simulator.ts';

// Issue 16, items 1-3: approvals decided on cards in the chat ("via": "card"). Each approver of the
// stage reached gets one card, updated in place on every change; a click counts only when the
// platform's signed event names an approver of the current stage who has not decided there.

let api: TestApi;
let sim: PlatformSimulator;
const platforms = {
  feishu: { sim: 'feishu' as const, appId: 'cli_cards00000000001', credentials: { appId: 'cli_cards00000000001', appSecret: 'cards-secret-000001', encryptKey: 'cards-encrypt-key-1', verificationToken: 'cards-vt-1' } },
  wecom: { sim: 'wecom' as const, appId: 'wwcards0000000001', credentials: { corpId: 'wwcards0000000001', agentId: '1000003', secret: 'cards-wecom-secret-01', token: 'cardstoken', encodingAesKey: 'd'.repeat(43) } },
};
type Name = keyof typeof platforms;
const integrationIds: Partial<Record<Name, string>> = {};

beforeAll(async () => {
  sim = await new PlatformSimulator().start();
  api = await startTestApi();
  sim.afterCallback = () => api.runtime.idle();
  sim.addPeople(['requester', 'alice', 'bob', 'carol']);
  Object.assign(integrationIds, await registerSimApps(api, sim, platforms, 'cards'));
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
      requester: { email: 'requester@example.com' },
      stages: stages.map((stage) => ({ mode: stage.mode, approvers: stage.approvers.map((person) => ({ email: `${person}@example.com` })) })),
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
  const target = name === 'feishu' ? `open_id:${simUserId('feishu', person)}` : `user:${simUserId('wecom', person)}`;
  const cards = sim.cards.of(platforms[name].sim, target).filter((card) => sim.cards.text(card).includes(title));
  expect(cards, `${person} has one card for "${title}"`).toHaveLength(1);
  return cards[0]!;
}

const view = async (id: string) => (await api.call('GET', `/v1/approvals/${id}`)).body;
const user = (name: Name, person: string) => simUserId(platforms[name].sim, person);

describe.each(Object.keys(platforms) as Name[])('%s: approve from the chat', (name) => {
  /** Feishu's cards have a comment input; WeCom's have none (template cards take no text). */
  const comments = name === 'feishu';

  it('approves by card: the decision names the approver, and every card shows the outcome without buttons', async () => {
    const approval = await start(name, [{ mode: 'any', approvers: ['alice', 'bob'] }]);
    const title = `Release ${name} #${serial}`;
    const alice = cardOf(name, 'alice', title);
    const bob = cardOf(name, 'bob', title);
    expect(sim.cards.buttons(alice)).toEqual(['Approve', 'Reject']);
    expect(sim.cards.text(bob)).toContain('Roll out build 42');

    const clicked = await sim.cards.click(alice, user(name, 'alice'), 'approve', comments ? 'ship it' : undefined);
    expect(clicked.status).toBe(200);
    if (name === 'feishu') expect(clicked.toast).toEqual({ type: 'success', text: 'You approved this request' });

    const ended = await view(approval.id);
    expect(ended).toMatchObject({ status: 'approved', endReason: 'approved on the card', via: 'card' });
    expect(ended.decisions).toEqual([expect.objectContaining({ stage: 0, decision: 'approve', approver: user(name, 'alice'), person: { email: 'alice@example.com' }, ...(comments ? { comment: 'ship it' } : {}) })]);
    for (const card of [alice, bob]) {
      expect(sim.cards.buttons(card)).toEqual([]);
      expect(sim.cards.text(card)).toContain('Approved by alice@example.com');
    }
    expect(ended.cards).toHaveLength(2);
  });

  it('rejects by card with the approver’s reason', async () => {
    const approval = await start(name, [{ mode: 'any', approvers: ['alice'] }]);
    const alice = cardOf(name, 'alice', `Release ${name} #${serial}`);
    await sim.cards.click(alice, user(name, 'alice'), 'reject', comments ? 'not during the freeze' : undefined);
    const ended = await view(approval.id);
    expect(ended).toMatchObject({ status: 'rejected', endReason: 'rejected on the card' });
    expect(ended.decisions[0]).toMatchObject({ decision: 'reject', person: { email: 'alice@example.com' }, ...(comments ? { comment: 'not during the freeze' } : {}) });
    expect(sim.cards.text(alice)).toContain('Rejected');
  });

  it('ignores a click by someone who is not an approver of the stage (a toast says so), and a second click by one who decided', async () => {
    const approval = await start(name, [{ mode: 'all', approvers: ['alice', 'bob'] }]);
    const title = `Release ${name} #${serial}`;
    const alice = cardOf(name, 'alice', title);
    // Carol holds alice's card (forwarded, or clicked on her screen): the signed event names carol.
    const stranger = await sim.cards.click(alice, user(name, 'carol'), 'approve');
    expect(stranger.status).toBe(200);
    if (name === 'feishu') expect(stranger.toast).toEqual({ type: 'error', text: 'You are not an approver of this stage' });
    expect((await view(approval.id)).decisions).toEqual([]);

    await sim.cards.click(alice, user(name, 'alice'), 'approve');
    const afterFirst = await view(approval.id);
    expect(afterFirst.status).toBe('pending');
    expect(afterFirst.decisions).toHaveLength(1);
    // A second click on a card that still showed buttons (a platform that had not updated it yet).
    if (name === 'feishu') {
      const bob = cardOf(name, 'bob', title);
      const again = await sim.cards.click(bob, user(name, 'alice'), 'reject');
      expect(again.toast).toEqual({ type: 'info', text: 'You have already decided on this stage' });
      expect((await view(approval.id)).decisions).toHaveLength(1);
    }
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
    expect(sim.cards.text(alice)).toContain('Approved by alice@example.com');
    expect(sim.cards.text(alice)).toContain('bob@example.com');
    if (name === 'feishu') {
      // Bob's card shows alice's decision and keeps his buttons.
      expect(sim.cards.text(bob)).toContain('Approved by alice@example.com');
      expect(sim.cards.buttons(bob)).toEqual(['Approve', 'Reject']);
    }
    await sim.cards.click(bob, user(name, 'bob'), 'approve');
    const ended = await view(approval.id);
    expect(ended.status).toBe('approved');
    expect(ended.decisions.map((decision: { person: { email: string } }) => decision.person.email)).toEqual(['alice@example.com', 'bob@example.com']);
    expect(sim.cards.text(bob)).toContain('Approved by bob@example.com');
    if (name === 'feishu') {
      expect(sim.cards.text(alice)).toContain('Approved by bob@example.com');
      // Sent, then one update per change: alice's click, bob's click.
      expect(bob.history.length).toBeGreaterThanOrEqual(3);
    }
  });

  it('sends the next stage its cards once the first stage passes', async () => {
    const approval = await start(name, [
      { mode: 'any', approvers: ['alice'] },
      { mode: 'any', approvers: ['bob'] },
    ]);
    const title = `Release ${name} #${serial}`;
    const target = name === 'feishu' ? `open_id:${user(name, 'bob')}` : `user:${user(name, 'bob')}`;
    expect(sim.cards.of(platforms[name].sim, target).filter((card) => sim.cards.text(card).includes(title))).toHaveLength(0);
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
