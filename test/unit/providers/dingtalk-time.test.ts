import { describe, expect, it } from 'vitest';
import { dingtalkTime } from '../../../lib/providers/dingtalk/dingtalk-approvals.ts';

describe('dingtalkTime', () => {
  it.each([
    ['2022-08-31T11:52Z', '2022-08-31T11:52:00.000Z'],
    ['2022-08-31T11:52:33Z', '2022-08-31T11:52:33.000Z'],
    ['2022-08-31T11:52:33.120Z', '2022-08-31T11:52:33.120Z'],
    ['2022-08-31T19:52+08:00', '2022-08-31T11:52:00.000Z'],
    ['2022-08-31T19:52:33+08:00', '2022-08-31T11:52:33.000Z'],
  ])('reads the record date %s in any ISO form', (written, iso) => {
    expect(dingtalkTime(written)).toBe(iso);
  });

  it('falls back to now for a date it cannot read, instead of failing the whole instance read', () => {
    expect(() => new Date(dingtalkTime('next tuesday')).toISOString()).not.toThrow();
  });
});
