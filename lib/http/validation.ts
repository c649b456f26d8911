import type * as z from 'zod';
import { invalidInput, zodIssuesToDetails } from '../errors.ts';

/** Parses `input` or throws a 400 listing every field and what is wrong with it. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalidInput(where, zodIssuesToDetails(result.error.issues));
}
