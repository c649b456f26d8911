import { describe, expect, it } from 'vitest';
import type { CardContent } from '../../../lib/domain/approval-cards.ts';
import { botPayload, dingtalkAppMarkdown, feishuCard, type RenderableMessage, wecomMarkdown } from '../../../lib/domain/message.ts';
import { dingtalkCardParams } from '../../../lib/providers/dingtalk/dingtalk-cards.ts';
import { feishuApprovalCard } from '../../../lib/providers/feishu-lark/feishu-cards.ts';
import { wecomApprovalCard } from '../../../lib/providers/wecom/wecom-cards.ts';
import type { SimCard } from '../../../lib/sandbox/card-simulator.ts';
import { brands } from '../../../lib/sandbox/page/brands.ts';
import { markdown } from '../../../lib/sandbox/page/html.ts';
import { renderAppMessage, renderBotMessage, type RenderContext, renderSimCard } from '../../../lib/sandbox/page/messages.ts';
import type { SimMessage } from '../../../lib/sandbox/platform-simulator.ts';

/**
 * The sandbox page draws what imhub sends as each platform shows it. The bodies here come from
 * imhub's own renderers (so the test follows them when their texts change) and from the platforms'
 * documented examples; the page must show the texts, never the JSON.
 */
const ctx = (brand: keyof typeof brands, live = false): RenderContext => ({ brand: brands[brand], nameOf: (id) => ({ ou_alice: 'alice', alice: 'alice', ding_alice: 'alice' })[id] ?? id, live });
const message: RenderableMessage = { title: 'Build failed', text: 'Pipeline **main** failed at `test`\n- one\n- two', level: 'error', links: [{ title: 'Open run', url: 'https://example.com/run/1' }], mentions: { userIds: ['ou_alice'], all: false } };
const appMessage = (platform: SimMessage['platform'], route: SimMessage['route'], body: Record<string, unknown>): SimMessage => ({ platform, route, target: 'user:alice', body, at: 0 });
const content: CardContent = {
  approvalId: 'apr_abc123',
  locale: 'en-US',
  header: 'Approval requested',
  level: 'info',
  title: 'Deploy v1.2',
  body: 'Release notes: **one fix**',
  facts: [{ label: 'Requested by', value: 'requester' }],
  decisions: [],
  buttons: true,
  summary: 'Deploy v1.2',
};
const simCard = (platform: SimCard['platform'], card: Record<string, unknown>): SimCard => ({ platform, appId: 'app', id: 'c1', target: 'user:alice', card, history: [card], toasts: [], sentAt: 0, clicks: [] });
const noJson = (html: string) => expect(html).not.toMatch(/\{"|":/);

describe('the sandbox page renders messages as each platform shows them', () => {
  it('Feishu/Lark: a notification card (header template, markdown, link button, mention as a name), from feishuCard', () => {
    const body = { receive_id: 'ou_alice', msg_type: 'interactive', content: JSON.stringify(feishuCard(message).body), uuid: 'u' };
    const html = renderAppMessage(appMessage('feishu', 'feishu.message', body), ctx('feishu'));
    expect(html).toContain('<header class="fs-head tpl-red"><div class="fs-title">Build failed</div>');
    expect(html).toContain('<strong>main</strong>');
    expect(html).toContain('<code>test</code>');
    expect(html).toContain('<li>one</li>');
    expect(html).toContain('<span class="mention">@alice</span>');
    expect(html).toContain('<a class="btn default" href="https://example.com/run/1"');
    noJson(html);
  });

  it('Feishu/Lark: text and post messages (im/v1 content structure), and the group bot’s card', () => {
    const text = renderAppMessage(appMessage('feishu', 'feishu.message', { msg_type: 'text', content: JSON.stringify({ text: 'hi <at user_id="ou_alice">Alice</at>' }) }), ctx('lark'));
    expect(text).toContain('hi <span class="mention">@alice</span>');
    const post = renderAppMessage(
      appMessage('feishu', 'feishu.message', { msg_type: 'post', content: JSON.stringify({ zh_cn: { title: '项目更新', content: [[{ tag: 'text', text: '第一行 ' }, { tag: 'a', href: 'https://example.com', text: '链接' }]] } }) }),
      ctx('feishu'),
    );
    expect(post).toContain('<p class="post-title">项目更新</p><p>第一行 <a href="https://example.com"');
    const bot = renderBotMessage('feishu', botPayload('lark', message).body, ctx('lark'));
    expect(bot).toContain('<div class="fs-title">Build failed</div>');
    noJson(text + post + bot);
  });

  it('Feishu/Lark: an approval card (card JSON 2.0 with a form) is clickable while live: its input and buttons are the page’s form controls', () => {
    const card = simCard('feishu', feishuApprovalCard(content));
    const live = renderSimCard(card, ctx('feishu', true));
    expect(live).toContain('<textarea class="fs-input" name="comment"');
    expect(live).toMatch(/<button class="btn primary_filled" name="decision" value="approve">[^<]+<\/button>/);
    expect(live).toMatch(/<button class="btn danger" name="decision" value="reject">/);
    expect(live).toContain('<div class="fs-subtitle">Approval requested</div>');
    const decided = renderSimCard(simCard('feishu', feishuApprovalCard({ ...content, buttons: false, level: 'success', header: 'Approved', decisions: ['Approved by alice: ship it'] })), ctx('feishu', false));
    expect(decided).toContain('tpl-green');
    expect(decided).toContain('• Approved by alice: ship it');
    expect(decided).not.toContain('name="decision"');
  });

  it('DingTalk: a work notification’s markdown, a bot’s markdown and actionCard, and the app robot’s sampleMarkdown', () => {
    const markdownBody = dingtalkAppMarkdown(message, () => true).body;
    const notification = renderAppMessage(appMessage('dingtalk', 'dingtalk.notification', { agent_id: 1, userid_list: 'ding_alice', msg: { msgtype: 'markdown', markdown: markdownBody } }), ctx('dingtalk'));
    expect(notification).toContain('<p class="md-h3">');
    expect(notification).toContain('Build failed');
    expect(notification).toContain('<a href="https://example.com/run/1"');
    const robot = renderAppMessage(appMessage('dingtalk', 'dingtalk.robot.group', { msgKey: 'sampleMarkdown', msgParam: JSON.stringify(markdownBody) }), ctx('dingtalk'));
    expect(robot).toContain('<strong>main</strong>');
    // 自定义机器人 actionCard, the documented example's shape.
    const actionCard = renderBotMessage('dingtalk', { msgtype: 'actionCard', actionCard: { title: '乔布斯 20 年前想打造的苹果咖啡厅', text: '### 乔布斯', btnOrientation: '0', singleTitle: '阅读全文', singleURL: 'https://www.dingtalk.com/' } }, ctx('dingtalk'));
    expect(actionCard).toContain('<p class="post-title">乔布斯 20 年前想打造的苹果咖啡厅</p>');
    expect(actionCard).toContain('>阅读全文</a>');
    const text = renderBotMessage('dingtalk', { msgtype: 'text', text: { content: '我就是我, @ding_alice 是不一样的烟火' } }, ctx('dingtalk'));
    expect(text).toContain('是不一样的烟火');
    noJson(notification + robot + actionCard + text);
  });

  it('DingTalk: a card instance is imhub’s template filled with its variables, with the comment input and buttons while "buttons" is "true"', () => {
    const live = renderSimCard(simCard('dingtalk', dingtalkCardParams(content)), ctx('dingtalk', true));
    expect(live).toContain('<div class="dt-card-title">Deploy v1.2</div><div class="dt-card-status">Approval requested</div>');
    expect(live).toContain('<strong>Requested by:</strong> requester');
    expect(live).toContain('name="comment"');
    expect(live).toContain('value="approve"');
    const decided = renderSimCard(simCard('dingtalk', dingtalkCardParams({ ...content, buttons: false })), ctx('dingtalk', false));
    expect(decided).not.toContain('name="decision"');
  });

  it('WeCom: markdown with font colours, text, textcard, and a button_interaction template card greyed out by replace_text', () => {
    const md = renderAppMessage(appMessage('wecom', 'wecom.message', { touser: 'alice', msgtype: 'markdown', markdown: wecomMarkdown(message, 2048).body.markdown }), ctx('wecom'));
    expect(md).toContain('<strong><span class="font-orange">Build failed</span></strong>');
    const text = renderBotMessage('wecom', { msgtype: 'text', text: { content: '广州今日天气：29度', mentioned_list: ['alice', '@all'] } }, ctx('wecom'));
    expect(text).toContain('<span class="mention">@alice</span> <span class="mention">@所有人</span>');
    const textcard = renderAppMessage(
      appMessage('wecom', 'wecom.message', { msgtype: 'textcard', textcard: { title: '领奖通知', description: '<div class="gray">2016年9月26日</div> <div class="normal">恭喜你抽中iPhone 7一台</div>', url: 'https://example.com', btntxt: '更多' } }),
      ctx('wecom'),
    );
    expect(textcard).toContain('<div class="wc-gray">2016年9月26日</div>');
    const live = renderSimCard(simCard('wecom', wecomApprovalCard(content, 'task1')), ctx('wecom', true));
    expect(live).toContain('<div class="wc-title">Deploy v1.2</div><div class="wc-title-desc">Approval requested</div>');
    expect(live).toContain('<dt>Requested by</dt><dd>requester</dd>');
    expect(live).toMatch(/<button class="btn wc-style-1" name="decision" value="approve">/);
    const replaced = renderSimCard(simCard('wecom', { ...wecomApprovalCard({ ...content, buttons: false, header: 'Approved' }, '', true) }), ctx('wecom', false));
    expect(replaced).toContain('<div class="wc-replaced">Approved</div>');
    expect(replaced).not.toContain('<button');
    noJson(md + text + textcard + live + replaced);
  });

  it('an unknown shape becomes a short summary, with the whole JSON (never cut) behind a click', () => {
    const long = 'x'.repeat(5000);
    const html = renderAppMessage(appMessage('feishu', 'feishu.message', { msg_type: 'sticker', content: JSON.stringify({ file_key: long }) }), ctx('feishu'));
    expect(html).toContain('A Feishu &quot;sticker&quot; message');
    expect(html).toContain('<details><summary>');
    expect(html).toContain(long);
  });

  it('nothing in a message becomes markup or a script link: text is escaped, only http(s) links are links', () => {
    const html = markdown('<script>alert(1)</script> [x](javascript:alert(1)) [ok](https://example.com/?a=1&b=2) <img src=x onerror=alert(1)>');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('href="javascript');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('<a href="https://example.com/?a=1&amp;b=2"');
  });

  it('leaves a link’s address alone: no emphasis, code or mention is drawn inside an href', () => {
    const html = markdown('see [the run](https://example.com/run/**1**/`2`/<@ou_alice>) and **this**', (id) => (id === 'ou_alice' ? 'alice' : id));
    expect(html).toContain('<a href="https://example.com/run/**1**/`2`/&lt;@ou_alice&gt;"');
    expect(html).toContain('<strong>this</strong>');
    expect(html.match(/<strong>/g)).toHaveLength(1);
    expect(html).not.toContain('<span class="mention">');
  });
});
