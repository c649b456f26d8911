import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformSimulator } from '../../lib/sandbox/platform-simulator.ts';
import { chromiumArgs, findChromium } from '../support/chromium.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

/**
 * The console as the person who sets imhub up meets it, in a real Chromium: sign in with an API
 * key, add a Feishu app with the form, do what the platform's console asks (the simulator saves
 * the request URL and checks it), see the setup check pass, and follow an approval started over
 * the API until the simulator's approver decides it.
 *
 * Runs when a Chromium is installed (see README); `npm run test:browser` insists on one.
 */
const executablePath = findChromium();
if (!executablePath && process.env.IMHUB_REQUIRE_BROWSER === '1') {
  throw new Error('no Chromium found: install one (Debian: apt-get install -y chromium) or set CHROMIUM_PATH');
}

// What the sandbox sets, so the console links its approver page (read once, when the config loads).
const sandboxUrl = 'http://127.0.0.1:9/sandbox';
process.env.IMHUB_SANDBOX_URL = sandboxUrl;

let sim: PlatformSimulator;
let api: TestApi;
let browser: Browser;
const app = { appId: 'cli_browserconsole01', appSecret: 'browser-console-secret-0001', encryptKey: 'browser-console-encrypt-1', verificationToken: 'browser-console-vt-1' };

/** What the page must never show or log: the secrets typed into it. */
const secrets = [app.appSecret, app.encryptKey, app.verificationToken];

