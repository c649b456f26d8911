import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..', 'lib');
const sources = (folder: string) => readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts')).map((file) => join(folder, file));

describe('layering', () => {
  it('no service, domain, provider, store or job module imports from lib/http: the HTTP layer alone turns errors into responses', () => {
    const offenders = ['services', 'domain', 'providers', 'store', 'jobs'].flatMap(sources).filter((file) => /from ['"](\.\.\/)+http\//.test(readFileSync(join(root, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the domain stays pure: no module of lib/domain imports a service, a store, a provider, the jobs runtime or an SDK', () => {
    const offenders = sources('domain').filter((file) => /from ['"](\.\.\/(services|store|providers|jobs|http)\/|@aws-sdk\/)/.test(readFileSync(join(root, file), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
