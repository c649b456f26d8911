/**
 * Child process, the peer of the long-poll bench: a bare node:http server that holds every
 * request for `holdMs` (`/warm`: none) and then answers as a long-poll that timed out would: the least a held
 * request costs in Node. Prints `{port, heapUsed, rss}` once listening; for each line on stdin
 * prints `{heapUsed, rss}` again; exits when its parent closes stdin (or dies).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { liveMemory } from '../gc.ts';

const holdMs = Number(process.argv[2]);
const server = createServer((request, response) => {
  // The bench's warm-up round, answered at once: the code a held request runs is compiled before the count.
  const wait = request.url === '/warm' ? 0 : holdMs;
  setTimeout(() => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"status":"pending"}');
  }, wait);
});

await new Promise<void>((ready) => server.listen(0, '127.0.0.1', () => ready()));
process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port, ...liveMemory() })}\n`);
createInterface({ input: process.stdin })
  .on('line', () => process.stdout.write(`${JSON.stringify(liveMemory())}\n`))
  .on('close', () => process.exit(0));
