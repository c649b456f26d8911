import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type LookupFunction, type Server as TcpServer } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNonPublicAddress, outboundUrlProblem } from '../../lib/domain/outbound-url.ts';
import { outboundFetch, PlatformHttpClient, type PlatformRules } from '../../lib/providers/http-client.ts';

/**
 * Red-team item 9: in AWS the outbound URL policy let through `localhost.`, `localhost.localdomain` and
 * IPv6 forms that carry a private IPv4 address, and it judged names as written, not where they resolve.
 * Now the names and addresses are closed, and every outbound call checks the address it connects to.
 */

const aws = { allowInsecure: false };
const local = { allowInsecure: true };

describe('the AWS URL policy on names and addresses as written', () => {
  it.each([
    'https://localhost./',
    'https://LOCALHOST../hook',
    'https://localhost.localdomain/',
    'https://localhost.localdomain./',
    'https://api.localhost./',
    'https://ip6-localhost/',
    'https://metadata/latest',
    'https://instance-data.ec2.internal/',
    'https://printer.local/',
    'https://127.0.0.1./',
    'https://[::127.0.0.1]/',
    'https://[::7f00:1]/',
    'https://[::a9fe:a9fe]/latest/meta-data',
    'https://[::ffff:0:127.0.0.1]/',
    'https://[64:ff9b::127.0.0.1]/',
    'https://[64:ff9b::a9fe:a9fe]/',
    'https://[64:ff9b::10.0.0.1]/',
    'https://[64:ff9b:1::1]/',
    'https://[2002:7f00:1::]/',
    'https://[2002:a9fe:a9fe::1]/',
    'https://[2002:c0a8:101::1]/',
    'https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/',
  ])('refuses %s', (url) => {
    expect(outboundUrlProblem(url, aws)).toMatch(/localhost|private, loopback or link-local|public host name/);
  });

  it.each(['https://open.feishu.cn/', 'https://open.feishu.cn./', 'https://[64:ff9b::808:808]/', 'https://[2002:808:808::1]/', 'https://[2606:4700::1111]/'])('still accepts %s', (url) => {
    expect(outboundUrlProblem(url, aws)).toBeUndefined();
  });

  it('changes nothing locally, where simulators and test receivers live on loopback', () => {
    for (const url of ['http://localhost./', 'http://127.0.0.1:4000', 'http://[::127.0.0.1]:4000']) expect(outboundUrlProblem(url, local)).toBeUndefined();
  });

  it('tells the addresses a resolver may answer apart, in every notation', () => {
    for (const address of ['::ffff:127.0.0.1', '::ffff:7f00:1', '::127.0.0.1', '64:ff9b::a00:1', '2002:ac10::1', 'fe80::1%eth0', '::', '0.0.0.0']) {
      expect(isNonPublicAddress(address), address).toBe(true);
    }
    for (const address of ['93.184.216.34', '::ffff:93.184.216.34', '2606:4700::1111']) expect(isNonPublicAddress(address), address).toBe(false);
  });
});

/** A TCP server on 127.0.0.1 that counts connections: proof that a refused call never reached it. */
let server: TcpServer;
let serverPort = 0;
let connections = 0;
/** A resolver that maps every name to what the test says, instead of asking DNS. */
const resolvesTo =
  (...addresses: string[]): LookupFunction =>
  (_hostname, options, callback) => {
    const all = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    if (options.all) (callback as (error: null, addresses: typeof all) => void)(null, all);
    else callback(null, all[0]!.address, all[0]!.family);
  };

