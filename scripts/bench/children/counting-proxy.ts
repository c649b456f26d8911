/**
 * Child process: an HTTP proxy in front of DynamoDB Local that counts every request by its
 * `X-Amz-Target` operation. It runs apart from the bench so that its CPU and memory are not
 * charged to imhub. Prints its port; `GET /__counts` answers the counts so far; it exits when
 * its parent closes stdin (or dies).
 */
import { Agent, createServer, request as forward } from 'node:http';
import type { AddressInfo } from 'node:net';

const upstream = new URL(process.argv[2] ?? '');
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const counts: Record<string, number> = {};

const server = createServer((incoming, outgoing) => {
  if (incoming.method === 'GET' && incoming.url === '/__counts') {
    outgoing.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(counts));
    return;
  }
  const operation = String(incoming.headers['x-amz-target'] ?? 'unknown').split('.').pop()!;
  counts[operation] = (counts[operation] ?? 0) + 1;
  const proxied = forward({ host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers, agent }, (answer) => {
    outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(outgoing);
  });
  proxied.on('error', (error) => outgoing.destroy(error));
  incoming.pipe(proxied);
});
server.keepAliveTimeout = 30_000;

await new Promise<void>((ready) => server.listen(0, '127.0.0.1', () => ready()));
process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
