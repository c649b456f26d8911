import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../lib/domain/api-key.ts';

// Issue 18, item 8: an API_TOKEN of the shape of a generated key (imh_<16>_<43>) is looked up as a
// key and never matches, so the admin would be locked out. `npm start` refuses it and says why.

const root = join(import.meta.dirname, '..', '..');
const children = new Set<ReturnType<typeof spawn>>();
afterEach(() => {
  for (const child of children) if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
  children.clear();
});

/** Runs `npm start`'s program until it exits or says it serves; returns which, and what it wrote. */
function runLocalServer(env: Record<string, string>): Promise<{ exitCode: number | null; serving: boolean; output: string }> {
  const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'lib/local/main.ts')], {
    cwd: root,
    env: { ...process.env, PORT: '0', IMHUB_IN_MEMORY: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  return new Promise((resolve) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (/serving on http/.test(output)) resolve({ exitCode: null, serving: true, output });
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.once('exit', (code) => resolve({ exitCode: code, serving: false, output }));
  });
}

describe('npm start with an API_TOKEN shaped like a generated key', () => {
  it('refuses to start, exits non-zero and says to pick another value', async () => {
    const { key } = generateApiKey();

    const result = await runLocalServer({ API_TOKEN: key });

    expect(result.serving, result.output).toBe(false);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain('API_TOKEN');
    expect(result.output).toMatch(/pick another value/);
    // The refused value is a credential: it is not echoed.
    expect(result.output).not.toContain(key);
  }, 60_000);
});
