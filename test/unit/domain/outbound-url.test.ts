import { describe, expect, it } from 'vitest';
import { apiBaseUrlProblem, isNonPublicAddress, outboundUrlProblem } from '../../../lib/domain/outbound-url.ts';

const aws = { allowInsecure: false };
const local = { allowInsecure: true };

describe('outboundUrlProblem in AWS', () => {
  it('accepts https to a public host', () => {
    expect(outboundUrlProblem('https://open.feishu.cn', aws)).toBeUndefined();
    expect(outboundUrlProblem('https://8.8.8.8/hook', aws)).toBeUndefined();
  });

  it.each([
    ['http://open.feishu.cn', 'must use https'],
    ['https://localhost:8443', 'must not point at localhost'],
    ['https://127.0.0.1', 'private, loopback or link-local'],
    ['https://10.1.2.3', 'private, loopback or link-local'],
    ['https://172.20.0.1', 'private, loopback or link-local'],
    ['https://192.168.1.1', 'private, loopback or link-local'],
    ['https://169.254.169.254/latest/meta-data', 'private, loopback or link-local'],
    ['https://[::1]/', 'private, loopback or link-local'],
    ['https://[fe80::1]/', 'private, loopback or link-local'],
    ['https://[::ffff:10.0.0.1]/', 'private, loopback or link-local'],
    ['ftp://example.com', 'must use https'],
    ['https://user:pw@example.com', 'user name or password'],
    ['not a url', 'absolute URL'],
  ])('refuses %s', (url, reason) => {
    expect(outboundUrlProblem(url, aws)).toContain(reason);
  });
});

describe('outboundUrlProblem locally', () => {
  it('allows http and loopback, for simulators and test receivers', () => {
    expect(outboundUrlProblem('http://127.0.0.1:4000', local)).toBeUndefined();
    expect(outboundUrlProblem('http://localhost:4000/hook', local)).toBeUndefined();
  });

  it('still refuses other schemes and credentials in the URL', () => {
    expect(outboundUrlProblem('file:///etc/passwd', local)).toBe('must use https');
    expect(outboundUrlProblem('http://a:b@localhost', local)).toContain('user name');
  });
});

describe('isNonPublicAddress', () => {
  it('tells public from non-public addresses', () => {
    expect(isNonPublicAddress('1.1.1.1')).toBe(false);
    expect(isNonPublicAddress('2606:4700::1111')).toBe(false);
    expect(isNonPublicAddress('100.64.0.1')).toBe(true);
    expect(isNonPublicAddress('fd00::1')).toBe(true);
    expect(isNonPublicAddress('example.com')).toBe(false);
  });
});

describe('apiBaseUrlProblem', () => {
  const feishu = ['https://open.feishu.cn'];
  it('in AWS accepts an allowed base and the paths below it, whatever the case or default port', () => {
    for (const url of ['https://open.feishu.cn', 'https://OPEN.feishu.cn:443/', 'https://open.feishu.cn/any/path']) expect(apiBaseUrlProblem(url, feishu, aws), url).toBeUndefined();
    expect(apiBaseUrlProblem('https://gw.example.com/im/feishu', ['https://gw.example.com/im'], aws)).toBeUndefined();
  });

  it('in AWS refuses another host, port or path, naming what is allowed', () => {
    for (const url of ['https://open.feishu.cn.evil.example', 'https://open.feishu.cn:8443', 'https://evil.example/open.feishu.cn']) {
      expect(apiBaseUrlProblem(url, feishu, aws), url).toContain('must be https://open.feishu.cn');
    }
    expect(apiBaseUrlProblem('https://gw.example.com/imx', ['https://gw.example.com/im'], aws)).toContain('allowedApiBases');
  });

  it('applies the outbound URL policy first, and only that locally', () => {
    expect(apiBaseUrlProblem('http://open.feishu.cn', feishu, aws)).toBe('must use https');
    expect(apiBaseUrlProblem('http://127.0.0.1:4010', feishu, local)).toBeUndefined();
  });
});

describe('isNonPublicAddress and IPv6 forms that carry an IPv4 address', () => {
  it.each(['::127.0.0.1', '::ffff:0:a00:1', '64:ff9b::c0a8:1', '2002:a00:1::', '2001:0:0:0:0:0:80ff:fffe'])('sees the private IPv4 inside %s', (address) => {
    expect(isNonPublicAddress(address)).toBe(true);
  });

  it('lets the same forms through when they carry a public address', () => {
    for (const address of ['64:ff9b::808:808', '2002:808:808::', '::ffff:8.8.8.8']) expect(isNonPublicAddress(address), address).toBe(false);
  });
});
