import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformSimulator, type SimMessage } from '../../lib/sandbox/platform-simulator.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

/*
 * DingTalk and WeCom messages as the platforms really take them (issue 14): each channel's size
 * limit, bots in keyword mode, WeCom's `unlicenseduser`, DingTalk's numeric agent_id, mentions
 * where the API has no `at`, and the app robot's robotCode. The simulator refuses what the
 * platforms refuse; see its comments for the sources.
 */

let api: TestApi;
let sim: PlatformSimulator;
const aesKey = 'f'.repeat(43);
const dingtalkApp = { appKey: 'dingsizekey0001', appSecret: 'size-dingtalk-secret-01', aesKey, token: 't', agentId: '3456789' };
const wecomApp = { corpId: 'wwsizecorp0001', agentId: '1000003', secret: 'size-wecom-secret-0001', token: 't', encodingAesKey: aesKey };
let dingtalkId: string;
let wecomId: string;

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
/** 2,000 Chinese characters: 6,000 bytes of UTF-8. */
const chinese6000 = '部署完成'.repeat(500);
const link = { title: '流水线', url: 'https://ci.example.com/runs/42' };

async function integration(body: Record<string, unknown>): Promise<string> {
  const created = await api.call('POST', '/v1/integrations', { body: { name: `msg ${randomBytes(4).toString('hex')}`, ...body } });
  expect(created.status, created.text).toBe(201);
  return created.body.id;
}

const notify = (integrationId: string, message: Record<string, unknown>, to?: Record<string, unknown>) =>
  api.call('POST', '/v1/notifications', { body: { integrationId, message, ...(to ? { to } : {}) } });

/** What the simulated platform received for this target, last first. */
const received = (route: SimMessage['route'], target: string) => sim.messages.filter((message) => message.route === route && message.target === target).at(-1)!;

