import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../lib/domain/webhook-signature.ts';
import { freePort } from '../../lib/local/embedded-dynamodb.ts';
import type { Fault, SimPlatform, SimRoute } from '../../lib/sandbox/platform-simulator.ts';
import { PlatformSimulator, simUserId } from '../../lib/sandbox/platform-simulator.ts';
import { killLeftoverServers, type ServerProcess, startServerProcess } from '../support/server-process.ts';

/**
 * The reliability suite: many concurrent approvals on all four platforms, through the real
 * `npm start` program and the simulators over HTTP, while
 * - callbacks are dropped, duplicated and held back (so they arrive out of order),
 * - 20% of platform calls fail (throttled on every route; 5xx as well on the calls imhub may
 *   repeat: reads, token fetches, sends with an idempotency key; a 5xx on a create that cannot be
 *   repeated is surfaced, not retried, and is tested in test/integration/providers.test.ts),
 * - 20% of webhook deliveries are answered 503,
 * - the server is killed with SIGKILL in the middle and started again on the same data.
 * Then every approval must end in the state its approvers' actions call for, with exactly one
 * accepted webhook and one start and one end message each.
 *
 * `npm test` runs a small size; `npm run test:reliability` runs hundreds
 * (IMHUB_RELIABILITY_APPROVALS; IMHUB_RELIABILITY_SEED replays a run).
 */
const size = Number(process.env.IMHUB_RELIABILITY_APPROVALS ?? 24);
const seed = Number(process.env.IMHUB_RELIABILITY_SEED ?? Date.now() % 1_000_000);
const scale = 0.02;

