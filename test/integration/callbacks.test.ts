import * as wecom from '@wecom/crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '../../lib/log.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';
import {
  deliver,
  dingtalkSigned,
  feishuPlain,
  feishuSigned,
  type SignedRequest,
  wecomApprovalXml,
  wecomSigned,
  wecomUrlCheck,
} from '../../lib/sandbox/platform-signing.ts';

const feishu = { appId: 'cli_encrypted0001', appSecret: 'feishu-app-secret-000000', encryptKey: 'test-encrypt-key', verificationToken: 'test-verification-token' };
const feishuPlainCreds = { appId: 'cli_plain00000001', appSecret: 'feishu-app-secret-111111', verificationToken: 'plain-verification-token' };
const dingtalk = { appKey: 'dingappkey0000001', appSecret: 'dingtalk-secret-0000000', aesKey: 'Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7', token: 'mryue', corpId: 'dingcorp000001' };
const wecomCreds = { corpId: 'wx5823bf96d3bd56c7', agentId: '1000002', secret: 'wecom-secret-00000000', token: 'QDG6eK', encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' };

let api: TestApi;
const ids: Record<string, string> = {};
const path = (name: string) => `/v1/callbacks/${ids[name]}`;
const send = (name: string, request: SignedRequest) => deliver(api.runtime.url, path(name), request);
const eventRecords = async () => (await api.scan()).filter((item) => String(item.pk).startsWith('EVENT#'));
/** Sends a request that must be refused, and checks it stored nothing. */
async function expectRefused(name: string, request: SignedRequest, status: number, message: RegExp) {
  // What earlier events set off has run, so that only this request could change the table.
  await api.runtime.idle();
  const before = JSON.stringify(await api.scan());
  const answer = await send(name, request);
  expect(answer.status, answer.text).toBe(status);
  expect(JSON.parse(answer.text).error.message).toMatch(message);
  expect(JSON.stringify(await api.scan())).toBe(before);
}

const sinkCalls = vi.spyOn(logger, 'info');
const handledEvents = (eventId: string) => sinkCalls.mock.calls.filter(([message, fields]) => message === 'callback event' && fields?.eventId === eventId).length;

beforeAll(async () => {
  api = await startTestApi();
  for (const [name, provider, credentials] of [
    ['feishu', 'feishu', feishu],
    ['feishuPlain', 'feishu', feishuPlainCreds],
    ['lark', 'lark', { ...feishu, appId: 'cli_lark000000001' }],
    ['dingtalk', 'dingtalk', dingtalk],
    ['wecom', 'wecom', wecomCreds],
    ['bot', 'wecom', { url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k' }],
  ] as const) {
    const created = await api.call('POST', '/v1/integrations', { body: { provider, kind: name === 'bot' ? 'webhook' : 'app', name, credentials } });
    expect(created.status, created.text).toBe(201);
    ids[name] = created.body.id;
  }
});
afterAll(async () => api?.stop());

const approvalEvent = (appId: string, uuid: string, status = 'APPROVED') => ({
  ts: '1700000000.123',
  uuid,
  token: feishu.verificationToken,
  type: 'event_callback',
  event: { app_id: appId, tenant_key: 'tk', type: 'approval_instance', approval_code: 'A1', instance_code: 'inst-1', status, operate_time: '1700000000000' },
});

describe('Feishu and Lark callbacks', () => {
  it('answers the encrypted url_verification challenge', async () => {
    const answer = await send('feishu', feishuSigned({ encryptKey: feishu.encryptKey, signed: false, payload: { challenge: 'c-123', token: feishu.verificationToken, type: 'url_verification' } }));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ challenge: 'c-123' });
  });

  it('answers the plain challenge when the token matches, and refuses a wrong token', async () => {
    const answer = await send('feishuPlain', feishuPlain({ challenge: 'c-9', token: feishuPlainCreds.verificationToken, type: 'url_verification' }));
    expect(JSON.parse(answer.text)).toEqual({ challenge: 'c-9' });
    await expectRefused('feishuPlain', feishuPlain({ challenge: 'c-9', token: 'guess', type: 'url_verification' }), 401, /Verification Token/);
  });

  it.each(['feishu', 'lark'])('%s: accepts a signed, encrypted approval event once and acknowledges it', async (name) => {
    const appId = name === 'lark' ? 'cli_lark000000001' : feishu.appId;
    const request = feishuSigned({ encryptKey: feishu.encryptKey, payload: approvalEvent(appId, `uuid-${name}`) });
    const answer = await send(name, request);
    expect(answer.status, answer.text).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ msg: 'success' });
    expect((await eventRecords()).filter((item) => item.pk === `EVENT#${ids[name]}#uuid-${name}`)).toMatchObject([{ eventType: 'approval_instance' }]);
    expect(handledEvents(`uuid-${name}`)).toBe(1);
  });

  it('accepts a v2 card.action.trigger and answers {}', async () => {
    const payload = {
      schema: '2.0',
      header: { event_id: 'card-evt-1', token: feishu.verificationToken, create_time: '1603977298000000', event_type: 'card.action.trigger', tenant_key: 'tk', app_id: feishu.appId },
      event: { operator: { open_id: 'ou_1' }, token: 'c-1', action: { tag: 'button', value: { decision: 'approve', instance: 'i-1' } }, context: { open_message_id: 'om_1', open_chat_id: 'oc_1' } },
    };
    const answer = await send('feishu', feishuSigned({ encryptKey: feishu.encryptKey, payload }));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({});
    expect(handledEvents('card-evt-1')).toBe(1);
  });

  it('accepts a plain v1 event with the right Verification Token when no Encrypt Key is set', async () => {
    const answer = await send('feishuPlain', feishuPlain({ ...approvalEvent(feishuPlainCreds.appId, 'plain-1'), token: feishuPlainCreds.verificationToken }));
    expect(answer.status).toBe(200);
    expect(handledEvents('plain-1')).toBe(1);
  });

  it('refuses forgeries, storing nothing', async () => {
    const good = feishuSigned({ encryptKey: feishu.encryptKey, payload: approvalEvent(feishu.appId, 'forged-1') });
    await expectRefused('feishu', { ...good, headers: { ...good.headers, 'x-lark-signature': 'ab'.repeat(32) } }, 401, /X-Lark-Signature does not match/);
    await expectRefused('feishu', { ...good, body: good.body!.replace('"}', 'A"}') }, 401, /X-Lark-Signature does not match/);
    await expectRefused('feishu', feishuSigned({ encryptKey: feishu.encryptKey, payload: approvalEvent(feishu.appId, 'old-1'), timestamp: Math.floor(Date.now() / 1000) - 8 * 3600 }), 401, /more than 450 minutes old/);
    // From the future: never more than 5 minutes.
    await expectRefused('feishu', feishuSigned({ encryptKey: feishu.encryptKey, payload: approvalEvent(feishu.appId, 'future-1'), timestamp: Math.floor(Date.now() / 1000) + 600 }), 401, /more than 5 minutes in the future/);
    await expectRefused('feishu', feishuSigned({ encryptKey: feishu.encryptKey, payload: approvalEvent('cli_someone_else', 'other-1') }), 401, /another app/);
    await expectRefused('feishu', feishuSigned({ encryptKey: 'a-different-key', payload: approvalEvent(feishu.appId, 'key-1') }), 401, /does not match|decrypt/);
    await expectRefused('feishu', feishuSigned({ encryptKey: feishu.encryptKey, payload: approvalEvent(feishu.appId, 'unsigned-1'), signed: false }), 401, /no X-Lark-Signature/);
    await expectRefused('feishu', feishuPlain(approvalEvent(feishu.appId, 'plain-to-encrypted')), 401, /only encrypted events/);
    await expectRefused('feishu', feishuSigned({ encryptKey: feishu.encryptKey, payload: { ...approvalEvent(feishu.appId, 'tok-1'), token: 'wrong' } }), 401, /Verification Token/);
    await expectRefused('feishu', { method: 'POST', query: {}, headers: {}, body: 'not json' }, 400, /not JSON/);
  });
});

