import type * as z from 'zod';
import { type ErrorDetail, ValidationError } from '../errors.ts';

/** zod issues as `{path, message}` pairs a person can act on; `prefix` places them inside a larger body. */
export function zodIssuesToDetails(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): ErrorDetail[] {
  return issues.map((issue) => {
    const path = [...prefix, ...issue.path].map(String).join('.');
    const message =
      issue.code === 'unrecognized_keys' && !issue.message.includes('cannot be changed')
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}: remove ${issue.keys.length > 1 ? 'them' : 'it'}`
        : issue.message;
    return { path, message };
  });
}

/** Parses `input` or throws a 400 listing every field and what is wrong with it. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalidInput(where, zodIssuesToDetails(result.error.issues));
}

/** A 400 whose message names the first few problems and whose details list them all. */
export function invalidInput(where: string, details: ErrorDetail[]): ValidationError {
  const summary = details
    .slice(0, 5)
    .map((detail) => (detail.path ? `${detail.path}: ${detail.message}` : detail.message))
    .join('; ');
  return new ValidationError(`${where} is invalid: ${summary}${details.length > 5 ? `; and ${details.length - 5} more` : ''}`, details);
}
