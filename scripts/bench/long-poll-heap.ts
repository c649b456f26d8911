/**
 * `npx tsx scripts/bench/long-poll-heap.ts [waiters]`: where the memory of row 5c goes. Starts the
 * bench's stack, takes a V8 heap snapshot, opens `waiters` long-polls from a child process (as
 * row 5b does), takes another while all are held, and prints what the held waiters added, per
 * waiter, by the kind of object (V8's node type and constructor name, shallow sizes), largest
 * first; then the same for the peer (a bare node:http server holding requests), for comparison.
 * A diagnostic, not part of `npm run bench`.
 */
import './environment.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { startChild } from './children.ts';
import { liveMemory } from './gc.ts';
import { startBenchStack } from './stack.ts';

type Census = Map<string, { count: number; bytes: number }>;

/**
 * A heap snapshot, counted by kind: `type:name` (V8's node type and constructor or function name);
 * plain objects by their first property names (`{version,routeKey,…}`), and arrays, strings and
 * V8's hidden nodes by what holds them (`array ← {…}.headers`), so that a count names its owner.
 */
function census(file: string): Census {
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
    nodes: number[];
    edges: number[];
    strings: string[];
  };
  const { meta } = snapshot.snapshot;
  const nodeFields = meta.node_fields.length;
  const edgeFields = meta.edge_fields.length;
  const types = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const [typeAt, nameAt, sizeAt, edgeCountAt] = ['type', 'name', 'self_size', 'edge_count'].map((field) => meta.node_fields.indexOf(field)) as [number, number, number, number];
  const [edgeTypeAt, edgeNameAt, edgeToAt] = ['type', 'name_or_index', 'to_node'].map((field) => meta.edge_fields.indexOf(field)) as [number, number, number];
  const count = snapshot.nodes.length / nodeFields;
  const typeOf = (node: number) => types[snapshot.nodes[node * nodeFields + typeAt]!]!;
  const nameOf = (node: number) => snapshot.strings[snapshot.nodes[node * nodeFields + nameAt]!]!;
  // Each node's first edge, its property names, and its first retainer (node and edge name).
  const firstEdge = new Int32Array(count + 1);
  const properties: string[][] = Array.from({ length: count }, () => []);
  const retainer = new Int32Array(count).fill(-1);
  const retainedAs: string[] = new Array(count);
  const edgeName = (edge: number) => {
    const edgeType = edgeTypes[snapshot.edges[edge + edgeTypeAt]!]!;
    return edgeType === 'element' || edgeType === 'hidden' ? `[${snapshot.edges[edge + edgeNameAt]}]` : snapshot.strings[snapshot.edges[edge + edgeNameAt]!]!;
  };
  let edge = 0;
  for (let node = 0; node < count; node += 1) {
    firstEdge[node] = edge;
    const edges = snapshot.nodes[node * nodeFields + edgeCountAt]!;
    for (let index = 0; index < edges; index += 1, edge += edgeFields) {
      const edgeType = edgeTypes[snapshot.edges[edge + edgeTypeAt]!]!;
      const to = snapshot.edges[edge + edgeToAt]! / nodeFields;
      const name = edgeName(edge);
      if ((edgeType === 'property' || edgeType === 'context') && (typeOf(node) === 'object' || nameOf(node) === 'system / Context')) properties[node]!.push(name);
      if (retainer[to] === -1 && edgeType !== 'weak' && typeOf(node) !== 'synthetic') {
        retainer[to] = node;
        retainedAs[to] = name;
      }
    }
  }
  firstEdge[count] = edge;
  /** The node an edge named `name` of `node` points to. */
  const follow = (node: number, name: string) => {
    for (let at = firstEdge[node]!; at < firstEdge[node + 1]!; at += edgeFields) if (edgeName(at) === name) return snapshot.edges[at + edgeToAt]! / nodeFields;
    return -1;
  };
  // Where a function was written: its SharedFunctionInfo's script, and the line from `locations`.
  const lines = new Map<number, number>();
  const locations = (snapshot as unknown as { locations?: number[] }).locations ?? [];
  for (let at = 0; at < locations.length; at += 4) lines.set(locations[at]! / nodeFields, locations[at + 2]! + 1);
  const where = (closure: number) => {
    const shared = follow(closure, 'shared');
    const script = shared >= 0 ? follow(shared, 'script_or_debug_info') : -1;
    const file = script >= 0 ? nameOf(script) : '';
    return `${file.replace(/^.*\/(node_modules\/|work\/main\/)/, '')}:${lines.get(closure) ?? '?'}`;
  };
  const describeNode = (node: number): string => {
    const type = typeOf(node);
    const name = nameOf(node);
    if (type === 'closure' && name !== 'native_bind') return `closure ${name || '(anonymous)'} @ ${where(node)}`;
    if (name === 'native_bind') {
      const target = follow(node, 'bound_function');
      return `bound ${target >= 0 ? describeNode(target) : '?'}`;
    }
    if (name === 'Generator') {
      const fn = follow(node, 'function');
      return `async frame of ${fn >= 0 ? describeNode(fn) : '?'}`;
    }
    if (name === 'system / Context') return `context {${properties[node]!.filter((property) => property !== 'previous' && property !== 'scope_info').slice(0, 6).join(',')}}`;
    return '';
  };
  const plain = (node: number) => describeNode(node) || (typeOf(node) === 'object' && nameOf(node) === 'Object' ? `{${properties[node]!.slice(0, 5).join(',')}}` : `${typeOf(node)}:${nameOf(node).slice(0, 40)}`);
  const result: Census = new Map();
  for (let node = 0; node < count; node += 1) {
    const type = typeOf(node);
    const owned = ['array', 'hidden', 'string', 'concatenated string', 'sliced string', 'number', 'object shape'].includes(type);
    // A rope's parts are held by the rope: name what holds its outermost part instead.
    let holder = node;
    while (type.endsWith('string') && retainer[holder]! >= 0 && typeOf(retainer[holder]!).endsWith('string')) holder = retainer[holder]!;
    const key = owned ? `${type} ← ${retainer[holder]! >= 0 ? `${plain(retainer[holder]!)}.${retainedAs[holder]}` : '?'}` : plain(node);
    const entry = result.get(key) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += snapshot.nodes[node * nodeFields + sizeAt]!;
    result.set(key, entry);
  }
  return result;
}

