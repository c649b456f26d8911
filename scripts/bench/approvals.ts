import { commitSignals } from '../../lib/jobs/signals.ts';
import { simUserId } from '../../lib/sandbox/platform-simulator.ts';
import { type AppName, appNames } from './apps.ts';
import { clockedWorker } from './clocked-worker.ts';
import { byOperation, type DynamoCall, type DynamoCounts, wallClockMs } from './counting-proxy.ts';
import type { Row, SuiteResult } from './report.ts';
import type { BenchSettings } from './settings.ts';
import { type BenchStack, simPlatformOf } from './stack.ts';
import { percentile } from './stats.ts';
import { startWebhookReceiver, type WebhookReceiver, webhookSecret } from './webhook-receiver.ts';
import { zadig } from './zadig-model.ts';

interface Cost {
  platform: number;
  dynamo: number;
  /** The DynamoDB calls by operation, and the platform calls by route, for the JSON file. */
  operations?: DynamoCounts;
  routes?: Record<string, number>;
}

/** Counts platform calls (the simulator's counters) and DynamoDB calls (the proxy's) from now on. */
async function meter(stack: BenchStack) {
  const platform = stack.platformCalls();
  const routesBefore = { ...stack.sim.calls };
  const dynamo = await stack.dynamo.meter();
  return async (): Promise<Cost> => {
    const { calls, operations } = await dynamo();
    const routes = Object.fromEntries(Object.entries(stack.sim.calls).flatMap(([route, count]) => (count > (routesBefore[route] ?? 0) ? [[route, count - (routesBefore[route] ?? 0)]] : [])));
    return { platform: stack.platformCalls() - platform, dynamo: calls, operations, routes };
  };
}

