/**
 * `npm run sandbox`: the local runtime (in memory) plus simulators of Feishu, Lark, DingTalk and
 * WeCom, with one app integration and one group bot per platform already created, and an
 * approver's page at <simulator>/sandbox (SANDBOX_PORT, default 3100; the API on PORT, default
 * 3000). Nothing leaves this machine.
 */
import { startLocalRuntime } from '../lib/local/runtime.ts';
import { PlatformSimulator, type SimPlatform } from '../lib/sandbox/platform-simulator.ts';
import { sandboxPages } from '../lib/sandbox/sandbox-page.ts';

process.env.IMHUB_RECONCILE_FIRST_CHECK_MS ??= '5000';

/** A port from the environment, or `fallback`; exits with a clear message when it is not one. */
function portFrom(name: string, fallback: number): number {
  const value = process.env[name];
  const port = value === undefined || value === '' ? fallback : Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`${name} must be a whole number from 0 to 65535, not "${value}"\n`);
    process.exit(2);
  }
  return port;
}

/** Exits with what to do when a port is taken; rethrows anything else. */
function exitIfInUse(error: NodeJS.ErrnoException, what: string, port: number): never {
  if (error.code === 'EADDRINUSE') {
    process.stderr.write(`imhub sandbox: port ${port} (${what}) is already in use, perhaps by another sandbox. Stop that, or choose free ports, e.g. PORT=3010 SANDBOX_PORT=3110 npm run sandbox\n`);
    process.exit(1);
  }
  throw error;
}

const apiPort = portFrom('PORT', 3000);
const sandboxPort = portFrom('SANDBOX_PORT', 3100);
const sim = new PlatformSimulator();
const larkApps = new Set<string>();
const larkBots = new Set<string>();
await sim.start(sandboxPort).catch((error: NodeJS.ErrnoException) => exitIfInUse(error, 'SANDBOX_PORT, the approver page and simulator', sandboxPort));
const pageUrl = `${sim.url}/sandbox`;
// The console (at <api>/console) links to the approver page when this is set.
process.env.IMHUB_SANDBOX_URL = pageUrl;
const runtime = await startLocalRuntime({
  port: apiPort,
  inMemory: true,
  apiToken: process.env.API_TOKEN ?? 'sandbox-token',
  reconcileIntervalMs: 5000,
}).catch(async (error: NodeJS.ErrnoException) => {
  await sim.stop();
  return exitIfInUse(error, 'PORT, the imhub API', apiPort);
});
sim.pages = sandboxPages(sim, { lark: { apps: larkApps, bots: larkBots }, consoleUrl: `${runtime.url}/console` });
const token = runtime.apiToken;
const people = ['requester', 'alice', 'bob', 'carol'];
sim.addPeople(people);
// The card template a DingTalk tenant publishes for imhub's approval cards (docs/platforms/dingtalk.md).
sim.cards.dingtalkTemplates.add('sandbox-approval-card');

const aesKey = 'S'.repeat(43);
const apps: Record<string, { sim: SimPlatform; appId: string; credentials: Record<string, string> }> = {
  feishu: { sim: 'feishu', appId: 'cli_sandboxfeishu01', credentials: { appId: 'cli_sandboxfeishu01', appSecret: 'sandbox-feishu-secret', encryptKey: 'sandbox-encrypt-key', verificationToken: 'sandbox-vt' } },
  lark: { sim: 'feishu', appId: 'cli_sandboxlark0001', credentials: { appId: 'cli_sandboxlark0001', appSecret: 'sandbox-lark-secret00', encryptKey: 'sandbox-encrypt-key2', verificationToken: 'sandbox-vt2' } },
  dingtalk: { sim: 'dingtalk', appId: 'dingsandboxkey001', credentials: { appKey: 'dingsandboxkey001', appSecret: 'sandbox-dingtalk-secret', aesKey, token: 'sandbox', agentId: '2345678', cardTemplateId: 'sandbox-approval-card' } },
  wecom: { sim: 'wecom', appId: 'wwsandbox0001', credentials: { corpId: 'wwsandbox0001', agentId: '1000002', secret: 'sandbox-wecom-secret', token: 'sandbox', encodingAesKey: aesKey } },
};
const call = async (path: string, body: unknown) => {
  const response = await fetch(runtime.url + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${path}: ${JSON.stringify(answer)}`);
  return answer as { id: string; callbackUrl: string };
};
const lines: string[] = [];
for (const [provider, app] of Object.entries(apps)) {
  const secret = app.credentials.appSecret ?? app.credentials.secret!;
  sim.addApp(app.sim, app.appId, secret);
  const integration = await call('/v1/integrations', { provider, name: `${provider} app`, apiBaseUrl: sim.url, credentials: app.credentials });
  sim.approvals.subscribeIntegration(app.sim, app.appId, integration.callbackUrl, app.credentials);
  const { url, bot: simBot } = sim.addBot(app.sim, provider === 'dingtalk' ? 'SECsandboxbotsecret' : provider === 'wecom' ? undefined : 'sandbox-bot-secret');
  if (provider === 'lark') {
    larkApps.add(app.appId);
    larkBots.add(simBot.token);
  }
  const bot = await call('/v1/integrations', { provider, kind: 'webhook', name: `${provider} bot`, credentials: { url, ...(provider === 'wecom' ? {} : { secret: provider === 'dingtalk' ? 'SECsandboxbotsecret' : 'sandbox-bot-secret' }) } });
  lines.push(`  ${provider.padEnd(9)} app ${integration.id}   bot ${bot.id}`);
}

process.stdout.write(
  [
    '',
    `imhub sandbox is ready: API ${runtime.url}, approver page ${pageUrl}`,
    `Console: ${runtime.url}/console (sign in with the API token)`,
    `API token: ${token}`,
    'Integrations (people: requester@, alice@, bob@, carol@example.com; on DingTalk use mobiles 13800000000..3):',
    ...lines,
    '',
    'Try:',
    `  export IMHUB_URL=${runtime.url} IMHUB_TOKEN=${token}`,
    `  npx imhub approval start --integration "feishu app" --title "Deploy v1" --requester requester@example.com --approver alice@example.com --wait`,
    `  then approve it at ${pageUrl} (add --via card to decide on a card in the chat instead)`,
    'Ctrl-C stops everything.',
    '',
  ].join('\n'),
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void Promise.all([runtime.stop(), sim.stop()]).finally(() => process.exit(0));
  });
}
