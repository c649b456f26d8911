import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PlatformSimulator, simUserId } from '../../lib/sandbox/platform-simulator.ts';
import type { TestApi } from '../support/local-api.ts';
import { startSimulatedPlatforms } from '../support/sim-app.ts';

/**
 * Chinese first: an integration registered without a locale writes Chinese on Feishu, DingTalk and
 * WeCom, English on Lark, and shows times in its time zone (Asia/Shanghai unless it says otherwise).
 * The definition Feishu receives carries both locales, the integration's as the default.
 */

let api: TestApi;
let sim: PlatformSimulator;
let ids: Record<'feishu' | 'lark', string>;
const people = ['requester', 'alice', 'bob'] as const;

beforeAll(async () => {
  ({ sim, api, integrationIds: ids } = await startSimulatedPlatforms(
    {
      feishu: { sim: 'feishu', appId: 'cli_locale00000001', credentials: { appId: 'cli_locale00000001', appSecret: 'locale-feishu-secret-1', encryptKey: 'locale-encrypt-key-1', verificationToken: 'locale-vt-1' } as never },
      lark: { sim: 'feishu', appId: 'cli_locale00000002', credentials: { appId: 'cli_locale00000002', appSecret: 'locale-lark-secret-002', encryptKey: 'locale-encrypt-key-2', verificationToken: 'locale-vt-2' } as never },
    },
    'locale',
    people,
  ));
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

/** A Feishu group bot integration, for the start and end messages (no locale given: Feishu's default). */
async function feishuBot() {
  const { url, bot } = sim.addBot('feishu');
  const created = await api.call('POST', '/v1/integrations', { body: { provider: 'feishu', kind: 'webhook', name: `locale bot ${randomBytes(3).toString('hex')}`, credentials: { url } } });
  expect(created.status, created.text).toBe(201);
  return { id: created.body.id as string, bot };
}

/** Starts a two-stage approval (a new shape per test is not needed: each locale has its own definition). */
async function start(app: 'feishu' | 'lark', extra: Record<string, unknown> = {}) {
  const answer = await api.call('POST', '/v1/approvals', {
    body: {
      integrationId: ids[app],
      title: `Deploy ${randomBytes(3).toString('hex')}`,
      requester: { email: 'requester@example.com' },
      stages: [
        { mode: 'any', approvers: [{ email: 'alice@example.com' }] },
        { mode: 'all', approvers: [{ email: 'bob@example.com' }] },
      ],
      timeoutSeconds: 7200,
      ...extra,
    },
  });
  expect(answer.status, answer.text).toBe(201);
  await api.runtime.idle();
  return answer.body;
}

interface I18nResource {
  locale: string;
  is_default: boolean;
  texts: { key: string; value: string }[];
}
/** The definition create request the simulated Feishu received for an approval's instance. */
function definitionRequestOf(approval: { platformInstanceId: string }) {
  const instance = sim.approvals.instances.get(approval.platformInstanceId)!;
  return sim.approvals.definitions.get(instance.definition)!.request as { i18n_resources: I18nResource[] };
}
const textOf = (resource: I18nResource, key: string) => resource.texts.find((text) => text.key === key)?.value;

/** A time as read on a wall clock `offsetHours` east of UTC, written out by hand (not by imhub's formatter). */
function wallClock(iso: string, offsetHours: number) {
  const shifted = new Date(Date.parse(iso) + offsetHours * 3600_000);
  const two = (value: number) => String(value).padStart(2, '0');
  return {
    zh: `${shifted.getUTCFullYear()}年${shifted.getUTCMonth() + 1}月${shifted.getUTCDate()}日 ${two(shifted.getUTCHours())}:${two(shifted.getUTCMinutes())}`,
    en: `${shifted.getUTCFullYear()}-${two(shifted.getUTCMonth() + 1)}-${two(shifted.getUTCDate())} ${two(shifted.getUTCHours())}:${two(shifted.getUTCMinutes())}`,
  };
}

describe('a Feishu integration registered without a locale', () => {
  it('is zh-CN in Asia/Shanghai, and so are its approvals', async () => {
    const integration = await api.call('GET', `/v1/integrations/${ids.feishu}`);
    expect(integration.body).toMatchObject({ locale: 'zh-CN', timeZone: 'Asia/Shanghai' });
    const approval = await start('feishu');
    expect(approval).toMatchObject({ locale: 'zh-CN', timeZone: 'Asia/Shanghai' });
  });

  it('creates a definition whose default locale is zh-CN with Chinese texts, en-US beside it; its start message reads in Chinese, times in the time zone', async () => {
    const { id: botId, bot } = await feishuBot();
    const approval = await start('feishu', { notify: { integrationId: botId } });

    const resources = definitionRequestOf(approval).i18n_resources;
    expect(resources.map((resource) => [resource.locale, resource.is_default])).toEqual([
      ['zh-CN', true],
      ['en-US', false],
    ]);
    const [zh, en] = resources as [I18nResource, I18nResource];
    expect(textOf(zh, '@i18n@content')).toBe('详情');
    expect(textOf(zh, '@i18n@stage_1')).toBe('第 1 级审批');
    expect(textOf(zh, '@i18n@stage_2')).toBe('第 2 级审批');
    expect(textOf(zh, '@i18n@approval_name')).toMatch(/^imhub 审批 locale feishu /);
    // Every key of the default is in the other locale too.
    expect(en.texts.map((text) => text.key)).toEqual(zh.texts.map((text) => text.key));
    expect(textOf(en, '@i18n@content')).toBe('Details');
    expect(textOf(en, '@i18n@stage_2')).toBe('Stage 2');

    expect(bot.sent).toHaveLength(1);
    const message = JSON.stringify(bot.sent[0]!.body);
    expect(message).toContain(`审批请求：${approval.title}`);
    expect(message).toContain('发起人：requester@example.com');
    expect(message).toContain('第 1 级（任一人同意）：alice@example.com');
    // The deadline on the wall clock of Shanghai (GMT+8), as a Chinese reader writes it.
    expect(message).toContain(`截止时间：${wallClock(approval.timeoutAt, 8).zh}`);
    expect(message).not.toMatch(/Approval requested|Requested by|\d{4}-\d{2}-\d{2}T/);
  });

  it('writes the end message in Chinese, with the decision time in the time zone', async () => {
    const { id: botId, bot } = await feishuBot();
    const approval = await start('feishu', { notify: { integrationId: botId }, stages: [{ mode: 'any', approvers: [{ email: 'alice@example.com' }] }] });
    await sim.approvals.act(approval.platformInstanceId, simUserId('feishu', 'alice'), 'approve', '可以发布');
    await api.runtime.idle();
    const decided = (await api.call('GET', `/v1/approvals/${approval.id}`)).body;
    expect(decided.status).toBe('approved');
    const end = JSON.stringify(bot.sent.at(-1)!.body);
    expect(end).toContain(`审批已通过：${approval.title}`);
    expect(end).toContain(`alice@example.com 于 ${wallClock(decided.decisions[0].at, 8).zh} 同意：可以发布`);
    // The outcome line, its reason (the platform's outcome) in Chinese too.
    expect(end).toContain('审批结果：**已通过**（在审批应用中通过）');
    expect(end).not.toMatch(/on the platform/);
  });
});

describe('a card on a Feishu integration registered without a locale', () => {
  it('is Chinese: its buttons, facts, the click’s toast and the outcome, the deadline on Shanghai’s clock', async () => {
    const approval = await start('feishu', { via: 'card', stages: [{ mode: 'any', approvers: [{ email: 'alice@example.com' }] }] });
    const card = sim.cards.of('feishu', `open_id:${simUserId('feishu', 'alice')}`).find((candidate) => sim.cards.text(candidate).includes(approval.title))!;
    expect(sim.cards.buttons(card)).toEqual(['同意', '拒绝']);
    expect(sim.cards.text(card)).toContain('审批请求');
    expect(sim.cards.text(card)).toContain('发起人：requester');
    expect(sim.cards.text(card)).toContain(`截止时间：${wallClock(approval.timeoutAt, 8).zh}`);
    const clicked = await sim.cards.click(card, simUserId('feishu', 'alice'), 'approve', '没问题');
    expect(clicked.toast).toEqual({ type: 'success', text: '你已同意该审批' });
    await api.runtime.idle();
    expect(sim.cards.text(card)).toContain('已通过');
    expect(sim.cards.text(card)).toContain('alice 已同意：没问题');
    expect(sim.cards.buttons(card)).toEqual([]);
  });
});

describe('a Lark integration registered without a locale', () => {
  it('is en-US: its definition defaults to en-US with English texts, zh-CN beside it', async () => {
    const integration = await api.call('GET', `/v1/integrations/${ids.lark}`);
    expect(integration.body).toMatchObject({ locale: 'en-US', timeZone: 'Asia/Shanghai' });
    const approval = await start('lark');
    expect(approval.locale).toBe('en-US');
    const resources = definitionRequestOf(approval).i18n_resources;
    expect(resources.map((resource) => [resource.locale, resource.is_default])).toEqual([
      ['en-US', true],
      ['zh-CN', false],
    ]);
    expect(textOf(resources[0]!, '@i18n@stage_1')).toBe('Stage 1');
    expect(textOf(resources[1]!, '@i18n@stage_1')).toBe('第 1 级审批');
  });
});

describe('a locale and time zone given per approval', () => {
  it('override the integration’s: an English definition of its own and English messages, times on Tokyo’s clock', async () => {
    const { id: botId, bot } = await feishuBot();
    const approval = await start('feishu', { locale: 'en-US', timeZone: 'Asia/Tokyo', notify: { integrationId: botId } });
    expect(approval).toMatchObject({ locale: 'en-US', timeZone: 'Asia/Tokyo' });
    const resources = definitionRequestOf(approval).i18n_resources;
    expect(resources.find((resource) => resource.is_default)!.locale).toBe('en-US');
    const message = JSON.stringify(bot.sent[0]!.body);
    expect(message).toContain(`Approval requested: ${approval.title}`);
    // Tokyo keeps GMT+9 all year.
    expect(message).toContain(`Times out: ${wallClock(approval.timeoutAt, 9).en} (GMT+9)`);
  });

  it('refuse an unknown time zone or locale with a 400 naming the field and what is allowed, starting nothing', async () => {
    const before = sim.approvals.instances.size;
    for (const [field, value, message] of [
      ['timeZone', 'Mars/Olympus_Mons', 'timeZone must be an IANA time zone such as Asia/Shanghai, Europe/Berlin or UTC'],
      ['timeZone', '+08:00', 'timeZone must be an IANA time zone such as Asia/Shanghai, Europe/Berlin or UTC'],
      ['locale', 'zh-TW', 'locale must be one of zh-CN, en-US'],
    ] as const) {
      const answer = await api.call('POST', '/v1/approvals', {
        body: { integrationId: ids.feishu, title: 'Deploy', requester: { email: 'requester@example.com' }, stages: [{ approvers: [{ email: 'alice@example.com' }] }], [field]: value },
      });
      expect(answer.status, answer.text).toBe(400);
      expect(answer.body.error.details).toEqual([{ path: field, message }]);
    }
    expect(sim.approvals.instances.size).toBe(before);
  });
});

describe('an integration’s locale and time zone', () => {
  it('are set on create and changed by an update; a bad one is a 400', async () => {
    const created = await api.call('POST', '/v1/integrations', {
      body: { provider: 'wecom', kind: 'webhook', name: `locale wecom ${randomBytes(3).toString('hex')}`, locale: 'en-US', timeZone: 'Asia/Tokyo', credentials: { url: sim.addBot('wecom').url } },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ locale: 'en-US', timeZone: 'Asia/Tokyo' });
    const updated = await api.call('PATCH', `/v1/integrations/${created.body.id}`, { body: { locale: 'zh-CN', timeZone: 'UTC' } });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body).toMatchObject({ locale: 'zh-CN', timeZone: 'UTC' });
    const refused = await api.call('PATCH', `/v1/integrations/${created.body.id}`, { body: { timeZone: 'Asia/Nowhere' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([{ path: 'timeZone', message: 'timeZone must be an IANA time zone such as Asia/Shanghai, Europe/Berlin or UTC' }]);
  });

  it('are what a bot’s test message is written in', async () => {
    const { url, bot } = sim.addBot('dingtalk');
    const created = await api.call('POST', '/v1/integrations', { body: { provider: 'dingtalk', kind: 'webhook', name: 'locale ding', credentials: { url } } });
    expect(created.body.locale).toBe('zh-CN');
    const verified = await api.call('POST', `/v1/integrations/${created.body.id}/verify`);
    expect(verified.status, verified.text).toBe(200);
    expect(JSON.stringify(bot.sent.at(-1)!.body)).toContain('imhub：此群机器人已接入集成“locale ding”。');
  });
});

describe('a notification', () => {
  it('takes a locale of its own, shown in its view and in the heading imhub gives a message without a title', async () => {
    const { id: botId, bot } = await feishuBot();
    const zh = await api.call('POST', '/v1/notifications', { body: { integrationId: botId, message: { text: 'build 42 is live', level: 'success' } } });
    expect(zh.status, zh.text).toBe(201);
    expect(zh.body).toMatchObject({ locale: 'zh-CN', timeZone: 'Asia/Shanghai' });
    expect(JSON.stringify(bot.sent.at(-1)!.body)).toContain('成功');
    const en = await api.call('POST', '/v1/notifications', { body: { integrationId: botId, locale: 'en-US', timeZone: 'America/New_York', message: { text: 'build 43 is live', level: 'success' } } });
    expect(en.status, en.text).toBe(201);
    expect(en.body).toMatchObject({ locale: 'en-US', timeZone: 'America/New_York' });
    expect(JSON.stringify(bot.sent.at(-1)!.body)).toContain('Success');
    const bad = await api.call('POST', '/v1/notifications', { body: { integrationId: botId, timeZone: 'nowhere', message: { text: 'x' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([{ path: 'timeZone', message: 'timeZone must be an IANA time zone such as Asia/Shanghai, Europe/Berlin or UTC' }]);
  });
});
