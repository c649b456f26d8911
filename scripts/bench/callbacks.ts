import { randomUUID } from 'node:crypto';
import type { CallbackOutcome, CallbackRequest } from '../../lib/providers/callbacks/callback-types.ts';
import { verifyDingtalkCallback } from '../../lib/providers/callbacks/dingtalk-callback.ts';
import { verifyFeishuCallback } from '../../lib/providers/callbacks/feishu-callback.ts';
import { verifyWecomCallback } from '../../lib/providers/callbacks/wecom-callback.ts';
import { dingtalkSigned, feishuSigned, type SignedRequest, wecomApprovalXml, wecomSigned } from '../../lib/sandbox/platform-signing.ts';
import { type AppName, apps } from './apps.ts';
import { closedLoop } from './closed-loop.ts';
import type { DynamoCounts } from './counting-proxy.ts';
import { sdkFeishuReceiver } from './peers/feishu-sdk-receiver.ts';
import { wxCryptoDingtalkReceiver, wxCryptoWecomReceiver } from './peers/wx-crypto-receivers.ts';
import type { Row, SuiteResult } from './report.ts';
import type { BenchSettings } from './settings.ts';
import type { BenchStack } from './stack.ts';
import { elapsedMs, median, percentile } from './stats.ts';

/**
 * The dedupe both sides get: an event id takes effect once, claimed in memory. The SDKs have no
 * dedupe at all; imhub's real claim is a DynamoDB conditional put (row 1j measures that path).
 */
class MemoryClaims {
  private readonly seen = new Set<string>();
  claim(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    return true;
  }
  get size() {
    return this.seen.size;
  }
}

type Handle = (request: CallbackRequest) => Promise<unknown>;

/** One callback scheme: how its platform signs a payload, imhub's receiver and the peer's. */
interface Scheme {
  app: AppName;
  label: string;
  peerIs: string;
  sign(): SignedRequest;
  ours(claims: MemoryClaims): Handle;
  peer(claims: MemoryClaims): Handle;
}

/** imhub's side: the real verifier of lib/providers/callbacks, then the claim. */
const ours =
  (verify: (request: CallbackRequest) => CallbackOutcome) =>
  (claims: MemoryClaims): Handle =>
  async (request) => {
    const outcome = verify(request);
    if (outcome.kind === 'event') claims.claim(outcome.event.id);
    return outcome.kind === 'card' ? outcome.answer({ toast: { type: 'info', text: '' } }).body : outcome.response.body;
  };

/** An approval event as Feishu sends it (v1 envelope, as test/simulators/approval-simulator.ts builds it). */
const feishuApprovalEvent = () => ({
  uuid: randomUUID(),
  token: apps.feishu.credentials.verificationToken,
  ts: String(Date.now() / 1000),
  type: 'event_callback',
  event: { app_id: apps.feishu.appId, tenant_key: 'tenant', type: 'approval_instance', approval_code: 'APPROVAL-BENCH', instance_code: randomUUID().toUpperCase(), status: 'APPROVED', operate_time: String(Date.now()) },
});

const signFeishu = () => feishuSigned({ encryptKey: apps.feishu.credentials.encryptKey, payload: feishuApprovalEvent() });

/** WeCom approval numbers are 64-bit; each signed event gets the next one, so every event id is new. */
let wecomSpNo = 202600000000000;

const schemes: Scheme[] = [
  {
    app: 'feishu',
    label: 'Feishu/Lark encrypted event',
    peerIs: '@larksuiteoapi/node-sdk EventDispatcher',
    sign: signFeishu,
    ours: ours((request) => verifyFeishuCallback(request, apps.feishu.credentials)),
    peer: (claims) =>
      sdkFeishuReceiver(apps.feishu.credentials, (event) => {
        claims.claim(String(event.uuid));
        return { msg: 'success' };
      }),
  },
  {
    app: 'dingtalk',
    label: 'DingTalk JSON callback',
    peerIs: '@wecom/crypto + JSON.parse',
    sign: () =>
      dingtalkSigned({
        token: apps.dingtalk.credentials.token,
        aesKey: apps.dingtalk.credentials.aesKey,
        receiverId: apps.dingtalk.credentials.appKey,
        payload: { EventType: 'bpms_task_change', eventId: randomUUID(), processInstanceId: randomUUID(), type: 'finish', result: 'agree', staffId: 'ding_alice', taskId: Date.now() },
      }),
    ours: ours((request) => verifyDingtalkCallback(request, apps.dingtalk.credentials)),
    peer: (claims) => wxCryptoDingtalkReceiver(apps.dingtalk.credentials, (event) => claims.claim(String(event.eventId))),
  },
  {
    app: 'wecom',
    label: 'WeCom XML callback',
    peerIs: '@wecom/crypto + fast-xml-parser',
    sign: () => {
      const { corpId, agentId, token, encodingAesKey } = apps.wecom.credentials;
      const xml = wecomApprovalXml({ corpId, agentId, spNo: String((wecomSpNo += 1)), status: 2, change: 2 });
      return wecomSigned({ token, encodingAesKey, corpId, agentId, xml });
    },
    ours: ours((request) => verifyWecomCallback(request, apps.wecom.credentials)),
    peer: (claims) =>
      wxCryptoWecomReceiver(apps.wecom.credentials, (event) => {
        // imhub's event id for an approval change: the instance, the change and the time.
        const approval = event.ApprovalInfo as Record<string, unknown>;
        claims.claim(`${String(approval.SpNo)}:${String(approval.StatuChangeEvent)}:${String(event.CreateTime)}`);
      }),
  },
];

