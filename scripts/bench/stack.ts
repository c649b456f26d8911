import { startEmbeddedDynamoDb } from '../../lib/local/embedded-dynamodb.ts';
import { type LocalRuntime, startLocalRuntime } from '../../lib/local/runtime.ts';
import { PlatformSimulator, type SimPlatform } from '../../lib/sandbox/platform-simulator.ts';
import { type AppName, appNames, apps, people } from './apps.ts';
import { type CountingProxy, startCountingProxy } from './counting-proxy.ts';
import { rateWindowScale } from './environment.ts';

export interface ApiAnswer<T> {
  status: number;
  body: T;
}

/** imhub as `npm start` runs it, with the platforms simulated and every DynamoDB call counted. */
export interface BenchStack {
  runtime: LocalRuntime;
  sim: PlatformSimulator;
  /** Counts the calls between imhub (and the bench's own clients) and DynamoDB Local. */
  dynamo: CountingProxy;
  tableName: string;
  integrations: Record<AppName, { id: string; callbackUrl: string }>;
  /** Calls the simulated platforms have received so far, every route together. */
  platformCalls(): number;
  call<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>>;
  /** Has the simulated platforms post their callbacks through `base` (a proxy in front of the runtime), or straight to the runtime again. */
  routeCallbacks(base?: string): void;
  stop(): Promise<void>;
}

const simPlatform: Record<AppName, SimPlatform> = { feishu: 'feishu', dingtalk: 'dingtalk', wecom: 'wecom' };
export const simPlatformOf = (app: AppName) => simPlatform[app];

/**
 * Starts DynamoDB Local, a counting proxy in front of it, the platform simulator and the local
 * runtime (in memory, on the proxy), and registers one app integration per platform. The
 * runtime's own reconciler timer is parked: suites run the reconciler when they mean to.
 */
export async function startBenchStack(): Promise<BenchStack> {
  const stops: (() => Promise<void>)[] = [];
  // One stop, however many ask for it (the bench's finally and a Ctrl-C may both): each waits for all of it.
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      for (const step of stops.reverse()) await step().catch(() => undefined);
    })());
  try {
    const database = await startEmbeddedDynamoDb();
    stops.push(database.stop);
    const dynamo = await startCountingProxy(database.endpoint);
    stops.push(dynamo.stop);
    const sim = await new PlatformSimulator().start();
    stops.push(() => sim.stop());
    sim.rateWindowScale = rateWindowScale;
    sim.addPeople(people);

    const tableName = 'imhub-bench';
    const runtime = await startLocalRuntime({ port: 0, dynamoEndpoint: dynamo.endpoint, tableName, apiToken: 'bench-admin-token', inMemory: true, reconcileIntervalMs: 24 * 3_600_000 });
    stops.push(runtime.stop);

    const call = async <T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> => {
      const response = await fetch(runtime.url + path, {
        method,
        headers: { authorization: `Bearer ${runtime.apiToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
    };

    const integrations = {} as BenchStack['integrations'];
    for (const app of appNames) {
      const { appId, credentials } = apps[app];
      sim.addApp(simPlatform[app], appId, 'appSecret' in credentials ? credentials.appSecret : credentials.secret);
      const created = await call<{ id: string; callbackUrl: string }>('POST', '/v1/integrations', { provider: app, name: `bench ${app}`, apiBaseUrl: sim.url, credentials });
      if (created.status !== 201) throw new Error(`registering the ${app} app failed: ${created.status} ${JSON.stringify(created.body)}`);
      integrations[app] = created.body;
      sim.approvals.subscribeIntegration(simPlatform[app], appId, created.body.callbackUrl, apps[app].credentials);
    }
    const platformCalls = () => Object.values(sim.calls).reduce((sum, count) => sum + count, 0);
    const routeCallbacks = (base?: string) => {
      for (const app of appNames) {
        const url = new URL(integrations[app].callbackUrl);
        const routed = base ? new URL(url.pathname + url.search, base).href : url.href;
        sim.approvals.subscribeIntegration(simPlatform[app], apps[app].appId, routed, apps[app].credentials);
      }
    };
    return { runtime, sim, dynamo, tableName, integrations, platformCalls, call, routeCallbacks, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
