import { type IncomingMessage, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalApiServer, type LambdaHttpHandler } from '../../../lib/local/api-gateway-server.ts';
import type { FunctionGroup } from '../../../lib/http/contract.ts';
import { routes } from '../../../lib/http/routes.ts';

// The local stand-in for API Gateway reads a request's body with listeners it removes at the end
// (a held long-poll keeps none) and answers as the gateway does: 413 over 10 MB, 500 when the function fails.

const servers: { close: () => void }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

const received: IncomingMessage[] = [];

async function serve(handler: LambdaHttpHandler) {
  const handlers = new Proxy({}, { get: () => handler }) as Record<FunctionGroup, LambdaHttpHandler>;
  const server = createLocalApiServer({ routes: Object.values(routes), handlers });
  server.on('request', (incoming: IncomingMessage) => received.push(incoming));
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', () => ready()));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function post(url: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    // The server may answer and close before the whole upload is written: what it answered is what counts.
    outgoing.on('error', (error) => (error.message.includes('EPIPE') || error.message.includes('ECONNRESET') ? undefined : reject(error)));
    outgoing.end(body);
  });
}

describe('local API Gateway server', () => {
  it('hands the function the whole body, and leaves no listener on the request once it is read', async () => {
    let seen: { body?: string; listeners?: Record<string, number> } = {};
    const url = await serve(async (event) => {
      // While the function runs (a long-poll waits here), the request holds no listener of the body's reading
      const incoming = received.at(-1)!;
      seen = { body: event.body, listeners: Object.fromEntries(['data', 'end', 'error', 'close', 'readable'].map((name) => [name, incoming.listenerCount(name)])) };
      return { statusCode: 200, body: '{}' };
    });
    const body = Buffer.from(JSON.stringify({ name: 'x'.repeat(200_000) }));
    const answer = await post(`${url}/v1/integrations`, body);
    expect(answer.status).toBe(200);
    expect(seen.body).toBe(body.toString('utf8'));
    expect(seen.listeners).toEqual({ data: 0, end: 0, error: 0, close: 0, readable: 0 });
  });

  it('answers 413 payload_too_large for a body over 10 MB without calling the function', async () => {
    let called = false;
    const url = await serve(async () => {
      called = true;
      return { statusCode: 200, body: '{}' };
    });
    const answer = await post(`${url}/v1/integrations`, Buffer.alloc(10 * 1024 * 1024 + 1, 'a'));
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.text).error.code).toBe('payload_too_large');
    expect(called).toBe(false);
  });

  it('answers 500 as the gateway does when the function fails', async () => {
    const url = await serve(async () => {
      throw new Error('boom');
    });
    const answer = await post(`${url}/v1/integrations`, Buffer.from('{}'));
    expect(answer).toEqual({ status: 500, text: JSON.stringify({ message: 'Internal Server Error' }) });
  });
});
