import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simUserId } from '../../test/simulators/platform-simulator.ts';
import { type AppName, appNames } from './apps.ts';
import { clockedReconciler } from './clocked-reconciler.ts';
import type { DynamoCounts } from './counting-proxy.ts';
import type { Row, SuiteResult } from './report.ts';
import { type BenchStack, simPlatformOf } from './stack.ts';
import { zadig } from './zadig-model.ts';

interface Cost {
  platform: number;
  dynamo: number;
  /** The DynamoDB calls by operation, for the JSON file. */
  operations?: DynamoCounts;
}

/** A pipeline's webhook receiver: answers 204 and remembers which approvals it heard of. */
async function startWebhookReceiver() {
  const received = new Set<string>();
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    received.add((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { deliveryId: string }).deliveryId);
    response.writeHead(204).end();
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', () => ready()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/deploy`,
    received,
    stop: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** Counts platform calls (the simulator's counters) and DynamoDB calls (the proxy's) from now on. */
async function meter(stack: BenchStack) {
  const platform = stack.platformCalls();
  const dynamo = await stack.dynamo.meter();
  return async (): Promise<Cost> => {
    const { calls, operations } = await dynamo();
    return { platform: stack.platformCalls() - platform, dynamo: calls, operations };
  };
}

const add = (...costs: Cost[]): Cost => costs.reduce((sum, cost) => ({ platform: sum.platform + cost.platform, dynamo: sum.dynamo + cost.dynamo }), { platform: 0, dynamo: 0 });

interface Lifecycle {
  id: string;
  instanceId: string;
  create: Cost;
  hour: Cost;
  callbacks: Cost & { deliveries: number };
  duplicates: Cost & { deliveries: number };
  webhook: Cost;
}

/**
 * Row 3: one approval per platform through the local runtime and the simulator, every platform
 * and DynamoDB call counted: create, an hour pending (the reconciler on its production schedule,
 * with a moved clock), the approver's decision delivered by signed callbacks (then delivered
 * again, as a platform retry), and the webhook. A first approval per platform is started and
 * approved through its callbacks beforehand, so token fetch and approval-definition provisioning (once per
 * integration) are not counted: these are steady-state costs.
 */
export async function benchApprovalCalls(stack: BenchStack): Promise<SuiteResult> {
  const receiver = await startWebhookReceiver();
  const start = async (app: AppName, webhook: boolean) => {
    const answer = await stack.call<{ id: string; platformInstanceId: string }>('POST', '/v1/approvals', {
      integrationId: stack.integrations[app].id,
      title: 'Deploy api v1.4.2 to production',
      requester: stack.sim.personInput(app, 'requester'),
      stages: [{ mode: 'any', approvers: [stack.sim.personInput(app, 'alice')] }],
      timeoutSeconds: 7200,
      ...(webhook ? { webhook: { url: receiver.url, secret: 'bench-webhook-secret-0001' } } : {}),
    });
    if (answer.status !== 201) throw new Error(`starting a ${app} approval failed: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  try {
    // Without a webhook, so that no delivery of theirs is due later. Approved through its signed
    // callbacks, so each integration's callback path is known to work, as on a tenant in use (DingTalk
    // then re-reads sparingly, for its monthly call quota).
    for (const app of appNames) {
      const warmUp = await start(app, false);
      await stack.sim.approvals.act(warmUp.platformInstanceId, simUserId(simPlatformOf(app), 'alice'), 'approve');
    }

    const created = new Map<AppName, { id: string; instanceId: string; create: Cost }>();
    for (const app of appNames) {
      const measure = await meter(stack);
      const { id, platformInstanceId } = await start(app, true);
      created.set(app, { id, instanceId: platformInstanceId, create: await measure() });
    }

    // The pending hour: 60 one-minute reconciler runs. A run's own queries (what is due, which
    // webhooks are due) are paid whatever is pending: measured on a run with nothing due, and
    // taken off, so what remains is what the pending approvals cost.
    let clock = Date.now();
    const reconciler = clockedReconciler(stack.tableName, () => new Date(clock));
    const readsOf = (app: AppName) => stack.sim.approvals.reads.get(created.get(app)!.instanceId) ?? 0;
    const idle = await meter(stack);
    await reconciler.reconcile();
    const idleRun = await idle();
    const readsBefore = new Map(appNames.map((app) => [app, readsOf(app)]));
    const hour = await meter(stack);
    for (let minute = 1; minute <= 60; minute += 1) {
      clock += 60_000;
      await reconciler.reconcile();
    }
    const dynamoPerApproval = ((await hour()).dynamo - 60 * idleRun.dynamo) / appNames.length;
    const hourOf = new Map(appNames.map((app): [AppName, Cost] => [app, { platform: readsOf(app) - readsBefore.get(app)!, dynamo: dynamoPerApproval }]));

    const runs = {} as Record<AppName, Lifecycle>;
    for (const app of appNames) {
      const { id, instanceId, create } = created.get(app)!;
      const deliveries = () => stack.sim.approvals.deliveries.length;
      let measure = await meter(stack);
      const before = deliveries();
      await stack.sim.approvals.act(instanceId, simUserId(simPlatformOf(app), 'alice'), 'approve', 'ship it');
      const callbacks = { ...(await measure()), deliveries: deliveries() - before };
      measure = await meter(stack);
      await stack.sim.approvals.redeliverLast();
      const duplicates = { ...(await measure()), deliveries: stack.sim.approvals.lastRequests?.requests.length ?? 0 };
      measure = await meter(stack);
      await stack.runtime.reconcile();
      const webhook = await measure();
      const final = await stack.call<{ status: string }>('GET', `/v1/approvals/${id}`);
      // Not a timing check: counts of a lifecycle that did not complete would mean nothing.
      if (final.body.status !== 'approved' || !receiver.received.has(id)) throw new Error(`the ${app} approval ended ${final.body.status}, webhook delivered: ${receiver.received.has(id)}`);
      runs[app] = { id, instanceId, create, hour: hourOf.get(app)!, callbacks, duplicates, webhook };
    }
    return { rows: approvalRows(runs, idleRun), details: { runs, reconcilerRunWithNothingDue: idleRun } };
  } finally {
    await receiver.stop();
  }
}

function approvalRows(runs: Record<AppName, Lifecycle>, idleRun: Cost): Row[] {
  const labels: Record<AppName, string> = { feishu: 'Feishu/Lark', dingtalk: 'DingTalk', wecom: 'WeCom' };
  const rows: Row[] = appNames.map((app, index) => {
    const run = runs[app];
    const model = zadig[app];
    return {
      id: `3${String.fromCharCode(97 + index)}`,
      measure: `Platform calls: ${labels[app]} approval pending 1 h, then approved (create → webhook)`,
      unit: 'calls',
      ours: add(run.create, run.hour, run.callbacks, run.webhook).platform,
      peer: run.create.platform + model.platformReadsPerHour + model.finalReads,
      better: 'lower',
      peerIs: `Zadig model: ${model.how}`,
      note: `ours: create ${run.create.platform} (people lookups, instance) + reconciler re-reads ${run.hour.platform} + callback re-reads ${run.callbacks.platform}; the peer is given the same create calls`,
    };
  });
  const dingtalk = runs.dingtalk;
  const afterCreate = add(dingtalk.hour, dingtalk.callbacks, dingtalk.webhook).dynamo;
  rows.push({
    id: '3d',
    measure: 'Store calls: DingTalk approval waits 1 h and is decided (after create)',
    unit: 'calls',
    ours: afterCreate,
    peer: zadig.dingtalkRedisReadsPerHour + dingtalk.callbacks.deliveries * zadig.dingtalkRedisWritesPerCallback,
    better: 'lower',
    peerIs: 'Zadig model: Redis read every 3 s',
    note: `ours, DynamoDB: reconciler ${dingtalk.hour.dynamo.toFixed(0)} (the mean of the 3 pending approvals) + callbacks ${dingtalk.callbacks.dynamo} + webhook run ${dingtalk.webhook.dynamo}; the create makes ${dingtalk.create.dynamo} more. Each reconciler run also makes ${idleRun.dynamo} queries however many approvals are pending, charged to none`,
  });
  const events = add(...appNames.map((app) => runs[app].callbacks));
  const deliveries = appNames.reduce((sum, app) => sum + runs[app].callbacks.deliveries, 0);
  const duplicates = add(...appNames.map((app) => runs[app].duplicates));
  const duplicateDeliveries = appNames.reduce((sum, app) => sum + runs[app].duplicates.deliveries, 0);
  rows.push({
    id: '3e',
    measure: 'Calls per callback event, first delivery (DynamoDB + platform)',
    unit: 'calls',
    ours: (events.dynamo + events.platform) / deliveries,
    peer: zadig.dingtalkRedisWritesPerCallback,
    better: 'lower',
    peerIs: 'Zadig model: one Redis HSET',
    note: `${deliveries} events over 3 platforms: ${events.platform} platform re-reads, ${events.dynamo} DynamoDB calls (integration, claim, instance index, approval read, conditional write, complete); a duplicate delivery costs ${((duplicates.dynamo + duplicates.platform) / duplicateDeliveries).toFixed(1)} (integration read, refused claim)`,
  });
  return rows;
}