async function startApproval(stack: BenchStack, app: AppName, receiver: WebhookReceiver | undefined, title = 'Deploy api v1.4.2 to production') {
  const answer = await stack.call<{ id: string; platformInstanceId: string }>('POST', '/v1/approvals', {
    integrationId: stack.integrations[app].id,
    title,
    requester: stack.sim.personInput(app, 'requester'),
    stages: [{ mode: 'any', approvers: [stack.sim.personInput(app, 'alice')] }],
    timeoutSeconds: 7200,
    ...(receiver ? { webhook: { url: receiver.url, secret: webhookSecret } } : {}),
  });
  if (answer.status !== 201) throw new Error(`starting a ${app} approval failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** One signed callback event: the DynamoDB calls before its HTTP answer, and those of the jobs it set off, until the runtime was idle. */
interface EventCalls {
  request: DynamoCall[];
  job: DynamoCall[];
  /** Calls that arrived after the event's claim had committed but before its answer: 0 means the split is exact. */
  raced: number;
}

/**
 * Watches callback deliveries, which the simulated platforms post through the proxy's front
 * (`stack.routeCallbacks`): it logs when imhub's answer comes off imhub's socket, on the clock of
 * the DynamoDB calls. The simulator awaits `afterCallback` right after each answer: the bench
 * waits there for the runtime to be idle (the event's job, and what that set off, has run) and
 * notes the time. The next event is posted only then, so each DynamoDB call the proxy logged falls
 * in one event's request window (post → answer) or job window (answer → idle). `commits` are the
 * moments a `callback.event` job (the claim) committed, to check the split.
 */
function watchCallbacks(stack: BenchStack) {
  const marks: { answeredAt: number; idleAt: number }[] = [];
  const commits: number[] = [];
  const stopListening = commitSignals.onJobs((jobs) => {
    if (jobs.some((job) => job.kind === 'callback.event')) commits.push(wallClockMs());
  });
  stack.sim.afterCallback = async () => {
    const answeredAt = wallClockMs();
    await stack.runtime.idle();
    marks.push({ answeredAt, idleAt: wallClockMs() });
  };
  /** Runs `deliver` (which posts callbacks through the simulator) and splits what it cost by event. */
  const split = async (deliver: () => Promise<unknown>) => {
    const calls = await stack.dynamo.record();
    const http = await stack.dynamo.recordHttp();
    const platformBefore = stack.platformCalls();
    const firstMark = marks.length;
    let from = wallClockMs();
    await deliver();
    const logged = await calls();
    const answers = (await http()).filter((entry) => entry.kind === 'answer');
    const delivered = marks.slice(firstMark);
    if (answers.length !== delivered.length || answers.some((answer) => answer.status !== 200)) throw new Error(`callbacks: ${delivered.length} deliveries, answers ${answers.map((answer) => answer.status).join(', ')}`);
    const events: EventCalls[] = delivered.map((mark, index) => {
      const answeredAt = answers[index]!.at;
      const request = logged.filter((call) => call.at > from && call.at <= answeredAt);
      const job = logged.filter((call) => call.at > answeredAt && call.at <= mark.idleAt);
      const commit = commits.find((at) => at > from && at <= mark.answeredAt);
      from = mark.idleAt;
      return { request, job, raced: commit === undefined ? 0 : request.filter((call) => call.at > commit).length };
    });
    return { events, platform: stack.platformCalls() - platformBefore, outside: logged.filter((call) => call.at > from).length };
  };
  return {
    split,
    stop: () => {
      stopListening();
      stack.sim.afterCallback = undefined;
    },
  };
}

interface Delivered {
  /** Callback events delivered (each answered 200). */
  deliveries: number;
  platform: number;
  requestDynamo: number;
  jobDynamo: number;
  raced: number;
  requestOperations: Record<string, number>;
  jobOperations: Record<string, number>;
}

const delivered = (result: Awaited<ReturnType<ReturnType<typeof watchCallbacks>['split']>>): Delivered => ({
  deliveries: result.events.length,
  platform: result.platform,
  requestDynamo: result.events.reduce((sum, event) => sum + event.request.length, 0),
  jobDynamo: result.events.reduce((sum, event) => sum + event.job.length, 0) + result.outside,
  raced: result.events.reduce((sum, event) => sum + event.raced, 0),
  requestOperations: byOperation(result.events.flatMap((event) => event.request)),
  jobOperations: byOperation(result.events.flatMap((event) => event.job)),
});

const sumDelivered = (all: readonly Delivered[]) => ({
  deliveries: all.reduce((sum, one) => sum + one.deliveries, 0),
  platform: all.reduce((sum, one) => sum + one.platform, 0),
  requestDynamo: all.reduce((sum, one) => sum + one.requestDynamo, 0),
  jobDynamo: all.reduce((sum, one) => sum + one.jobDynamo, 0),
  raced: all.reduce((sum, one) => sum + one.raced, 0),
});

interface Lifecycle {
  id: string;
  instanceId: string;
  create: Cost;
  /** The pending hour: the checks the clocked worker ran, their platform re-reads and DynamoDB calls. */
  hour: Cost & { looks: number };
  /** The approver's decision: the platform's signed callbacks, their request paths and their jobs (the webhook delivery included). */
  callbacks: Delivered;
  /** The same callbacks delivered again, as a platform retry. */
  duplicates: Delivered;
}

/**
 * Rows 3a–3f: one approval per platform through the local runtime and the simulator, every
 * platform and DynamoDB call counted: create, an hour pending (lib's job worker on production's
 * schedule, with a moved clock), the approver's decision delivered by signed callbacks (then
 * delivered again, as a platform retry would), and the jobs those set off, the webhook delivery
 * included. A first approval per platform is started and approved through its callbacks
 * beforehand, so token fetch and approval-definition provisioning (once per integration) are not
 * counted: these are steady-state costs.
 */
export async function benchApprovalCalls(stack: BenchStack): Promise<SuiteResult> {
  const receiver = await startWebhookReceiver();
  stack.routeCallbacks(await stack.dynamo.front(stack.runtime.url));
  const watch = watchCallbacks(stack);
  try {
    // Without a webhook, so that no delivery of theirs is due later. Approved through its signed
    // callbacks, so each integration's callback path is known to work, as on a tenant in use (DingTalk
    // then re-reads sparingly, for its monthly call quota).
    for (const app of appNames) {
      const warmUp = await startApproval(stack, app, undefined);
      await stack.sim.approvals.act(warmUp.platformInstanceId, simUserId(simPlatformOf(app), 'alice'), 'approve');
    }
    await stack.runtime.idle();

    const created = new Map<AppName, { id: string; instanceId: string; create: Cost }>();
    for (const app of appNames) {
      const measure = await meter(stack);
      const { id, platformInstanceId } = await startApproval(stack, app, receiver);
      await stack.runtime.idle();
      created.set(app, { id, instanceId: platformInstanceId, create: await measure() });
    }

    // The pending hour of each approval in turn: 60 one-minute sweeps of lib's worker (`runDue`),
    // seeing only that approval's jobs. A sweep's own query (what is due) is paid whatever is
    // pending: measured on a sweep with nothing due, and taken off, so what remains is what the
    // approval costs.
    const clockStart = Date.now();
    const readsOf = (app: AppName) => stack.sim.approvals.reads.get(created.get(app)!.instanceId) ?? 0;
    const hourOf = new Map<AppName, Lifecycle['hour']>();
    let idleSweep: Cost = { platform: 0, dynamo: 0 };
    for (const app of appNames) {
      let clock = clockStart;
      const approvalId = created.get(app)!.id;
      const worker = clockedWorker(stack.tableName, () => new Date(clock), (job) => job.subject === approvalId);
      const idle = await meter(stack);
      await worker.runDue();
      idleSweep = await idle();
      const readsBefore = readsOf(app);
      const hour = await meter(stack);
      let looks = 0;
      for (let minute = 1; minute <= 60; minute += 1) {
        clock += 60_000;
        looks += (await worker.runDue()).ran;
      }
      const cost = await hour();
      hourOf.set(app, { platform: readsOf(app) - readsBefore, dynamo: cost.dynamo - 60 * idleSweep.dynamo, looks, ...(cost.operations ? { operations: cost.operations } : {}) });
    }

    const runs = {} as Record<AppName, Lifecycle>;
    for (const app of appNames) {
      const { id, instanceId, create } = created.get(app)!;
      const callbacks = delivered(await watch.split(() => stack.sim.approvals.act(instanceId, simUserId(simPlatformOf(app), 'alice'), 'approve', 'ship it')));
      const duplicates = delivered(await watch.split(() => stack.sim.approvals.redeliverLast()));
      const final = await stack.call<{ status: string }>('GET', `/v1/approvals/${id}`);
      // Not a timing check: counts of a lifecycle that did not complete would mean nothing.
      if (final.body.status !== 'approved' || !receiver.arrivals.has(id)) throw new Error(`the ${app} approval ended ${final.body.status}, webhook delivered: ${receiver.arrivals.has(id)}`);
      runs[app] = { id, instanceId, create, hour: hourOf.get(app)!, callbacks, duplicates };
    }
    return { rows: approvalRows(runs, idleSweep), details: { runs, sweepWithNothingDue: idleSweep } };
  } finally {
    watch.stop();
    stack.routeCallbacks();
    await receiver.stop();
  }
}

function approvalRows(runs: Record<AppName, Lifecycle>, idleSweep: Cost): Row[] {
  const labels: Record<AppName, string> = { feishu: 'Feishu/Lark', dingtalk: 'DingTalk', wecom: 'WeCom' };
  const rows: Row[] = appNames.map((app, index) => {
    const run = runs[app];
    const model = zadig[app];
    return {
      id: `3${String.fromCharCode(97 + index)}`,
      measure: `Platform calls: ${labels[app]} approval pending 1 h, then approved (create → webhook)`,
      unit: 'calls',
      ours: run.create.platform + run.hour.platform + run.callbacks.platform,
      peer: run.create.platform + model.platformReadsPerHour + model.finalReads,
      better: 'lower',
      peerIs: `Zadig model: ${model.how}`,
      note: `ours: create ${run.create.platform} (people lookups, instance) + check re-reads ${run.hour.platform} (${plural(run.hour.looks, 'check job')} in the hour) + callback jobs' re-reads ${run.callbacks.platform}; the peer is given the same create calls`,
    };
  });
  const dingtalk = runs.dingtalk;
  rows.push({
    id: '3d',
    measure: 'Store calls: DingTalk approval waits 1 h and is decided (after create)',
    unit: 'calls',
    ours: dingtalk.hour.dynamo + dingtalk.callbacks.requestDynamo + dingtalk.callbacks.jobDynamo,
    peer: zadig.dingtalkRedisReadsPerHour + dingtalk.callbacks.deliveries * zadig.dingtalkRedisWritesPerCallback,
    better: 'lower',
    peerIs: 'Zadig model: Redis read every 3 s',
    note: `ours, DynamoDB: the hour's ${plural(dingtalk.hour.looks, 'check job')} ${dingtalk.hour.dynamo} + ${dingtalk.callbacks.deliveries} callbacks' request paths ${dingtalk.callbacks.requestDynamo} + the jobs they set off ${dingtalk.callbacks.jobDynamo} (re-read and decision, then the webhook delivery); the create makes ${dingtalk.create.dynamo} more. Each one-minute sweep also makes ${idleSweep.dynamo} query however many approvals are pending, charged to none`,
  });
  const first = sumDelivered(appNames.map((app) => runs[app].callbacks));
  const repeats = sumDelivered(appNames.map((app) => runs[app].duplicates));
  const requestOperations = mergeCounts(appNames.map((app) => runs[app].callbacks.requestOperations));
  const jobOperations = mergeCounts(appNames.map((app) => runs[app].callbacks.jobOperations));
  const perEvent = (count: number) => (count / first.deliveries).toFixed(1);
  rows.push(
    {
      id: '3e',
      measure: "DynamoDB calls on a callback's request path (before its HTTP answer), first delivery",
      unit: 'calls',
      ours: first.requestDynamo / first.deliveries,
      peer: zadig.dingtalkRedisWritesPerCallback,
      better: 'lower',
      peerIs: 'Zadig model: one Redis HSET',
      note: `${first.deliveries} events over 3 platforms, posted one at a time: ${describe(requestOperations)} before the answers left imhub (${first.raced === 0 ? 'none after the claim had committed, so none was a job\'s' : `${first.raced} after the claim had committed, possibly a job's: an upper bound`}). After the answers, the jobs made ${perEvent(first.jobDynamo)} DynamoDB calls and ${perEvent(first.platform)} platform calls per event: ${describe(jobOperations)}. A duplicate delivery costs ${(repeats.requestDynamo / repeats.deliveries).toFixed(1)} before its answer (integration read, refused claim) and ${(repeats.jobDynamo / repeats.deliveries).toFixed(1)} after`,
    },
    {
      id: '3f',
      measure: 'Calls per callback event, first delivery, request path and its jobs (DynamoDB + platform)',
      unit: 'calls',
      ours: (first.requestDynamo + first.jobDynamo + first.platform) / first.deliveries,
      peer: zadig.dingtalkRedisWritesPerCallback,
      better: 'lower',
      peerIs: 'Zadig model: one Redis HSET',
      note: `request paths ${perEvent(first.requestDynamo)} + jobs ${perEvent(first.jobDynamo)} DynamoDB + ${perEvent(first.platform)} platform re-reads per event; the jobs include each approval's webhook delivery, which the deciding event sets off`,
    },
  );
  return rows;
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

