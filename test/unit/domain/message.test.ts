import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { botPayload, cutToFit, dingtalkAppMarkdown, dingtalkBotMarkdown, feishuCard, messageSchema, type RenderableMessage, utf8Bytes, wecomMarkdown, withKeyword } from '../../../lib/domain/message.ts';

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

describe('cutToFit', () => {
  it('never exceeds the bound, never splits a character or a grapheme, and keeps the longest prefix', () => {
    const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.integer({ min: 4, max: 300 }), (text, max) => {
        const fits = (candidate: string) => utf8Bytes(candidate) <= max;
        const fitted = cutToFit(text, fits)!;
        expect(utf8Bytes(fitted)).toBeLessThanOrEqual(max);
        expect(fitted.endsWith('…')).toBe(true);
        const kept = fitted.slice(0, -1);
        expect(text.startsWith(kept)).toBe(true);
        // A whole number of the text's graphemes: no half emoji, no lone surrogate.
        const boundaries = new Set([...Array.from(graphemes.segment(text), (part) => part.index), text.length]);
        expect(boundaries.has(kept.length)).toBe(true);
      }),
    );
  });

  it('cuts Chinese (3 bytes a character) and emoji sequences whole', () => {
    expect(cutToFit('发布完成'.repeat(10), (candidate) => utf8Bytes(candidate) <= 10)).toBe('发布…');
    expect(cutToFit('ok👨‍👩‍👧👨‍👩‍👧', (candidate) => utf8Bytes(candidate) <= 25)).toBe('ok👨‍👩‍👧…');
    expect(cutToFit('anything', () => false)).toBeUndefined();
  });
});

describe('Feishu/Lark card (JSON 2.0)', () => {
  it('has the level colour, a markdown body, link buttons and mentions in card syntax', () => {
    const card = feishuCard(message({ level: 'error', mentions: { userIds: ['ou_1'], all: true } })).body;
    expect(card).toMatchObject({ schema: '2.0', config: { update_multi: true }, header: { template: 'red', title: { tag: 'plain_text', content: 'Deploy finished' } } });
    expect(card.body.elements[0]).toEqual({ tag: 'markdown', content: '**api** v1.4.2 is live\n\n<at id=all></at> <at id=ou_1></at>' });
    expect(card.body.elements[1]).toMatchObject({ tag: 'button', behaviors: [{ type: 'open_url', default_url: 'https://ci.example.com/runs/1' }] });
  });

  it('goes under `card` in a group-bot message', () => {
    expect(botPayload('lark', message()).body).toMatchObject({ msg_type: 'interactive', card: { schema: '2.0' } });
  });
});

describe('DingTalk markdown', () => {
  it('carries the title, links, and each mention both in the text and in `at` (custom bot)', () => {
    const { body } = dingtalkBotMarkdown(message({ mentions: { userIds: ['u1'], all: false } }));
    expect(body).toMatchObject({ msgtype: 'markdown', markdown: { title: 'Deploy finished' }, at: { atUserIds: ['u1'], isAtAll: false } });
    expect(body.markdown.text).toContain('[Pipeline](https://ci.example.com/runs/1)');
    expect(body.markdown.text).toContain('@u1');
  });

  it('names the mentioned people, without "@", where the API has no `at` (work notification, app robot)', () => {
    const { body } = dingtalkAppMarkdown(message({ mentions: { userIds: ['u1', 'u2'], all: true } }), () => true);
    expect(body.text.endsWith('\n\ncc: u1, u2, all')).toBe(true);
    expect(body.text).not.toContain('@');
  });

  it('cuts the text of a custom bot message to 20000 bytes of body, marked, keeping links and mentions', () => {
    const { body, truncated } = dingtalkBotMarkdown(message({ text: '部署日志'.repeat(3000), mentions: { userIds: ['u1'], all: false } }));
    expect(truncated).toBe(true);
    expect(utf8Bytes(JSON.stringify(body))).toBeLessThanOrEqual(20_000);
    expect(utf8Bytes(JSON.stringify(body))).toBeGreaterThan(20_000 - 12);
    expect(body.markdown.text.slice(-60)).toMatch(/[部署日志]…\n\n\[Pipeline\]\(https:\/\/ci\.example\.com\/runs\/1\)\n\n@u1$/);
  });
});

describe('WeCom markdown', () => {
  it('shows the level as a font colour, mentions as <@userid>, within the byte limit', () => {
    const { body, truncated } = wecomMarkdown(message({ level: 'warning', text: '告警'.repeat(2000), mentions: { userIds: ['zhangsan'], all: false } }), 2048);
    expect(truncated).toBe(true);
    expect(body.markdown.content.startsWith('**<font color="warning">Deploy finished</font>**')).toBe(true);
    expect(utf8Bytes(body.markdown.content)).toBeLessThanOrEqual(2048);
    expect(body.markdown.content.slice(-60)).toMatch(/[告警]…\n\[Pipeline\]\(https:\/\/ci\.example\.com\/runs\/1\)\n<@zhangsan>$/);
  });

  it('leaves a message within the limit whole and says so', () => {
    expect(wecomMarkdown(message(), 4096).truncated).toBe(false);
    expect(botPayload('wecom', message({ text: '告警'.repeat(600) }))).toMatchObject({ truncated: false });
    expect(botPayload('wecom', message({ text: '告警'.repeat(700) }))).toMatchObject({ truncated: true });
  });

  it('mentions everyone with a text message, which WeCom bots support and markdown does not', () => {
    expect(botPayload('wecom', message({ mentions: { userIds: [], all: true } })).body).toMatchObject({ msgtype: 'text', text: { mentioned_list: ['@all'] } });
  });

  it('keeps a text message to everyone within 2048 bytes, links included', () => {
    const { body, truncated } = botPayload('wecom', message({ text: '告警'.repeat(2000), mentions: { userIds: [], all: true } })) as { body: { text: { content: string } }; truncated: boolean };
    expect(truncated).toBe(true);
    expect(utf8Bytes(body.text.content)).toBeLessThanOrEqual(2048);
    expect(body.text.content.slice(-60)).toMatch(/[告警]…\nPipeline: https:\/\/ci\.example\.com\/runs\/1$/);
  });
});

describe('bots in keyword mode', () => {
  it('carry the keyword first in the heading, unless the heading has it already', () => {
    expect(withKeyword(message(), '发布').title).toBe('[发布] Deploy finished');
    expect(withKeyword(message({ title: '发布完成' }), '发布').title).toBe('发布完成');
    expect(withKeyword(message({ title: undefined, level: 'error' }), 'alert').title).toBe('[alert] Error');
    expect(withKeyword(message(), undefined)).toEqual(message());
  });
});
