import { BlockList, isIP } from 'node:net';

/**
 * Where imhub may send requests: platform API bases, approval webhooks and group-bot URLs.
 * In AWS only `https` to public addresses; locally `http` and loopback too, so simulators and
 * test receivers work. Hostnames are checked as written: a public name that DNS resolves to a
 * private address is not caught here (the Lambdas run outside any VPC, which limits what such a
 * name could reach).
 */
export interface OutboundUrlPolicy {
  /** Allow `http:` and loopback/private targets (the local runtime). @default false */
  allowInsecure: boolean;
}

const forbidden = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  forbidden.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  forbidden.addSubnet(net, prefix, 'ipv6');
}

/** True when the address (v4 or v6, IPv4-mapped included) is private, loopback, link-local or otherwise not public. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return forbidden.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1]) return forbidden.check(mapped[1], 'ipv4');
    return forbidden.check(address, 'ipv6');
  }
  return false;
}

/** Returns why the URL may not be used, or `undefined` when it may. */
export function outboundUrlProblem(raw: string, policy: OutboundUrlPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL such as https://example.com/path';
  }
  if (url.username || url.password) return 'must not contain a user name or password';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https';
  if (policy.allowInsecure) return undefined;
  if (url.protocol !== 'https:') return 'must use https';
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return 'must not point at localhost';
  if (isNonPublicAddress(host)) return 'must not point at a private, loopback or link-local address';
  return undefined;
}