describe.skipIf(!executablePath)('the console in a browser', () => {
  beforeAll(async () => {
    sim = await new PlatformSimulator().start();
    api = await startTestApi();
    sim.afterCallback = () => api.runtime.idle();
    sim.addPeople(['requester', 'alice']);
    sim.addApp('feishu', app.appId, app.appSecret);
    browser = await chromium.launch({ executablePath: executablePath!, args: chromiumArgs });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await sim?.stop();
  });

  it('signs in with an API key, adds a Feishu app whose setup check passes, and shows an approval started over the API end as decided', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page: Page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    try {
      // Act: sign in (the page is in Chinese for a Chinese browser)
      await page.goto(`${api.runtime.url}/console`);
      await page.locator('input[name="apiKey"]').fill(api.adminToken);
      await page.getByRole('button', { name: '登录' }).click();
      await page.waitForURL(/#\/integrations$/);
      expect(await page.locator('#sandbox-link').getAttribute('href')).toBe(sandboxUrl);

      // Switch to English, then add a Feishu app with the form
      await page.locator('#lang').selectOption('en-US');
      await page.locator('button[data-add="feishu-app"]').click();
      await expect.poll(() => page.locator('ol.steps').textContent()).toContain('approval:approval');
      await page.locator('input[name="name"]').fill('release approvals');
      for (const [field, value] of Object.entries(app)) await page.locator(`input[name="${field}"]`).fill(value);
      await page.locator('details summary').click();
      await page.locator('input[name="apiBaseUrl"]').fill(sim.url);
      await page.getByRole('button', { name: 'Create integration' }).click();
      await page.waitForURL(/#\/integrations\/int_/);

      // The platform's console: the request URL copied from the page, saved, and checked by the platform
      const callbackUrl = (await page.locator('code[data-copy]').first().textContent())!;
      expect(callbackUrl).toMatch(/\/v1\/callbacks\/int_/);
      await expect.poll(() => page.locator('tr[data-check="handshake"] [data-status]').getAttribute('data-status')).toBe('waiting');
      sim.approvals.subscribeIntegration('feishu', app.appId, callbackUrl, app);
      expect((await sim.approvals.checkUrl('feishu', app.appId)).map((answer) => answer.status)).toEqual([200]);
      await page.locator('#setup-refresh').click();
      await expect.poll(() => page.locator('#setup-ready').getAttribute('data-ready')).toBe('true');
      expect(await page.locator('tr[data-check="credentials"] [data-status]').getAttribute('data-status')).toBe('ok');

      // An approval started over the API, decided by the approver on the (simulated) platform
      const integrationId = /#\/integrations\/(int_[^/?]+)/.exec(page.url())![1]!;
      const started = await api.call('POST', '/v1/approvals', { body: { integrationId, title: 'Deploy console v1', requester: { email: 'requester@example.com' }, stages: [{ approvers: [{ email: 'alice@example.com' }] }] } });
      expect(started.status, started.text).toBe(201);
      await page.getByRole('link', { name: 'Approvals' }).click();
      const row = page.locator(`tr[data-id="${started.body.id}"]`);
      await expect.poll(() => row.locator('[data-status]').getAttribute('data-status')).toBe('pending');
      await sim.approvals.act(started.body.platformInstanceId, 'ou_alice', 'approve', 'ship it');
      await api.runtime.idle();

      // Assess: the approval's page shows it approved, with the decision in its timeline
      await row.click();
      await page.waitForURL(new RegExp(`#/approvals/${started.body.id}$`));
      await expect.poll(() => page.locator('main h1 [data-status]').getAttribute('data-status')).toBe('approved');
      expect(await page.locator('main table').last().textContent()).toContain('ship it');
      // Every value is rendered as text: no stringified object, list or empty value
      expect(await page.locator('main').textContent()).not.toMatch(/\[object|\bnull\b|\bundefined\b/);
      // The integration's last event is the decision
      await page.goto(`${api.runtime.url}/console#/integrations/${integrationId}`);
      await expect.poll(() => page.locator('tr[data-check="lastEvent"] [data-status]').getAttribute('data-status')).toBe('ok');
      expect(await page.locator('main').textContent()).not.toMatch(/\[object|\bnull\b|\bundefined\b/);

      // Nothing went wrong on the page, it asked only its own origin, and no secret shows
      expect(problems).toEqual([]);
      expect(requests.every((url) => url.startsWith(api.runtime.url))).toBe(true);
      const html = await page.content();
      for (const secret of secrets) expect(html).not.toContain(secret);

      // Sign out: the key leaves the tab
      await page.getByRole('button', { name: 'Sign out' }).click();
      expect(await page.evaluate('sessionStorage.length')).toBe(0);
      await expect.poll(() => page.locator('input[name="apiKey"]').count()).toBe(1);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('in Chinese: signs in from #/integrations, says each setup line in its own words, polls only while the handshake waits, and names approval, webhook and notification states', async () => {
    const other = { appId: 'cli_browserconsole02', appSecret: 'browser-console-secret-0002', encryptKey: 'browser-console-encrypt-2', verificationToken: 'browser-console-vt-2' };
    sim.addApp('feishu', other.appId, other.appSecret);
    const created = await api.call('POST', '/v1/integrations', { body: { provider: 'feishu', kind: 'app', name: '发布审批', credentials: other, apiBaseUrl: sim.url } });
    expect(created.status, created.text).toBe(201);
    const integrationId: string = created.body.id;
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page: Page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    const setupRequests: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/setup')) setupRequests.push(request.url());
    });
    // The page's timers are fake: the setup check's polling runs only when the test moves the clock
    await page.clock.install();
    try {
      // Act: the tab opened at #/integrations, then sign in: the list shows (setting the same hash fires no hashchange)
      await page.goto(`${api.runtime.url}/console#/integrations`);
      await page.locator('input[name="apiKey"]').fill(api.adminToken);
      await page.getByRole('button', { name: '登录' }).click();
      await expect.poll(() => page.locator(`tr[data-id="${integrationId}"]`).count()).toBe(1);

      // The setup check says every line in Chinese: none of the API's English instructions
      await page.locator(`tr[data-id="${integrationId}"]`).click();
      const setup = page.locator('#setup');
      await expect.poll(() => setup.getAttribute('data-round')).toBe('0');
      expect(await page.locator('tr[data-check="handshake"] td').nth(2).textContent()).toContain('把请求地址粘贴到平台开发者后台');
      expect(await page.locator('tr[data-check="permissions"] td').nth(2).textContent()).toContain('imhub 无法读取应用已开通的权限');
      expect(await page.locator('tr[data-check="credentials"] td').nth(2).textContent()).toBe('已用这些凭证获取到访问令牌。');
      expect(await setup.textContent()).not.toMatch(/Paste|platform|imhub cannot|token/);

      // While the handshake waits it is polled every 3 s, 20 times, then no more
      for (let round = 0; round < 20; round++) {
        await expect.poll(() => setup.getAttribute('data-round')).toBe(String(round));
        expect(await setup.getAttribute('data-polling')).toBe('true');
        await page.clock.runFor(3000);
      }
      await expect.poll(() => setup.getAttribute('data-round')).toBe('20');
      expect(await setup.getAttribute('data-polling')).toBe('false');
      await page.clock.runFor(60_000);
      expect(setupRequests).toHaveLength(21);

      // Once the platform checked the request URL, the check refreshes on the button only, though no event came yet
      const callbackUrl = (await page.locator('code[data-copy]').first().textContent())!;
      sim.approvals.subscribeIntegration('feishu', other.appId, callbackUrl, other);
      expect((await sim.approvals.checkUrl('feishu', other.appId)).map((answer) => answer.status)).toEqual([200]);
      await page.locator('#setup-refresh').click();
      await expect.poll(() => page.locator('tr[data-check="handshake"] [data-status]').getAttribute('data-status')).toBe('ok');
      expect(await page.locator('tr[data-check="lastEvent"] [data-status]').getAttribute('data-status')).toBe('waiting');
      expect(await page.locator('tr[data-check="lastEvent"] td').nth(2).textContent()).toContain('还没有收到审批事件');
      expect(await setup.getAttribute('data-polling')).toBe('false');
      await page.clock.runFor(60_000);
      await page.locator('#setup-refresh').click();
      await expect.poll(() => setupRequests.length).toBe(23);
      await page.clock.runFor(60_000);
      await page.locator('#setup-refresh').click();
      await expect.poll(() => setupRequests.length).toBe(24);

      // An approval: where it is decided, what its timeout does, its webhook waiting for the outcome
      const approval = { integrationId, title: '上线审批', requester: { email: 'requester@example.com' }, stages: [{ approvers: [{ email: 'alice@example.com' }] }] };
      const pending = await api.call('POST', '/v1/approvals', { body: { ...approval, webhook: { url: 'https://hooks.example.com/imhub', secret: 'browser-console-hook-secret' } } });
      expect(pending.status, pending.text).toBe(201);
      await page.goto(`${api.runtime.url}/console#/approvals/${pending.body.id}`);
      await expect.poll(() => page.locator('main h1 [data-status]').getAttribute('data-status')).toBe('pending');
      const pendingText = (await page.locator('main').textContent())!;
      expect(pendingText).toContain('平台的审批应用');
      expect(pendingText).toContain('到时按超时结束');
      expect(pendingText).toContain('待发送');
      expect(pendingText).not.toMatch(/\((expire|approve)\)/);

      // Canceled over the API: imhub's own end reason in Chinese
      const canceled = await api.call('POST', `/v1/approvals/${pending.body.id}/cancel`);
      expect(canceled.status, canceled.text).toBe(200);
      await page.getByRole('button', { name: '刷新' }).click();
      await expect.poll(() => page.locator('main h1 [data-status]').getAttribute('data-status')).toBe('canceled');
      expect(await page.locator('main').textContent()).toContain('经 API 撤销');

      // A filtered page that is empty but has a next one: no "nothing yet" above "load more"
      await page.route(/\/v1\/approvals\?.*status=rejected/, (route) =>
        route.fulfill({ json: route.request().url().includes('cursor=c1') ? { items: [], nextCursor: null } : { items: [], nextCursor: 'c1' } }),
      );
      await page.goto(`${api.runtime.url}/console#/approvals?status=rejected`);
      await expect.poll(() => page.getByRole('button', { name: '加载更多' }).count()).toBe(1);
      expect(await page.getByText('暂无数据').count()).toBe(0);
      await page.getByRole('button', { name: '加载更多' }).click();
      await expect.poll(() => page.getByText('暂无数据').count()).toBe(1);
      expect(await page.getByRole('button', { name: '加载更多' }).count()).toBe(0);

      // A notification being sent is 发送中, not an approval's 审批中
      await page.route(/\/v1\/notifications\?/, (route) =>
        route.fulfill({ json: { items: [{ id: 'ntf_browser1', integrationId, status: 'pending', message: { text: '部署完成' }, deliveries: [{ target: 'chat:oc_1', status: 'queued', attempts: 0 }], createdAt: '2026-12-01T12:00:00Z' }], nextCursor: null } }),
      );
      await page.goto(`${api.runtime.url}/console#/notifications`);
      await expect.poll(() => page.locator('tr[data-id="ntf_browser1"] [data-status]').textContent()).toBe('发送中');

      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
