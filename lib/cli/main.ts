import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseApprovalStart, UsageError } from './args.ts';

/**
 * `imhub`: the command line for pipelines. Configured by IMHUB_URL and IMHUB_TOKEN, or --url and
 * --token. Exit codes (`exit` below, listed in the usage and docs/cli.md): 0 approved (or done),
 * 1 rejected, 2 expired or canceled, 3 failed or another error, 64 usage, 65 the platform refused,
 * 69 imhub unreachable, 77 authentication, 130/143 interrupted (SIGINT/SIGTERM) during --wait.
 */
const usage = `usage:
  imhub approval start --integration <id|name> --title <text> --requester <person>
        [--content <text> | --content-file <path|->] [--stage] [--mode any|all] --approver <person>...
        [--timeout 30m] [--wait] [--json] [--quiet] [--idempotency-key <key> (default: new per run)]
        [--allow-self-approval (the requester may be an approver)]
        [--keep-on-exit (Ctrl-C or SIGTERM during --wait leaves the approval pending; default: cancel it)]
        [--remind-every 1h [--remind-times 3]] [--escalate-after 2h --escalate-to <person>...]
        [--via app|card (decide in the platform's approval app, default, or on cards in the chat)
         [--card-chat <chat id>]... (with --via card: post the card to these chats too)]
        [--locale zh-CN|en-US] [--time-zone <IANA zone, e.g. Asia/Shanghai>] (the integration's by default)
  imhub notify --integration <id|name> --text <text> [--title <t>] [--level info|success|warning|error]
        [--chat <id>]... [--user <id>]... [--email <e>]... [--mobile <m>]... [--json]
  imhub integrations list | verify <id|name>
  imhub integrations create --provider feishu|lark|dingtalk|wecom [--kind app|webhook] --name <name>
        --credentials-file <path|-> [--api-base-url <url>] [--json]
        (credentials as a JSON object, from a file or stdin: never on the command line, where ps and
        shell history would keep them)
  a <person> is an email, a mobile, or a platform user id (or email:/mobile:/userId: to say which)
  configuration: IMHUB_URL and IMHUB_TOKEN, or --url and --token before the command
exit codes: 0 approved or done, 1 rejected, 2 expired or canceled, 3 failed or another error,
  64 usage, 65 the platform refused (an unknown person, credentials it turned down), 69 imhub
  unreachable, 77 authentication (the token is wrong or lacks the scope), 130/143 interrupted`;

/** Exit codes: an approval's end, then errors by what the caller would do about them (sysexits where one fits). */
export const exit = { approved: 0, rejected: 1, expired: 2, canceled: 2, failed: 3, error: 3, usage: 64, platformRefused: 65, unreachable: 69, authentication: 77, SIGINT: 130, SIGTERM: 143 } as const;
const exitOfStatus = (status: string): number => (status in exit ? exit[status as keyof typeof exit] : exit.error);