const toRequest = (signed: SignedRequest): CallbackRequest => ({
  method: signed.method,
  headers: signed.headers,
  query: signed.query,
  rawBody: Buffer.from(signed.body ?? '', 'utf8'),
  now: new Date(),
});

interface Sample {
  /** Events per second of each round: their median resists a round that the machine's noise hit. */
  rates: number[];
  latenciesUs: number[];
}

/** Runs every request through `handle`, one at a time, timing each. */
async function runRound(handle: Handle, requests: readonly CallbackRequest[], sample: Sample | undefined) {
  const start = process.hrtime.bigint();
  for (const request of requests) {
    const before = process.hrtime.bigint();
    await handle(request);
    sample?.latenciesUs.push(Number(process.hrtime.bigint() - before) / 1e3);
  }
  sample?.rates.push(requests.length / (Number(process.hrtime.bigint() - start) / 1e9));
}

/**
 * Both sides get the same freshly signed payloads each round and alternate who goes first, so
 * that the machine's noise and the JIT's warm-up land on both; one warm-up round is discarded.
 */
async function measureScheme(scheme: Scheme, settings: BenchSettings['callbacks']) {
  const samples: Record<'ours' | 'peer', Sample> = { ours: { rates: [], latenciesUs: [] }, peer: { rates: [], latenciesUs: [] } };
  for (let round = -1; round < settings.rounds; round += 1) {
    const requests = Array.from({ length: settings.eventsPerRound }, () => toRequest(scheme.sign()));
    for (const side of round % 2 === 0 ? (['ours', 'peer'] as const) : (['peer', 'ours'] as const)) {
      const claims = new MemoryClaims();
      await runRound(scheme[side](claims), requests, round >= 0 ? samples[side] : undefined);
      // Not a timing check: a handler that refused the payloads would be measuring its error path.
      if (claims.size !== requests.length) throw new Error(`${scheme.app} ${side}: ${claims.size} of ${requests.length} events accepted`);
    }
  }
  const summary = (sample: Sample) => ({
    eventsPerSecond: median(sample.rates),
    roundRates: sample.rates,
    p50Us: percentile(sample.latenciesUs, 50),
    p99Us: percentile(sample.latenciesUs, 99),
    events: sample.latenciesUs.length,
  });
  return { ours: summary(samples.ours), peer: summary(samples.peer) };
}

const schemeRows = (scheme: Scheme, position: number, result: Awaited<ReturnType<typeof measureScheme>>, note: string): Row[] => {
  const letter = (offset: number) => `1${String.fromCharCode(97 + position * 3 + offset)}`;
  return [
    { id: letter(0), measure: `${scheme.label}: verify+decrypt+parse+dedupe`, unit: 'events/s', ours: result.ours.eventsPerSecond, peer: result.peer.eventsPerSecond, better: 'higher', peerIs: scheme.peerIs, note },
    { id: letter(1), measure: `${scheme.label}: p50 latency`, unit: 'µs', ours: result.ours.p50Us, peer: result.peer.p50Us, better: 'lower', peerIs: scheme.peerIs },
    { id: letter(2), measure: `${scheme.label}: p99 latency`, unit: 'µs', ours: result.ours.p99Us, peer: result.peer.p99Us, better: 'lower', peerIs: scheme.peerIs },
  ];
};

/** Row 1a-1i: each callback scheme in process, imhub's verifier against the platform's own library. */
export async function benchCallbackHandlers(settings: BenchSettings['callbacks']): Promise<SuiteResult> {
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  const method = `in process, one event at a time: median of ${settings.rounds} rounds × ${settings.eventsPerRound.toLocaleString('en-US')} freshly signed events per side, alternating who goes first`;
  const fairness =
    'both sides dedupe with the same in-memory Set claim (the SDKs have none). imhub also checks the 5-minute timestamp window, the receiver id and (Feishu) the Verification Token, comparing in constant time; the peers check the signature only';
  for (const [position, scheme] of schemes.entries()) {
    const result = await measureScheme(scheme, settings);
    details[scheme.app] = result;
    rows.push(...schemeRows(scheme, position, result, position === 0 ? `${method}; ${fairness}` : method));
  }
  return { rows, details };
}

