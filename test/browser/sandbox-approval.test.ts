import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, findChromium } from '../support/chromium.ts';
import { killLeftoverServers, sandbox, type ServerProcess, startServerProcess } from '../support/server-process.ts';

/**
 * The sandbox as a new user meets it: `npm run sandbox`'s program in its own process, approvals
 * started over the API, decided by clicking in each platform's pane of the approver page in a real
 * Chromium, and the outcome read back over the API and on the page, where it stays. Clicks go
 * through the simulator, which calls imhub back with a signed callback, as the platform would.
 * imhub's own texts are not asserted (their language is the integration's): structure, states and
 * the titles sent are.
 *
 * Runs when a Chromium is installed (see README); `npm run test:browser` insists on one.
 */
const executablePath = findChromium();
const required = process.env.IMHUB_REQUIRE_BROWSER === '1';

if (!executablePath && required) {
  throw new Error('no Chromium found: install one (Debian: apt-get install -y chromium) or set CHROMIUM_PATH');
}

const token = 'browser-test-token';
let server: ServerProcess;
let browser: Browser;
let pageUrl: string;
const integrations: Record<string, string> = {};

const api = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

/**
 * Reloads the page until `locator` finds `count` elements: the page shows what has happened so far,
 * and imhub sends and updates cards in its background jobs. The bound only stops a test that fails.
 */
async function reloadUntil(page: Page, locator: Locator, count = 1) {
  await expect
    .poll(
      async () => {
        await page.goto(pageUrl);
        return locator.count();
      },
      { timeout: 20_000, interval: 200 },
    )
    .toBe(count);
}

