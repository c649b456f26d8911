import { parseArgs } from 'node:util';
import type { PersonInput } from '../domain/person.ts';

/** A mistake in the command line: printed as one line with the usage, exit code 3. */
export class UsageError extends Error {}

/** `a@b.co` is an email, `+86 138…`/digits a mobile, anything else a userId; `email:`/`mobile:`/`userId:` force one. */
export function parsePerson(value: string): PersonInput {
  const forced = /^(email|mobile|userId):(.+)$/.exec(value);
  if (forced) return { [forced[1]!]: forced[2]! } as PersonInput;
  if (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) return { email: value };
  if (/^\+?[0-9][0-9 -]{4,31}$/.test(value)) return { mobile: value };
  return { userId: value };
}

export interface ApprovalStartOptions {
  integration: string;
  title: string;
  content?: string;
  contentFile?: string;
  requester: PersonInput;
  stages: { mode: 'any' | 'all'; approvers: PersonInput[] }[];
  timeoutSeconds?: number;
  wait: boolean;
  json: boolean;
  quiet: boolean;
  idempotencyKey?: string;
  allowSelfApproval: boolean;
  keepOnExit: boolean;
  remind?: { everySeconds: number; times: number };
  escalate?: { afterSeconds: number; approvers: PersonInput[] };
  /** Where approvers decide: the platform's approval app (default) or cards in the chat. */
  via?: 'app' | 'card';
  /** Chats that get the card too (`--via card`). */
  cardChats?: string[];
  /** What imhub writes on the platform is in this language (the integration's by default). */
  locale?: 'zh-CN' | 'en-US';
  /** The IANA zone of the times it writes there (the integration's by default). */
  timeZone?: string;
}

/** Seconds from `90`, `30m`, `2h` or `1d`; undefined for anything else. */
function seconds(value: string): number | undefined {
  const match = /^(\d+)(s|m|h|d)?$/.exec(value);
  return match ? Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'] : undefined;
}

/**
 * `approval start` flags. Stages come from the order of the flags: `--approver` adds to the
 * current stage, `--stage` begins a new one, `--mode any|all` sets the current stage's mode.
 */
export function parseApprovalStart(argv: string[]): ApprovalStartOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      tokens: true,
      allowPositionals: false,
      options: {
        integration: { type: 'string' },
        title: { type: 'string' },
        content: { type: 'string' },
        'content-file': { type: 'string' },
        requester: { type: 'string' },
        approver: { type: 'string', multiple: true },
        stage: { type: 'boolean', multiple: true },
        mode: { type: 'string', multiple: true },
        timeout: { type: 'string' },
        wait: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        'idempotency-key': { type: 'string' },
        'allow-self-approval': { type: 'boolean', default: false },
        'keep-on-exit': { type: 'boolean', default: false },
        'remind-every': { type: 'string' },
        'remind-times': { type: 'string' },
        'escalate-after': { type: 'string' },
        'escalate-to': { type: 'string', multiple: true },
        via: { type: 'string' },
        'card-chat': { type: 'string', multiple: true },
        locale: { type: 'string' },
        'time-zone': { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const stages: { mode: 'any' | 'all'; approvers: PersonInput[] }[] = [{ mode: 'any', approvers: [] }];
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const current = stages[stages.length - 1]!;
    if (token.name === 'stage' && current.approvers.length > 0) stages.push({ mode: 'any', approvers: [] });
    if (token.name === 'approver') current.approvers.push(parsePerson(String(token.value)));
    if (token.name === 'mode') {
      if (token.value !== 'any' && token.value !== 'all') throw new UsageError(`--mode must be any or all, not "${token.value}"`);
      current.mode = token.value;
    }
  }
  const { values } = parsed;
  if (!values.integration) throw new UsageError('--integration <id or name> is required');
  if (!values.title) throw new UsageError('--title is required');
  if (!values.requester) throw new UsageError('--requester <email, mobile or userId> is required (the platform needs an originator)');
  const filled = stages.filter((stage) => stage.approvers.length > 0);
  if (filled.length === 0) throw new UsageError('give at least one --approver');
  let timeoutSeconds: number | undefined;
  if (values.timeout !== undefined) {
    timeoutSeconds = seconds(values.timeout);
    if (timeoutSeconds === undefined) throw new UsageError('--timeout takes seconds or a duration such as 30m, 2h, 1d');
  }
  let remind: ApprovalStartOptions['remind'];
  if (values['remind-every'] !== undefined || values['remind-times'] !== undefined) {
    const everySeconds = values['remind-every'] === undefined ? undefined : seconds(values['remind-every']);
    if (everySeconds === undefined) throw new UsageError('--remind-every takes a duration such as 30m or 1h (with --remind-times, default 3)');
    const times = Number(values['remind-times'] ?? 3);
    if (!Number.isInteger(times) || times < 1) throw new UsageError('--remind-times takes a whole number of reminders, such as 3');
    remind = { everySeconds, times };
  }
  let escalate: ApprovalStartOptions['escalate'];
  if (values['escalate-after'] !== undefined || values['escalate-to'] !== undefined) {
    const afterSeconds = values['escalate-after'] === undefined ? undefined : seconds(values['escalate-after']);
    if (afterSeconds === undefined || !values['escalate-to']?.length) throw new UsageError('--escalate-after <duration> and --escalate-to <person> go together, such as --escalate-after 2h --escalate-to lead@example.com');
    escalate = { afterSeconds, approvers: values['escalate-to'].map(parsePerson) };
  }
  if (values.via !== undefined && values.via !== 'app' && values.via !== 'card') throw new UsageError(`--via must be app or card, not "${values.via}"`);
  if (values.locale !== undefined && values.locale !== 'zh-CN' && values.locale !== 'en-US') throw new UsageError(`--locale must be zh-CN or en-US, not "${values.locale}"`);
  if (values['card-chat']?.length && values.via !== 'card') throw new UsageError('--card-chat goes with --via card (the card is posted to those chats too)');
  return {
    integration: values.integration,
    title: values.title,
    ...(values.content !== undefined ? { content: values.content } : {}),
    ...(values['content-file'] !== undefined ? { contentFile: values['content-file'] } : {}),
    requester: parsePerson(values.requester),
    stages: filled,
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    wait: values.wait ?? false,
    json: values.json ?? false,
    quiet: values.quiet ?? false,
    ...(values['idempotency-key'] ? { idempotencyKey: values['idempotency-key'] } : {}),
    allowSelfApproval: values['allow-self-approval'] ?? false,
    keepOnExit: values['keep-on-exit'] ?? false,
    ...(remind ? { remind } : {}),
    ...(escalate ? { escalate } : {}),
    ...(values.via ? { via: values.via } : {}),
    ...(values['card-chat']?.length ? { cardChats: values['card-chat'] } : {}),
    ...(values.locale ? { locale: values.locale } : {}),
    ...(values['time-zone'] ? { timeZone: values['time-zone'] } : {}),
  };
}
