import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = join(import.meta.dirname, '..', '..');

export interface BenchChild {
  child: ChildProcess;
  exited: Promise<unknown>;
  /** The child's next line on stdout. */
  nextLine(): Promise<string>;
  /** Closes its stdin (children exit on that) and waits for it to end. */
  stop(): Promise<void>;
}

/** Runs `scripts/bench/children/<file>` under tsx as a process of its own. */
export function startChild(file: string, args: string[]): BenchChild {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'children', file), ...args], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    child,
    exited,
    nextLine: async () => {
      const line = await lines.next();
      if (line.done) throw new Error(`${file} ended without an answer`);
      return line.value;
    },
    stop: async () => {
      if (child.exitCode === null) child.stdin!.end();
      await exited;
    },
  };
}