/** The text of a pane with every JSON-looking fragment: empty when messages are drawn, not dumped. */
const jsonIn = async (locator: Locator) => ((await locator.textContent()) ?? '').match(/\{"\w+":/g) ?? [];

describe.skipIf(!executablePath)('the sandbox approver page in a browser', () => {
  beforeAll(async () => {
    server = await startServerProcess({ API_TOKEN: token, LOG_LEVEL: 'warn' }, sandbox);
    // The sandbox prints its page and the integrations it created, one line per platform.
    pageUrl = /approver page (http:\/\/\S+\/sandbox)/.exec(server.output())![1]!;
    for (const [, provider, id] of server.output().matchAll(/^\s+(\w+)\s+app (\S+)\s+bot \S+$/gm)) integrations[provider!] = id!;
    browser = await chromium.launch({ executablePath: executablePath!, args: chromiumArgs });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await killLeftoverServers();
  });

  const platforms = [
    { provider: 'feishu', approver: 'ou_alice', name: 'alice', person: { email: 'alice@example.com' }, requester: { email: 'requester@example.com' }, app: 'approve', card: 'approve' },
    { provider: 'lark', approver: 'ou_bob', name: 'bob', person: { email: 'bob@example.com' }, requester: { email: 'requester@example.com' }, app: 'reject', card: 'reject' },
    { provider: 'dingtalk', approver: 'ding_alice', name: 'alice', person: { mobile: '13800000001' }, requester: { mobile: '13800000000' }, app: 'approve', card: 'reject' },
    { provider: 'wecom', approver: 'carol', name: 'carol', person: { email: 'carol@example.com' }, requester: { email: 'requester@example.com' }, app: 'reject', card: 'approve' },
  ] as const;
  const outcome = { approve: 'approved', reject: 'rejected' } as const;

  it('shows one pane per platform, Lark as Lark', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(pageUrl);
      expect(await page.locator('section.pane').evaluateAll((panes) => panes.map((pane) => pane.getAttribute('data-pane')))).toEqual(['feishu', 'lark', 'dingtalk', 'wecom']);
      expect(await page.locator('section.pane[data-pane="lark"] .pane-name').textContent()).toBe('Lark');
    } finally {
      await page.close();
    }
  });

  it.each(platforms)('$provider: an approval started over the API shows in its pane, is decided ($app) by a click there, and stays in the history', async ({ provider, approver, name, person, requester, app: decision }) => {
    // Prepare: an approval started with the API, as curl would
    expect(Object.keys(integrations).sort()).toEqual(['dingtalk', 'feishu', 'lark', 'wecom']);
    const title = `Deploy ${provider} v${Date.now()}`;
    const started = await api('POST', '/v1/approvals', { integrationId: integrations[provider], title, content: 'Release notes: one fix.', requester, stages: [{ approvers: [person] }] });
    expect(started.status).toBe(201);
    const instance = String(started.body.platformInstanceId);

    const page = await browser.newPage();
    try {
      // Act: find its task in the platform's pane (and only there), act as the approver with a comment, click
      const pane = page.locator(`section.pane[data-pane="${provider}"]`);
      const task = pane.locator(`article.task[data-instance="${instance}"]`);
      await reloadUntil(page, task);
      expect(await page.locator(`article.task[data-instance="${instance}"]`).count()).toBe(1);
      expect(await task.getAttribute('data-status')).toBe('pending');
      expect(await task.locator('.task-title').textContent()).toBe(title);
      expect(await task.locator('.tag.pending').isVisible()).toBe(true);
      await task.locator('select[name="user"]').selectOption(approver);
      await task.locator('input[name="comment"]').fill(`${decision} from the page`);
      await Promise.all([page.waitForURL(/\/sandbox$/), task.locator(`button[name="decision"][value="${decision}"]`).click()]);

      // Assess: the task moved to the pane's history with its outcome, who decided and the comment; the API agrees
      const done = pane.locator(`.tasks.history article.task[data-instance="${instance}"]`);
      expect(await done.count()).toBe(1);
      expect(await done.getAttribute('data-status')).toBe(outcome[decision]);
      expect(await done.locator(`.tag.${outcome[decision]}`).isVisible()).toBe(true);
      expect(await done.locator(`.act.${outcome[decision]} .who`).textContent()).toBe(name);
      expect(await done.locator('.comment').textContent()).toBe(`${decision} from the page`);
      expect(await done.locator('form').count()).toBe(0);
      expect(await jsonIn(pane)).toEqual([]);
    } finally {
      await page.close();
    }
    const approval = await api('GET', `/v1/approvals/${String(started.body.id)}?waitSeconds=10`);
    expect(approval.body).toMatchObject({ status: outcome[decision], decisions: [{ approver, decision, comment: `${decision} from the page` }] });
  });

  it.each(platforms)('$provider: an approval "via": "card" shows as the platform’s card in the chat, is decided ($card) by its button, and the card stays with the outcome', async ({ provider, approver, name, person, requester, card: decision }) => {
    // Prepare: an approval decided on cards, started with the API
    const title = `Card ${provider} v${Date.now()}`;
    const started = await api('POST', '/v1/approvals', { integrationId: integrations[provider], title, content: 'Release notes: one fix.', requester, stages: [{ approvers: [person] }], via: 'card' });
    expect(started.status).toBe(201);
    const target = provider === 'feishu' || provider === 'lark' ? `open_id:${approver}` : `user:${approver}`;
    const drawn = { feishu: '.fs-card', lark: '.fs-card', dingtalk: '.dt-card', wecom: '.wc-card' }[provider];
    const comment = provider === 'wecom' ? undefined : `${decision}: card comment`;

    const page = await browser.newPage();
    try {
      // Act: the approver's card shows in the pane's chat, drawn as a card with live buttons; comment (where it has an input) and click
      const pane = page.locator(`section.pane[data-pane="${provider}"]`);
      const card = pane.locator(`article.msg.card[data-target="${target}"]`, { hasText: title });
      await reloadUntil(page, card);
      expect(await card.getAttribute('data-live')).toBe('true');
      expect(await card.locator(drawn).count()).toBe(1);
      expect(await jsonIn(card)).toEqual([]);
      if (comment) await card.locator('[name="comment"]').fill(comment);
      else expect(await card.locator('[name="comment"]').count()).toBe(0);
      await Promise.all([page.waitForURL(/\/sandbox\?notice=/), card.locator(`button[name="decision"][value="${decision}"]`).click()]);

      // Assess: the approval ended so, by that person; the card, updated by imhub, stays without buttons, with the click logged
      const approval = await api('GET', `/v1/approvals/${String(started.body.id)}?waitSeconds=10`);
      expect(approval.body).toMatchObject({ status: outcome[decision], via: 'card', decisions: [{ approver, decision, ...(comment ? { comment } : {}) }] });
      await reloadUntil(page, pane.locator(`article.msg.card[data-target="${target}"][data-live="false"]`, { hasText: title }));
      expect(await card.locator('button[name="decision"]').count()).toBe(0);
      expect(await card.locator(`.card-log .click.${decision} .who`).textContent()).toBe(name);
      if (comment) expect(await card.locator('.card-log q').textContent()).toBe(comment);
    } finally {
      await page.close();
    }
  });
});
