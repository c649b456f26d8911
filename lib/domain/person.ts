import * as z from 'zod';

/** A person is named by exactly one of userId, email or mobile. */
export const personSchema = z.union(
  [
    z.strictObject({ userId: z.string().trim().min(1).max(128) }),
    z.strictObject({ email: z.email({ error: 'email must be an email address' }) }),
    z.strictObject({ mobile: z.string().regex(/^\+?[0-9][0-9 -]{4,31}$/, 'mobile must be a phone number such as +8613800000000') }),
  ],
  { error: 'a person is exactly one of {"userId"}, {"email"} or {"mobile"}' },
);
export type PersonInput = z.output<typeof personSchema>;

