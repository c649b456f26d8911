import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServerProcess {
  url: string;
  token: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends the signal to the whole process group, as Ctrl-C in a terminal does, and waits for exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const root = join(import.meta.dirname, '..', '..');
const running = new Set<ServerProcess>();

/** Kills every server a test started and did not stop (a failed assertion must not leave one running). */
export async function killLeftoverServers() {
  await Promise.all([...running].map((server) => server.stop('SIGKILL')));
}

export interface ProgramOptions {
  /** The TypeScript entry point, relative to the repository. */
  entry: string;
  /** Matches the line that says the program serves; its first group is the API's URL. */
  ready: RegExp;
}

/** `npm start`'s program. */
export const localServer: ProgramOptions = { entry: 'lib/local/main.ts', ready: /serving on (http:\/\/\S+)/ };
/** `npm run sandbox`'s program. */
export const sandbox: ProgramOptions = { entry: 'scripts/sandbox.ts', ready: /imhub sandbox is ready: API (http:\/\/\S+),/ };

/**
 * Runs a program (`npm start`'s by default) with tsx as its own process group and waits until it
 * serves.
 */
export async function startServerProcess(env: Record<string, string>, program: ProgramOptions = localServer): Promise<ServerProcess> {
  const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, program.entry)], {
    cwd: root,
    env: { ...process.env, PORT: '0', SANDBOX_PORT: '0', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${output}`)), 45_000);
    const check = () => {
      const match = program.ready.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    exited.then(() => reject(new Error(`server exited while starting:\n${output}`)));
  });
  const token = env.API_TOKEN ?? /API token \(admin\): (\S+)/.exec(output)?.[1] ?? '';
  const server: ServerProcess = {
    url,
    token,
    child,
    output: () => output,
    async stop(signal = 'SIGINT') {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
      const code = await exited;
      running.delete(server);
      return code;
    },
  };
  running.add(server);
  return server;
}

/** Pids of running processes whose command line contains `needle`. */
export function processesMatching(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids.filter((pid) => pid !== process.pid);
}