describe('DingTalk callbacks', () => {
  const decryptAnswer = (text: string) => {
    const answer = JSON.parse(text);
    expect(answer.msg_signature).toBe(wecom.getSignature(dingtalk.token, answer.timeStamp, answer.nonce, answer.encrypt));
    expect(Math.abs(Number(answer.timeStamp) - Date.now())).toBeLessThan(60_000);
    return wecom.decrypt(dingtalk.aesKey, answer.encrypt);
  };

  it('answers check_url with the encrypted success envelope', async () => {
    const answer = await send('dingtalk', dingtalkSigned({ ...dingtalk, receiverId: dingtalk.appKey, payload: { EventType: 'check_url' } }));
    expect(answer.status).toBe(200);
    expect(decryptAnswer(answer.text)).toMatchObject({ message: 'success', id: dingtalk.appKey });
  });

  it('accepts a task event addressed to the app key or to the corp id, once each', async () => {
    for (const receiverId of [dingtalk.appKey, dingtalk.corpId]) {
      const eventId = `dt-${receiverId}`;
      const payload = { EventType: 'bpms_task_change', eventId, processInstanceId: 'proc-1', type: 'finish', result: 'agree', staffId: 'u1', taskId: 811165 };
      const answer = await send('dingtalk', dingtalkSigned({ ...dingtalk, receiverId, payload }));
      expect(answer.status, answer.text).toBe(200);
      expect(decryptAnswer(answer.text)).toMatchObject({ message: 'success', id: receiverId });
      expect(handledEvents(eventId)).toBe(1);
    }
  });

  it('refuses forgeries, storing nothing', async () => {
    const payload = { EventType: 'bpms_instance_change', eventId: 'dt-forged', processInstanceId: 'proc-1', type: 'finish', result: 'refuse' };
    const good = dingtalkSigned({ ...dingtalk, receiverId: dingtalk.appKey, payload });
    await expectRefused('dingtalk', { ...good, query: { ...good.query, signature: '0'.repeat(40) } }, 401, /signature does not match/);
    await expectRefused('dingtalk', dingtalkSigned({ ...dingtalk, receiverId: 'dingSOMEONEELSE', payload }), 401, /another app/);
    await expectRefused('dingtalk', dingtalkSigned({ ...dingtalk, token: 'wrong', receiverId: dingtalk.appKey, payload }), 401, /signature does not match/);
    await expectRefused('dingtalk', dingtalkSigned({ ...dingtalk, receiverId: dingtalk.appKey, payload, timestamp: Date.now() - 10 * 60_000 }), 401, /more than 5 minutes/);
    await expectRefused('dingtalk', { ...good, query: {} }, 401, /required/);
    await expectRefused('dingtalk', { ...good, body: '[' }, 400, /not JSON/);
  });
});