/**
 * Row 1j: the whole callback path of the local runtime, over HTTP: API Gateway-like server →
 * callbacks Lambda handler → integration and sealed credentials → verify → the event's claim and
 * its `callback.event` job in one DynamoDB transaction → answer; then the job, which the runtime
 * runs at once in the same process (the instance is unknown, so it finds nothing to do). A round
 * is timed until every answer came and every job ran. Against `/healthz` on the same server at
 * the same concurrency: the floor of the server and the handler adapter, no crypto, no DynamoDB.
 */
export async function benchCallbackPath(stack: BenchStack, settings: BenchSettings['callbacks']): Promise<SuiteResult> {
  const { callbackUrl } = stack.integrations.feishu;
  const health = async () => answeredOk(await fetch(`${stack.runtime.url}/healthz`));

  const totals = { ours: { completed: 0, failed: 0, ms: 0, answeredMs: 0, dynamoCalls: 0 }, peer: { completed: 0, failed: 0, ms: 0, answeredMs: 0, dynamoCalls: 0 } };
  let operations: DynamoCounts = {};
  // Round -1 warms up both paths, and DynamoDB Local's JVM with them; it is not counted.
  for (let round = -1; round < settings.httpRounds; round += 1) {
    const payloads = Array.from({ length: settings.httpEventsPerRound }, signFeishu);
    for (const side of round % 2 === 0 ? (['ours', 'peer'] as const) : (['peer', 'ours'] as const)) {
      const dynamo = await stack.dynamo.meter();
      const start = process.hrtime.bigint();
      const result = await closedLoop({ concurrency: settings.httpConcurrency, count: payloads.length, call: (index) => (side === 'ours' ? send(callbackUrl, payloads[index]!) : health()) });
      // The jobs the events set off run in this process too: the round ends when they have.
      await stack.runtime.idle();
      const ms = elapsedMs(start);
      if (round < 0) continue;
      const total = totals[side];
      total.completed += result.completed;
      total.failed += result.failed;
      total.ms += ms;
      total.answeredMs += result.elapsedMs;
      const calls = await dynamo();
      total.dynamoCalls += calls.calls;
      if (side === 'ours') operations = calls.operations;
    }
  }
  if (totals.ours.failed > 0) throw new Error(`${totals.ours.failed} callbacks were not answered 200 by the local runtime`);
  const rate = (total: { completed: number; ms: number }) => (total.completed / total.ms) * 1000;
  return {
    rows: [
      {
        id: '1j',
        measure: 'Feishu callback through the local runtime (HTTP → handler → claim + job → job run)',
        unit: 'events/s',
        ours: rate(totals.ours),
        peer: rate(totals.peer),
        better: 'higher',
        peerIs: 'GET /healthz, same server',
        note: `concurrency ${settings.httpConcurrency}, ${totals.ours.completed} events after a warm-up round, timed until their jobs had run (answers alone: ${rate({ completed: totals.ours.completed, ms: totals.ours.answeredMs }).toFixed(0)}/s); ${(totals.ours.dynamoCalls / totals.ours.completed).toFixed(1)} DynamoDB calls per event (${Object.entries(operations)
          .map(([operation, count]) => `${operation} ${(count / (settings.httpEventsPerRound || 1)).toFixed(1)}`)
          .join(', ')}), each a few ms on DynamoDB Local`,
      },
    ],
    details: { ...totals, dynamoOperationsOfLastRound: operations },
  };
}

// Each answer is read to its end, so that its connection goes back to the pool.
const answeredOk = async (response: Response) => {
  await response.arrayBuffer();
  return response.status === 200;
};

const send = async (url: string, signed: SignedRequest) =>
  answeredOk(await fetch(`${url}?${new URLSearchParams(signed.query).toString()}`, { method: signed.method, headers: signed.headers, ...(signed.body === undefined ? {} : { body: signed.body }) }));

/** The two v1 events Feishu posts when an approver approves (task, then instance), as test/simulators/approval-simulator.ts builds them. */
function feishuDecisionEvents(instanceId: string, definition: string) {
  const event = (type: string, extra: Record<string, unknown>) => ({
    uuid: randomUUID(),
    token: apps.feishu.credentials.verificationToken,
    ts: String(Date.now() / 1000),
    type: 'event_callback',
    event: { app_id: apps.feishu.appId, tenant_key: 'tenant', type, approval_code: definition, instance_code: instanceId, operate_time: String(Date.now()), ...extra },
  });
  return [event('approval_task', { open_id: 'ou_alice', status: 'APPROVED', task_id: randomUUID() }), event('approval_instance', { status: 'APPROVED' })];
}

