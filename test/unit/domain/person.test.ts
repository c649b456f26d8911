import { describe, expect, it } from 'vitest';
import { normalizeMobile, personSchema } from '../../../lib/domain/person.ts';

describe('normalizeMobile', () => {
  it.each([
    ['13800000000', '13800000000'],
    ['+86 138-0000-0000', '13800000000'],
    ['+8613800000000', '13800000000'],
    ['0086 138 0000 0000', '13800000000'],
    ['(+86) 138.0000.0000', '13800000000'],
    ['+852 9123 4567', '+85291234567'],
    ['+1 (415) 555-0100', '+14155550100'],
    ['00852 9123 4567', '+85291234567'],
  ])('writes %s as the platforms store it: %s', (written, stored) => {
    expect(normalizeMobile(written)).toBe(stored);
  });

  it.each(['9123 4567', '0755-12345678', 'call me', '+', '138 0000 000a', ''])('finds no platform number in %s (a non-mainland number needs + and its country code)', (written) => {
    expect(normalizeMobile(written)).toBeUndefined();
  });
});

describe('personSchema', () => {
  it('keeps a mobile normalised, so every platform lookup and every comparison sees one form', () => {
    expect(personSchema.parse({ mobile: '+86 138-0000-0001' })).toEqual({ mobile: '13800000001' });
  });

  it('says what to write for a mobile it cannot read, not only that a person is one of three shapes', () => {
    const result = personSchema.safeParse({ mobile: '9123 4567' });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.message).toMatch(/11 digits for mainland China.*\+ and the country code/);
  });
});
