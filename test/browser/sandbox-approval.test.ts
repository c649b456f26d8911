import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, findChromium } from '../support/chromium.ts';
import { killLeftoverServers, sandbox, type ServerProcess, startServerProcess } from '../support/server-process.ts';

/**
 * The sandbox as a new user meets it: `npm run sandbox`'s program in its own process, an approval
 * started over the API, approved by clicking on the approver page in a real Chromium, and the
 * status read back over the API. The click goes through the simulator, which calls imhub back
 * with a signed callback, as the platform would.
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
    { provider: 'feishu', approver: 'ou_alice', person: { email: 'alice@example.com' }, requester: { email: 'requester@example.com' } },
    { provider: 'lark', approver: 'ou_bob', person: { email: 'bob@example.com' }, requester: { email: 'requester@example.com' } },
    { provider: 'dingtalk', approver: 'ding_alice', person: { mobile: '13800000001' }, requester: { mobile: '13800000000' } },
    { provider: 'wecom', approver: 'carol', person: { email: 'carol@example.com' }, requester: { email: 'requester@example.com' } },
  ];

  it.each(platforms)('$provider: an approval started over the API is approved by a click on the page', async ({ provider, approver, person, requester }) => {
    // Prepare: an approval started with the API, as curl would
    expect(Object.keys(integrations).sort()).toEqual(['dingtalk', 'feishu', 'lark', 'wecom']);
    const title = `Deploy ${provider} v${Date.now()}`;
    const started = await api('POST', '/v1/approvals', {
      integrationId: integrations[provider],
      title,
      content: 'Release notes: one fix.',
      requester,
      stages: [{ approvers: [person] }],
    });
    expect(started.status).toBe(201);
    const instance = String(started.body.platformInstanceId);

    // Act: find its task on the page, act as the approver, comment, click Approve
    const page = await browser.newPage();
    try {
      await page.goto(pageUrl);
      const task = page.locator(`article.task[data-instance="${instance}"]`);
      await expect.poll(() => task.locator('h3').textContent()).toBe(`${provider === 'lark' ? 'feishu' : provider} · ${title}`);
      await task.locator('select[name="user"]').selectOption(approver);
      await task.locator('input[name="comment"]').fill('looks good');
      await Promise.all([page.waitForURL(/\/sandbox$/), task.getByRole('button', { name: 'Approve' }).click()]);

      // Assess: the page no longer lists the task and shows a delivered callback; the API says approved
      expect(await page.locator(`article.task[data-instance="${instance}"]`).count()).toBe(0);
      await expect.poll(() => page.locator('body').textContent()).toContain(`instance ${instance} → HTTP 200`);
    } finally {
      await page.close();
    }
    const approval = await api('GET', `/v1/approvals/${String(started.body.id)}?waitSeconds=10`);
    expect(approval.body).toMatchObject({ status: 'approved', decisions: [{ approver, decision: 'approve', comment: 'looks good' }] });
  });

  it.each(platforms)('$provider: an approval "via": "card" is approved by clicking the card’s button on the page', async ({ provider, approver, person, requester }) => {
    // Prepare: an approval decided on cards, started with the API
    const title = `Card ${provider} v${Date.now()}`;
    const started = await api('POST', '/v1/approvals', { integrationId: integrations[provider], title, content: 'Release notes: one fix.', requester, stages: [{ approvers: [person] }], via: 'card' });
    expect(started.status).toBe(201);
    const target = provider === 'feishu' || provider === 'lark' ? `open_id:${approver}` : `user:${approver}`;

    // Act: the approver's card shows on the page with its buttons; comment (where the card has an input) and click Approve
    const page = await browser.newPage();
    try {
      const card = page.locator(`article.card[data-target="${target}"]`, { hasText: title });
      await expect
        .poll(async () => {
          await page.goto(pageUrl);
          return card.count();
        })
        .toBe(1);
      if (provider !== 'wecom') await card.locator('input[name="comment"]').fill('ship it');
      await Promise.all([page.waitForURL(/\/sandbox\?notice=/), card.getByRole('button', { name: 'Approve' }).click()]);

      // Assess: the approval ended approved by that person; the card, reloaded, shows it and has no buttons left
      const approval = await api('GET', `/v1/approvals/${String(started.body.id)}?waitSeconds=10`);
      expect(approval.body).toMatchObject({ status: 'approved', via: 'card', decisions: [{ approver, decision: 'approve', ...(provider === 'wecom' ? {} : { comment: 'ship it' }) }] });
      await expect
        .poll(async () => {
          await page.goto(pageUrl);
          return (await card.textContent()) ?? '';
        })
        // In the integration's locale: zh-CN by default, en-US on Lark.
        .toContain(provider === 'lark' ? 'Approved by' : '已同意');
      expect(await card.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    } finally {
      await page.close();
    }
  });
});
