import { randomBytes } from 'node:crypto';
import * as wecom from '@wecom/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliver, type SignedRequest, wecomApprovalXml, wecomSigned, wecomUrlCheck } from '../../lib/sandbox/platform-signing.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

/**
 * Issue 18, item 10: the WeCom URL check answers the decrypted `echostr`. A POST event's
 * ciphertext, captured on the wire and replayed as `echostr` within the 5-minute window, came back
 * decrypted: the event's XML (approval number, people, comments). WeCom's real echostr decrypts to
 * a random number string; a value that decrypts to an event envelope is refused.
 */
const wecomCreds = { corpId: 'wx5823bf96d3bd56c7', agentId: '1000002', secret: 'wecom-secret-00000000', token: 'QDG6eK', encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' };

let api: TestApi;
let path = '';

beforeAll(async () => {
  api = await startTestApi();
  const created = await api.call('POST', '/v1/integrations', { body: { provider: 'wecom', name: 'wecom echostr', credentials: wecomCreds } });
  expect(created.status, created.text).toBe(201);
  path = `/v1/callbacks/${created.body.id}`;
});
afterAll(async () => api?.stop());

/** The URL check WeCom would send for this echostr: GET, signed with the app's Token over it. */
function urlCheckFor(echostr: string): SignedRequest {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(6).toString('hex');
  return { method: 'GET', query: { msg_signature: wecom.getSignature(wecomCreds.token, timestamp, nonce, echostr), timestamp, nonce, echostr }, headers: {} };
}
const encryptOf = (post: SignedRequest) => /<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt>/.exec(post.body!)![1]!;

describe('the WeCom URL check never decrypts a captured event', () => {
  it('refuses a signed POST event’s Encrypt replayed as the GET echostr, leaking none of it', async () => {
    // Prepare: an approval event as it crossed the wire (the attacker sees the body, not the keys).
    const xml = wecomApprovalXml({ ...wecomCreds, spNo: '202611250777', status: 2, change: 2 });
    const captured = encryptOf(wecomSigned({ ...wecomCreds, xml }));
    const before = JSON.stringify(await api.scan());

    // Act: replay it as the URL check's echostr, with a valid signature over it.
    const answer = await deliver(api.runtime.url, path, urlCheckFor(captured));

    // Assess
    expect(answer.status, answer.text).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.text).not.toContain('202611250777');
    expect(answer.text).not.toMatch(/<xml|ToUserName|ApprovalInfo|requester|approver/);
    expect(JSON.stringify(await api.scan())).toBe(before);
  });

  it('refuses any echostr that decrypts to markup, such as a bare event envelope', async () => {
    const echostr = wecom.encrypt(wecomCreds.encodingAesKey, '<xml><ToUserName><![CDATA[x]]></ToUserName></xml>', wecomCreds.corpId);
    const answer = await deliver(api.runtime.url, path, urlCheckFor(echostr));
    expect(answer.status).toBe(400);
    expect(answer.text).not.toContain('ToUserName');
  });

  it('still answers a genuine URL check with the bare decrypted random number', async () => {
    const echo = randomBytes(8).readBigUInt64BE().toString();
    const answer = await deliver(api.runtime.url, path, wecomUrlCheck({ ...wecomCreds, echo }));
    expect(answer.status, answer.text).toBe(200);
    expect(answer.text).toBe(echo);
  });
});
