import { parseArgs } from 'node:util';
import { startLocalRuntime } from './runtime.ts';

/** `npm start`: serve the API locally. Configuration by environment, as documented in the README. */
const { values } = parseArgs({
  options: { 'in-memory': { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
  allowPositionals: false,
});
if (values.help) {
  process.stdout.write(
    [
      'npm start [-- --in-memory]',
      '',
      'Environment:',
      '  PORT             port to listen on (default 3000)',
      '  HOST             address to listen on (default 127.0.0.1)',
      '  API_TOKEN        the admin API key, any value not shaped like a generated key (imh_<16>_<43>)',
      '                   (default: generated once and kept in the data folder)',
      '  PUBLIC_BASE_URL  base of callback URLs, e.g. your tunnel (default: this server)',
      '  IMHUB_DATA_DIR   data folder (default .imhub)',
      '  IMHUB_IN_MEMORY  1 to keep nothing on disk (same as --in-memory)',
      '  IMHUB_RECONCILE_INTERVAL_MS  how often the reconciler runs (default 60000, as in AWS)',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

const env = process.env;
const port = env.PORT === undefined ? 3000 : Number(env.PORT);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`PORT must be a whole number from 0 to 65535, not "${env.PORT}"\n`);
  process.exit(2);
}

const reconcileIntervalMs = env.IMHUB_RECONCILE_INTERVAL_MS === undefined ? 60_000 : Number(env.IMHUB_RECONCILE_INTERVAL_MS);
if (!Number.isInteger(reconcileIntervalMs) || reconcileIntervalMs < 100) {
  process.stderr.write(`IMHUB_RECONCILE_INTERVAL_MS must be a whole number of milliseconds, at least 100, not "${env.IMHUB_RECONCILE_INTERVAL_MS}"\n`);
  process.exit(2);
}

const started = Date.now();
const runtime = await startLocalRuntime({
  port,
  ...(env.HOST ? { host: env.HOST } : {}),
  ...(env.API_TOKEN ? { apiToken: env.API_TOKEN } : {}),
  ...(env.PUBLIC_BASE_URL ? { publicBaseUrl: env.PUBLIC_BASE_URL } : {}),
  ...(env.IMHUB_DATA_DIR ? { dataDir: env.IMHUB_DATA_DIR } : {}),
  reconcileIntervalMs,
  inMemory: values['in-memory'] || env.IMHUB_IN_MEMORY === '1' || env.IMHUB_IN_MEMORY === 'true',
}).catch((error: Error) => {
  process.stderr.write(`imhub could not start: ${error.message}\n`);
  process.exit(1);
});

process.stderr.write(
  [
    `imhub is serving on ${runtime.url} (ready in ${Date.now() - started} ms)`,
    runtime.generatedToken ? `API token (admin): ${runtime.apiToken}` : 'API token (admin): the value of API_TOKEN',
    `Try: curl ${runtime.url}/healthz`,
    'Ctrl-C stops the server and the embedded DynamoDB.',
    '',
  ].join('\n'),
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: stopping\n`);
    runtime.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
