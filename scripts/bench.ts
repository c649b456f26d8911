/**
 * `npm run bench [-- --quick]`: imhub next to its peers, measured in the same run on this
 * machine. Prints one table (every row: what, ours, the peer's, the ratio) and writes everything
 * measured to `.bench/results-<time>.json` and `.bench/latest.json`. Numbers are reported, never
 * asserted. What each row means: docs/benchmarks.md.
 */
import './bench/environment.ts';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchApprovalCalls, benchDecisionLatency } from './bench/approvals.ts';
import { benchBundles } from './bench/bundles.ts';
import { benchCallbackAnswers, benchCallbackHandlers, benchCallbackPath } from './bench/callbacks.ts';
import { benchFanOut } from './bench/fan-out.ts';
import { benchLongPolls } from './bench/long-poll.ts';
import { renderTable, type Row, type SuiteResult, writeResults } from './bench/report.ts';
import { fullSettings, quickSettings } from './bench/settings.ts';
import { settle } from './bench/settle.ts';
import { type BenchStack, startBenchStack } from './bench/stack.ts';
import { benchThroughput } from './bench/throughput.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } });
if (values.help) {
  process.stdout.write('npm run bench [-- --quick]\n  --quick  fewer samples and shorter rounds: about two minutes instead of about five\n');
  process.exit(0);
}
const settings = values.quick ? quickSettings : fullSettings;
const startedAt = new Date();
// Other work on the machine shows in every number: the load average goes into the header.
const loadAtStart = loadavg()[0]!;
const progress = (what: string) => process.stderr.write(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(3)} s] ${what}\n`);

// Whatever happens, DynamoDB Local (a Java child) and the servers stop with the bench.
let stack: BenchStack | undefined;
let stopping: Promise<void> | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping`);
    stopping = (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

async function runSuites(): Promise<Record<string, SuiteResult>> {
  const suites: Record<string, SuiteResult> = {};
  const run = async (name: string, suite: () => Promise<SuiteResult>) => {
    progress(name);
    suites[name] = await suite();
  };
  try {
    await run('bundles and cold start', () => benchBundles(settings.coldStartSamples));
    await run('callback handlers, in process', () => benchCallbackHandlers(settings.callbacks));
    progress('starting DynamoDB Local, the platform simulator and the local runtime');
    const started = (stack = await startBenchStack());
    await run('callbacks through the local runtime', () => benchCallbackPath(started, settings.callbacks));
    await run('platform and DynamoDB calls per approval', () => benchApprovalCalls(started));
    await run('callback answers with a slow platform', () => benchCallbackAnswers(started, settings.slowCallbacks));
    await run('decision to webhook', () => benchDecisionLatency(started, settings.decisions));
    await run('fan-out', () => benchFanOut(started, settings.fanOut));
    // The suites above leave jobs due a minute after they were written (approvals' first checks,
    // notifications' fallback dispatches): the suites below count calls and memory, so they wait them out.
    progress('waiting for the jobs earlier suites left to come due');
    const quiet: Record<string, Awaited<ReturnType<typeof settle>>> = { beforeLongPolls: await settle(started, (settings.longPoll.waitSeconds + 10) * 1000) };
    progress(`waited ${(quiet.beforeLongPolls!.waitedMs / 1000).toFixed(0)} s; the sweep ran ${quiet.beforeLongPolls!.swept} overdue jobs their triggers had missed`);
    await run('long-polls', () => benchLongPolls(started, settings.longPoll));
    quiet.beforeThroughput = await settle(started, ((settings.throughput.roundMs * settings.throughput.rounds * 2) / 1000 + 10) * 1000);
    progress(`waited ${(quiet.beforeThroughput.waitedMs / 1000).toFixed(0)} s; the sweep ran ${quiet.beforeThroughput.swept} overdue jobs their triggers had missed`);
    await run('approval starts per second', () => benchThroughput(started, settings.throughput));
    suites.settling = { rows: [], details: quiet };
    return suites;
  } finally {
    await stack?.stop();
  }
}

const suites = await runSuites().catch(async (error: unknown) => {
  // Interrupted, the suites fail as their servers go away: the signal handler ends the process.
  if (stopping) await stopping;
  throw error;
});

// Suites run in the order that suits the machine (no server up while measuring CPU); rows read in issue order.
const rows: Row[] = Object.values(suites)
  .flatMap((suite) => suite.rows)
  .sort((a, b) => a.id.localeCompare(b.id));
const finishedAt = new Date();
const file = writeResults(join(import.meta.dirname, '..'), {
  startedAt,
  finishedAt,
  seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
  quick: settings.quick,
  machine: { node: process.version, platform: `${process.platform} ${process.arch}`, cpus: cpus().length, cpu: cpus()[0]?.model, loadAverage: { start: loadAtStart, end: loadavg()[0] } },
  settings,
  rows,
  details: Object.fromEntries(Object.entries(suites).map(([name, suite]) => [name, suite.details])),
});

process.stdout.write(
  [
    `imhub benchmarks, ${settings.quick ? 'quick' : 'full'} run: ${startedAt.toISOString()}, ${process.version}, ${cpus().length} cores, load average ${loadAtStart.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}, ${((finishedAt.getTime() - startedAt.getTime()) / 1000).toFixed(0)} s`,
    '',
    renderTable(rows),
    '',
    `Full results: ${file}`,
    '',
  ].join('\n'),
);
