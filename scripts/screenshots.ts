/**
 * `npm run screenshots`: the README's pictures, taken from the real pages. Starts `npm run sandbox`'s
 * program on free ports, signs in to the console with its API token and photographs the
 * integrations page (docs/images/console.png, and console.zh-CN.png in Chinese), starts an approval
 * over the API and photographs the sandbox's approver page showing it (docs/images/sandbox.png).
 *
 * Needs a Chromium (Debian's `chromium`, or CHROMIUM_PATH; Playwright's download is not used) and,
 * for Chinese text, a CJK font (Debian: `apt-get install -y fonts-noto-cjk`). A page that is not
 * served is reported and its picture left as it was; the script then exits 1.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Browser, chromium, type Page } from 'playwright-core';
import { chromiumArgs, findChromium } from '../test/support/chromium.ts';

const root = join(import.meta.dirname, '..');
const imagesDir = join(root, 'docs', 'images');
const token = 'screenshots-token';
const viewport = { width: 1280, height: 800 };

/** A port nobody listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as { port: number };
  await new Promise((closed) => server.close(closed));
  return port;
}

/** Polls `check` until it returns a value, or throws after `ms`. */
async function until<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const executablePath = findChromium();
if (!executablePath) throw new Error('no Chromium found: install one (Debian: apt-get install -y chromium) or set CHROMIUM_PATH');

const [port, sandboxPort] = [await freePort(), await freePort()];
const apiUrl = `http://127.0.0.1:${port}`;
const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'sandbox.ts')], {
  cwd: root,
  env: { ...process.env, PORT: String(port), SANDBOX_PORT: String(sandboxPort), API_TOKEN: token, LOG_LEVEL: 'warn', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let output = '';
child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
child.once('exit', (code) => {
  if (!stopping) {
    process.stderr.write(`the sandbox exited (${code}):\n${output}\n`);
    process.exit(1);
  }
});
let stopping = false;
let browser: Browser | undefined;
const missing: string[] = [];

const api = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(apiUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  // biome-ignore lint: the script reads the API's JSON as it comes
  return (await response.json()) as any;
};

/** Opens `url`; false (and the picture is skipped) when nothing is served there. */
async function open(page: Page, url: string, picture: string): Promise<boolean> {
  const response = await page.goto(url, { waitUntil: 'load' });
  if (response?.ok()) return true;
  process.stderr.write(`${url} answered ${response?.status() ?? 'nothing'}: ${picture} not taken\n`);
  missing.push(picture);
  return false;
}

/** Signs in with the API key and goes to the integrations page, whatever the console's markup turns out to be. */
async function photographConsole(locale: 'en-US' | 'zh-CN', file: string) {
  const context = await browser!.newContext({ viewport, locale });
  const page = await context.newPage();
  if (await open(page, `${apiUrl}/console`, file)) {
    const keyField = page.locator('input[type="password"], input[name*="key" i], input[name*="token" i], input[type="text"]').first();
    if (await keyField.count()) {
      await keyField.fill(token);
      await keyField.press('Enter');
      await page.waitForLoadState('networkidle');
    }
    const integrations = page.getByRole('link', { name: /integrations|集成/i }).or(page.getByRole('button', { name: /integrations|集成/i })).first();
    if (await integrations.count()) {
      await integrations.click();
      await page.waitForLoadState('networkidle');
    }
    // Let the setup check's answers arrive before the picture.
    await page.waitForTimeout(1000);
    await page.screenshot({ path: join(imagesDir, file) });
    process.stdout.write(`wrote docs/images/${file}\n`);
  }
  await context.close();
}

try {
  // The sandbox is ready once its four apps are registered.
  await until('the sandbox', 90_000, async () => {
    const list = await api('GET', '/v1/integrations?limit=100');
    return list.items.some((item: { name: string }) => item.name === 'feishu app') ? true : undefined;
  });
  // The approver page: where the sandbox says it is, or on its fixed port once that answers.
  const sandboxUrl = await until('the approver page', 60_000, async () => {
    const printed = /(http:\/\/\S+\/sandbox)\b/.exec(output)?.[1];
    if (printed) return printed;
    const fixed = `http://127.0.0.1:${sandboxPort}/sandbox`;
    return (await fetch(fixed)).ok ? fixed : undefined;
  });

  const integrations = (await api('GET', '/v1/integrations?limit=100')).items as { id: string; name: string }[];
  const feishu = integrations.find((item) => item.name === 'feishu app')!;
  const title = 'Deploy api v1.4.2 to production';
  const approval = await api('POST', '/v1/approvals', {
    integrationId: feishu.id,
    title,
    content: 'Changes: https://git.example.com/compare/v1.4.1...v1.4.2',
    requester: { email: 'requester@example.com' },
    stages: [{ mode: 'any', approvers: [{ email: 'alice@example.com' }, { email: 'bob@example.com' }] }],
    timeoutSeconds: 3600,
  });
  await until('the approval on the platform', 30_000, async () => ((await api('GET', `/v1/approvals/${approval.id}`)).platformInstanceId ? true : undefined));

  mkdirSync(imagesDir, { recursive: true });
  browser = await chromium.launch({ executablePath, args: chromiumArgs });
  await photographConsole('en-US', 'console.png');
  await photographConsole('zh-CN', 'console.zh-CN.png');

  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  if (await open(page, sandboxUrl, 'sandbox.png')) {
    await page
      .getByText(title)
      .first()
      .waitFor({ timeout: 20_000 })
      .catch(() => process.stderr.write(`"${title}" did not appear on ${sandboxUrl}; taking the page as it is\n`));
    await page.screenshot({ path: join(imagesDir, 'sandbox.png') });
    process.stdout.write('wrote docs/images/sandbox.png\n');
  }
  await context.close();
} finally {
  stopping = true;
  await browser?.close();
  child.kill('SIGTERM');
}
if (missing.length) {
  process.stderr.write(`not taken: ${missing.join(', ')}\n`);
  process.exitCode = 1;
}
