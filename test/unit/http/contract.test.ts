import { describe, expect, it } from 'vitest';
import { matchPath } from '../../../lib/http/contract.ts';
import { decodeCursor, encodeCursor } from '../../../lib/store/cursor.ts';

describe('matchPath', () => {
  it('matches templates and decodes parameters', () => {
    expect(matchPath('/v1/integrations/{id}', '/v1/integrations/int%5Fa')).toEqual({ id: 'int_a' });
    expect(matchPath('/v1/integrations/{id}', '/v1/integrations/a/b')).toBeUndefined();
    expect(matchPath('/v1/integrations', '/v1/integrations/')).toBeUndefined();
    expect(matchPath('/v1/integrations/{id}', '/v1/integrations/%E0%A4%A')).toBeUndefined();
  });
});

describe('page cursors', () => {
  const key = { pk: 'INT#a', sk: 'INT', gsi1pk: 'INTEGRATION', gsi1sk: '2026#a' };

  it('round-trip', () => {
    expect(decodeCursor(encodeCursor(key), 'INTEGRATION')).toEqual(key);
  });

  it.each([
    ['not base64 json', '%%%'],
    ['another listing', encodeCursor({ ...key, gsi1pk: 'APIKEY' })!],
    ['extra keys', encodeCursor({ ...key, x: 'y' })!],
    ['a JSON array', Buffer.from('[1]').toString('base64url')],
  ])('refuse %s as a bad request', (_, cursor) => {
    expect(() => decodeCursor(cursor, 'INTEGRATION')).toThrow(expect.objectContaining({ kind: 'bad_request' }));
  });
});
