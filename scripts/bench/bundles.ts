import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { apps } from './apps.ts';
import type { Row, SuiteResult } from './report.ts';
import { median } from './stats.ts';

const root = join(import.meta.dirname, '..', '..');

/**
 * The bundling options of infra/api-function.ts (NodejsFunction), minus the external source map.
 * It bundles the AWS SDK (`bundleAwsSDK`); the CDK's default would leave `@aws-sdk/*` to the
 * runtime's copy, measured once for the callbacks Lambda as the alternative.
 */
const runtimeSdk = ['@aws-sdk/*'];
const requireBanner = "import { createRequire as __imhubCreateRequire } from 'node:module'; const require = __imhubCreateRequire(import.meta.url);";
/**
 * The SDK's ESM build reads its own package.json through `__dirname` when it loads, which an ESM
 * bundle does not have: without this shim the peer's bundle throws a ReferenceError at import.
 */
const dirnameBanner =
  "import { fileURLToPath as __benchFileURLToPath } from 'node:url'; import { dirname as __benchDirname } from 'node:path'; const __filename = __benchFileURLToPath(import.meta.url); const __dirname = __benchDirname(__filename);";

interface Entry {
  name: string;
  file: string;
  banner: string;
  external?: string[];
}

const lambdas = ['callbacks', 'approvals', 'notifications', 'integrations', 'reconciler', 'meta'];
/** Lambdas added since the rows above were numbered: their rows come last, so the earlier ids keep their meaning. */
const laterLambdas = ['worker'];
const entries: Entry[] = [
  ...[...lambdas, ...laterLambdas].map((name) => ({ name, file: `functions/${name}.ts`, banner: requireBanner })),
  { name: 'callbacks-runtime-sdk', file: 'functions/callbacks.ts', banner: requireBanner, external: runtimeSdk },
  { name: 'imhub-minimal', file: 'scripts/bench/lambdas/imhub-feishu-callback.ts', banner: requireBanner },
  { name: 'sdk-minimal', file: 'scripts/bench/lambdas/sdk-feishu-callback.ts', banner: `${requireBanner} ${dirnameBanner}` },
];

/** Bytes each package (or imhub's own code) adds to a bundle, largest first. */
function weights(output: Metafile['outputs'][string]) {
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? 'imhub';
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  return [...byPackage.entries()].sort((a, b) => b[1] - a[1]).map(([name, bytes]) => ({ name, bytes }));
}

async function bundle(entry: Entry, folder: string) {
  const outfile = join(folder, `${entry.name}.mjs`);
  const result = await build({
    entryPoints: [join(root, entry.file)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: entry.banner },
    external: entry.external ?? [],
    metafile: true,
    logLevel: 'silent',
  });
  const output = result.metafile.outputs[relative(process.cwd(), outfile)] ?? Object.values(result.metafile.outputs)[0]!;
  return { outfile, bytes: output.bytes, packages: weights(output).slice(0, 6) };
}

/** Prints how long `import(file)` takes inside a fresh node process: the module's load and init, without node's own start. */
const importScript = 'const start = process.hrtime.bigint(); await import(process.env.BENCH_IMPORT); process.stdout.write(String(Number(process.hrtime.bigint() - start) / 1e6));';