/** mulberry32: a small seeded generator, so a failing run can be replayed from its seed. */
function seeded(state: number) {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seeded(seed);
const pick = <T,>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;

const platforms = [
  { provider: 'feishu', sim: 'feishu', appId: 'cli_relfeishu00001', credentials: { appId: 'cli_relfeishu00001', appSecret: 'rel-feishu-secret', encryptKey: 'rel-encrypt-key-1', verificationToken: 'rel-vt-1' } },
  { provider: 'lark', sim: 'feishu', appId: 'cli_rellark0000001', credentials: { appId: 'cli_rellark0000001', appSecret: 'rel-lark-secret00', encryptKey: 'rel-encrypt-key-2', verificationToken: 'rel-vt-2' } },
  { provider: 'dingtalk', sim: 'dingtalk', appId: 'dingrelkey000001', credentials: { appKey: 'dingrelkey000001', appSecret: 'rel-dingtalk-secret', aesKey: 'R'.repeat(43), token: 'rel', agentId: '2345678' } },
  { provider: 'wecom', sim: 'wecom', appId: 'wwrel00000001', credentials: { corpId: 'wwrel00000001', agentId: '1000002', secret: 'rel-wecom-secret', token: 'rel', encodingAesKey: 'R'.repeat(43) } },
] as const;
const people = ['requester', 'a1', 'a2'];

/** Routes imhub may call twice without harm, so a 5xx there is retried; elsewhere only throttling is. */
const repeatable = (route: SimRoute) =>
  /\.(token|lookup|instance\.get)$/.test(route) ||
  ['feishu.instance.create', 'feishu.instance.cancel', 'feishu.approval.subscribe', 'feishu.message', 'wecom.message', 'dingtalk.instance.terminate'].includes(route);
const throttledCode = { feishu: 99991400, dingtalk: 90018, wecom: 45009 } as const;
function platformFault(route: SimRoute): Fault {
  const platform = route.split('.')[0] as SimPlatform;
  const choices: Fault[] = [{ kind: 'http', status: 429 }];
  if (!route.endsWith('.bot')) choices.push({ kind: 'code', code: throttledCode[platform] });
  if (repeatable(route)) choices.push({ kind: 'http', status: 500 }, { kind: 'http', status: 503 });
  return pick(choices);
}

interface Plan {
  index: number;
  platform: (typeof platforms)[number];
  title: string;
  stages: { mode: 'any' | 'all'; approvers: string[] }[];
  /** The acts in order, or 'cancel'. */
  acts: { user: string; decision: 'approve' | 'reject' }[] | 'cancel';
  expected: 'approved' | 'rejected' | 'canceled';
}

/** A random approval and what its approvers will do; `expected` follows the platform's rules. */
function plan(index: number): Plan {
  const platform = platforms[index % platforms.length]!;
  const shape = pick(['one', 'one', 'all', 'two-stages'] as const);
  const stages = shape === 'one' ? [{ mode: 'any' as const, approvers: ['a1'] }] : shape === 'all' ? [{ mode: 'all' as const, approvers: ['a1', 'a2'] }] : [{ mode: 'any' as const, approvers: ['a1'] }, { mode: 'any' as const, approvers: ['a2'] }];
  const base = { index, platform, title: `Deploy [rel-${seed}-${index}]`, stages };
  if (random() < 0.1) return { ...base, acts: 'cancel', expected: 'canceled' };
  const acts: { user: string; decision: 'approve' | 'reject' }[] = [];
  for (const user of stages.flatMap((stage) => stage.approvers)) {
    const decision = random() < 0.3 ? 'reject' : 'approve';
    acts.push({ user, decision });
    if (decision === 'reject') return { ...base, acts, expected: 'rejected' };
  }
  return { ...base, acts, expected: 'approved' };
}

let sim: PlatformSimulator;
let receiver: Server;
let server: ServerProcess;
const webhookSecret = 'reliability-webhook-secret-0001';
/** Webhook deliveries answered 2xx, per approval: the event type and when. */
const accepted = new Map<string, { type: string; at: number }[]>();
let refusedWebhooks = 0;
const dataDir = mkdtempSync(join(tmpdir(), 'imhub-reliability-'));
let env: Record<string, string>;
const token = 'reliability-admin-token';

/**
 * How long a pipeline keeps repeating a request that got no answer or a 429/5xx: the restarted server
 * may take a while to serve again (its DynamoDB Local starts from disk, slowly on a busy 2-core
 * machine), as a deploy or a crash of a real server would. A minute, as a pipeline's retry step would.
 */
const pipelinePatienceMs = 60_000;

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  // A pipeline repeats what did not get an answer (the server may be down for a moment), keyed.
  const giveUpAt = Date.now() + pipelinePatienceMs;
  for (;;) {
    try {
      const response = await fetch(server.url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
      const answer = { status: response.status, body: await response.json() };
      // Throttled (429: the platform refused, nothing was stored) or unavailable: try again.
      if ((response.status < 500 && response.status !== 429) || Date.now() >= giveUpAt) return answer;
    } catch (error) {
      if (Date.now() >= giveUpAt) throw error;
    }
    await sleep(250);
  }
}

beforeAll(async () => {
  sim = await new PlatformSimulator().start();
  sim.rateWindowScale = scale;
  sim.addPeople(people);
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const signed = verifyWebhookSignature({ secret: webhookSecret, timestamp: String(request.headers['x-imhub-timestamp']), body, signature: String(request.headers['x-imhub-signature']) });
      if (!signed) {
        response.writeHead(401).end();
        return;
      }
      if (random() < 0.2) {
        refusedWebhooks += 1;
        response.writeHead(503).end();
        return;
      }
      const delivery = String(request.headers['x-imhub-delivery']);
      accepted.set(delivery, [...(accepted.get(delivery) ?? []), { type: (JSON.parse(body) as { type: string }).type, at: Date.now() }]);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((ready) => receiver.listen(0, '127.0.0.1', () => ready()));

  env = {
    IMHUB_DATA_DIR: dataDir,
    API_TOKEN: token,
    PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
    IMHUB_RECONCILE_INTERVAL_MS: '300',
    IMHUB_RECONCILE_FIRST_CHECK_MS: '250',
    IMHUB_WEBHOOK_FIRST_RETRY_MS: '200',
    IMHUB_LEASE_MS: '3000',
    IMHUB_RATE_WINDOW_SCALE: String(scale),
  };
  server = await startServerProcess(env);
  for (const platform of platforms) {
    sim.addApp(platform.sim, platform.appId, 'appSecret' in platform.credentials ? platform.credentials.appSecret : platform.credentials.secret);
    const app = await api('POST', '/v1/integrations', { provider: platform.provider, name: `rel ${platform.provider}`, apiBaseUrl: sim.url, credentials: platform.credentials, locale: 'en-US' });
    expect(app.status).toBe(201);
    sim.approvals.subscribeIntegration(platform.sim, platform.appId, app.body.callbackUrl, platform.credentials);
    const botSecret = platform.provider === 'dingtalk' ? 'SECrelbotsecret' : platform.provider === 'wecom' ? undefined : 'rel-bot-secret';
    const { url } = sim.addBot(platform.sim, botSecret);
    const bot = await api('POST', '/v1/integrations', { provider: platform.provider, kind: 'webhook', name: `rel ${platform.provider} bot`, credentials: { url, ...(botSecret ? { secret: botSecret } : {}) } });
    expect(bot.status).toBe(201);
    integrations.set(platform.provider, { app: app.body.id, bot: bot.body.id });
  }
}, 120_000);
afterAll(async () => {
  await killLeftoverServers();
  await sim?.stop();
  await new Promise((closed) => receiver?.close(closed));
  rmSync(dataDir, { recursive: true, force: true });
});
const integrations = new Map<string, { app: string; bot: string }>();
let killedAt = 0;
let resent = 0;

/**
 * A second copy is allowed only for a send that was in flight when the server was killed: the
 * platform (or receiver) had it, but the server died before recording that, so it is sent again
 * once its lease runs out. Nothing can tell a bot "this is the same message" (a webhook receiver
 * dedupes on X-Imhub-Delivery), so at-least-once is the most any sender can promise across a
 * crash; anywhere else a second copy is a bug.
 */
function onceOrResentAfterKill(copies: { at: number }[]): boolean {
  if (copies.length <= 1) return true;
  const [first, second, ...more] = [...copies].sort((a, b) => a.at - b.at);
  return more.length === 0 && first!.at >= killedAt - 2000 && first!.at <= killedAt && second!.at > killedAt;
}

/** Starts the planned approval, then has its approvers act (or cancels it) on the platform. */
async function run(plan: Plan) {
  const ids = integrations.get(plan.platform.provider)!;
  const started = await api('POST', '/v1/approvals', {
    integrationId: ids.app,
    title: plan.title,
    requester: sim.personInput(plan.platform.provider, 'requester'),
    stages: plan.stages.map((stage) => ({ mode: stage.mode, approvers: stage.approvers.map((person) => sim.personInput(plan.platform.provider, person)) })),
    webhook: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, secret: webhookSecret },
    notify: { integrationId: ids.bot },
    idempotencyKey: `rel-${seed}-${plan.index}`,
  });
  expect([200, 201], JSON.stringify(started.body)).toContain(started.status);
  const id: string = started.body.id;
  await sleep(random() * 500);
  if (plan.acts === 'cancel') {
    const canceled = await api('POST', `/v1/approvals/${id}/cancel`);
    expect(canceled.status).toBe(200);
    return id;
  }
  // The approver acts on the instance once it exists.
  let instance: string | null = started.body.platformInstanceId;
  for (let wait = 0; !instance && wait < 200; wait += 1) {
    await sleep(200);
    instance = (await api('GET', `/v1/approvals/${id}`)).body.platformInstanceId;
  }
  if (!instance) throw new Error(`approval ${id} got no platform instance: ${JSON.stringify((await api('GET', `/v1/approvals/${id}`)).body)}\n${logOf(id)}`);
  for (const act of plan.acts) {
    await sim.approvals.act(instance!, simUserId(plan.platform.sim, act.user), act.decision);
    await sleep(random() * 200);
  }
  return id;
}

