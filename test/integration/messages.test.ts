import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RenderableMessage } from '../../lib/domain/message.ts';
import { PlatformSimulator } from '../../lib/sandbox/platform-simulator.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';
import { storedProvider } from '../support/stored-provider.ts';

let api: TestApi;
let sim: PlatformSimulator;
const aesKey = 'd'.repeat(43);
const message: RenderableMessage = { title: 'Deploy finished', text: 'api v1.4.2 is live', level: 'success', links: [{ title: 'Run', url: 'https://ci.example.com/1' }], mentions: { userIds: [], all: false } };

beforeAll(async () => {
  sim = await new PlatformSimulator().start();
  api = await startTestApi();
  sim.afterCallback = () => api.runtime.idle();
  sim.addApp('feishu', 'cli_msg0000000001', 'msg-feishu-secret-001');
  sim.addApp('dingtalk', 'dingmsgkey00001', 'msg-dingtalk-secret-01');
  sim.addApp('wecom', 'wwmsgcorp0001', 'msg-wecom-secret-0001');
  sim.users.push({ name: 'ada', email: 'ada@example.com', mobile: '13800000001', ids: { feishu: 'ou_ada', dingtalk: 'ding_ada', wecom: 'ada' } });
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

/** Creates an integration over the API and returns its provider, as the service builds it. */
async function provider(body: Record<string, unknown>) {
  const created = await api.call('POST', '/v1/integrations', { body: { name: `m ${randomBytes(4).toString('hex')}`, ...body } });
  expect(created.status, created.text).toBe(201);
  return (await storedProvider(api, created.body.id)).provider;
}

describe('app messages reach the platform in its documented format', () => {
  it('Feishu: an interactive card (content is a JSON string) to a chat and a user, sent once per uuid', async () => {
    const feishu = await provider({ provider: 'feishu', apiBaseUrl: sim.url, credentials: { appId: 'cli_msg0000000001', appSecret: 'msg-feishu-secret-001' } });
    const sent = await feishu.messages.send({ chatId: 'oc_team' }, message, 'delivery-1');
    expect(sent.messageId).toMatch(/^om_/);
    await feishu.messages.send({ chatId: 'oc_team' }, message, 'delivery-1');
    await feishu.messages.send({ userId: 'ou_ada' }, message, 'delivery-2');
    const received = sim.messages.filter((entry) => entry.platform === 'feishu');
    expect(received.map((entry) => entry.target)).toEqual(['chat_id:oc_team', 'open_id:ou_ada']);
    expect(received[0]!.body).toMatchObject({ receive_id: 'oc_team', msg_type: 'interactive', uuid: 'delivery-1' });
    expect(JSON.parse(received[0]!.body.content as string)).toMatchObject({ schema: '2.0', header: { template: 'green' } });
  });

  it('Feishu: makes a message its bot sent urgent (加急) for the person it went to; another app’s message is refused with the platform’s code', async () => {
    const feishu = await provider({ provider: 'feishu', apiBaseUrl: sim.url, credentials: { appId: 'cli_msg0000000001', appSecret: 'msg-feishu-secret-001' } });
    const sent = await feishu.messages.send({ userId: 'ou_ada' }, message, `urgent-${randomBytes(4).toString('hex')}`);
    await feishu.messages.urgent!(sent.messageId!, ['ou_ada']);
    expect(sim.urgent.at(-1)).toEqual({ messageId: sent.messageId, userIds: ['ou_ada'] });
    await expect(feishu.messages.urgent!('om_not_ours', ['ou_ada'])).rejects.toMatchObject({ platformCode: 230012 });
  });

  it('DingTalk: an in-app DING from the app’s robot (robot/ding/send, remindType 1)', async () => {
    const dingtalk = await provider({ provider: 'dingtalk', apiBaseUrl: sim.url, credentials: { appKey: 'dingmsgkey00001', appSecret: 'msg-dingtalk-secret-01', aesKey, token: 't' } });
    await dingtalk.messages.remindUrgently!(['ding_ada'], 'Reminder: Deploy');
    expect(sim.dings.at(-1)).toEqual({ robotCode: 'dingmsgkey00001', remindType: 1, users: ['ding_ada'], content: 'Reminder: Deploy' });
  });

  it('DingTalk: a markdown work notification to a user (with agentId) and the app robot to a group', async () => {
    const dingtalk = await provider({ provider: 'dingtalk', apiBaseUrl: sim.url, credentials: { appKey: 'dingmsgkey00001', appSecret: 'msg-dingtalk-secret-01', aesKey, token: 't', agentId: 2345678 } });
    await dingtalk.messages.send({ userId: 'ding_ada' }, message, 'd1');
    await dingtalk.messages.send({ chatId: 'cidTEAM==' }, message, 'd2');
    const [notification, group] = sim.messages.filter((entry) => entry.platform === 'dingtalk');
    // agent_id is documented as a Number; the credentials keep it as a string (issue 14, item 8).
    expect(notification!.body).toMatchObject({ agent_id: 2345678, userid_list: 'ding_ada', msg: { msgtype: 'markdown', markdown: { title: 'Deploy finished' } } });
    expect(group!.body).toMatchObject({ robotCode: 'dingmsgkey00001', openConversationId: 'cidTEAM==', msgKey: 'sampleMarkdown' });
    expect(JSON.parse(group!.body.msgParam as string)).toMatchObject({ title: 'Deploy finished' });
  });

  it('DingTalk: a work notification without an agentId is refused with what to add', async () => {
    const dingtalk = await provider({ provider: 'dingtalk', apiBaseUrl: sim.url, credentials: { appKey: 'dingmsgkey00001', appSecret: 'msg-dingtalk-secret-01', aesKey, token: 't' } });
    await expect(dingtalk.messages.send({ userId: 'ding_ada' }, message, 'd3')).rejects.toMatchObject({ kind: 'bad_request', message: expect.stringContaining('agentId') });
  });

  it('WeCom: markdown to a user with the duplicate check, to an app chat, and an invalid user reported, not hidden', async () => {
    const wecom = await provider({ provider: 'wecom', apiBaseUrl: sim.url, credentials: { corpId: 'wwmsgcorp0001', agentId: '1000002', secret: 'msg-wecom-secret-0001', token: 't', encodingAesKey: aesKey } });
    await wecom.messages.send({ userId: 'ada' }, message, 'w1');
    await wecom.messages.send({ chatId: 'chat-ops' }, message, 'w2');
    const [user, chat] = sim.messages.filter((entry) => entry.platform === 'wecom');
    expect(user!.body).toMatchObject({ touser: 'ada', msgtype: 'markdown', agentid: 1000002, enable_duplicate_check: 1 });
    expect(chat!.body).toMatchObject({ chatid: 'chat-ops', msgtype: 'markdown' });
    await expect(wecom.messages.send({ userId: 'ghost' }, message, 'w3')).rejects.toMatchObject({ platformCode: 'invaliduser', kind: 'platform_refused' });
  });
});

describe('group bots', () => {
  it.each(['feishu', 'lark', 'dingtalk', 'wecom'] as const)('%s: the rendered message reaches the group, signed where the platform signs', async (name) => {
    const platform = name === 'lark' ? 'feishu' : name;
    const secret = name === 'feishu' ? 'bot-signing-secret-01' : name === 'dingtalk' ? 'SECbotsigningsecret01' : undefined;
    const { url, bot } = sim.addBot(platform, secret);
    const botProvider = await provider({ provider: name, kind: 'webhook', credentials: { url, ...(secret ? { secret } : {}) } });
    await botProvider.messages.send({ group: true }, { ...message, mentions: { userIds: [], all: true } }, 'b1');
    expect(bot.sent).toHaveLength(1);
    const body = bot.sent[0]!.body as Record<string, unknown>;
    if (platform === 'feishu') expect(body).toMatchObject({ msg_type: 'interactive', card: { schema: '2.0' } });
    if (platform === 'dingtalk') expect(body).toMatchObject({ msgtype: 'markdown', at: { isAtAll: true } });
    if (platform === 'wecom') expect(body).toMatchObject({ msgtype: 'text', text: { mentioned_list: ['@all'] } });
  });
});
