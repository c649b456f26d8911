import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { deliver, feishuSigned, type SignedRequest, wecomApprovalXml, wecomSigned } from '../../lib/sandbox/platform-signing.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

/**
 * Issue 18, item 3: a WeCom callback body was parsed as XML (up to 256 KB, ~200 ms of CPU) before
 * its msg_signature was checked, so anyone could burn CPU with unsigned requests. The signature is
 * checked on `<Encrypt>` taken out by a bounded scan; only a verified message is parsed, and bodies
 * above what each platform sends are refused with 413 before any crypto (WeCom's cap stays high:
 * a sys_approval_change lists every approver, see `wecomCallbackMaxBytes`).
 */
const wecomCreds = { corpId: 'wx5823bf96d3bd56c7', agentId: '1000002', secret: 'wecom-secret-00000000', token: 'QDG6eK', encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' };
const feishu = { appId: 'cli_sizecap0000001', appSecret: 'feishu-app-secret-000000', encryptKey: 'test-encrypt-key', verificationToken: 'test-verification-token' };
const dingtalk = { appKey: 'dingsizecap000001', appSecret: 'dingtalk-secret-0000000', aesKey: 'Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7', token: 'mryue' };

let api: TestApi;
const ids: Record<string, string> = {};
const send = (name: string, request: SignedRequest) => deliver(api.runtime.url, `/v1/callbacks/${ids[name]}`, request);
const xmlParses = vi.spyOn(XMLParser.prototype, 'parse');

/** An XML document of about `bytes` bytes, heavy to parse: many nested, attributed elements. */
function heavyXml(bytes: number, encrypt: string): string {
  const unit = '<ApprovalInfo a="1" b="2"><SpRecord><Details><Approver><UserId>u</UserId></Approver></Details></SpRecord></ApprovalInfo>';
  return `<xml><ToUserName><![CDATA[${wecomCreds.corpId}]]></ToUserName>${unit.repeat(Math.ceil(bytes / unit.length))}<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
}

beforeAll(async () => {
  api = await startTestApi();
  for (const [name, provider, credentials] of [
    ['wecom', 'wecom', wecomCreds],
    ['feishu', 'feishu', feishu],
    ['dingtalk', 'dingtalk', dingtalk],
  ] as const) {
    const created = await api.call('POST', '/v1/integrations', { body: { provider, name, credentials } });
    expect(created.status, created.text).toBe(201);
    ids[name] = created.body.id;
  }
});
afterAll(async () => api?.stop());
beforeEach(() => {
  xmlParses.mockClear();
});

describe('WeCom callbacks are verified before any XML is parsed', () => {
  it('refuses a forged body under the size cap with 401 without parsing it', async () => {
    // Prepare: a genuine signed event whose body is swapped for a heavy one carrying a different Encrypt.
    const genuine = wecomSigned({ ...wecomCreds, xml: wecomApprovalXml({ ...wecomCreds, spNo: '202611250101', status: 2, change: 2 }) });
    const forged: SignedRequest = { ...genuine, body: heavyXml(8 * 1024, 'AAAA'.repeat(64)) };
    const before = JSON.stringify(await api.scan());

    // Act
    const answer = await send('wecom', forged);

    // Assess
    expect(answer.status, answer.text).toBe(401);
    expect(JSON.parse(answer.text).error.message).toMatch(/msg_signature does not match/);
    expect(xmlParses).not.toHaveBeenCalled();
    expect(JSON.stringify(await api.scan())).toBe(before);
  });

  it('refuses a body with no msg_signature at all without parsing it', async () => {
    const answer = await send('wecom', { method: 'POST', query: {}, headers: { 'content-type': 'text/xml' }, body: heavyXml(8 * 1024, 'AAAA') });
    expect(answer.status).toBe(401);
    expect(xmlParses).not.toHaveBeenCalled();
  });

  it('refuses a forged 250 KB body (under the cap) with 401 without parsing it', async () => {
    const genuine = wecomSigned({ ...wecomCreds, xml: wecomApprovalXml({ ...wecomCreds, spNo: '202611250102', status: 2, change: 2 }) });
    const answer = await send('wecom', { ...genuine, body: heavyXml(250 * 1024, 'AAAA'.repeat(64)) });
    expect(answer.status, answer.text).toBe(401);
    expect(xmlParses).not.toHaveBeenCalled();
  });

  it('answers 413 to a body over the cap, before parsing or checking it', async () => {
    const genuine = wecomSigned({ ...wecomCreds, xml: wecomApprovalXml({ ...wecomCreds, spNo: '202611250104', status: 2, change: 2 }) });
    const answer = await send('wecom', { ...genuine, body: heavyXml(300 * 1024, 'AAAA') });
    expect(answer.status, answer.text).toBe(413);
    expect(JSON.parse(answer.text).error.code).toBe('payload_too_large');
    expect(xmlParses).not.toHaveBeenCalled();
  });

  it('still parses and accepts a genuine signed event (the spy sees its one decrypted message)', async () => {
    const answer = await send('wecom', wecomSigned({ ...wecomCreds, xml: wecomApprovalXml({ ...wecomCreds, spNo: '202611250103', status: 2, change: 2 }) }));
    expect(answer.status, answer.text).toBe(200);
    expect(answer.text).toBe('');
    expect(xmlParses).toHaveBeenCalledTimes(1);
  });
});

describe('callback bodies are capped per platform', () => {
  it('answers 413 to a DingTalk body over its cap', async () => {
    const query = { signature: '0'.repeat(40), timestamp: String(Date.now()), nonce: 'n' };
    const answer = await send('dingtalk', { method: 'POST', query, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ encrypt: 'A'.repeat(40 * 1024) }) });
    expect(answer.status, answer.text).toBe(413);
  });

  it('answers 413 to a Feishu body over its cap, but accepts a large genuine card action under it', async () => {
    const big = { schema: '2.0', header: { event_id: 'big-card-1', token: feishu.verificationToken, event_type: 'card.action.trigger', app_id: feishu.appId }, event: { action: { form_value: { note: 'x'.repeat(24 * 1024) } } } };
    const accepted = await send('feishu', feishuSigned({ encryptKey: feishu.encryptKey, payload: big }));
    expect(accepted.status, accepted.text).toBe(200);

    const huge = { ...big, header: { ...big.header, event_id: 'huge-card-1' }, event: { action: { form_value: { note: 'x'.repeat(100 * 1024) } } } };
    const refused = await send('feishu', feishuSigned({ encryptKey: feishu.encryptKey, payload: huge }));
    expect(refused.status, refused.text).toBe(413);
  });
});
