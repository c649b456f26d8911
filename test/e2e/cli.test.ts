import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformSimulator } from '../../lib/sandbox/platform-simulator.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

let api: TestApi;
let sim: PlatformSimulator;
const aesKey = 'f'.repeat(43);
const root = join(import.meta.dirname, '..', '..');

/** Runs the real `imhub` command (bin/imhub.mjs) against the local runtime. */
function imhub(args: string[], stdin?: string, url = api.runtime.url, token = api.adminToken) {
  return spawnImhub(args, stdin, url, token).done;
}

function spawnImhub(args: string[], stdin?: string, url = api.runtime.url, token = api.adminToken) {
  const child = spawn(process.execPath, [join(root, 'bin', 'imhub.mjs'), ...args], {
    env: { ...process.env, IMHUB_URL: url, IMHUB_TOKEN: token },
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (stdin !== undefined) child.stdin!.end(stdin);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, done, stderr: () => stderr };
}

beforeAll(async () => {
  sim = await new PlatformSimulator().start();
  api = await startTestApi();
  sim.afterCallback = () => api.runtime.idle();
  sim.addApp('wecom', 'wwclicorp0001', 'cli-wecom-secret-00001');
  for (const [name, index] of [['dev', 1], ['lead', 2]] as const) {
    sim.users.push({ name, email: `${name}@example.com`, mobile: `1380000000${index}`, ids: { feishu: `ou_${name}`, dingtalk: `d_${name}`, wecom: name } });
  }
  const created = await api.call('POST', '/v1/integrations', {
    body: { provider: 'wecom', name: 'cli wecom', apiBaseUrl: sim.url, credentials: { corpId: 'wwclicorp0001', agentId: '1000002', secret: 'cli-wecom-secret-00001', token: 't', encodingAesKey: aesKey } },
  });
  sim.approvals.subscribe('wecom', 'wwclicorp0001', { url: created.body.callbackUrl, token: 't', aesKey, receiverId: 'wwclicorp0001', agentId: '1000002' });
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

/** The platform instance of the approval titled `title`, once imhub has made it. */
async function instanceOf(title: string): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const list = await api.call('GET', '/v1/approvals?limit=100');
    const instance = list.body.items.find((item: { title: string }) => item.title === title)?.platformInstanceId;
    if (instance) return instance;
    await sleep(100);
  }
  throw new Error(`no instance for ${title}`);
}

/** Starts `approval start --wait`, then acts on the platform instance once it exists. */
async function startAndDecide(decision: 'approve' | 'reject', url?: string) {
  const title = `CLI ${decision} ${Date.now()}`;
  const running = imhub(['approval', 'start', '--integration', 'cli wecom', '--title', title, '--requester', 'dev@example.com', '--approver', 'lead@example.com', '--wait', '--json'], undefined, url);
  await sim.approvals.act(await instanceOf(title), 'lead', decision, `${decision === 'approve' ? 'approved' : 'rejected'}, ship it`);
  return running;
}

describe('imhub approval start --wait', () => {
  it('exits 0 when the approval is approved, printing the approval as JSON', async () => {
    const result = await startAndDecide('approve');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'approved' });
  }, 60_000);

  it('exits 1 when it is rejected, with a line on stderr saying who rejected it and their comment', async () => {
    const result = await startAndDecide('reject');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^approval apr_\w+ rejected by lead@example\.com: "rejected, ship it"$/m);
  }, 60_000);

  it('says who approved it and their comment', async () => {
    const title = `CLI who ${Date.now()}`;
    const running = imhub(['approval', 'start', '--integration', 'cli wecom', '--title', title, '--requester', 'dev@example.com', '--approver', 'lead@example.com', '--wait']);
    const instance = await instanceOf(title);
    await sim.approvals.act(instance, 'lead', 'approve', 'looks good');
    const result = await running;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^approval apr_\w+ approved by lead@example\.com: "looks good"\n$/);
  }, 60_000);

  it.each([
    ['SIGTERM', 143, false],
    ['SIGINT', 130, false],
    ['SIGTERM', 143, true],
  ] as const)('on %s while waiting exits %i, canceling the approval unless --keep-on-exit (%s)', async (signal, code, keep) => {
    const title = `CLI ${signal} ${keep} ${Date.now()}`;
    const running = spawnImhub(['approval', 'start', '--integration', 'cli wecom', '--title', title, '--requester', 'dev@example.com', '--approver', 'lead@example.com', '--wait', ...(keep ? ['--keep-on-exit'] : [])]);
    await instanceOf(title);
    for (let attempt = 0; attempt < 100 && !running.stderr().includes('waiting'); attempt += 1) await sleep(50);
    running.child.kill(signal);
    const result = await running.done;
    expect(result.code, result.stderr).toBe(code);
    const approval = (await api.call('GET', '/v1/approvals?limit=100')).body.items.find((item: { title: string }) => item.title === title);
    expect(approval.status).toBe(keep ? 'pending' : 'canceled');
    expect(result.stderr).toContain(keep ? `${signal}: approval ${approval.id} left pending (--keep-on-exit)` : `${signal}: approval ${approval.id} canceled`);
  }, 60_000);

  it('repeats a start answered 429 (API Gateway throttling the route), keyed so the repeat is the same approval, and still exits 0', async () => {
    // Prepare: a gateway in front of imhub that throttles the first two starts
    let throttled = 0;
    const gateway = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      if (request.method === 'POST' && request.url === '/v1/approvals' && throttled < 2) {
        throttled += 1;
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' }).end(JSON.stringify({ message: 'Too Many Requests' }));
        return;
      }
      const forwarded = await fetch(api.runtime.url + request.url, { method: request.method, headers: request.headers as Record<string, string>, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
      response.writeHead(forwarded.status, { 'content-type': forwarded.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await forwarded.arrayBuffer()));
    });
    await new Promise<void>((ready) => gateway.listen(0, '127.0.0.1', () => ready()));
    try {
      const before = (await api.call('GET', '/v1/approvals?limit=100')).body.items.length;
      // Act
      const result = await startAndDecide('approve', `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`);
      // Assess
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('imhub: 429');
      expect(result.stderr).toContain('trying again');
      expect(throttled).toBe(2);
      expect((await api.call('GET', '/v1/approvals?limit=100')).body.items.length).toBe(before + 1);
    } finally {
      gateway.closeAllConnections();
      gateway.close();
    }
  }, 60_000);

  it('passes reminders, an escalation, --allow-self-approval, --locale and --time-zone on to the approval', async () => {
    const title = `CLI nudges ${Date.now()}`;
    const result = await imhub(['approval', 'start', '--integration', 'cli wecom', '--title', title, '--requester', 'dev@example.com', '--approver', 'lead@example.com', '--approver', 'dev@example.com', '--allow-self-approval', '--remind-every', '1h', '--remind-times', '2', '--escalate-after', '2h', '--escalate-to', 'lead@example.com', '--locale', 'en-US', '--time-zone', 'Asia/Tokyo']);
    expect(result.code, result.stderr).toBe(0);
    const stored = (await api.scan()).find((item) => item.title === title);
    expect(stored).toMatchObject({ locale: 'en-US', timeZone: 'Asia/Tokyo', allowSelfApproval: true, remind: { everySeconds: 3600, times: 2, sent: 0 }, escalate: { approvers: [{ email: 'lead@example.com' }] } });
  });

  it('--via card: the approver decides on the card in the chat, and the result line says who and why', async () => {
    const title = `CLI card ${Date.now()}`;
    const running = imhub(['approval', 'start', '--integration', 'cli wecom', '--title', title, '--requester', 'dev@example.com', '--approver', 'lead@example.com', '--via', 'card', '--wait']);
    let card;
    for (let look = 0; look < 100 && !card; look += 1) {
      card = sim.cards.of('wecom', 'user:lead').find((candidate) => sim.cards.text(candidate).includes(title));
      if (!card) await sleep(100);
    }
    expect(card, 'lead got the card').toBeDefined();
    await sim.cards.click(card!, 'lead', 'approve');
    const result = await running;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('approved by lead@example.com');
    expect((await api.scan()).find((item) => item.title === title)).toMatchObject({ via: 'card' });
  }, 60_000);

  it('exits 64 with a usage error for bad flags', async () => {
    const result = await imhub(['approval', 'start', '--title', 'x', '--bogus']);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain("imhub: Unknown option '--bogus'");
    expect(result.stderr).toContain('usage:');
  });

  it('exits 64 when the integration named does not exist', async () => {
    const result = await imhub(['approval', 'start', '--integration', 'nope', '--title', 'x', '--requester', 'dev@example.com', '--approver', 'lead@example.com']);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('no integration named "nope"');
  });

  it('exits 65 when the platform refuses the request (a person it does not know)', async () => {
    const result = await imhub(['approval', 'start', '--integration', 'cli wecom', '--title', 'x', '--requester', 'dev@example.com', '--approver', 'ghost@example.com']);
    expect(result.code, result.stderr).toBe(65);
    expect(result.stderr).toMatch(/^imhub: 422 /m);
  });

  it('exits 77 when the token is wrong, and 69 when imhub cannot be reached', async () => {
    const wrongToken = await imhub(['integrations', 'list'], undefined, api.runtime.url, 'not-the-token');
    expect(wrongToken.code).toBe(77);
    expect(wrongToken.stderr).toMatch(/^imhub: 401 /m);
    // A port nobody listens on; a create is not repeated, so the answer is immediate
    const closed = createServer();
    await new Promise<void>((ready) => closed.listen(0, '127.0.0.1', () => ready()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((done) => closed.close(done));
    const unreachable = await imhub(['integrations', 'create', '--provider', 'feishu', '--name', 'z', '--credentials-file', '-'], '{}', `http://127.0.0.1:${port}`);
    expect(unreachable.code).toBe(69);
    expect(unreachable.stderr).toContain(`cannot reach imhub at http://127.0.0.1:${port}`);
  });
});

