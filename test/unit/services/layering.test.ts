import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..', 'lib');
const sources = (folder: string) => readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts')).map((file) => join(folder, file));

describe('layering', () => {
  it('no service, domain, provider or store module imports from lib/http: the HTTP layer alone turns errors into responses', () => {
    const offenders = ['services', 'domain', 'providers', 'store'].flatMap(sources).filter((file) => /from ['"](\.\.\/)+http\//.test(readFileSync(join(root, file), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