function mergeCounts(all: readonly Record<string, number>[]): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const counts of all) for (const [key, count] of Object.entries(counts)) merged[key] = (merged[key] ?? 0) + count;
  return merged;
}

const describe = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([key, count]) => `${count} ${key}`)
    .join(', ');

/**
 * Rows 3g–3h: how long after an approver decides the pipeline hears of it. N Feishu approvals
 * with a webhook to a local receiver, decided one after the other in the simulated approval app
 * (which posts its signed callbacks to imhub at once): from the decision (just before the first
 * callback is posted) to the signed webhook's arrival at the receiver. The peer is Zadig's loop,
 * which sees a Feishu decision at its next GET, every 2 s.
 */
export async function benchDecisionLatency(stack: BenchStack, settings: BenchSettings['decisions']): Promise<SuiteResult> {
  const receiver = await startWebhookReceiver();
  try {
    const started: { id: string; platformInstanceId: string }[] = [];
    for (let index = 0; index < settings.approvals; index += 1) started.push(await startApproval(stack, 'feishu', receiver, `Deploy ${index}`));
    await stack.runtime.idle();
    const latenciesMs: number[] = [];
    for (const { id, platformInstanceId } of started) {
      const decidedAt = wallClockMs();
      await stack.sim.approvals.act(platformInstanceId, simUserId('feishu', 'alice'), 'approve');
      latenciesMs.push((await receiver.arrival(id, 30_000)) - decidedAt);
    }
    await stack.runtime.idle();
    const seconds = (p: number) => percentile(latenciesMs, p) / 1000;
    const peerIs = `Zadig model: next GET, every ${zadig.feishu.pollSeconds} s`;
    const rows: Row[] = [
      {
        id: '3g',
        measure: `Decision → signed webhook at the receiver, Feishu, p50 over ${settings.approvals} approvals`,
        unit: 's',
        ours: seconds(50),
        peer: zadig.feishuDecisionSeenSeconds(50),
        better: 'lower',
        peerIs,
        note: `one approval at a time: the simulated app posts its 2 signed callbacks, each callback's job re-reads the instance, the approval ends and its webhook job posts at once; mean ${(latenciesMs.reduce((sum, ms) => sum + ms, 0) / latenciesMs.length / 1000).toFixed(3)} s, slowest ${(Math.max(...latenciesMs) / 1000).toFixed(3)} s, ${receiver.refused} deliveries refused for a bad signature. The peer notices a decision at its next poll (uniform over 2 s), so its numbers are 50% and 99% of the interval; it sends no webhook`,
      },
      { id: '3h', measure: `Decision → signed webhook at the receiver, Feishu, p99 over ${settings.approvals} approvals`, unit: 's', ours: seconds(99), peer: zadig.feishuDecisionSeenSeconds(99), better: 'lower', peerIs },
    ];
    return { rows, details: { latenciesMs } };
  } finally {
    await receiver.stop();
  }
}
