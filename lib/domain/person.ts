import * as z from 'zod';

/**
 * A mobile number as the platforms store it: mainland China numbers as their 11 digits (Feishu's
 * batch_get_id, DingTalk's getbymobile and WeCom's getuserid take them so), any other with `+` and
 * its country code ("非中国大陆地区的手机号需要添加以 "+" 开头的国家或地区代码"). People write
 * `+86 138-0000-0000`, `0086 13800000000` or `(+852) 9123 4567`: spaces, dashes, dots and brackets
 * go, `00` becomes `+`, and `+86` goes before a mainland number. Undefined when it is no number.
 */
export function normalizeMobile(written: string): string | undefined {
  const compact = written.trim().replace(/[\s\-.()\u00a0]/g, '').replace(/^00/, '+');
  if (!/^\+?\d{5,20}$/.test(compact)) return undefined;
  const mainland = /^(?:\+86)?(1\d{10})$/.exec(compact);
  if (mainland) return mainland[1];
  return compact.startsWith('+') ? compact : undefined;
}

/** An email as compared with what a platform echoes: case does not matter in practice. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** A mobile number as people write it, normalised once here (`normalizeMobile`). */
export const mobileSchema = (what: string) =>
  z
    .string()
    .max(40, `${what} must be a phone number such as 13800000000 or +85291234567`)
    .transform((value, context) => {
      const mobile = normalizeMobile(value);
      if (mobile === undefined) {
        context.addIssue({
          code: 'custom',
          message: `${what} must be a phone number: 11 digits for mainland China (13800000000, +86 138-0000-0000), otherwise + and the country code (+85291234567)`,
        });
        return z.NEVER;
      }
      return mobile;
    });

/** A person is named by exactly one of userId, email or mobile. */
export const personSchema = z.union(
  [
    z.strictObject({ userId: z.string().trim().min(1).max(128) }),
    z.strictObject({ email: z.email({ error: 'email must be an email address' }).max(254, 'email must be at most 254 characters') }),
    z.strictObject({ mobile: mobileSchema('mobile') }),
  ],
  {
    // An object naming one way (say, a mobile) gets that way's own message; anything else the general one.
    error: (issue) => {
      const keys = issue.input && typeof issue.input === 'object' ? Object.keys(issue.input) : [];
      const index = keys.length === 1 ? ['userId', 'email', 'mobile'].indexOf(keys[0]!) : -1;
      const own = index >= 0 && 'errors' in issue ? (issue.errors as { message: string }[][])[index]?.[0]?.message : undefined;
      return own ?? 'a person is exactly one of {"userId"}, {"email"} or {"mobile"}';
    },
  },
);
export type PersonInput = z.output<typeof personSchema>;
