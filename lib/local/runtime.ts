import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseApiKey } from '../domain/api-key.ts';
import type { FunctionGroup } from '../http/contract.ts';
import { allRoutes } from '../http/routes.ts';
import { ensureTable } from '../store/ensure-table.ts';
import { createLocalApiServer, type LambdaHttpHandler } from './api-gateway-server.ts';
import { startLocalJobDriver } from './job-driver.ts';
import { dataPaths, type EmbeddedDynamoDb, localCredentials, localRegion, startEmbeddedDynamoDb } from './embedded-dynamodb.ts';

export interface LocalRuntimeOptions {
  /** @default 3000; 0 picks a free port */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** The admin key; generated (and kept in the data folder) when absent. */
  apiToken?: string;
  /** Base of callback URLs, e.g. a tunnel's https address. @default the server's own address */
  publicBaseUrl?: string;
  /** Where data and the local secret key live. @default '.imhub' */
  dataDir?: string;
  /** Keep nothing on disk: data and key vanish at stop. @default false */
  inMemory?: boolean;
  /** Use this DynamoDB instead of starting one (tests share one this way). */
  dynamoEndpoint?: string;
  /** @default 'imhub' */
  tableName?: string;
  /** How often the sweep runs (jobs a trigger missed), as EventBridge runs it in AWS. @default 60000 */
  reconcileIntervalMs?: number;
}

export interface LocalRuntime {
  url: string;
  apiToken: string;
  /** True when the token was generated rather than given. */
  generatedToken: boolean;
  dynamoEndpoint: string;
  /** Runs the sweep now (every job due) and waits for what it set off (tests; the timer runs it every interval, and commits run their jobs anyway). */
  reconcile(): Promise<void>;
  /** Resolves once no job runs and none is due now: what the last commits set off has run (tests). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

function loadOrCreateToken(file: string | undefined): string {
  if (file && existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = `imh_admin_${randomBytes(24).toString('base64url')}`;
  if (file) writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/**
 * The local runtime: the same Lambda handlers as in AWS behind an API Gateway-like HTTP server,
 * on an embedded DynamoDB. It configures the process environment the way the CDK stack configures
 * each function, so it runs once per process.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  // Such a token is taken for an API key, looked up among the keys, and never matches: the admin
  // would be locked out without a word. The value is a credential, so it is not repeated.
  if (options.apiToken !== undefined && parseApiKey(options.apiToken)) {
    throw new Error(
      'API_TOKEN has the shape of a generated API key (imh_<16 characters>_<43 characters>), which is looked up as a key and would never let the admin in: pick another value, e.g. `openssl rand -hex 32`',
    );
  }
  const inMemory = options.inMemory ?? false;
  const dataDir = inMemory ? mkdtempSync(join(tmpdir(), 'imhub-')) : resolve(options.dataDir ?? '.imhub');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const paths = dataPaths(dataDir);

  let dynamo: EmbeddedDynamoDb | undefined;
  const dynamoEndpoint =
    options.dynamoEndpoint ??
    (dynamo = await startEmbeddedDynamoDb(inMemory ? {} : { dataDir: paths.dynamodb, pidFile: paths.pidFile })).endpoint;
  const tableName = options.tableName ?? 'imhub';

  const cleanup = async () => {
    await dynamo?.stop();
    if (inMemory) rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const client = new DynamoDBClient({ endpoint: dynamoEndpoint, region: localRegion, credentials: localCredentials });
    await ensureTable(client, tableName);
    client.destroy();

    const apiToken = options.apiToken ?? loadOrCreateToken(inMemory ? undefined : join(dataDir, 'api-token'));
    const host = options.host ?? '127.0.0.1';
    Object.assign(process.env, {
      IMHUB_RUNTIME: 'local',
      TABLE_NAME: tableName,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
      AWS_REGION: process.env.AWS_REGION ?? localRegion,
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      IMHUB_LOCAL_KEY_FILE: paths.keyFile,
      API_TOKEN: apiToken,
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;

    // Loaded only now, after the environment is set, exactly as Lambda loads them.
    const handlers: Record<FunctionGroup, LambdaHttpHandler> = {
      meta: (await import('../../functions/meta.ts')).handler,
      integrations: (await import('../../functions/integrations.ts')).handler,
      callbacks: (await import('../../functions/callbacks.ts')).handler,
      approvals: (await import('../../functions/approvals.ts')).handler,
      notifications: (await import('../../functions/notifications.ts')).handler,
    };
    const reconciler = (await import('../../functions/reconciler.ts')).handler;
    const { services } = await import('../services/index.ts');
    const { logger } = await import('../log.ts');
    // The table's stream of AWS, in process: each job runs when its commit lands or its time comes.
    const jobDriver = startLocalJobDriver(services.worker, logger);
    // The EventBridge schedule of AWS (the sweep), as a timer; runs never overlap.
    let reconciling: Promise<unknown> = Promise.resolve();
    const reconcile = () => (reconciling = reconciling.then(() => reconciler()).catch(() => undefined));
    const timer = setInterval(reconcile, options.reconcileIntervalMs ?? 60_000);
    timer.unref();
    const server = createLocalApiServer({ routes: allRoutes, handlers });
    await new Promise<void>((ready, fail) => {
      server.once('error', fail);
      server.listen(options.port ?? 3000, host, () => ready());
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    process.env.PUBLIC_BASE_URL = options.publicBaseUrl ?? url;
    // The first sweep takes what an earlier process left due (once the environment is complete).
    void reconcile();

    return {
      url,
      apiToken,
      generatedToken: options.apiToken === undefined,
      dynamoEndpoint,
      reconcile: async () => {
        await reconcile();
        await jobDriver.idle();
      },
      idle: () => jobDriver.idle(),
      stop: async () => {
        clearInterval(timer);
        await reconciling;
        await jobDriver.stop();
        await new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        });
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
