import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApprovalStart } from '../../lib/cli/args.ts';
import { actionArgv, actionInputs, inputVariable } from '../../lib/cli/github-action.ts';
import { PlatformSimulator } from '../../lib/sandbox/platform-simulator.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

/**
 * The GitHub Action (action.yml): every input is a real `imhub approval start` flag, and the
 * composite's own command lines, run as the runner runs them, wait for a decision and write the
 * step's outputs.
 */
const root = join(import.meta.dirname, '..', '..');
// No YAML parser of our own: aws-cdk-lib (a dev dependency) bundles `yaml`.
const yaml = createRequire(createRequire(import.meta.url).resolve('aws-cdk-lib/package.json'))('yaml') as { parse(text: string): unknown };

interface ActionFile {
  runs: { using: string; steps: { id?: string; shell: string; run: string; env?: Record<string, string> }[] };
  inputs: Record<string, { required: boolean; default?: string }>;
  outputs: Record<string, { value: string }>;
}
const action = yaml.parse(readFileSync(join(root, 'action.yml'), 'utf8')) as ActionFile;
const step = action.runs.steps.find((candidate) => candidate.id === 'approval')!;

describe('action.yml', () => {
  it('is a composite action whose inputs are exactly the flags it maps, each handed to the step under its own variable', () => {
    expect(action.runs.using).toBe('composite');
    const flagInputs = Object.keys(action.inputs).filter((name) => name !== 'url' && name !== 'token');
    expect(flagInputs.sort()).toEqual(Object.keys(actionInputs).sort());
    for (const name of flagInputs) expect(step.env?.[inputVariable(name)], name).toBe(`\${{ inputs.${name} }}`);
    // url and token become the CLI's own variables: never a command-line argument that ps would show
    expect(step.env).toMatchObject({ IMHUB_URL: '${{ inputs.url }}', IMHUB_TOKEN: '${{ inputs.token }}' });
    expect(Object.keys(action.outputs).sort()).toEqual(['approval', 'approval-id', 'comment', 'decided-by', 'status']);
    for (const [name, output] of Object.entries(action.outputs)) expect(output.value).toBe(`\${{ steps.approval.outputs.${name} }}`);
  });

  it('turns every input into a flag that `imhub approval start` takes, with the value it means', () => {
    // Act: every input set at once, multi-stage approvers included
    const argv = actionArgv({
      integration: 'release approvals',
      title: 'Deploy v2',
      content: 'Changes: …',
      requester: 'dev@example.com',
      mode: 'all',
      approvers: 'lead@example.com, sre@example.com\n--stage\n--mode any\n13800000001',
      timeout: '2h',
      via: 'card',
      'card-chats': 'oc_1\noc_2',
      'idempotency-key': 'deploy-42',
      'allow-self-approval': 'true',
      'keep-on-exit': 'true',
      'remind-every': '1h',
      'remind-times': '2',
      'escalate-after': '3h',
      'escalate-to': 'boss@example.com',
    });
    // Assess: the CLI's own parser accepts them all and reads them as meant
    expect(argv.slice(0, 2)).toEqual(['approval', 'start']);
    expect(parseApprovalStart(argv.slice(2))).toEqual({
      integration: 'release approvals',
      title: 'Deploy v2',
      content: 'Changes: …',
      requester: { email: 'dev@example.com' },
      stages: [
        { mode: 'all', approvers: [{ email: 'lead@example.com' }, { email: 'sre@example.com' }] },
        { mode: 'any', approvers: [{ mobile: '13800000001' }] },
      ],
      timeoutSeconds: 7200,
      wait: true,
      json: true,
      quiet: false,
      idempotencyKey: 'deploy-42',
      allowSelfApproval: true,
      keepOnExit: true,
      remind: { everySeconds: 3600, times: 2 },
      escalate: { afterSeconds: 10800, approvers: [{ email: 'boss@example.com' }] },
      via: 'card',
      cardChats: ['oc_1', 'oc_2'],
    });
    expect(parseApprovalStart(actionArgv({ integration: 'i', title: 't', requester: 'r', approvers: 'a', 'content-file': 'notes.md' }).slice(2))).toMatchObject({ contentFile: 'notes.md' });
  });

  it('leaves out empty inputs and booleans set to false, and refuses a boolean that is neither true nor false', () => {
    expect(actionArgv({ integration: 'i', title: 't', requester: 'r', approvers: 'a', content: '', 'keep-on-exit': 'false' })).toEqual(['approval', 'start', '--integration', 'i', '--title', 't', '--requester', 'r', '--approver', 'a', '--wait', '--json']);
    expect(() => actionArgv({ 'keep-on-exit': 'yes' })).toThrow('input keep-on-exit must be true or false, not "yes"');
  });
});

