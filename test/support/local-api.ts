import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { localCredentials, localRegion } from '../../lib/local/embedded-dynamodb.ts';
import { type LocalRuntime, startLocalRuntime } from '../../lib/local/runtime.ts';

export interface ApiAnswer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint: tests read arbitrary JSON
  body: any;
}

export interface TestApi {
  runtime: LocalRuntime;
  tableName: string;
  adminToken: string;
  call(method: string, path: string, options?: { body?: unknown; rawBody?: string; token?: string | null; headers?: Record<string, string> }): Promise<ApiAnswer>;
  /** Every item in the table, unmarshalled, as stored once what the last commits set off has run. */
  scan(): Promise<Record<string, unknown>[]>;
  /**
   * Takes an approval's scheduled look (its `approval.check` job) out, so that a test counting
   * platform reads sees only what callbacks set off. A write that plans a new look puts it back.
   */
  unscheduleCheck(approvalId: string): Promise<void>;
  stop(): Promise<void>;
}

/** The local runtime in this test process, over real HTTP, on the run's shared DynamoDB Local. */
export async function startTestApi(): Promise<TestApi> {
  const tableName = `t-${randomUUID()}`;
  const adminToken = `admin-${randomUUID()}`;
  // Tests run the reconciler themselves (runtime.reconcile()), so its timer stays out of their counts.
  const runtime = await startLocalRuntime({ port: 0, dynamoEndpoint: inject('dynamoEndpoint'), tableName, apiToken: adminToken, inMemory: true, reconcileIntervalMs: 3_600_000 });
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: runtime.dynamoEndpoint, region: localRegion, credentials: localCredentials }));
  return {
    runtime,
    tableName,
    adminToken,
    async call(method, path, options = {}) {
      const token = options.token === undefined ? adminToken : options.token;
      const response = await fetch(runtime.url + path, {
        method,
        headers: {
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(options.body !== undefined || options.rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        ...(options.rawBody !== undefined ? { body: options.rawBody } : options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
      const text = await response.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      return { status: response.status, headers: response.headers, text, body };
    },
    async scan() {
      await runtime.idle();
      const items: Record<string, unknown>[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await dynamo.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      return items;
    },
    async unscheduleCheck(approvalId) {
      // A look running now may plan the next one: let it finish first.
      await runtime.idle();
      await dynamo.send(new DeleteCommand({ TableName: tableName, Key: { pk: `JOB#approval.check#${approvalId}`, sk: 'JOB' } }));
    },
    async stop() {
      dynamo.destroy();
      await runtime.stop();
    },
  };
}
