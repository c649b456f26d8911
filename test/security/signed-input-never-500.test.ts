import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliver, dingtalkSigned, feishuSigned, type SignedRequest, wecomSigned } from '../../lib/sandbox/platform-signing.ts';
import { PlatformSimulator, type SimRoute } from '../../lib/sandbox/platform-simulator.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

/**
 * Issue 18, item 7: input the platform's own keys sign (so it passes every check) still made 500s:
 * an event id over DynamoDB's 2048-byte key limit, a DingTalk payload that decrypts to `null`, a
 * token endpoint answering 200 without a token. Each is now an acknowledgement or a 4xx/502, and
 * nothing is left half-written.
 */
const feishu = { appId: 'cli_longids0000001', appSecret: 'feishu-app-secret-000000', encryptKey: 'test-encrypt-key', verificationToken: 'test-verification-token' };
const dingtalk = { appKey: 'dinglongids000001', appSecret: 'dingtalk-secret-0000000', aesKey: 'Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7', token: 'mryue' };
const wecomCreds = { corpId: 'wx5823bf96d3bd56c7', agentId: '1000002', secret: 'wecom-secret-00000000', token: 'QDG6eK', encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' };

let api: TestApi;
let sim: PlatformSimulator;
const ids: Record<string, string> = {};
const send = (name: string, request: SignedRequest) => deliver(api.runtime.url, `/v1/callbacks/${ids[name]}`, request);
const eventRecords = async (name: string) => (await api.scan()).filter((item) => String(item.pk).startsWith(`EVENT#${ids[name]}#`));
/** A string DynamoDB cannot take as (part of) a key: over 2048 bytes. */
const longId = (prefix: string) => `${prefix}-${'x'.repeat(3000)}`;

beforeAll(async () => {
  sim = await new PlatformSimulator().start();
  api = await startTestApi();
  sim.afterCallback = () => api.runtime.idle();
  sim.addApp('feishu', feishu.appId, feishu.appSecret);
  sim.addApp('dingtalk', dingtalk.appKey, dingtalk.appSecret);
  sim.addApp('wecom', wecomCreds.corpId, wecomCreds.secret);
  for (const [name, provider, credentials] of [
    ['feishu', 'feishu', feishu],
    ['dingtalk', 'dingtalk', dingtalk],
    ['wecom', 'wecom', wecomCreds],
  ] as const) {
    const created = await api.call('POST', '/v1/integrations', { body: { provider, name, credentials, apiBaseUrl: sim.url } });
    expect(created.status, created.text).toBe(201);
    ids[name] = created.body.id;
  }
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

/** The event was acknowledged and its claim recorded once, finished, under a key DynamoDB accepts. */
async function expectAcknowledgedOnce(name: string, answer: { status: number; text: string }) {
  expect(answer.status, answer.text).toBe(200);
  const records = await eventRecords(name);
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({ pk: expect.any(String) });
  expect(Buffer.byteLength(String(records[0]!.pk))).toBeLessThan(1024);
  return records[0]!;
}

describe('event ids over the key limit', () => {
  it('Feishu: a signed v2 event with a 3 KB event_id is acknowledged once, keyed by a bounded id', async () => {
    const payload = { schema: '2.0', header: { event_id: longId('evt'), token: feishu.verificationToken, event_type: 'approval_instance', app_id: feishu.appId }, event: { instance_code: 'inst-long-1', status: 'APPROVED' } };
    const request = feishuSigned({ encryptKey: feishu.encryptKey, payload });
    const first = await send('feishu', request);
    const record = await expectAcknowledgedOnce('feishu', first);
    // A repeat of the same id is the same key: taken into effect once.
    expect((await send('feishu', request)).status).toBe(200);
    expect((await eventRecords('feishu')).map((item) => item.pk)).toEqual([record.pk]);
  });

  it('Feishu: a signed v1 event with a 3 KB uuid is acknowledged', async () => {
    const before = (await eventRecords('feishu')).length;
    const payload = { uuid: longId('uuid'), token: feishu.verificationToken, type: 'event_callback', event: { app_id: feishu.appId, type: 'approval_instance', instance_code: 'inst-long-2', status: 'APPROVED' } };
    const answer = await send('feishu', feishuSigned({ encryptKey: feishu.encryptKey, payload }));
    expect(answer.status, answer.text).toBe(200);
    expect(await eventRecords('feishu')).toHaveLength(before + 1);
  });

  it('Feishu: a signed event naming a 3 KB instance_code is acknowledged (no instance imhub started can have it)', async () => {
    const payload = { schema: '2.0', header: { event_id: 'evt-long-instance', token: feishu.verificationToken, event_type: 'approval_instance', app_id: feishu.appId }, event: { instance_code: longId('inst') } };
    const answer = await send('feishu', feishuSigned({ encryptKey: feishu.encryptKey, payload }));
    expect(answer.status, answer.text).toBe(200);
    expect((await eventRecords('feishu')).filter((item) => String(item.pk).endsWith('#evt-long-instance'))).toMatchObject([{ pk: expect.any(String) }]);
  });

  it('DingTalk: a signed event with a 3 KB eventId is acknowledged once', async () => {
    const payload = { EventType: 'bpms_instance_change', eventId: longId('dt'), processInstanceId: 'proc-long-1', type: 'finish', result: 'agree' };
    const answer = await send('dingtalk', dingtalkSigned({ ...dingtalk, receiverId: dingtalk.appKey, payload }));
    await expectAcknowledgedOnce('dingtalk', answer);
  });

  it('WeCom: a signed event without MsgId and with a 3 KB FromUserName is acknowledged once', async () => {
    const xml = `<xml><ToUserName><![CDATA[${wecomCreds.corpId}]]></ToUserName><FromUserName><![CDATA[${longId('user')}]]></FromUserName><CreateTime>1764000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[enter_agent]]></Event><AgentID>1000002</AgentID></xml>`;
    const answer = await send('wecom', wecomSigned({ ...wecomCreds, xml }));
    await expectAcknowledgedOnce('wecom', answer);
  });

  it('keeps a short id readable in its key', async () => {
    const payload = { EventType: 'bpms_instance_change', eventId: 'dt-short-1', processInstanceId: 'proc-short-1', type: 'finish', result: 'agree' };
    expect((await send('dingtalk', dingtalkSigned({ ...dingtalk, receiverId: dingtalk.appKey, payload }))).status).toBe(200);
    expect((await eventRecords('dingtalk')).map((item) => item.pk)).toContain(`EVENT#${ids.dingtalk}#dt-short-1`);
  });
});

describe('decrypted payloads that are not objects', () => {
  it.each([['null'], ['[]'], ['42'], ['"text"']])('DingTalk: a signed payload decrypting to %s is a 400, storing nothing', async (json) => {
    const request = dingtalkSigned({ ...dingtalk, receiverId: dingtalk.appKey, payload: JSON.parse(json) });
    // What earlier events set off has run, so that only this request could change the table.
    await api.runtime.idle();
    const before = JSON.stringify(await api.scan());
    const answer = await send('dingtalk', request);
    expect(answer.status, answer.text).toBe(400);
    expect(JSON.parse(answer.text).error.message).toMatch(/not a JSON object/);
    expect(JSON.stringify(await api.scan())).toBe(before);
  });
});

describe('a token endpoint answering 200 without a token', () => {
  it.each([
    ['feishu', 'feishu.token'],
    ['dingtalk', 'dingtalk.token'],
    ['wecom', 'wecom.token'],
  ] as const)('%s: verify answers 502 provider_error naming the platform, and caches nothing', async (name, route: SimRoute) => {
    const tokensBefore = (await api.scan()).filter((item) => String(item.pk).startsWith(`TOKEN#${ids[name]}#`) && item.sk === 'TOKEN');
    sim.inject(route, { kind: 'no-token' });
    const answer = await api.call('POST', `/v1/integrations/${ids[name]}/verify`);
    expect(answer.status, answer.text).toBe(502);
    expect(answer.body.error).toMatchObject({ code: 'provider_error', details: { platform: name } });
    expect(answer.body.error.message).toMatch(/token/);
    const tokensAfter = (await api.scan()).filter((item) => String(item.pk).startsWith(`TOKEN#${ids[name]}#`) && item.sk === 'TOKEN');
    expect(tokensAfter).toEqual(tokensBefore);
    // The platform answering normally again, verify works.
    const again = await api.call('POST', `/v1/integrations/${ids[name]}/verify`);
    expect(again.status, again.text).toBe(200);
  });
});