describe('the composite steps, run as the runner runs them', () => {
  let api: TestApi;
  let sim: PlatformSimulator;
  const aesKey = 'a'.repeat(43);
  const scratch = mkdtempSync(join(tmpdir(), 'imhub-action-'));

  beforeAll(async () => {
    sim = await new PlatformSimulator().start();
    api = await startTestApi();
    sim.afterCallback = () => api.runtime.idle();
    sim.addApp('wecom', 'wwactioncorp01', 'action-wecom-secret-0001');
    for (const [name, index] of [['dev', 1], ['lead', 2]] as const) {
      sim.users.push({ name, email: `${name}@example.com`, mobile: `1380000000${index}`, ids: { feishu: `ou_${name}`, dingtalk: `d_${name}`, wecom: name } });
    }
    const created = await api.call('POST', '/v1/integrations', {
      body: { provider: 'wecom', name: 'action wecom', apiBaseUrl: sim.url, credentials: { corpId: 'wwactioncorp01', agentId: '1000002', secret: 'action-wecom-secret-0001', token: 't', encodingAesKey: aesKey } },
    });
    sim.approvals.subscribe('wecom', 'wwactioncorp01', { url: created.body.callbackUrl, token: 't', aesKey, receiverId: 'wwactioncorp01', agentId: '1000002' });
  });
  afterAll(async () => {
    await api?.stop();
    await sim?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** `${{ inputs.x }}` as the runner evaluates it: the input, else its default, else empty. */
  function evaluate(value: string, inputs: Record<string, string>): string {
    return value.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_whole, expression: string) => {
      const name = /^inputs\.([\w-]+)$/.exec(expression)?.[1];
      if (!name) throw new Error(`action.yml uses an expression this test does not evaluate: ${expression}`);
      return inputs[name] ?? action.inputs[name]?.default ?? '';
    });
  }

  /** Every step's `run` in order, each in bash with the step's env, as a composite action runs. */
  async function runAction(inputs: Record<string, string>, outputFile: string) {
    let last = { code: null as number | null, stdout: '', stderr: '' };
    for (const each of action.runs.steps) {
      expect(each.shell).toBe('bash');
      const env = Object.fromEntries(Object.entries(each.env ?? {}).map(([name, value]) => [name, evaluate(value, inputs)]));
      const child = spawn('bash', ['-e', '-c', each.run], {
        cwd: scratch,
        env: { ...process.env, ...env, GITHUB_ACTION_PATH: root, GITHUB_OUTPUT: outputFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      last = await new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
      if (last.code !== 0) break;
    }
    return last;
  }

  /** GITHUB_OUTPUT's `name<<delimiter` blocks, read back as the runner reads them. */
  function readOutputs(file: string): Record<string, string> {
    const outputs: Record<string, string> = {};
    const lines = readFileSync(file, 'utf8').split('\n');
    for (let index = 0; index < lines.length; index += 1) {
      const head = /^([\w-]+)<<(.+)$/.exec(lines[index]!);
      if (!head) continue;
      const end = lines.indexOf(head[2]!, index + 1);
      outputs[head[1]!] = lines.slice(index + 1, end).join('\n');
      index = end;
    }
    return outputs;
  }

  async function instanceOf(title: string): Promise<string> {
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const list = await api.call('GET', '/v1/approvals?limit=100');
      const instance = list.body.items.find((item: { title: string }) => item.title === title)?.platformInstanceId;
      if (instance) return instance;
      await sleep(50);
    }
    throw new Error(`no instance for ${title}`);
  }

  it.each([
    ['approve', 0, 'approved'],
    ['reject', 1, 'rejected'],
  ] as const)('on %s exits %i and outputs the status, the approval id, who decided and their comment', async (decision, code, status) => {
    // Prepare
    const title = `Action ${decision} ${Date.now()}`;
    const outputFile = join(scratch, `output-${decision}`);
    const inputs = { url: api.runtime.url, token: api.adminToken, integration: 'action wecom', title, requester: 'dev@example.com', approvers: 'lead@example.com' };
    // Act
    const running = runAction(inputs, outputFile);
    await sim.approvals.act(await instanceOf(title), 'lead', decision, `${decision}: line one\nline two`);
    const result = await running;
    // Assess
    expect(result.code, result.stderr).toBe(code);
    const outputs = readOutputs(outputFile);
    expect(outputs).toMatchObject({ status, 'decided-by': 'lead@example.com', comment: `${decision}: line one\nline two` });
    expect(outputs['approval-id']).toMatch(/^apr_\w+$/);
    expect(JSON.parse(outputs.approval!)).toMatchObject({ id: outputs['approval-id'], status, title });
    expect(result.stdout).toContain(`approval ${outputs['approval-id']} ${status} by lead@example.com`);
    // The token is handed over by environment, and neither printed nor in the outputs
    expect(result.stdout + result.stderr + readFileSync(outputFile, 'utf8')).not.toContain(api.adminToken);
  }, 60_000);

  it('exits 64 naming the input when a boolean input is not true or false, starting nothing', async () => {
    const before = (await api.call('GET', '/v1/approvals?limit=100')).body.items.length;
    const result = await runAction({ url: api.runtime.url, token: api.adminToken, integration: 'action wecom', title: 'never', requester: 'dev@example.com', approvers: 'lead@example.com', 'keep-on-exit': 'yes' }, join(scratch, 'output-bad'));
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('input keep-on-exit must be true or false');
    expect((await api.call('GET', '/v1/approvals?limit=100')).body.items.length).toBe(before);
  }, 60_000);
});
