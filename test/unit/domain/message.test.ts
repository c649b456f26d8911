import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { botPayload, dingtalkMarkdown, feishuCard, fitBytes, messageSchema, type RenderableMessage, wecomMarkdown } from '../../../lib/domain/message.ts';

const message = (overrides: Partial<RenderableMessage> = {}): RenderableMessage => ({
  title: 'Deploy finished',
  text: '**api** v1.4.2 is live',
  level: 'success',
  links: [{ title: 'Pipeline', url: 'https://ci.example.com/runs/1' }],
  mentions: { userIds: [], all: false },
  ...overrides,
});

describe('messageSchema', () => {
  it('requires a non-empty text and fills defaults', () => {
    expect(messageSchema.safeParse({ text: '  ' }).success).toBe(false);
    expect(messageSchema.parse({ text: 'hi' })).toEqual({ text: 'hi', level: 'info', links: [], mentions: [] });
  });

  it('accepts mentions of people and of everyone, and refuses non-http links', () => {
    expect(messageSchema.parse({ text: 'x', mentions: [{ email: 'a@b.co' }, { all: true }] }).mentions).toHaveLength(2);
    expect(messageSchema.safeParse({ text: 'x', links: [{ title: 't', url: 'javascript:alert(1)' }] }).success).toBe(false);
  });
});

describe('fitBytes', () => {
  it('never exceeds the bound, never splits a character, and keeps a prefix', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.integer({ min: 4, max: 300 }), (text, max) => {
        const fitted = fitBytes(text, max);
        if (Buffer.byteLength(text, 'utf8') <= max) expect(fitted).toBe(text);
        else {
          expect(Buffer.byteLength(fitted, 'utf8')).toBeLessThanOrEqual(max);
          expect(fitted.endsWith('…')).toBe(true);
          expect(text.startsWith(fitted.slice(0, -1))).toBe(true);
        }
      }),
    );
  });
});

describe('Feishu/Lark card (JSON 2.0)', () => {
  it('has the level colour, a markdown body, link buttons and mentions in card syntax', () => {
    const card = feishuCard(message({ level: 'error', mentions: { userIds: ['ou_1'], all: true } }));
    expect(card).toMatchObject({ schema: '2.0', config: { update_multi: true }, header: { template: 'red', title: { tag: 'plain_text', content: 'Deploy finished' } } });
    expect(card.body.elements[0]).toEqual({ tag: 'markdown', content: '**api** v1.4.2 is live\n\n<at id=all></at> <at id=ou_1></at>' });
    expect(card.body.elements[1]).toMatchObject({ tag: 'button', behaviors: [{ type: 'open_url', default_url: 'https://ci.example.com/runs/1' }] });
  });

  it('goes under `card` in a group-bot message', () => {
    expect(botPayload('lark', message())).toMatchObject({ msg_type: 'interactive', card: { schema: '2.0' } });
  });
});

describe('DingTalk markdown', () => {
  it('carries the title, links, and each mention both in the text and in `at`', () => {
    const body = dingtalkMarkdown(message({ mentions: { userIds: ['u1'], all: false } }));
    expect(body).toMatchObject({ msgtype: 'markdown', markdown: { title: 'Deploy finished' }, at: { atUserIds: ['u1'], isAtAll: false } });
    expect(body.markdown.text).toContain('[Pipeline](https://ci.example.com/runs/1)');
    expect(body.markdown.text).toContain('@u1');
  });
});

describe('WeCom markdown', () => {
  it('shows the level as a font colour, mentions as <@userid>, within the byte limit', () => {
    const body = wecomMarkdown(message({ level: 'warning', text: '告警'.repeat(2000), mentions: { userIds: ['zhangsan'], all: false } }), 2048);
    expect(body.markdown.content.startsWith('**<font color="warning">Deploy finished</font>**')).toBe(true);
    expect(Buffer.byteLength(body.markdown.content, 'utf8')).toBeLessThanOrEqual(2048);
  });

  it('mentions everyone with a text message, which WeCom bots support and markdown does not', () => {
    expect(botPayload('wecom', message({ mentions: { userIds: [], all: true } }))).toMatchObject({ msgtype: 'text', text: { mentioned_list: ['@all'] } });
  });
});