beforeAll(async () => {
  sim = await new PlatformSimulator().start();
  api = await startTestApi();
  sim.afterCallback = () => api.runtime.idle();
  sim.addPeople(['ada', 'bob']);
  sim.addApp('dingtalk', dingtalkApp.appKey, dingtalkApp.appSecret);
  sim.addApp('wecom', wecomApp.corpId, wecomApp.secret);
  dingtalkId = await integration({ provider: 'dingtalk', apiBaseUrl: sim.url, credentials: dingtalkApp });
  wecomId = await integration({ provider: 'wecom', apiBaseUrl: sim.url, credentials: wecomApp });
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

describe('message sizes: each channel within its documented limit, cut with "…" and marked truncated', () => {
  it('a 6,000-byte Chinese notification reaches a DingTalk user and a WeCom user within each limit, marked truncated, its link kept', async () => {
    // Prepare
    expect(bytes(chinese6000)).toBe(6000);
    const message = { title: '发布通知', text: chinese6000, links: [link] };
    // Act
    const dingtalk = await notify(dingtalkId, message, { userIds: ['ding_ada'] });
    const wecom = await notify(wecomId, message, { userIds: ['ada'] });
    // Assess
    expect(dingtalk.body.deliveries, JSON.stringify(dingtalk.body.deliveries)).toMatchObject([{ target: 'user:ding_ada', status: 'sent', truncated: true }]);
    expect(wecom.body.deliveries, JSON.stringify(wecom.body.deliveries)).toMatchObject([{ target: 'user:ada', status: 'sent', truncated: true }]);
    // DingTalk work notification: the JSON of `msg` at most 2048 bytes.
    const msg = received('dingtalk.notification', 'user:ding_ada').body.msg as { markdown: { title: string; text: string } };
    expect(bytes(JSON.stringify(msg))).toBeLessThanOrEqual(2048);
    expect(msg.markdown.title).toBe('发布通知');
    expect(msg.markdown.text).toMatch(/[部署完成]…\n\n\[流水线\]\(https:\/\/ci\.example\.com\/runs\/42\)$/);
    // WeCom app markdown: content at most 2048 bytes.
    const content = (received('wecom.message', 'user:ada').body.markdown as { content: string }).content;
    expect(bytes(content)).toBeLessThanOrEqual(2048);
    expect(content).toMatch(/[部署完成]…\n\[流水线\]\(https:\/\/ci\.example\.com\/runs\/42\)$/);
    // The record says so too, when read back.
    const read = await api.call('GET', `/v1/notifications/${wecom.body.id}`);
    expect(read.body.deliveries[0]).toMatchObject({ status: 'sent', truncated: true });
  });

  it('chats: the DingTalk app robot takes 6,000 bytes whole (msgParam ≤ 15,000); a WeCom app chat cuts to 2,048', async () => {
    const message = { text: chinese6000, links: [link] };
    const dingtalk = await notify(dingtalkId, message, { chatIds: ['cidSIZE=='] });
    const wecom = await notify(wecomId, message, { chatIds: ['chat-size'] });
    expect(dingtalk.body.deliveries).toMatchObject([{ status: 'sent', truncated: false }]);
    expect(wecom.body.deliveries).toMatchObject([{ status: 'sent', truncated: true }]);
    const msgParam = received('dingtalk.robot.group', 'chat:cidSIZE==').body.msgParam as string;
    expect(JSON.parse(msgParam).text).toContain(chinese6000);
    expect(bytes((received('wecom.appchat', 'chat:chat-size').body.markdown as { content: string }).content)).toBeLessThanOrEqual(2048);
  });

  it('bots: a WeCom bot cuts 12,000 bytes of Chinese to its 4,096, a DingTalk bot takes them whole (its body ≤ 20,000)', async () => {
    const text = chinese6000 + chinese6000;
    const wecomBot = sim.addBot('wecom');
    const dingtalkBot = sim.addBot('dingtalk', 'SECsizebotsecret00001');
    const wecom = await notify(await integration({ provider: 'wecom', kind: 'webhook', credentials: { url: wecomBot.url } }), { text, links: [link] });
    const dingtalk = await notify(await integration({ provider: 'dingtalk', kind: 'webhook', credentials: { url: dingtalkBot.url, secret: 'SECsizebotsecret00001' } }), { text, links: [link] });
    expect(wecom.body.deliveries, JSON.stringify(wecom.body.deliveries)).toMatchObject([{ status: 'sent', truncated: true }]);
    expect(dingtalk.body.deliveries, JSON.stringify(dingtalk.body.deliveries)).toMatchObject([{ status: 'sent', truncated: false }]);
    const content = (wecomBot.bot.sent[0]!.body as { markdown: { content: string } }).markdown.content;
    expect(bytes(content)).toBeLessThanOrEqual(4096);
    expect(content.endsWith(`…\n[${link.title}](${link.url})`)).toBe(true);
  });
});

describe('bots in keyword mode (自定义关键词)', () => {
  it.each(['dingtalk', 'feishu'] as const)('%s: verify and every message carry the integration’s keyword, so the bot accepts them', async (provider) => {
    const { url, bot } = sim.addBot(provider, undefined, ['发布']);
    const id = await integration({ provider, kind: 'webhook', credentials: { url, keyword: '发布' } });
    const shown = await api.call('GET', `/v1/integrations/${id}`);
    expect(shown.body.credentials.keyword).toBe('发布');
    const verified = await api.call('POST', `/v1/integrations/${id}/verify`);
    expect(verified.status, verified.text).toBe(200);
    const sent = await notify(id, { title: 'Deploy finished', text: 'api v1.4.2 is live' });
    expect(sent.body.deliveries, sent.text).toMatchObject([{ status: 'sent' }]);
    expect(bot.sent).toHaveLength(2);
    expect(JSON.stringify(bot.sent[1]!.body)).toContain('[发布] Deploy finished');
  });

  it.each([
    ['dingtalk', 310000],
    ['feishu', 19024],
  ] as const)('%s: without the keyword, the refusal (%s) says to set `keyword` on the integration', async (provider, code) => {
    const { url, bot } = sim.addBot(provider, undefined, ['发布']);
    const id = await integration({ provider, kind: 'webhook', credentials: { url } });
    const verified = await api.call('POST', `/v1/integrations/${id}/verify`);
    expect(verified.status).toBe(422);
    expect(verified.body.error.message).toContain('set `keyword` on the integration');
    const sent = await notify(id, { text: 'api v1.4.2 is live' });
    expect(sent.body.deliveries).toMatchObject([{ status: 'failed', error: { code, message: expect.stringContaining('requires a keyword') } }]);
    expect(bot.sent).toHaveLength(0);
  });
});

describe('smaller DingTalk and WeCom message behaviours', () => {
  it('WeCom: a member without an API licence (unlicenseduser on errcode 0) got nothing, and the delivery says so', async () => {
    sim.unlicensed.add('bob');
    const { body } = await notify(wecomId, { text: 'api v1.4.2 is live' }, { userIds: ['ada', 'bob'] });
    expect(body.status).toBe('partial');
    expect(body.deliveries).toMatchObject([
      { target: 'user:ada', status: 'sent' },
      { target: 'user:bob', status: 'failed', error: { code: 'unlicenseduser', message: expect.stringContaining('bob') } },
    ]);
  });

  it('DingTalk: a work notification carries agent_id as the documented Number (credentials keep a string)', async () => {
    await notify(dingtalkId, { text: 'agent id' }, { userIds: ['ding_bob'] });
    expect(received('dingtalk.notification', 'user:ding_bob').body.agent_id).toBe(3456789);
  });

  it('DingTalk: mentions are named in the text, without "@" or `at`, where the API has no `at` (work notification and app robot)', async () => {
    const message = { text: 'api v1.4.2 is live', mentions: [{ userId: 'ding_bob' }] };
    await notify(dingtalkId, message, { userIds: ['ding_ada'], chatIds: ['cidMENTION=='] });
    const toUser = received('dingtalk.notification', 'user:ding_ada').body;
    const toChat = JSON.parse(received('dingtalk.robot.group', 'chat:cidMENTION==').body.msgParam as string) as { text: string };
    for (const text of [(toUser.msg as { markdown: { text: string } }).markdown.text, toChat.text]) {
      expect(text.endsWith('\n\ncc: ding_bob')).toBe(true);
      expect(text).not.toContain('@ding_bob');
    }
    expect(JSON.stringify(toUser)).not.toContain('"at"');
  });

  it('DingTalk: the app robot posts with the integration’s robotCode (a scene group’s robot), the appKey by default', async () => {
    const id = await integration({ provider: 'dingtalk', apiBaseUrl: sim.url, credentials: { ...dingtalkApp, robotCode: 'dingscenerobot01' } });
    expect((await api.call('GET', `/v1/integrations/${id}`)).body.credentials.robotCode).toBe('dingscenerobot01');
    await notify(id, { text: 'scene group' }, { chatIds: ['cidSCENE=='] });
    await notify(dingtalkId, { text: 'internal group' }, { chatIds: ['cidINTERNAL=='] });
    expect(received('dingtalk.robot.group', 'chat:cidSCENE==').body.robotCode).toBe('dingscenerobot01');
    expect(received('dingtalk.robot.group', 'chat:cidINTERNAL==').body.robotCode).toBe(dingtalkApp.appKey);
  });
});