describe('imhub integrations and notify', () => {
  it('lists integrations and sends a notification', async () => {
    const list = await imhub(['integrations', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('\twecom\tapp\tcli wecom');
    const sent = await imhub(['notify', '--integration', 'cli wecom', '--user', 'lead', '--text', 'deployed']);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/^ntf_\w+ sent/);
  });
});

describe('imhub integrations create', () => {
  it('creates an integration from credentials on stdin, never echoing them', async () => {
    const secret = 'cli-created-feishu-secret-42';
    const created = await imhub(
      ['integrations', 'create', '--provider', 'feishu', '--name', 'cli feishu', '--api-base-url', sim.url, '--credentials-file', '-'],
      JSON.stringify({ appId: 'cli_clicreated0001', appSecret: secret }),
    );
    expect(created.code, created.stderr).toBe(0);
    const [id, callback] = created.stdout.trim().split('\t');
    expect(callback).toBe(`callback URL ${api.runtime.url}/v1/callbacks/${id}`);
    const stored = await api.call('GET', `/v1/integrations/${id}`);
    expect(stored.body).toMatchObject({ provider: 'feishu', kind: 'app', name: 'cli feishu', apiBaseUrl: sim.url });
    expect(created.stdout + created.stderr).not.toContain(secret);
  });

  it('refuses credentials that are not JSON (64), or that the API rejects (3), with no secret echoed', async () => {
    const notJson = await imhub(['integrations', 'create', '--provider', 'feishu', '--name', 'x', '--credentials-file', '-'], 'appSecret=hunter2-secret');
    expect(notJson.code).toBe(64);
    expect(notJson.stderr).toContain('--credentials-file (stdin) must hold a JSON object');
    expect(notJson.stderr).not.toContain('hunter2');
    const rejected = await imhub(['integrations', 'create', '--provider', 'feishu', '--name', 'y', '--credentials-file', '-'], JSON.stringify({ appSecret: 'hunter2-secret' }));
    expect(rejected.code).toBe(3);
    expect(rejected.stderr).toMatch(/400 validation_failed: .*appId/);
    expect(rejected.stderr).not.toContain('hunter2');
    const missing = await imhub(['integrations', 'create', '--provider', 'feishu']);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain('integrations create needs --provider, --name and --credentials-file');
  });
});
