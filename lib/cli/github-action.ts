import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { type Decision, deciderOf, exit, outcomeLine, run, who } from './main.ts';

/**
 * The GitHub Action (`action.yml` at the repository root): its inputs become `imhub approval start
 * --wait --json` flags, and the approval it waited for becomes the step's outputs. The composite
 * step hands each input over as `IMHUB_INPUT_<NAME>` (upper case, `-` as `_`); `url` and `token`
 * arrive as the CLI's own `IMHUB_URL` and `IMHUB_TOKEN`, never on a command line.
 */
export const actionInputs: Record<string, { flag: string; kind: 'text' | 'list' | 'boolean' }> = {
  integration: { flag: '--integration', kind: 'text' },
  title: { flag: '--title', kind: 'text' },
  content: { flag: '--content', kind: 'text' },
  'content-file': { flag: '--content-file', kind: 'text' },
  requester: { flag: '--requester', kind: 'text' },
  // The first stage's mode: it stands before the approvers.
  mode: { flag: '--mode', kind: 'text' },
  // One person a line (or comma-separated); a line `--stage` begins the next stage, `--mode all` sets its mode.
  approvers: { flag: '--approver', kind: 'list' },
  timeout: { flag: '--timeout', kind: 'text' },
  via: { flag: '--via', kind: 'text' },
  'card-chats': { flag: '--card-chat', kind: 'list' },
  locale: { flag: '--locale', kind: 'text' },
  'time-zone': { flag: '--time-zone', kind: 'text' },
  'idempotency-key': { flag: '--idempotency-key', kind: 'text' },
  'allow-self-approval': { flag: '--allow-self-approval', kind: 'boolean' },
  'keep-on-exit': { flag: '--keep-on-exit', kind: 'boolean' },
  'remind-every': { flag: '--remind-every', kind: 'text' },
  'remind-times': { flag: '--remind-times', kind: 'text' },
  'escalate-after': { flag: '--escalate-after', kind: 'text' },
  'escalate-to': { flag: '--escalate-to', kind: 'list' },
};

/** The environment variable the composite step sets for an input. */
export const inputVariable = (name: string) => `IMHUB_INPUT_${name.toUpperCase().replaceAll('-', '_')}`;

/** A usage mistake in the inputs, reported as the CLI reports its own (exit 64). */
class InputError extends Error {}

const items = (value: string) =>
  value
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter(Boolean);

/** The `imhub` command line for the inputs: `approval start <flags> --wait --json`. */
export function actionArgv(inputs: Record<string, string | undefined>): string[] {
  const argv = ['approval', 'start'];
  for (const [name, { flag, kind }] of Object.entries(actionInputs)) {
    const value = inputs[name]?.trim();
    if (!value) continue;
    if (kind === 'text') argv.push(flag, value);
    else if (kind === 'boolean') {
      if (value !== 'true' && value !== 'false') throw new InputError(`input ${name} must be true or false, not "${value}"`);
      if (value === 'true') argv.push(flag);
    } else {
      for (const item of items(value)) {
        if (name === 'approvers' && /^--(stage|mode)\b/.test(item)) argv.push(...item.split(/\s+/));
        else argv.push(flag, item);
      }
    }
  }
  return [...argv, '--wait', '--json'];
}

/** The step's outputs, in GITHUB_OUTPUT's multi-line form (`name<<delimiter`), so no value can forge another. */
export function actionOutputs(approval: { id: string; status: string; decisions: Decision[]; endReason?: string | null }): string {
  const decider = deciderOf(approval);
  const outputs = {
    status: approval.status,
    'approval-id': approval.id,
    'decided-by': decider ? who(decider) : '',
    comment: decider?.comment ?? '',
    approval: JSON.stringify(approval),
  };
  const delimiter = `imhub_${randomUUID()}`;
  return Object.entries(outputs)
    .map(([name, value]) => `${name}<<${delimiter}\n${value}\n${delimiter}\n`)
    .join('');
}

/**
 * Runs the action: the CLI waits for the approval, the outcome goes to GITHUB_OUTPUT (when set) and
 * as one line to `out`, and the exit code is the CLI's (0 approved, 1 rejected, 2 expired or
 * canceled, …).
 */
export async function runAction(env: NodeJS.ProcessEnv, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  let argv: string[];
  try {
    argv = actionArgv(Object.fromEntries(Object.keys(actionInputs).map((name) => [name, env[inputVariable(name)]])));
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    err.write(`imhub: ${error.message}\n`);
    return exit.usage;
  }
  let printed = '';
  const capture = new Writable({
    write(chunk, _encoding, done) {
      printed += String(chunk);
      done();
    },
  });
  const code = await run(argv, env, capture, err);
  let approval;
  try {
    approval = JSON.parse(printed);
  } catch {
    // Nothing decided (a usage error, imhub unreachable, interrupted): the CLI said why on stderr.
    return code;
  }
  if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, actionOutputs(approval));
  out.write(`${outcomeLine(approval)}\n`);
  return code;
}
