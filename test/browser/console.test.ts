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
});
