import { setTimeout as sleep } from 'node:timers/promises';
import { startChild } from './children.ts';
import { liveMemory } from './gc.ts';
import type { SuiteResult } from './report.ts';
import type { BenchSettings } from './settings.ts';
import type { BenchStack } from './stack.ts';

interface HeldRequest {
  status: number;
  ms: number;
}

interface Memory {
  heapUsed: number;
  rss: number;
}

/**
 * Opens `count` requests from a child process; once all are connected and the server has had a
 * moment to take them in, measures the server's memory with `measure`; returns how each ended.
 */
async function holdRequests(urls: string[], count: number, headers: Record<string, string>, settleMs: number, measure: () => Promise<Memory>) {
  const clients = startChild('hold-clients.ts', [JSON.stringify({ urls, count, headers })]);
  try {
    await clients.nextLine();
    await sleep(settleMs);
    const memory = await measure();
    const results = JSON.parse(await clients.nextLine()) as HeldRequest[];
    return { results, memory };
  } finally {
    await clients.stop();
  }
}

/** Requests each side answers before the count (held 1 s on ours, answered at once by the peer). */
const warmUpRequests = 50;

/**
 * Rows 5b and 5c: `waiters` long-polls (`GET /v1/approvals/{id}?waitSeconds=N`) opened at once
 * on pending approvals, from a separate process. A waiter counts as held when it got its 200
 * after the full wait. Memory is the live heap after a full collection, while all are held,
 * minus the same before: what held waiters keep alive (RSS is in the notes, but this process
 * also hosts the simulator and every earlier suite, so its RSS says little). The peer is a bare
 * node:http server, in a process of its own, holding the same number of requests as long. Both
 * sides first answer a warm-up round, so that compiling the code a request runs is not counted.
 */
export async function benchLongPolls(stack: BenchStack, settings: BenchSettings['longPoll']): Promise<SuiteResult> {
  const ids: string[] = [];
  for (let index = 0; index < settings.approvals; index += 1) {
    const started = await stack.call<{ id: string }>('POST', '/v1/approvals', {
      integrationId: stack.integrations.feishu.id,
      title: `Deploy ${index}`,
      requester: stack.sim.personInput('feishu', 'requester'),
      stages: [{ mode: 'any', approvers: [stack.sim.personInput('feishu', 'alice')] }],
    });
    if (started.status !== 201) throw new Error(`starting an approval to wait on failed: ${started.status}`);
    ids.push(started.body.id);
  }
  const waitMs = settings.waitSeconds * 1000;
  const settleMs = Math.min(1000, waitMs / 3);

  // A warm-up round on both sides first: what the first held request compiles (the handler chain's
  // code, its inline caches) is paid once per process, not per waiter, and is not counted.
  await Promise.all(Array.from({ length: warmUpRequests }, (_, index) => stack.call('GET', `/v1/approvals/${ids[index % ids.length]}?waitSeconds=1`)));

  const dynamo = await stack.dynamo.record();
  let readsAtMeasure = 0;
  let measuredAfterMs = 0;
  const openedAt = Date.now();
  const oursBefore = liveMemory();
  const ours = await holdRequests(
    ids.map((id) => `${stack.runtime.url}/v1/approvals/${id}?waitSeconds=${settings.waitSeconds}`),
    settings.waiters,
    { authorization: `Bearer ${stack.runtime.apiToken}` },
    settleMs,
    async () => {
      // Measured once every waiter has read its approval and waits: on a busy machine the first
      // reads queue behind the SDK's 50 sockets, and a read in flight is not what a held waiter keeps.
      const until = openedAt + waitMs / 2;
      for (;;) {
        readsAtMeasure = (await dynamo()).filter((call) => call.op === 'GetItem' && call.on.includes('APR')).length;
        if (readsAtMeasure >= settings.waiters || Date.now() >= until) break;
        await sleep(100);
      }
      await sleep(300);
      measuredAfterMs = Date.now() - openedAt;
      return liveMemory();
    },
  );
  const calls = await dynamo();
  const dynamoCalls = calls.length;
  // A waiter reads its approval when it comes in and once more when its wait ends (it wakes on the commit that changes it).
  const approvalReads = calls.filter((call) => call.op === 'GetItem' && call.on.includes('APR')).length;

  const server = startChild('hold-server.ts', [String(waitMs)]);
  let peerBefore: Memory & { port: number };
  let peer: Awaited<ReturnType<typeof holdRequests>>;
  try {
    const listening = JSON.parse(await server.nextLine()) as typeof peerBefore;
    await Promise.all(Array.from({ length: warmUpRequests }, () => fetch(`http://127.0.0.1:${listening.port}/warm`).then((response) => response.text())));
    server.child.stdin!.write('measure\n');
    peerBefore = { ...(JSON.parse(await server.nextLine()) as Memory), port: listening.port };
    peer = await holdRequests([`http://127.0.0.1:${peerBefore.port}/`], settings.waiters, {}, settleMs, async () => {
      server.child.stdin!.write('measure\n');
      return JSON.parse(await server.nextLine()) as Memory;
    });
  } finally {
    await server.stop();
  }

  const held = (results: HeldRequest[]) => results.filter((result) => result.status === 200 && result.ms >= waitMs).length;
  const slowest = (results: HeldRequest[]) => Math.max(...results.map((result) => result.ms)) / 1000;
  const perWaiterKb = (before: Memory, during: Memory) => (during.heapUsed - before.heapUsed) / settings.waiters / 1000;
  const megabytes = (bytes: number) => (bytes / 1e6).toFixed(0);
  return {
    rows: [
      {
        id: '5b',
        measure: `Long-polls held at once (${settings.waiters} opened, waitSeconds=${settings.waitSeconds})`,
        unit: 'waiters',
        ours: held(ours.results),
        peer: held(peer.results),
        better: 'higher',
        peerIs: 'bare node:http server holding them',
        note: `${settings.waiters} waiters over ${settings.approvals} pending approvals; slowest answer ours ${slowest(ours.results).toFixed(1)} s, peer ${slowest(peer.results).toFixed(1)} s; a waiter reads its approval when it arrives and when its wait ends, woken early only by a commit that changes it (no polling in the local runtime): ${(approvalReads / settings.waiters).toFixed(1)} approval reads per waiter (${dynamoCalls} DynamoDB calls in all while they were held)`,
      },
      {
        id: '5c',
        measure: 'Memory kept per held long-poll (live heap, server side)',
        unit: 'kB',
        ours: perWaiterKb(oursBefore, ours.memory),
        peer: perWaiterKb(peerBefore, peer.memory),
        better: 'lower',
        peerIs: 'bare node:http server holding them',
        note: `live heap after a full GC while all are held (measured ${(measuredAfterMs / 1000).toFixed(1)} s after they were opened, once ${readsAtMeasure} of ${settings.waiters} first reads had gone out), minus before; RSS before → during: ours ${megabytes(oursBefore.rss)} → ${megabytes(ours.memory.rss)} MB (the bench process, simulator and earlier suites included), peer ${megabytes(peerBefore.rss)} → ${megabytes(peer.memory.rss)} MB`,
      },
    ],
    details: {
      ours: { held: held(ours.results), slowestSeconds: slowest(ours.results), before: oursBefore, during: ours.memory, dynamoCalls, approvalReads, readsAtMeasure, measuredAfterMs },
      peer: { held: held(peer.results), slowestSeconds: slowest(peer.results), before: peerBefore, during: peer.memory },
    },
  };
}