describe('WeCom callbacks', () => {
  it('answers the GET URL check with the bare decrypted echostr, also when a + arrives as a space', async () => {
    const check = wecomUrlCheck({ ...wecomCreds, echo: '1616140317555161061' });
    const answer = await send('wecom', check);
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('1616140317555161061');
    // Find an echostr with a '+' and send it with the '+' unencoded, as a space would arrive.
    let plus = check;
    for (let attempt = 0; !plus.query.echostr!.includes('+') && attempt < 50; attempt += 1) plus = wecomUrlCheck({ ...wecomCreds, echo: `echo-${attempt}` });
    expect(plus.query.echostr).toContain('+');
    const raw = `${api.runtime.url}${path('wecom')}?${Object.entries(plus.query).map(([key, value]) => `${key}=${key === 'echostr' ? value.replace(/\//g, '%2F').replace(/=/g, '%3D') : value}`).join('&')}`;
    const spaced = await fetch(raw);
    expect(spaced.status).toBe(200);
  });

  it('accepts sys_approval_change once and answers an empty 200', async () => {
    const xml = wecomApprovalXml({ ...wecomCreds, spNo: '202611250001', status: 2, change: 2 });
    const answer = await send('wecom', wecomSigned({ ...wecomCreds, xml }));
    expect(answer.status, answer.text).toBe(200);
    expect(answer.text).toBe('');
    const records = (await eventRecords()).filter((item) => String(item.pk).includes('202611250001'));
    expect(records).toHaveLength(1);
    expect(records[0]!.eventType).toBe('sys_approval_change');
  });

  it('refuses forgeries, storing nothing', async () => {
    const xml = wecomApprovalXml({ ...wecomCreds, spNo: '202611250002', status: 3, change: 3 });
    const good = wecomSigned({ ...wecomCreds, xml });
    await expectRefused('wecom', { ...good, query: { ...good.query, msg_signature: 'f'.repeat(40) } }, 401, /msg_signature does not match/);
    await expectRefused('wecom', wecomSigned({ ...wecomCreds, corpId: 'wwANOTHERCORP', xml }), 401, /another corp/);
    await expectRefused('wecom', wecomSigned({ ...wecomCreds, xml, timestamp: Math.floor(Date.now() / 1000) - 3600 }), 401, /more than 5 minutes/);
    await expectRefused('wecom', { ...good, body: '<xml><Nothing/></xml>' }, 400, /no <Encrypt>/);
    await expectRefused('wecom', { ...good, body: '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt>&e;</Encrypt></xml>' }, 400, /DOCTYPE/);
    await expectRefused('wecom', { ...wecomUrlCheck({ ...wecomCreds, echo: 'x' }), query: { ...wecomUrlCheck({ ...wecomCreds, echo: 'x' }).query, msg_signature: '0'.repeat(40) } }, 401, /msg_signature/);
  });
});

describe('duplicates and unknown targets', () => {
  it('takes a repeated delivery into effect once', async () => {
    const request = dingtalkSigned({ ...dingtalk, receiverId: dingtalk.appKey, payload: { EventType: 'bpms_instance_change', eventId: 'dup-seq', processInstanceId: 'p' } });
    for (let index = 0; index < 3; index += 1) expect((await send('dingtalk', request)).status).toBe(200);
    expect(handledEvents('dup-seq')).toBe(1);
    expect((await eventRecords()).filter((item) => String(item.pk).endsWith('#dup-seq'))).toHaveLength(1);
  });

  it('takes concurrent duplicates into effect once, each acknowledged', async () => {
    const xml = wecomApprovalXml({ ...wecomCreds, spNo: '202611259999', status: 2, change: 2, createTime: 1_764_000_000 });
    const answers = await Promise.all(Array.from({ length: 12 }, () => send('wecom', wecomSigned({ ...wecomCreds, xml }))));
    expect(answers.map((answer) => answer.status)).toEqual(Array(12).fill(200));
    expect(handledEvents('202611259999:2:1764000000')).toBe(1);
  });

  it('answers 404 for an unknown integration and for a group bot, storing nothing', async () => {
    const request = feishuSigned({ encryptKey: feishu.encryptKey, payload: approvalEvent(feishu.appId, 'nowhere') });
    const unknown = await deliver(api.runtime.url, '/v1/callbacks/int_unknown', request);
    expect(unknown.status).toBe(404);
    await expectRefused('bot', request, 404, /no integration receives callbacks/);
  });
});
