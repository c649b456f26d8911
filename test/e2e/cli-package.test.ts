import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The CLI without the repository (`npm install -g <the packed tarball>`, or npx from git): what
 * `npm pack` puts in the package (package.json `files`) is all the CLI and the Action's step need.
 * The files are laid out alone, beside the installed dependencies, and run.
 */
const root = join(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'imhub-pack-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const packed = (JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' })) as { files: { path: string }[] }[])[0]!.files.map((file) => file.path);

function runPacked(script: string, args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [join(scratch, 'bin', script), ...args], { cwd: scratch, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
}

describe('the packed CLI', () => {
  it('holds the CLI and its launchers, and nothing of the service, the infrastructure or the tests', () => {
    expect(packed).toEqual(expect.arrayContaining(['package.json', 'LICENSE', 'README.md', 'bin/imhub.mjs', 'bin/imhub-action.mjs', 'lib/cli/main.ts', 'lib/cli/args.ts']));
    expect(packed.filter((path) => !/^(bin\/|lib\/cli\/|package\.json$|LICENSE$|README(\.[\w-]+)?\.md$)/.test(path))).toEqual([]);
  });

  it('runs from those files alone: the usage, and an unreachable imhub exits 69 (a verify, which the CLI does not repeat)', () => {
    // Prepare: only the packed files, and the dependencies an install would bring
    for (const path of packed) {
      mkdirSync(dirname(join(scratch, path)), { recursive: true });
      cpSync(join(root, path), join(scratch, path));
    }
    symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'), 'dir');
    // Act
    const help = runPacked('imhub.mjs', ['--help'], {});
    const unreachable = runPacked('imhub.mjs', ['integrations', 'verify', 'int_x'], { IMHUB_URL: 'http://127.0.0.1:9', IMHUB_TOKEN: 't' });
    const action = runPacked('imhub-action.mjs', [], { IMHUB_INPUT_KEEP_ON_EXIT: 'maybe' });
    // Assess
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('imhub approval start --integration');
    expect(unreachable.status, unreachable.stderr).toBe(69);
    expect(unreachable.stderr).toContain('cannot reach imhub at http://127.0.0.1:9');
    expect(action.status, action.stderr).toBe(64);
    expect(action.stderr).toContain('input keep-on-exit must be true or false');
  });
});