/**
 * Rows 1k–1l: how long a platform waits for imhub's answer to a signed approval callback while
 * the platform itself is slow: every Feishu instance read is answered after `platformDelayMs`.
 * N pending Feishu approvals are approved in the simulated app without their callbacks; the bench
 * then posts each one's two signed events itself, one at a time, timing each from the post to the
 * HTTP answer. Each event's job re-reads the instance (slowly) in the background and ends the
 * approval. The peer is `GET /healthz` on the same server, timed right after each callback: the
 * floor of the server at that moment.
 */
export async function benchCallbackAnswers(stack: BenchStack, settings: BenchSettings['slowCallbacks']): Promise<SuiteResult> {
  const { callbackUrl } = stack.integrations.feishu;
  const pending: { id: string; instanceId: string }[] = [];
  for (let index = 0; index < settings.approvals; index += 1) {
    const answer = await stack.call<{ id: string; platformInstanceId: string }>('POST', '/v1/approvals', {
      integrationId: stack.integrations.feishu.id,
      title: `Deploy ${index}`,
      requester: stack.sim.personInput('feishu', 'requester'),
      stages: [{ mode: 'any', approvers: [stack.sim.personInput('feishu', 'alice')] }],
    });
    if (answer.status !== 201) throw new Error(`starting an approval failed: ${answer.status}`);
    pending.push({ id: answer.body.id, instanceId: answer.body.platformInstanceId });
  }
  await stack.runtime.idle();
  const answersMs: number[] = [];
  const healthMs: number[] = [];
  const readsBefore = stack.sim.count('feishu.instance.get');
  const started = Date.now();
  let jobsDoneMs = 0;
  try {
    // Decided in the app, its callbacks held back: the bench posts them, timing each answer.
    stack.sim.approvals.dropCallbacks = true;
    for (const { instanceId } of pending) await stack.sim.approvals.act(instanceId, 'ou_alice', 'approve');
    // Every Feishu instance read, from now until the jobs are done, is answered after the delay.
    stack.sim.randomFaults = { rate: 1, random: () => 0, pick: (route) => (route === 'feishu.instance.get' ? { kind: 'slow', ms: settings.platformDelayMs } : undefined) };
    for (const { instanceId } of pending) {
      for (const payload of feishuDecisionEvents(instanceId, stack.sim.approvals.instances.get(instanceId)!.definition)) {
        const signed = feishuSigned({ encryptKey: apps.feishu.credentials.encryptKey, payload });
        let start = process.hrtime.bigint();
        if (!(await send(callbackUrl, signed))) throw new Error('a callback was not answered 200');
        answersMs.push(elapsedMs(start));
        start = process.hrtime.bigint();
        await health();
        healthMs.push(elapsedMs(start));
      }
    }
    await stack.runtime.idle();
    jobsDoneMs = Date.now() - started;
  } finally {
    stack.sim.randomFaults = undefined;
    stack.sim.approvals.dropCallbacks = false;
  }
  const slowReads = stack.sim.count('feishu.instance.get') - readsBefore;
  let approved = 0;
  for (const { id } of pending) if ((await stack.call<{ status: string }>('GET', `/v1/approvals/${id}`)).body.status === 'approved') approved += 1;
  // Not a timing check: answers that came before the jobs could not do their work would mean nothing.
  if (approved !== pending.length) throw new Error(`only ${approved} of ${pending.length} approvals ended approved after their callbacks`);
  const peerIs = 'GET /healthz, same server, same moment';
  return {
    rows: [
      {
        id: '1k',
        measure: `Signed Feishu callback answered while the platform answers reads after ${settings.platformDelayMs / 1000} s: p50`,
        unit: 'ms',
        ours: percentile(answersMs, 50),
        peer: percentile(healthMs, 50),
        better: 'lower',
        peerIs,
        note: `${answersMs.length} events (task and instance event of ${pending.length} approvals), posted one at a time, each timed from the post to its HTTP answer; slowest ${Math.max(...answersMs).toFixed(0)} ms. Their jobs re-read the instances in the background (${slowReads} reads, each answered after ${settings.platformDelayMs / 1000} s) and all ${approved} approvals ended approved, ${(jobsDoneMs / 1000).toFixed(1)} s after the first post. Feishu wants an answer within 3 s`,
      },
      { id: '1l', measure: `Signed Feishu callback answered while the platform answers reads after ${settings.platformDelayMs / 1000} s: p99`, unit: 'ms', ours: percentile(answersMs, 99), peer: percentile(healthMs, 99), better: 'lower', peerIs },
    ],
    details: { answersMs, healthMs, slowReads, jobsDoneMs },
  };

  async function health() {
    return answeredOk(await fetch(`${stack.runtime.url}/healthz`));
  }
}
