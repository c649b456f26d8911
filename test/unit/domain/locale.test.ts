import { describe, expect, it } from 'vitest';
import { formatTime, integrationLocale, isTimeZone } from '../../../lib/domain/locale.ts';
import { catalog, endReasonText, textsFor } from '../../../lib/domain/texts.ts';
import { endReasons } from '../../../lib/domain/approval.ts';

describe('formatTime', () => {
  // 10:30 UTC on 1 December 2026: 18:30 in Shanghai, 19:30 in Tokyo, 11:30 in Berlin (CET), 05:30 in New York (EST).
  const instant = '2026-12-01T10:30:00.000Z';

  it('writes Chinese as a Chinese reader does, China’s own offset going without saying', () => {
    expect(formatTime(instant, { locale: 'zh-CN', timeZone: 'Asia/Shanghai' })).toBe('2026年12月1日 18:30');
  });

  it('names any other offset in Chinese', () => {
    expect(formatTime(instant, { locale: 'zh-CN', timeZone: 'Asia/Tokyo' })).toBe('2026年12月1日 19:30 (GMT+9)');
    expect(formatTime(instant, { locale: 'zh-CN', timeZone: 'UTC' })).toBe('2026年12月1日 10:30 (GMT+0)');
  });

  it('writes English as a date, a 24-hour time and the offset', () => {
    expect(formatTime(instant, { locale: 'en-US', timeZone: 'Asia/Shanghai' })).toBe('2026-12-01 18:30 (GMT+8)');
    expect(formatTime(instant, { locale: 'en-US', timeZone: 'Europe/Berlin' })).toBe('2026-12-01 11:30 (GMT+1)');
    expect(formatTime(instant, { locale: 'en-US', timeZone: 'America/New_York' })).toBe('2026-12-01 05:30 (GMT-5)');
    expect(formatTime(instant, { locale: 'en-US', timeZone: 'Asia/Kolkata' })).toBe('2026-12-01 16:00 (GMT+5:30)');
  });

  it('follows the zone’s summer time and crosses midnight into the next day', () => {
    expect(formatTime('2026-07-01T22:15:00Z', { locale: 'en-US', timeZone: 'Europe/Berlin' })).toBe('2026-07-02 00:15 (GMT+2)');
    expect(formatTime('2026-12-31T16:00:00Z', { locale: 'zh-CN', timeZone: 'Asia/Shanghai' })).toBe('2027年1月1日 00:00');
  });

  it('leaves a text that is no time as it is', () => {
    expect(formatTime('not a time', { locale: 'zh-CN', timeZone: 'Asia/Shanghai' })).toBe('not a time');
  });
});

describe('isTimeZone', () => {
  it('takes IANA names and refuses offsets, abbreviations of nothing and made-up zones', () => {
    for (const zone of ['Asia/Shanghai', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'UTC', 'Etc/GMT-8']) expect(isTimeZone(zone), zone).toBe(true);
    for (const zone of ['+08:00', 'Mars/Olympus_Mons', '', 'Asia/', '../etc/passwd']) expect(isTimeZone(zone), zone).toBe(false);
  });
});

describe('integrationLocale', () => {
  it('reads a record without them as its platform’s default: zh-CN (en-US for lark), Asia/Shanghai', () => {
    expect(integrationLocale({ provider: 'feishu' })).toEqual({ locale: 'zh-CN', timeZone: 'Asia/Shanghai' });
    expect(integrationLocale({ provider: 'dingtalk' })).toEqual({ locale: 'zh-CN', timeZone: 'Asia/Shanghai' });
    expect(integrationLocale({ provider: 'wecom' })).toEqual({ locale: 'zh-CN', timeZone: 'Asia/Shanghai' });
    expect(integrationLocale({ provider: 'lark' })).toEqual({ locale: 'en-US', timeZone: 'Asia/Shanghai' });
    expect(integrationLocale({ provider: 'lark', locale: 'zh-CN', timeZone: 'UTC' })).toEqual({ locale: 'zh-CN', timeZone: 'UTC' });
  });
});

/** Arguments to call each text with (a function's text is checked as it reads once filled in). */
const samples: Record<string, unknown[]> = {
  aside: ['X'],
  stageName: [2],
  stageOf: [1, 2, 'all'],
  decisionLine: ['approve', 'alice', 2, 'ok'],
  decisionAt: ['reject', 'alice', '18:30', 'no'],
  moreDecisions: [3],
  clickEnded: ['X'],
  startTitle: ['Deploy'],
  endTitle: ['X', 'Deploy'],
  startRequestedBy: ['alice'],
  startApprovers: [[{ mode: 'any', approvers: ['alice'] }]],
  endOutcome: ['X', 'Y'],
  reminderTitle: ['Deploy'],
  reminderText: ['18:30', 1, 2],
  escalatedTitle: ['Deploy'],
  escalatedText: ['18:30', ['alice']],
  botTest: ['ops'],
};

/** Every leaf of a catalog entry, by path: strings as they are, functions called with `samples`. */
function leaves(value: unknown, path = ''): Record<string, string> {
  if (typeof value === 'string') return { [path]: value };
  if (typeof value === 'function') {
    const args = samples[path];
    if (!args) throw new Error(`no sample arguments for ${path}: add them to samples`);
    return { [path]: String((value as (...args: unknown[]) => unknown)(...args)) };
  }
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).flatMap(([key, child]) => Object.entries(leaves(child, path ? `${path}.${key}` : key))));
}

describe('the text catalog', () => {
  const zh = leaves(catalog['zh-CN']);
  const en = leaves(catalog['en-US']);

  it('has every key in both locales, none empty', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of [...Object.entries(zh), ...Object.entries(en)]) expect(text.trim(), key).not.toBe('');
  });

  it('is Chinese in zh-CN: every text has Chinese in it (or Chinese punctuation)', () => {
    const english = Object.entries(zh).filter(([, text]) => !/[\p{Script=Han}：、（]/u.test(text));
    expect(english).toEqual([]);
  });

  it('is English in en-US: no Chinese anywhere', () => {
    expect(Object.entries(en).filter(([, text]) => /\p{Script=Han}/u.test(text))).toEqual([]);
  });

  it('says what a person on each platform reads', () => {
    const texts = textsFor('zh-CN');
    expect([texts.approve, texts.reject, texts.details, texts.stageName(1), texts.requested]).toEqual(['同意', '拒绝', '详情', '第 1 级审批', '审批请求']);
    expect([texts.status.approved, texts.status.rejected, texts.status.canceled, texts.status.expired]).toEqual(['已通过', '已拒绝', '已撤销', '已超时']);
    expect(texts.decisionLine('approve', 'alice', 2, '可以')).toBe('alice 已同意（第 2 级）：可以');
    expect(textsFor('en-US').decisionLine('reject', 'bob', undefined, undefined)).toBe('Rejected by bob');
  });

  it('has a text for every reason an approval ends with, the platform’s outcome included, and leaves a failure’s reason as it came', () => {
    for (const reason of Object.values(endReasons)) expect(endReasonText(textsFor('zh-CN'), reason)).toMatch(/\p{Script=Han}/u);
    expect(endReasonText(textsFor('zh-CN'), 'approved on the platform')).toBe('在审批应用中通过');
    expect(endReasonText(textsFor('zh-CN'), 'user_not_found: no feishu user')).toBe('user_not_found: no feishu user');
  });
});