function spawnNode(args: string[], env: NodeJS.ProcessEnv) {
  const start = performance.now();
  const child = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const wallMs = performance.now() - start;
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${child.stderr}`);
  return { wallMs, stdout: child.stdout };
}

/**
 * Row 2: every Lambda bundled as infra/ bundles it, its size, and the time to import it in a
 * fresh `node`; the peer is a minimal Feishu callback Lambda on the SDK, bundled the same way.
 * Spawns go round-robin over the bundles (and a `node -e ''` baseline), so noise spreads evenly.
 */
export async function benchBundles(samples: number): Promise<SuiteResult> {
  // Inside the repository, so the SDK left outside a bundle resolves from node_modules, as the
  // runtime's SDK does in Lambda: its load counts in the import time.
  mkdirSync(join(root, '.bench'), { recursive: true });
  const folder = mkdtempSync(join(root, '.bench', 'bundles-'));
  try {
    const built = new Map<string, Awaited<ReturnType<typeof bundle>>>();
    for (const entry of entries) built.set(entry.name, await bundle(entry, folder));

    // Both minimal handlers read their keys at load, as a deployed one would.
    const { appId, encryptKey, verificationToken } = apps.feishu.credentials;
    const env = { ...process.env, FEISHU_APP_ID: appId, FEISHU_ENCRYPT_KEY: encryptKey, FEISHU_VERIFICATION_TOKEN: verificationToken };
    const imports = new Map<string, number[]>(entries.map((entry) => [entry.name, []]));
    const walls = new Map<string, number[]>([...entries.map((entry): [string, number[]] => [entry.name, []]), ['baseline', []]]);
    for (let sample = 0; sample < samples; sample += 1) {
      walls.get('baseline')!.push(spawnNode(['--input-type=module', '-e', ''], env).wallMs);
      for (const entry of entries) {
        const { wallMs, stdout } = spawnNode(['--input-type=module', '-e', importScript], { ...env, BENCH_IMPORT: pathToFileURL(built.get(entry.name)!.outfile).href });
        imports.get(entry.name)!.push(Number(stdout));
        walls.get(entry.name)!.push(wallMs);
      }
    }

    const baselineMs = median(walls.get('baseline')!);
    const details = Object.fromEntries(
      entries.map((entry) => {
        const { bytes, packages } = built.get(entry.name)!;
        return [entry.name, { file: entry.file, bytes, importMs: median(imports.get(entry.name)!), importSamplesMs: imports.get(entry.name), processMinusBaselineMs: median(walls.get(entry.name)!) - baselineMs, packages }];
      }),
    );
    return { rows: bundleRows(details, samples), details: { ...details, baselineProcessMs: baselineMs } };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

type BundleDetails = Record<string, { bytes: number; importMs: number; processMinusBaselineMs: number; packages: { name: string; bytes: number }[] }>;

function bundleRows(details: BundleDetails, samples: number): Row[] {
  const peer = details['sdk-minimal']!;
  const peerIs = 'minimal Lambda on @larksuiteoapi/node-sdk';
  const top = (name: string) =>
    details[name]!.packages
      .slice(0, 4)
      .map((entry) => `${entry.name} ${Math.round(entry.bytes / 1000)} kB`)
      .join(', ');
  const rows: Row[] = [];
  let letter = 97;
  const id = () => `2${String.fromCharCode(letter++)}`;
  const lambdaRows = (name: string) => {
    const lambda = details[name]!;
    rows.push(
      {
        id: id(),
        measure: `${name} Lambda: minified ESM bundle`,
        unit: 'kB',
        ours: lambda.bytes / 1000,
        peer: peer.bytes / 1000,
        better: 'lower',
        peerIs,
        ...(name === 'callbacks' ? { note: `largest parts: ${top('callbacks')}; the peer's: ${top('sdk-minimal')}` } : {}),
      },
      {
        id: id(),
        measure: `${name} Lambda: import in a fresh node`,
        unit: 'ms',
        ours: lambda.importMs,
        peer: peer.importMs,
        better: 'lower',
        peerIs,
        ...(name === 'callbacks'
          ? { note: `median of ${samples} processes each, import() timed inside the process; process wall time minus a \`node -e ''\` baseline: ours ${lambda.processMinusBaselineMs.toFixed(1)} ms, peer ${peer.processMinusBaselineMs.toFixed(1)} ms` }
          : {}),
      },
    );
  };
  for (const name of lambdas) lambdaRows(name);
  const minimal = details['imhub-minimal']!;
  const runtime = details['callbacks-runtime-sdk']!;
  rows.push(
    {
      id: id(),
      measure: 'callbacks Lambda, AWS SDK left to the runtime: bundle',
      unit: 'kB',
      ours: runtime.bytes / 1000,
      peer: peer.bytes / 1000,
      better: 'lower',
      peerIs,
      note: "the CDK's default (@aws-sdk/* external); imhub bundles the SDK instead, for the import time in the next row",
    },
    { id: id(), measure: 'callbacks Lambda, AWS SDK left to the runtime: import (SDK from node_modules)', unit: 'ms', ours: runtime.importMs, peer: peer.importMs, better: 'lower', peerIs },
    { id: id(), measure: 'Minimal Feishu callback Lambda on imhub verifier: bundle', unit: 'kB', ours: minimal.bytes / 1000, peer: peer.bytes / 1000, better: 'lower', peerIs, note: 'the same handler on both sides, only the verifier differs: what verification alone weighs' },
    { id: id(), measure: 'Minimal Feishu callback Lambda on imhub verifier: import', unit: 'ms', ours: minimal.importMs, peer: peer.importMs, better: 'lower', peerIs },
  );
  for (const name of laterLambdas) lambdaRows(name);
  return rows;
}
