/**
 * Child process: an HTTP proxy in front of DynamoDB Local that counts every request by its
 * `X-Amz-Target` operation, and logs each one with its arrival time and the kinds of items it
 * touches (`APR`, `INT`, `JOB approval.check`, …: the partition key's prefix). It runs apart from
 * the bench so that its CPU and memory are not charged to imhub. Prints its port; `GET /__counts`
 * answers the counts so far, `GET /__log?from=N` the log from entry N; it exits when its parent
 * closes stdin (or dies).
 *
 * `GET /__front?target=<url>` starts a second proxy, in front of imhub's HTTP server, and answers
 * its port: requests through it are logged (`GET /__http?from=N`) when they arrive and when
 * imhub's answer does, on the same clock as the DynamoDB calls. In this process, apart from imhub,
 * the answer's time is when it came off imhub's socket, not when a client in imhub's busy process
 * got round to reading it.
 */
import { Agent, createServer, request as forward } from 'node:http';
import type { AddressInfo } from 'node:net';

const upstream = new URL(process.argv[2] ?? '');
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const counts: Record<string, number> = {};
/** Every call, in arrival order: the operation, the wall-clock time (ms, sub-ms precision) and what it touched. */
const log: { op: string; at: number; on: string[] }[] = [];

/** What a partition key names: its prefix, and for jobs their kind (`JOB#<kind>#<subject>`). */
function kindOf(pk: unknown): string | undefined {
  if (typeof pk !== 'object' || pk === null || typeof (pk as { S?: unknown }).S !== 'string') return undefined;
  const [prefix, second] = (pk as { S: string }).S.split('#');
  return prefix === 'JOB' ? `JOB ${second}` : prefix;
}

/** The kinds of items a DynamoDB JSON request touches (Query: its index). */
function touched(body: string): string[] {
  try {
    const request = JSON.parse(body) as Record<string, unknown> & { Key?: { pk?: unknown }; Item?: { pk?: unknown }; IndexName?: string; TransactItems?: Record<string, { Key?: { pk?: unknown }; Item?: { pk?: unknown } }>[] };
    if (request.TransactItems) return request.TransactItems.flatMap((item) => Object.values(item).map((part) => kindOf(part.Key?.pk ?? part.Item?.pk) ?? '?'));
    if (request.IndexName) return [request.IndexName];
    const kind = kindOf(request.Key?.pk ?? request.Item?.pk);
    return kind ? [kind] : [];
  } catch {
    return [];
  }
}

/** Requests through the front proxy: when each arrived, and when imhub's answer (its status line) came back. */
const httpLog: { kind: 'post' | 'answer'; at: number; path: string; status?: number }[] = [];
let frontPort: number | undefined;

async function startFront(target: URL): Promise<number> {
  const frontAgent = new Agent({ keepAlive: true, maxSockets: 64 });
  const front = createServer((incoming, outgoing) => {
    const path = incoming.url ?? '/';
    httpLog.push({ kind: 'post', at: performance.timeOrigin + performance.now(), path });
    const proxied = forward({ host: target.hostname, port: target.port, method: incoming.method, path, headers: incoming.headers, agent: frontAgent }, (answer) => {
      httpLog.push({ kind: 'answer', at: performance.timeOrigin + performance.now(), path, status: answer.statusCode ?? 0 });
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    proxied.on('error', (error) => outgoing.destroy(error));
    incoming.pipe(proxied);
  });
  await new Promise<void>((ready) => front.listen(0, '127.0.0.1', () => ready()));
  return (front.address() as AddressInfo).port;
}

const server = createServer((incoming, outgoing) => {
  if (incoming.method === 'GET' && incoming.url?.startsWith('/__front')) {
    const target = new URL(new URL(incoming.url, 'http://proxy').searchParams.get('target') ?? '');
    void (async () => {
      frontPort ??= await startFront(target);
      outgoing.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ port: frontPort }));
    })();
    return;
  }
  if (incoming.method === 'GET' && incoming.url?.startsWith('/__http')) {
    const from = Number(new URL(incoming.url, 'http://proxy').searchParams.get('from') ?? 0);
    outgoing.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ next: httpLog.length, entries: httpLog.slice(from) }));
    return;
  }
  if (incoming.method === 'GET' && incoming.url === '/__counts') {
    outgoing.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(counts));
    return;
  }
  if (incoming.method === 'GET' && incoming.url?.startsWith('/__log')) {
    const from = Number(new URL(incoming.url, 'http://proxy').searchParams.get('from') ?? 0);
    outgoing.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ next: log.length, entries: log.slice(from) }));
    return;
  }
  const at = performance.timeOrigin + performance.now();
  const operation = String(incoming.headers['x-amz-target'] ?? 'unknown').split('.').pop()!;
  counts[operation] = (counts[operation] ?? 0) + 1;
  const entry = { op: operation, at, on: [] as string[] };
  log.push(entry);
  const chunks: Buffer[] = [];
  incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
  incoming.on('end', () => {
    const body = Buffer.concat(chunks);
    entry.on = touched(body.toString('utf8'));
    const proxied = forward({ host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers, agent }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    proxied.on('error', (error) => outgoing.destroy(error));
    proxied.end(body);
  });
});
server.keepAliveTimeout = 30_000;

await new Promise<void>((ready) => server.listen(0, '127.0.0.1', () => ready()));
process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
