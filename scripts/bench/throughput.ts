import { randomUUID } from 'node:crypto';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { localCredentials, localRegion } from '../../lib/local/embedded-dynamodb.ts';
import { closedLoop } from './closed-loop.ts';
import type { SuiteResult } from './report.ts';
import type { BenchSettings } from './settings.ts';
import type { BenchStack } from './stack.ts';

/**
 * Row 5a: approvals started per second over HTTP (Feishu app, one approver) at a fixed
 * concurrency, against the floor imhub sits on: PutItem of an approval-sized item into the same
 * table, through the same counting proxy, at the same concurrency. Rounds alternate.
 */
export async function benchThroughput(stack: BenchStack, settings: BenchSettings['throughput']): Promise<SuiteResult> {
  const startApproval = async () =>
    (
      await stack.call('POST', '/v1/approvals', {
        integrationId: stack.integrations.feishu.id,
        title: 'Deploy api v1.4.2 to production',
        requester: stack.sim.personInput('feishu', 'requester'),
        stages: [{ mode: 'any', approvers: [stack.sim.personInput('feishu', 'alice')] }],
      })
    ).status === 201;
  const client = new DynamoDBClient({ endpoint: stack.dynamo.endpoint, region: localRegion, credentials: localCredentials });
  const filler = 'x'.repeat(1500);
  const putItem = async () => {
    await client.send(new PutItemCommand({ TableName: stack.tableName, Item: { pk: { S: `BENCH#${randomUUID()}` }, sk: { S: 'BENCH' }, payload: { S: filler } } }));
    return true;
  };

  const totals = { ours: { completed: 0, failed: 0, ms: 0 }, peer: { completed: 0, failed: 0, ms: 0 } };
  const calls = { dynamo: 0, platform: 0 };
  try {
    for (let round = 0; round < settings.rounds; round += 1) {
      for (const side of round % 2 === 0 ? (['ours', 'peer'] as const) : (['peer', 'ours'] as const)) {
        const dynamo = await stack.dynamo.meter();
        // The starts' own platform calls: people lookups and instance creates (a check job of an earlier approval reads instances).
        const startCalls = () => stack.sim.count('feishu.lookup') + stack.sim.count('feishu.instance.create');
        const platformBefore = startCalls();
        const result = await closedLoop({ concurrency: settings.concurrency, durationMs: settings.roundMs, call: side === 'ours' ? startApproval : putItem });
        const total = totals[side];
        total.completed += result.completed;
        total.failed += result.failed;
        total.ms += result.elapsedMs;
        if (side === 'ours') {
          calls.dynamo += (await dynamo()).calls;
          calls.platform += startCalls() - platformBefore;
        }
      }
    }
  } finally {
    client.destroy();
  }
  if (totals.ours.failed > 0 || totals.peer.failed > 0) throw new Error(`throughput: ${totals.ours.failed} approval starts and ${totals.peer.failed} PutItems failed`);
  const rate = (total: { completed: number; ms: number }) => (total.completed / total.ms) * 1000;
  const perStart = (count: number) => (count / totals.ours.completed).toFixed(1);
  return {
    rows: [
      {
        id: '5a',
        measure: `Approvals started over HTTP on DynamoDB Local, concurrency ${settings.concurrency}`,
        unit: 'per s',
        ours: rate(totals.ours),
        peer: rate(totals.peer),
        better: 'higher',
        peerIs: 'raw PutItem, same client path',
        note: `${totals.ours.completed} starts in ${settings.rounds} × ${settings.roundMs / 1000} s rounds alternating with the peer; each start made ${perStart(calls.dynamo)} DynamoDB calls and ${perStart(calls.platform)} calls to the simulated Feishu (people lookup, instance create), which runs in the same process`,
      },
    ],
    details: { totals, calls },
  };
}
