import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killLeftoverServers, sandbox, type ServerProcess, startServerProcess } from '../support/server-process.ts';

/**
 * The README's two-minute path, as a pipeline author takes it: `npm run sandbox`'s program, then
 * `imhub approval start --wait` against it, decided on the sandbox's approver page (its form,
 * posted as the browser posts it; the browser test clicks it for real).
 */
const root = join(import.meta.dirname, '..', '..');
const token = 'sandbox-cli-token';
let server: ServerProcess;
let pageUrl: string;

beforeAll(async () => {
  server = await startServerProcess({ API_TOKEN: token, LOG_LEVEL: 'warn' }, sandbox);
  pageUrl = /approver page (http:\/\/\S+\/sandbox)/.exec(server.output())![1]!;
}, 90_000);
afterAll(killLeftoverServers);

function imhub(args: string[]) {
  const child = spawn(process.execPath, [join(root, 'bin', 'imhub.mjs'), ...args], {
    env: { ...process.env, IMHUB_URL: server.url, IMHUB_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Waits for the approval's task on the page, then submits the page's form for it. */
async function decideOnPage(title: string, decision: 'approve' | 'reject') {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const page = await (await fetch(pageUrl)).text();
    const task = page.split('<article').find((part) => part.includes(title));
    const instance = task && /name="instance" value="([^"]+)"/.exec(task)?.[1];
    if (instance) {
      const answer = await fetch(`${pageUrl}/act`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ instance, user: 'ou_alice', comment: 'from the page', decision }),
        redirect: 'manual',
      });
      expect(answer.headers.get('location')).toBe('/sandbox');
      return;
    }
    await sleep(100);
  }
  throw new Error(`no task "${title}" appeared on the page`);
}

describe('imhub approval start --wait against the sandbox', () => {
  it.each([
    ['approve', 0],
    ['reject', 1],
  ] as const)('exits %s → %i when the approver decides on the page', async (decision, code) => {
    const title = `Deploy ${decision} ${Date.now()}`;
    const waiting = imhub(['approval', 'start', '--integration', 'feishu app', '--title', title, '--requester', 'requester@example.com', '--approver', 'alice@example.com', '--wait']);
    await decideOnPage(title, decision);
    const result = await waiting;
    expect(result.code, result.stderr).toBe(code);
    if (decision === 'reject') expect(result.stderr).toMatch(/^approval apr_\w+ rejected by alice@example\.com/m);
    else expect(result.stdout).toMatch(/^approval apr_\w+ approved by alice@example\.com/);
  });
});
