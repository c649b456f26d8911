import { BadRequestError } from '../errors.ts';

/**
 * Opaque page cursors: the DynamoDB `LastEvaluatedKey` of a GSI1 listing, base64url-encoded.
 * Decoding checks the shape and the listing it belongs to, so a cursor that was edited or taken
 * from another listing is a 400, not a DynamoDB error.
 */
export type KeyAttributes = Record<string, string>;

const keyNames = ['pk', 'sk', 'gsi1pk', 'gsi1sk'];

export const encodeCursor = (key: KeyAttributes | undefined) =>
  key ? Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') : undefined;

export function decodeCursor(cursor: string | undefined, listing: string): KeyAttributes | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () => new BadRequestError('cursor is invalid: pass the nextCursor of the previous page unchanged', { code: 'invalid_cursor' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid();
  const entries = Object.entries(parsed);
  const wellFormed =
    entries.length === keyNames.length &&
    entries.every(([name, value]) => keyNames.includes(name) && typeof value === 'string' && value.length > 0 && value.length < 1024);
  if (!wellFormed || (parsed as KeyAttributes).gsi1pk !== listing) throw invalid();
  return parsed as KeyAttributes;
}