beforeAll(async () => {
  server = createTcpServer((socket) => {
    connections += 1;
    socket.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\nconnection: close\r\n\r\n{"code": 0}');
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  serverPort = (server.address() as AddressInfo).port;
});
afterAll(() => server?.close());

const rules: PlatformRules = {
  platform: 'feishu',
  errorOf: (_status, body) => ((body as { code?: number } | undefined)?.code ? { code: (body as { code: number }).code, message: 'error' } : undefined),
  retryableCodes: new Set(),
  tokenExpiredCodes: new Set(),
};

describe('the AWS check of the address a call connects to', () => {
  it('reaches the test server through the stub resolver when nothing checks the address (the control)', async () => {
    // Prepare
    const before = connections;
    // Act: the same stub resolver, with no check of the address
    const response = await undiciFetch(`http://open.example.test:${serverPort}/`, { dispatcher: new Agent({ connect: { lookup: resolvesTo('127.0.0.1') } }) });
    // Assess
    expect(response.status).toBe(200);
    expect(connections).toBe(before + 1);
  });

  it('refuses a public-looking name that resolves to loopback before connecting', async () => {
    // Prepare
    const before = connections;
    expect(outboundUrlProblem(`https://open.example.test:${serverPort}/`, aws)).toBeUndefined();
    // Act
    const call = outboundFetch(aws, { lookup: resolvesTo('127.0.0.1') })(`https://open.example.test:${serverPort}/open-apis/auth/v3/tenant_access_token/internal`, { method: 'POST', body: '{"app_secret":"s"}' });
    // Assess
    await expect(call).rejects.toMatchObject({ cause: { code: 'EOUTBOUNDREFUSED' } });
    expect(connections).toBe(before);
  });

  it.each([['10.0.0.5'], ['169.254.169.254'], ['::ffff:127.0.0.1'], ['93.184.216.34', '127.0.0.1']])('refuses a name that resolves to %s (and any other address)', async (...addresses) => {
    const before = connections;
    await expect(outboundFetch(aws, { lookup: resolvesTo(...addresses) })(`https://hooks.example.test:${serverPort}/`)).rejects.toMatchObject({ cause: { code: 'EOUTBOUNDREFUSED' } });
    expect(connections).toBe(before);
  });

  it('refuses a URL the policy refuses (one stored before the rules tightened), without looking it up', async () => {
    const before = connections;
    await expect(outboundFetch(aws, { lookup: resolvesTo('93.184.216.34') })(`https://localhost.:${serverPort}/`)).rejects.toMatchObject({ cause: { code: 'EOUTBOUNDREFUSED' } });
    await expect(outboundFetch(aws)(`https://127.0.0.1:${serverPort}/`)).rejects.toMatchObject({ cause: { code: 'EOUTBOUNDREFUSED' } });
    expect(connections).toBe(before);
  });

  it('turns the refusal into a provider error that names the address and is not retried', async () => {
    const before = connections;
    const client = new PlatformHttpClient(rules, { fetch: outboundFetch(aws, { lookup: resolvesTo('127.0.0.1') }), sleep: async () => undefined });
    const call = client.call({ method: 'GET', url: `https://open.example.test:${serverPort}/cgi-bin/gettoken`, query: { corpsecret: 's' }, idempotent: true });
    await expect(call).rejects.toMatchObject({ kind: 'platform_failed', repeatable: false, message: expect.stringContaining('127.0.0.1, which is not a public address') });
    expect(connections).toBe(before);
  });
});

describe('redirects', () => {
  let target: HttpServer;
  let redirector: HttpServer;
  let targetHits = 0;
  beforeAll(async () => {
    target = createHttpServer((_request, response) => {
      targetHits += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((ready) => target.listen(0, '127.0.0.1', ready));
    redirector = createHttpServer((_request, response) => {
      response.writeHead(302, { location: `http://127.0.0.1:${(target.address() as AddressInfo).port}/latest/meta-data` }).end();
    });
    await new Promise<void>((ready) => redirector.listen(0, '127.0.0.1', ready));
  });
  afterAll(() => {
    target?.close();
    redirector?.close();
  });

  it('are never followed: a platform answering 302 is an error, and the redirect target gets nothing', async () => {
    const client = new PlatformHttpClient(rules, { sleep: async () => undefined, maxAttempts: 1 });
    const call = client.call({ method: 'POST', url: `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/open-apis/auth/v3/tenant_access_token/internal`, body: { app_secret: 's' }, idempotent: true });
    await expect(call).rejects.toMatchObject({ platformCode: 302 });
    expect(targetHits).toBe(0);
  });
});
