import { BlockList, isIP } from 'node:net';

/**
 * Where imhub may send requests: platform API bases, approval webhooks and group-bot URLs.
 * In AWS only `https` to public hosts; locally `http` and loopback too, so simulators and test
 * receivers work. Names are judged here as written; where a name really resolves is checked when
 * a call connects (`outboundFetch` in `lib/providers/http-client.ts`).
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
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  forbidden.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  // Local-use NAT64 (RFC 8215), discard-only, documentation, deprecated site-local.
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fec0::', 10],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  forbidden.addSubnet(net, prefix, 'ipv6');
}

/** The eight 16-bit groups of an IPv6 address in any notation, or undefined when it does not parse (a zone id). */
function ipv6Groups(address: string): number[] | undefined {
  let canonical: string;
  try {
    // The URL parser settles `::`, a dotted IPv4 tail, case and leading zeros; it prints hex groups only.
    canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const groupsOf = (part: string) => (part ? part.split(':').map((group) => Number.parseInt(group, 16)) : []);
  const [head = '', tail] = canonical.split('::');
  const left = groupsOf(head);
  const right = tail === undefined ? [] : groupsOf(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The IPv4 addresses an IPv6 address carries, which is where a packet to it may end up: IPv4-compatible
 * (`::a.b.c.d`), IPv4-mapped and -translated (`::ffff:…`, `::ffff:0:…`), NAT64 (`64:ff9b::/96`), 6to4
 * (`2002::/16`) and Teredo clients (`2001::/32`, the address inverted).
 */
function embeddedIpv4(groups: number[]): string[] {
  const g = (index: number) => groups[index] ?? 0;
  const zero = (from: number, to: number) => groups.slice(from, to).every((group) => group === 0);
  const v4 = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  const found: string[] = [];
  if (zero(0, 5) && (g(5) === 0 || g(5) === 0xffff)) found.push(v4(g(6), g(7)));
  if (zero(0, 4) && g(4) === 0xffff && g(5) === 0) found.push(v4(g(6), g(7)));
  if (g(0) === 0x64 && g(1) === 0xff9b && zero(2, 6)) found.push(v4(g(6), g(7)));
  if (g(0) === 0x2002) found.push(v4(g(1), g(2)));
  if (g(0) === 0x2001 && g(1) === 0) found.push(v4(g(6) ^ 0xffff, g(7) ^ 0xffff));
  return found;
}

/**
 * True when the address (v4 or v6 in any notation) is private, loopback, link-local or otherwise not
 * public, including an IPv6 address that carries such an IPv4 address. A name is not an address: false.
 */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return forbidden.check(address, 'ipv4');
  if (family === 6) {
    const groups = ipv6Groups(address);
    if (!groups) return true;
    if (embeddedIpv4(groups).some((v4) => forbidden.check(v4, 'ipv4'))) return true;
    return forbidden.check(groups.map((group) => group.toString(16)).join(':'), 'ipv6');
  }
  return false;
}

/** Loopback names (`localhost.` arrives here without its dot), as resolvers and /etc/hosts answer them. */
const loopbackNames = /^(localhost|localhost\.localdomain|ip6-localhost|ip6-loopback)$|\.localhost$/;
/** Names that stay inside a network: mDNS, AWS's private DNS (`*.ec2.internal`), home networks. */
const privateNameSuffixes = /\.(localdomain|local|internal|home\.arpa)$/;

/** Returns why a host name may not be used in AWS, or undefined. */
function hostNameProblem(name: string): string | undefined {
  if (loopbackNames.test(name)) return 'must not point at localhost';
  // A single label is resolved through search domains or /etc/hosts, never on the public internet.
  if (!name.includes('.') || privateNameSuffixes.test(name)) return 'must be a public host name';
  return undefined;
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
  // `localhost.` is `localhost`: a trailing dot only marks the name as absolute.
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.+$/, '');
  if (isIP(host)) return isNonPublicAddress(host) ? 'must not point at a private, loopback or link-local address' : undefined;
  return hostNameProblem(host);
}

/** Whether `url` is `base` or lies below it: same origin, and the base's path as a whole-segment prefix. */
function isWithinBase(url: URL, base: URL): boolean {
  if (url.origin !== base.origin) return false;
  const prefix = base.pathname.replace(/\/+$/, '');
  return url.pathname.replace(/\/+$/, '') === prefix || url.pathname.startsWith(`${prefix}/`);
}

/**
 * Returns why an app's apiBaseUrl may not be used, or `undefined` when it may. The first token fetch
 * sends the app secret to it, so in AWS it must lie within `allowedBases`: the platform's official API
 * hosts and the bases the operator listed. Locally the outbound URL policy alone applies (simulators).
 */
export function apiBaseUrlProblem(raw: string, allowedBases: readonly string[], policy: OutboundUrlPolicy): string | undefined {
  const problem = outboundUrlProblem(raw, policy);
  if (problem || policy.allowInsecure) return problem;
  const url = new URL(raw);
  if (allowedBases.some((base) => URL.canParse(base) && isWithinBase(url, new URL(base)))) return undefined;
  return `must be ${allowedBases.join(' or ')}; another base must first be allowed by the operator (cdk deploy -c allowedApiBases=…, which sets IMHUB_ALLOWED_API_BASES)`;
}