/** Rough groups for the kinds above (first match wins), to say where a waiter's memory goes. */
const groups: [string, RegExp][] = [
  ['compiled code and module text (not per waiter)', /^code|tsx\/dist|line ends|Module\.|lastSlashWasDivision/],
  ['the approval record kept across the wait', /nextCheckAt|requester|onTimeout|startLeaseUntil|\{email,|\{definition,instanceId|approval-service\.ts.*registers/],
  ['the Lambda event and context the local server builds', /api-gateway-server|callbackWaitsForEmptyEventLoop|\{version,routeKey|\{accountId,|\{method,path,protocol|\{authorization,host/],
  ['the wait: timeout signal, timer, listeners (lib/jobs/signals.ts)', /signals\.ts|EventTarget|Listener|\{fired,wrapFn|object:Timeout|AbortSignal|WeakCell/],
  ['middy and the API handler chain', /@middy|api-handler|functions\/approvals|\{event,context,response|\{raw,params,query|\{waitSeconds/],
  ['suspended async frames, promises, closures (the await chain)', /async frame|object:Promise|reactions_or_result|closure \(anonymous\) @ :\?|^context \{\}|native_bind|object:Array|Array\.elements/],
  ['node:http request, response, socket, parser (the peer has these too)', /ServerResponse|IncomingMessage|Socket|TCP|HTTPParser|ReadableState|WritableState|socketListener|Buffer|ArrayBuffer|closure on[a-z]+ @|closure cleanup|\{close,error|\{onData|\{finish|context \{callback|streams|_http/],
];

function report(label: string, before: Census, during: Census, waiters: number) {
  const rows = [...during].map(([key, { count, bytes }]) => ({ key, count: (count - (before.get(key)?.count ?? 0)) / waiters, bytes: (bytes - (before.get(key)?.bytes ?? 0)) / waiters }));
  const total = rows.reduce((sum, row) => sum + row.bytes, 0);
  process.stdout.write(`\n${label}: ${(total / 1000).toFixed(1)} kB per waiter (shallow, all kinds)\n`);
  const sums = new Map<string, number>();
  for (const row of rows) {
    const group = groups.find(([, pattern]) => pattern.test(row.key))?.[0] ?? 'other';
    sums.set(group, (sums.get(group) ?? 0) + row.bytes);
  }
  for (const [group, bytes] of [...sums].sort((a, b) => b[1] - a[1])) process.stdout.write(`${(bytes / 1000).toFixed(2).padStart(6)} kB  ${group}\n`);
  process.stdout.write('\nlargest kinds:\n');
  for (const row of rows.sort((a, b) => b.bytes - a.bytes).slice(0, 70)) {
    const group = groups.find(([, pattern]) => pattern.test(row.key))?.[0] ?? 'other';
    process.stdout.write(`${row.bytes.toFixed(0).padStart(7)} B ${row.count.toFixed(2).padStart(6)} × ${row.key.slice(0, 150)}  [${group.split(' ')[0]}${group.startsWith('the') ? ` ${group.split(' ')[1]}` : ''}]\n`);
  }
}

/** Snapshots go to files, so that nothing of the first is on the heap when the second is taken. */
const folder = mkdtempSync(join(tmpdir(), 'imhub-heap-'));
const snapshot = (name: string) => {
  liveMemory();
  return writeHeapSnapshot(join(folder, `${name}.heapsnapshot`));
};

const waiters = Number(process.argv[2] ?? 200);
const stack = await startBenchStack();
try {
  const ids: string[] = [];
  for (let index = 0; index < 10; index += 1) {
    const started = await stack.call<{ id: string }>('POST', '/v1/approvals', {
      integrationId: stack.integrations.feishu.id,
      title: `Deploy ${index}`,
      requester: stack.sim.personInput('feishu', 'requester'),
      stages: [{ mode: 'any', approvers: [stack.sim.personInput('feishu', 'alice')] }],
    });
    ids.push(started.body.id);
  }
  // One round first, so that what the first request loads once (modules, caches) is not counted.
  const warm = startChild('hold-clients.ts', [JSON.stringify({ urls: ids.map((id) => `${stack.runtime.url}/v1/approvals/${id}?waitSeconds=1`), count: 20, headers: { authorization: `Bearer ${stack.runtime.apiToken}` } })]);
  await warm.nextLine();
  await warm.nextLine();
  await warm.stop();

  const before = snapshot('before');
  const clients = startChild('hold-clients.ts', [JSON.stringify({ urls: ids.map((id) => `${stack.runtime.url}/v1/approvals/${id}?waitSeconds=20`), count: waiters, headers: { authorization: `Bearer ${stack.runtime.apiToken}` } })]);
  await clients.nextLine();
  // Until every waiter has read its approval and waits (on a busy machine the first reads take a while).
  await sleep(4000);
  const during = snapshot('during');
  await clients.nextLine();
  await clients.stop();

  const server = startChild('hold-server.ts', ['20000']);
  const { port } = JSON.parse(await server.nextLine()) as { port: number };
  // The peer's process measures itself: only its totals, for scale.
  server.child.stdin!.write('measure\n');
  const peerBefore = JSON.parse(await server.nextLine()) as { heapUsed: number };
  const peerClients = startChild('hold-clients.ts', [JSON.stringify({ urls: [`http://127.0.0.1:${port}/`], count: waiters, headers: {} })]);
  await peerClients.nextLine();
  await sleep(1500);
  server.child.stdin!.write('measure\n');
  const peerDuring = JSON.parse(await server.nextLine()) as { heapUsed: number };
  process.stdout.write(`\nbare node:http: ${((peerDuring.heapUsed - peerBefore.heapUsed) / waiters / 1000).toFixed(1)} kB per waiter (live heap)\n`);
  await peerClients.nextLine();
  await peerClients.stop();
  await server.stop();
  report(`imhub, ${waiters} held long-polls`, census(before), census(during), waiters);
} finally {
  await stack.stop();
  rmSync(folder, { recursive: true, force: true });
}
