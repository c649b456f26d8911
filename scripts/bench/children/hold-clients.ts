/**
 * Child process of the long-poll bench: opens `count` GET requests at once, round-robin over
 * `urls`, each on its own connection. Prints `open` once every connection is up, then, when all
 * have been answered, how each ended as one JSON line. It runs apart from the server it loads,
 * so that the server's memory is the server's alone.
 */
import { get } from 'node:http';

interface Plan {
  urls: string[];
  count: number;
  headers: Record<string, string>;
}

const plan = JSON.parse(process.argv[2] ?? '') as Plan;
let connected = 0;

const open = (url: string) =>
  new Promise<{ status: number; ms: number }>((resolve) => {
    const started = performance.now();
    const request = get(url, { headers: plan.headers, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, ms: performance.now() - started }));
    });
    request.on('socket', (socket) =>
      socket.once('connect', () => {
        connected += 1;
        if (connected === plan.count) process.stdout.write('open\n');
      }),
    );
    request.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
  });

const results = await Promise.all(Array.from({ length: plan.count }, (_, index) => open(plan.urls[index % plan.urls.length]!)));
process.stdout.write(`${JSON.stringify(results)}\n`);