class ApiError extends Error {
  constructor(
    message: string,
    /** The HTTP status imhub answered, or undefined when it could not be reached. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** What a failed call means to the shell. */
function exitOfError(error: ApiError): number {
  if (error.status === undefined) return exit.unreachable;
  if (error.status === 401 || error.status === 403) return exit.authentication;
  // 422 is the platform's refusal (platform_refused) or its refusal of the credentials (verification_failed).
  if (error.status === 422) return exit.platformRefused;
  return exit.error;
}

/** Answers worth another try: throttled, or imhub or the platform briefly unavailable. */
const retryableStatus = new Set([429, 502, 503, 504]);
const maxAttempts = 5;

/**
 * The API client. A request that is safe to repeat (a read, or a POST carrying an idempotency
 * key) is repeated on a throttled or unavailable answer and on a lost connection, up to 5
 * attempts, honouring Retry-After: a long `--wait` does not die on one blip.
 */
function client(url: string, token: string, err: NodeJS.WritableStream, sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))) {
  return async (method: string, path: string, body?: unknown, signal?: AbortSignal) => {
    const repeatable = method === 'GET' || Boolean((body as { idempotencyKey?: string } | undefined)?.idempotencyKey);
    for (let attempt = 1; ; attempt += 1) {
      let response: Response;
      try {
        response = await fetch(url.replace(/\/+$/, '') + path, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        if (signal?.aborted) throw error;
        if (!repeatable || attempt >= maxAttempts) throw new ApiError(`cannot reach imhub at ${url}: ${(error as Error).message}`);
        err.write(`imhub: cannot reach ${url}; trying again\n`);
        await sleep(1000 * 2 ** (attempt - 1));
        continue;
      }
      const text = await response.text();
      const parsed = text ? JSON.parse(text) : undefined;
      if (response.ok) return parsed;
      if (repeatable && retryableStatus.has(response.status) && attempt < maxAttempts) {
        err.write(`imhub: ${response.status} ${parsed?.error?.code ?? ''}; trying again\n`);
        await sleep(Math.max(Number(response.headers.get('retry-after') ?? 0) * 1000, 1000 * 2 ** (attempt - 1)));
        continue;
      }
      throw new ApiError(`${response.status} ${parsed?.error?.code ?? ''}: ${parsed?.error?.message ?? text}`, response.status);
    }
  };
}
type Call = ReturnType<typeof client>;

async function integrationId(call: Call, idOrName: string): Promise<string> {
  if (idOrName.startsWith('int_')) return idOrName;
  let cursor: string | undefined;
  do {
    const page = await call('GET', `/v1/integrations?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    const found = page.items.find((item: { name: string }) => item.name.toLowerCase() === idOrName.toLowerCase());
    if (found) return found.id;
    cursor = page.nextCursor;
  } while (cursor);
  throw new UsageError(`no integration named "${idOrName}"`);
}

const elapsed = (ms: number) => `${Math.floor(ms / 60_000)}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}s`;

async function approvalStart(call: Call, argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const options = parseApprovalStart(argv);
  const content =
    options.contentFile === '-' ? readFileSync(0, 'utf8') : options.contentFile ? readFileSync(options.contentFile, 'utf8') : options.content;
  const started = await call('POST', '/v1/approvals', {
    integrationId: await integrationId(call, options.integration),
    title: options.title,
    ...(content ? { content } : {}),
    requester: options.requester,
    stages: options.stages,
    ...(options.timeoutSeconds ? { timeoutSeconds: options.timeoutSeconds } : {}),
    ...(options.allowSelfApproval ? { allowSelfApproval: true } : {}),
    ...(options.remind ? { remind: options.remind } : {}),
    ...(options.escalate ? { escalate: options.escalate } : {}),
    ...(options.via ? { via: options.via } : {}),
    ...(options.cardChats ? { cardTo: { chatIds: options.cardChats } } : {}),
    ...(options.locale ? { locale: options.locale } : {}),
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
    // Always keyed, so a start repeated after a lost answer is the same approval.
    idempotencyKey: options.idempotencyKey ?? `cli-${randomUUID()}`,
  });
  if (!options.wait) {
    out.write(options.json ? `${JSON.stringify(started)}\n` : `${started.id}\n`);
    return 0;
  }
  const since = Date.now();
  let approval = started;
  // Ctrl-C or SIGTERM (a pipeline canceled) while waiting: the approval is canceled, so that nobody
  // approves a deploy that no longer waits for it, unless --keep-on-exit.
  const stop = new AbortController();
  let interruptedBy: 'SIGINT' | 'SIGTERM' | undefined;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => () => {
    interruptedBy = signal;
    stop.abort();
  };
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') };
  process.once('SIGINT', handlers.SIGINT).once('SIGTERM', handlers.SIGTERM);
  try {
    while (approval.status === 'pending' && !interruptedBy) {
      if (!options.quiet) {
        const decided = approval.decisions.map((decision: Decision) => `${who(decision)} ${decision.decision}d`).join(', ');
        err.write(`waiting ${elapsed(Date.now() - since)} for ${approval.id}${decided ? `: ${decided}` : ''}\n`);
      }
      try {
        approval = await call('GET', `/v1/approvals/${approval.id}?waitSeconds=20`, undefined, stop.signal);
      } catch (error) {
        if (!interruptedBy) throw error;
      }
    }
  } finally {
    process.off('SIGINT', handlers.SIGINT).off('SIGTERM', handlers.SIGTERM);
  }
  if (interruptedBy) {
    if (options.keepOnExit) {
      err.write(`imhub: ${interruptedBy}: approval ${approval.id} left pending (--keep-on-exit)\n`);
      return exit[interruptedBy];
    }
    try {
      const canceled = await call('POST', `/v1/approvals/${approval.id}/cancel`);
      err.write(`imhub: ${interruptedBy}: approval ${approval.id} ${canceled.status}\n`);
    } catch (error) {
      // Decided meanwhile (409 already_decided), or imhub unreachable: say so; the exit says interrupted.
      err.write(`imhub: ${interruptedBy}: approval ${approval.id} not canceled: ${(error as Error).message}\n`);
    }
    return exit[interruptedBy];
  }
  if (options.json) out.write(`${JSON.stringify(approval)}\n`);
  const code = exitOfStatus(approval.status);
  const line = outcomeLine(approval);
  if (code !== 0) err.write(`${line}\n`);
  else if (!options.quiet && !options.json) out.write(`${line}\n`);
  return code;
}

export interface Decision {
  decision: 'approve' | 'reject';
  approver: string;
  person?: { email?: string; mobile?: string; userId?: string } | null;
  comment?: string | null;
}

/** The decision that ended an approval, when a person's did: the last one, which agrees with its status. */
export function deciderOf(approval: { status: string; decisions: Decision[] }): Decision | undefined {
  const wanted = approval.status === 'approved' ? 'approve' : approval.status === 'rejected' ? 'reject' : undefined;
  return wanted ? approval.decisions.findLast((decision) => decision.decision === wanted) : undefined;
}

/** A person as the request named them, else their platform id. */
export const who = (decision: Decision) => decision.person?.email ?? decision.person?.mobile ?? decision.person?.userId ?? decision.approver;

/** `approval apr_… approved by alice@example.com: "comment"`, or the end reason when no person decided. */
export function outcomeLine(approval: { id: string; status: string; decisions: Decision[]; endReason?: string | null }): string {
  const decider = deciderOf(approval);
  return `approval ${approval.id} ${approval.status}${decider ? ` by ${who(decider)}${decider.comment ? `: "${decider.comment}"` : ''}` : approval.endReason ? `: ${approval.endReason}` : ''}`;
}

async function notify(call: Call, argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      integration: { type: 'string' },
      text: { type: 'string' },
      title: { type: 'string' },
      level: { type: 'string' },
      chat: { type: 'string', multiple: true },
      user: { type: 'string', multiple: true },
      email: { type: 'string', multiple: true },
      mobile: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.integration || !values.text) throw new UsageError('--integration and --text are required');
  const to = { chatIds: values.chat ?? [], userIds: values.user ?? [], emails: values.email ?? [], mobiles: values.mobile ?? [] };
  const hasTargets = Object.values(to).some((list) => list.length > 0);
  const result = await call('POST', '/v1/notifications', {
    integrationId: await integrationId(call, values.integration),
    ...(hasTargets ? { to } : {}),
    message: { text: values.text, ...(values.title ? { title: values.title } : {}), ...(values.level ? { level: values.level } : {}) },
    idempotencyKey: `cli-${randomUUID()}`,
  });
  out.write(values.json ? `${JSON.stringify(result)}\n` : `${result.id} ${result.status}\n`);
  return result.status === 'failed' ? exit.failed : 0;
}

async function createIntegration(call: Call, argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      provider: { type: 'string' },
      kind: { type: 'string' },
      name: { type: 'string' },
      'api-base-url': { type: 'string' },
      'credentials-file': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.provider || !values.name || !values['credentials-file']) throw new UsageError('integrations create needs --provider, --name and --credentials-file');
  const file = values['credentials-file'];
  let credentials: unknown;
  try {
    credentials = JSON.parse(file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8'));
  } catch (error) {
    // Never echo the file: it holds secrets.
    throw new UsageError(`--credentials-file ${file === '-' ? '(stdin)' : file} must hold a JSON object (${(error as NodeJS.ErrnoException).code ?? 'not JSON'})`);
  }
  const created = await call('POST', '/v1/integrations', {
    provider: values.provider,
    ...(values.kind ? { kind: values.kind } : {}),
    name: values.name,
    ...(values['api-base-url'] ? { apiBaseUrl: values['api-base-url'] } : {}),
    credentials,
  });
  out.write(values.json ? `${JSON.stringify(created)}\n` : `${created.id}${created.callbackUrl ? `\tcallback URL ${created.callbackUrl}` : ''}\n`);
  return 0;
}

async function integrations(call: Call, argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const [action, target] = argv;
  if (action === 'create') return createIntegration(call, argv.slice(1), out);
  if (action === 'list') {
    const page = await call('GET', '/v1/integrations?limit=100');
    for (const item of page.items) out.write(`${item.id}\t${item.provider}\t${item.kind}\t${item.name}\n`);
    return 0;
  }
  if (action === 'verify' && target) {
    const result = await call('POST', `/v1/integrations/${await integrationId(call, target)}/verify`);
    out.write(`${result.detail}\n`);
    return 0;
  }
  throw new UsageError('integrations takes list, create, or verify <id|name>');
}

export async function run(argv: string[], env: NodeJS.ProcessEnv, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  try {
    const global = parseArgs({ args: argv, options: { url: { type: 'string' }, token: { type: 'string' }, help: { type: 'boolean' } }, strict: false, allowPositionals: true, tokens: true });
    if (global.values.help || argv.length === 0) {
      out.write(`${usage}\n`);
      return argv.length === 0 ? exit.usage : 0;
    }
    // Global flags stand before the command; everything from the command on is the command's.
    const first = (global.tokens ?? []).find((token) => token.kind === 'positional');
    const rest = first ? argv.slice(first.index) : [];
    const url = (global.values.url as string | undefined) ?? env.IMHUB_URL;
    const token = (global.values.token as string | undefined) ?? env.IMHUB_TOKEN;
    if (!url || !token) throw new UsageError('set IMHUB_URL and IMHUB_TOKEN (or --url and --token)');
    const call = client(url, token, err);
    const [command, sub, ...args] = rest;
    if (command === 'approval' && sub === 'start') return await approvalStart(call, args, out, err);
    if (command === 'notify') return await notify(call, [sub, ...args].filter((value): value is string => value !== undefined), out);
    if (command === 'integrations') return await integrations(call, [sub, ...args].filter((value): value is string => value !== undefined), out);
    throw new UsageError(`unknown command "${rest.join(' ')}"`);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err.write(`imhub: ${(error as Error).message}\n${usage}\n`);
      return exit.usage;
    }
    err.write(`imhub: ${(error as Error).message}\n`);
    return error instanceof ApiError ? exitOfError(error) : exit.error;
  }
}
