import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../../lib/domain/webhook-signature.ts';
import { wallClockMs } from './counting-proxy.ts';

export const webhookSecret = 'bench-webhook-secret-0001';

/**
 * A pipeline's webhook receiver: checks each delivery's signature (`X-Imhub-Signature`), answers
 * 204, and remembers when each approval's first signed delivery arrived (wall clock, ms). A
 * delivery whose signature does not verify is answered 401 and not counted.
 */
export async function startWebhookReceiver() {
  const arrivals = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  let refused = 0;
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const signed = verifyWebhookSignature({ secret: webhookSecret, timestamp: String(request.headers['x-imhub-timestamp'] ?? ''), signature: String(request.headers['x-imhub-signature'] ?? ''), body });
    if (!signed) {
      refused += 1;
      response.writeHead(401).end();
      return;
    }
    const id = (JSON.parse(body) as { deliveryId: string }).deliveryId;
    if (!arrivals.has(id)) arrivals.set(id, wallClockMs());
    waiters.get(id)?.();
    response.writeHead(204).end();
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', () => ready()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/deploy`,
    arrivals,
    get refused() {
      return refused;
    },
    /** Resolves with the arrival time of approval `id`'s webhook; rejects after `timeoutMs`. */
    arrival(id: string, timeoutMs: number): Promise<number> {
      const known = arrivals.get(id);
      if (known !== undefined) return Promise.resolve(known);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(id);
          reject(new Error(`no webhook for approval ${id} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.set(id, () => {
          clearTimeout(timer);
          waiters.delete(id);
          resolve(arrivals.get(id)!);
        });
      });
    },
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
