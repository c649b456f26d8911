import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm run sandbox` listens on fixed ports (SANDBOX_PORT, default 3100, for the approver page;
 * PORT, default 3000, for the API). A port already taken ends it at once with a message that says
 * which port, what it was for, and what to do, not a stack trace.
 */
const root = join(import.meta.dirname, '..', '..');
const servers: Server[] = [];
afterAll(() => servers.forEach((server) => server.close()));

/** A port some other program holds. */
async function takenPort(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', () => ready()));
  return (server.address() as { port: number }).port;
}

function runSandbox(env: Record<string, string>) {
  const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'sandbox.ts')], { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise<{ code: number | null; output: string }>((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe('npm run sandbox on a port already in use', () => {
  it.each([
    ['SANDBOX_PORT', 'PORT'],
    ['PORT', 'SANDBOX_PORT'],
  ])('%s taken: exits 1 naming the port and the setting to change', async (taken, other) => {
    const port = await takenPort();
    const result = await runSandbox({ [taken]: String(port), [other]: '0' });
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain(`imhub sandbox: port ${port} (${taken}, `);
    expect(result.output).toContain('is already in use');
    expect(result.output).not.toMatch(/\n\s+at /);
    // The API's port is found taken only after the runtime has loaded: a while on a busy machine.
  }, 120_000);

  it('refuses a port that is not one', async () => {
    const result = await runSandbox({ SANDBOX_PORT: '70000', PORT: '0' });
    expect(result.code).toBe(2);
    expect(result.output).toContain('SANDBOX_PORT must be a whole number from 0 to 65535, not "70000"');
  }, 60_000);
});
