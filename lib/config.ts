import * as z from 'zod';

/**
 * Runtime configuration, read once from the environment. The CDK stack sets these on each
 * function; the local runtime sets them before it loads the handlers.
 */
const environment = z.object({
  /** `local` allows http and loopback outbound URLs and seals secrets with a key file. @default 'aws' */
  IMHUB_RUNTIME: z.enum(['aws', 'local']).default('aws'),
  TABLE_NAME: z.string().min(1).optional(),
  /** Base of the callback URLs handed to platforms, e.g. the API Gateway endpoint. */
  PUBLIC_BASE_URL: z.string().url().optional(),
  KMS_KEY_ID: z.string().min(1).optional(),
  IMHUB_LOCAL_KEY_FILE: z.string().min(1).optional(),
  BOOTSTRAP_SECRET_ARN: z.string().min(1).optional(),
  API_TOKEN: z.string().min(1).optional(),
  /** First reconciler look at a new approval, in ms (then doubling). Lower only for local tries and tests. */
  IMHUB_RECONCILE_FIRST_CHECK_MS: z.coerce.number().int().min(0).default(60_000),
  /**
   * How long a worker owns an outbound step (starting an approval's platform instance, one
   * webhook or message delivery) before the reconciler takes over a step a crash interrupted.
   * Longer than any function's timeout. Lower only for local tries and tests.
   */
  IMHUB_LEASE_MS: z.coerce.number().int().min(100).default(60_000),
  /** First webhook retry delay in ms (then doubling). Lower only for local tries and tests. */
  IMHUB_WEBHOOK_FIRST_RETRY_MS: z.coerce.number().int().min(100).default(30_000),
  /** How long one webhook attempt waits for the receiver's answer, in ms. @default 10000 */
  IMHUB_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** How long a clicked card is left alone while the platform delivers the answer (DingTalk: no update during the callback). */
  IMHUB_CARD_SETTLE_MS: z.coerce.number().int().min(0).max(60_000).default(3000),
  /**
   * How long one reconciler run takes new work, in ms; what is left is due at the next run. In
   * AWS a run also stops 5 s before its function's timeout (55 s), whichever comes first; locally
   * this alone bounds a run. @default 50000
   */
  IMHUB_RECONCILE_BUDGET_MS: z.coerce.number().int().min(100).default(50_000),
  /**
   * How the reconciler spends DingTalk calls: `sparing` (default) for standard-edition orgs and their
   * 10,000 calls a month, `normal` (re-read like the other platforms) for editions with more.
   */
  IMHUB_DINGTALK_POLLING: z.enum(['sparing', 'normal']).default('sparing'),
  /** Multiplies the platforms' rate windows. Lower only for local tries and tests against the simulator. */
  IMHUB_RATE_WINDOW_SCALE: z.coerce.number().positive().max(1).default(1),
  /**
   * Bases an app's `apiBaseUrl` may use in AWS besides the platforms' official API hosts (a proxy, a
   * private deployment): comma-separated https URLs, each allowing itself and the paths below it. The
   * stack sets it from `-c allowedApiBases=…`. @default none: the official hosts only
   */
  /** The sandbox's approver page, linked from the console (`npm run sandbox` sets it). @default none: no link */
  IMHUB_SANDBOX_URL: z.url({ protocol: /^https?$/, error: 'IMHUB_SANDBOX_URL must be an http(s) URL' }).optional(),
  IMHUB_ALLOWED_API_BASES: z
    .string()
    .default('')
    .transform((list) => list.split(',').map((base) => base.trim()).filter(Boolean))
    .pipe(z.array(z.url({ protocol: /^https$/, error: 'IMHUB_ALLOWED_API_BASES must list https URLs, separated by commas' }))),
});

export type Config = z.output<typeof environment>;

let config: Config | undefined;

/** Turns an environment into a `Config`; throws on a value it would otherwise misread. */
export const parseConfig = (env: NodeJS.ProcessEnv): Config => environment.parse(env);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  config ??= parseConfig(env);
  return config;
}

/** A configuration value the current function needs; its absence is a deployment error. */
export function required<K extends keyof Config>(name: K): NonNullable<Config[K]> {
  const value = loadConfig()[name];
  if (value === undefined) throw new Error(`${name} is not set in this function's environment`);
  return value as NonNullable<Config[K]>;
}
