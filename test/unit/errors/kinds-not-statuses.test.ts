import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..', 'lib');
const sources = (folder: string) => readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts')).map((file) => join(folder, file));

/** `statusCode` as a word: an AWS SDK error's `$metadata.httpStatusCode` is the store's answer, not ours. */
const mentionsStatusCode = (file: string) => /\bstatusCode\b/.test(readFileSync(join(root, file), 'utf8'));

describe('errors carry a kind, not an HTTP status', () => {
  it('lib/errors.ts and the services, domain, providers and store never mention statusCode: the HTTP layer alone maps kinds to statuses', () => {
    const offenders = ['errors.ts', ...['services', 'domain', 'providers', 'store'].flatMap(sources)].filter(mentionsStatusCode);
    expect(offenders).toEqual([]);
  });
});