describe(`reliability: ${size} approvals under faults and a SIGKILL (seed ${seed})`, () => {
  it('ends every approval as its approvers decided, with one webhook and one start and one end message each', async () => {
    // Prepare: chaos everywhere
    sim.approvals.chaos = { random, drop: 0.15, duplicate: 0.2, maxDelayMs: 400 };
    sim.randomFaults = { rate: 0.2, random, pick: platformFault };
    const plans = Array.from({ length: size }, (_, index) => plan(index));

    // Act: run them all at once, and kill the server while they are under way
    const runs = plans.map(async (planned) => {
      await sleep(random() * 1000 + (planned.index / size) * 3000);
      return run(planned);
    });
    await sleep(1800);
    killedAt = Date.now();
    await server.stop('SIGKILL');
    firstOutput = server.output();
    await sleep(200);
    server = await startServerProcess(env);
    const settled = await Promise.allSettled(runs);
    const serverErrors = () => [firstOutput, server.output()].join('\n').split('\n').filter((line) => line.includes('"level":"error"')).slice(0, 3).join('\n');
    expect(settled.flatMap((result) => (result.status === 'rejected' ? [String(result.reason)] : [])), serverErrors()).toEqual([]);
    const ids = settled.map((result) => (result as PromiseFulfilledResult<string>).value);
    const actedAt = Date.now();
    await sim.approvals.settled();

    // Assess: every approval converges (callbacks or the reconciler), its webhook and messages arrive
    const byId = new Map(plans.map((planned, index) => [ids[index]!, planned]));
    const deadline = Date.now() + 120_000;
    let views: any[] = [];
    for (;;) {
      views = await Promise.all(ids.map(async (id) => (await api('GET', `/v1/approvals/${id}`)).body));
      const done = views.every((view) => view.status !== 'pending' && view.webhook.state === 'delivered');
      const messages = botMessages();
      const announced = plans.every((planned, index) => messages.filter((message) => message.text.includes(planned.title)).length >= (views[index].platformInstanceId ? 2 : 1));
      if ((done && announced) || Date.now() > deadline) break;
      await sleep(500);
    }
    sim.randomFaults = undefined;
    const convergedMs = Date.now() - actedAt;

    const wrong = views.filter((view) => view.status !== byId.get(view.id)!.expected).map((view) => `${view.id} ${byId.get(view.id)!.platform.provider}: ${view.status}, expected ${byId.get(view.id)!.expected} (${view.endReason ?? ''})`);
    expect(wrong).toEqual([]);
    for (const view of views) {
      const planned = byId.get(view.id)!;
      const acted = planned.acts === 'cancel' ? [] : planned.acts.map((act) => `${simUserId(planned.platform.sim, act.user)} ${act.decision}`);
      expect(view.decisions.map((decision: { approver: string; decision: string }) => `${decision.approver} ${decision.decision}`).sort(), view.id).toEqual(acted.sort());
      expect(view.webhook.state, view.id).toBe('delivered');
      const received = accepted.get(view.id) ?? [];
      expect(new Set(received.map((delivery) => delivery.type)), view.id).toEqual(new Set([`approval.${view.status}`]));
      expect(onceOrResentAfterKill(received), `${view.id}: ${JSON.stringify(received)} (killed at ${killedAt})`).toBe(true);
      resent += received.length - 1;
    }
    expect([...accepted.keys()].filter((id) => !byId.has(id))).toEqual([]);
    const messages = botMessages();
    for (const planned of plans) {
      const view = views[planned.index]!;
      // The start message goes out once the platform instance exists (a cancel can come first).
      const headings = [...(view.platformInstanceId ? ['Approval requested'] : []), `Approval ${planned.expected}`];
      for (const heading of headings) {
        const copies = messages.filter((message) => message.text.includes(planned.title) && message.text.includes(heading));
        expect(copies.length, `${planned.title}: ${heading}\n${JSON.stringify(view)}\n${logOf(view.id)}`).toBeGreaterThanOrEqual(1);
        expect(onceOrResentAfterKill(copies), `${planned.title}: ${heading} ${JSON.stringify(copies.map((copy) => copy.at))} (killed at ${killedAt})`).toBe(true);
        resent += copies.length - 1;
      }
      expect(messages.filter((message) => message.text.includes(planned.title) && message.text.includes('Approval requested')).length, planned.title).toBeLessThanOrEqual(headings.length === 2 ? 2 : 0);
    }
    // At most a handful of sends were in flight at the kill.
    expect(resent).toBeLessThanOrEqual(8);
    // The chaos happened: the run proves nothing otherwise.
    expect(Object.values(sim.injected).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0);
    expect(sim.approvals.chaosCounts.dropped + sim.approvals.chaosCounts.duplicated).toBeGreaterThan(0);
    expect(refusedWebhooks).toBeGreaterThan(0);
    process.stdout.write(
      `reliability (seed ${seed}): ${size} approvals, ${Object.values(sim.injected).reduce((sum, count) => sum + count, 0)} platform faults, ` +
        `${sim.approvals.chaosCounts.dropped} callbacks dropped, ${sim.approvals.chaosCounts.duplicated} duplicated, ${refusedWebhooks} webhooks refused, ${resent} sends in flight at the kill sent again; converged ${convergedMs} ms after the last action\n`,
    );
  }, 600_000);
});

/** What the servers logged about one approval (both runs: the output of the first is kept). */
function logOf(id: string) {
  return [...firstOutput.split('\n'), '--- restart ---', ...server.output().split('\n')].filter((line) => line.includes(id) || line.includes('restart')).slice(-30).join('\n');
}
let firstOutput = '';

/** Every group-bot message the simulator received, as text, with when. */
function botMessages() {
  return [...sim.bots.values()].flatMap((bot) => bot.sent.map((sent) => ({ at: sent.at, text: JSON.stringify(sent.body) })));
}
