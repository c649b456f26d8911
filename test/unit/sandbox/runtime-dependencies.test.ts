import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm ci --omit=dev && npm run sandbox` must start: every package the sandbox's program imports
 * at run time (anywhere in its import graph, dynamic imports included) is in `dependencies`, and so
 * is the runner of the npm script. Walked with esbuild's metafile, without network.
 */
const root = join(import.meta.dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; scripts: Record<string, string> };
const scratch = mkdtempSync(join(tmpdir(), 'imhub-deps-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The packages (not Node's own modules) that `entry`'s import graph imports. */
async function packagesImportedBy(entry: string): Promise<string[]> {
  const result = await build({ entryPoints: [entry], bundle: true, write: false, platform: 'node', format: 'esm', packages: 'external', metafile: true, logLevel: 'silent', absWorkingDir: root });
  const builtins = new Set(builtinModules);
  const packages = new Set<string>();
  for (const input of Object.values(result.metafile.inputs)) {
    for (const imported of input.imports) {
      if (!imported.external || imported.path.startsWith('node:') || builtins.has(imported.path.split('/')[0]!)) continue;
      const parts = imported.path.split('/');
      packages.add(imported.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
    }
  }
  return [...packages].sort();
}

describe('what the sandbox needs at run time', () => {
  it('every package in the import graph of scripts/sandbox.ts is a dependency, not a devDependency', async () => {
    const packages = await packagesImportedBy('scripts/sandbox.ts');
    // The graph reaches the simulator's WeCom crypto and the local runtime's packages.
    expect(packages).toEqual(expect.arrayContaining(['@wecom/crypto', 'zod']));
    expect(packages.filter((name) => !(name in manifest.dependencies))).toEqual([]);
  });

  it('the npm script’s runner is a dependency too', () => {
    const runner = /(?:^|\s)(tsx|node)\s+scripts\/sandbox\.ts/.exec(manifest.scripts.sandbox!)?.[1];
    expect(runner).toBeDefined();
    if (runner !== 'node') expect(manifest.dependencies).toHaveProperty(runner!);
  });

  it('finds a devDependency imported deep in a graph (the check can fail)', async () => {
    writeFileSync(join(scratch, 'leaf.ts'), "export const load = () => import('vitest');\n");
    writeFileSync(join(scratch, 'entry.ts'), "import { createHash } from 'node:crypto';\nimport { load } from './leaf.ts';\nexport { createHash, load };\n");
    const packages = await packagesImportedBy(join(scratch, 'entry.ts'));
    expect(packages).toEqual(['vitest']);
    expect(packages.filter((name) => !(name in manifest.dependencies))).toEqual(['vitest']);
  });
});
