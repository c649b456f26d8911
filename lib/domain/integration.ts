import * as z from 'zod';
import { integrationLocale, type Locale, localeSchema, timeZoneSchema } from './locale.ts';

/**
 * Integrations: one IM app or group bot that imhub talks to. Pure: schemas, the split of
 * credentials into public fields and sealed secrets, and the view returned to callers.
 */

export const providers = ['feishu', 'lark', 'dingtalk', 'wecom'] as const;
export type Provider = (typeof providers)[number];
export const integrationKinds = ['app', 'webhook'] as const;
export type IntegrationKind = (typeof integrationKinds)[number];

/** The platforms' default API bases; `apiBaseUrl` overrides them (private deployments, simulators). */
export const defaultApiBaseUrls: Record<Provider, string> = {
  feishu: 'https://open.feishu.cn',
  lark: 'https://open.larksuite.com',
  dingtalk: 'https://api.dingtalk.com',
  wecom: 'https://qyapi.weixin.qq.com',
};

/**
 * The platforms' own API hosts: in AWS an app's apiBaseUrl must be one of these (any path) unless the
 * operator allows more, since the token fetch sends the app secret there.
 */
export const officialApiBases: Record<Provider, readonly string[]> = {
  feishu: ['https://open.feishu.cn'],
  lark: ['https://open.larksuite.com'],
  dingtalk: ['https://api.dingtalk.com', 'https://oapi.dingtalk.com'],
  wecom: ['https://qyapi.weixin.qq.com'],
};

const text = (what: string, max = 512) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `${what} is required` : `${what} must be a string`) })
    .trim()
    .min(1, `${what} must not be empty`)
    .max(max, `${what} must be at most ${max} characters`);

/** An id that platforms hand out as a number in some places (WeCom/DingTalk agentId): kept as a string. */
const numericOrTextId = (what: string) =>
  z.union([z.string().trim().regex(/^\d{1,20}$/, `${what} must be digits`), z.int().nonnegative()], {
    error: `${what} must be a number or a string of digits`,
  }).transform(String);

/** DingTalk's aes_key and WeCom's EncodingAESKey: 43 characters of base64 (the key is base64(key + "=")). */
const aesKey43 = (what: string) =>
  z
    .string({ error: `${what} is required` })
    .regex(/^[A-Za-z0-9+/]{43}$/, `${what} must be exactly 43 letters and digits, as the console shows it`);

export const feishuAppCredentials = z.strictObject({
  appId: text('appId', 128),
  appSecret: text('appSecret'),
  encryptKey: text('encryptKey').optional(),
  verificationToken: text('verificationToken').optional(),
});

export const dingtalkAppCredentials = z.strictObject({
  appKey: text('appKey', 128),
  appSecret: text('appSecret'),
  aesKey: aesKey43('aesKey'),
  token: text('token'),
  corpId: text('corpId', 128).optional(),
  agentId: numericOrTextId('agentId').optional(),
  /** The app robot that posts to chats. @default the appKey (an internal group); a scene group (场景群) needs its template's robot code. */
  robotCode: text('robotCode', 128).optional(),
  /** The card template (卡片平台) approval cards are made from (`via: "card"`); docs/platforms/dingtalk.md says what it must hold. */
  cardTemplateId: text('cardTemplateId', 128).optional(),
});

export const wecomAppCredentials = z.strictObject({
  corpId: text('corpId', 128),
  agentId: numericOrTextId('agentId'),
  secret: text('secret'),
  token: text('token'),
  encodingAesKey: aesKey43('encodingAesKey'),
});

/** Where each platform's group-bot webhook lives; the path check catches a URL pasted from the wrong console. */
const botUrlShapes: Record<Provider, { pattern: RegExp; example: string }> = {
  feishu: { pattern: /\/open-apis\/bot\/v2\/hook\/[^/?#]+$/, example: 'https://open.feishu.cn/open-apis/bot/v2/hook/<token>' },
  lark: { pattern: /\/open-apis\/bot\/v2\/hook\/[^/?#]+$/, example: 'https://open.larksuite.com/open-apis/bot/v2/hook/<token>' },
  dingtalk: { pattern: /\/robot\/send\?(.*&)?access_token=[^&]+/, example: 'https://oapi.dingtalk.com/robot/send?access_token=<token>' },
  wecom: { pattern: /\/cgi-bin\/webhook\/send\?(.*&)?key=[^&]+/, example: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>' },
};

export const webhookCredentials = (provider: Provider) =>
  z.strictObject({
    url: z
      .string({ error: 'url is required' })
      .max(2048, 'url must be at most 2048 characters')
      .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'url must be an absolute http(s) URL')
      .refine((value) => botUrlShapes[provider].pattern.test(value), {
        message: `url must be a ${provider} group-bot webhook such as ${botUrlShapes[provider].example}`,
      }),
    secret: text('secret').optional(),
    /** For a bot in keyword mode (自定义关键词): one of its keywords, put into every message. Not a secret. */
    keyword: text('keyword', 64).optional(),
  });

interface CredentialSpec {
  schema: z.ZodType<Record<string, string | undefined>, Record<string, unknown>>;
  /** Fields that are sealed at rest and never returned; the rest are shown as stored. */
  secretFields: readonly string[];
}

const appSpecs: Record<Provider, CredentialSpec> = {
  feishu: { schema: feishuAppCredentials, secretFields: ['appSecret', 'encryptKey', 'verificationToken'] },
  lark: { schema: feishuAppCredentials, secretFields: ['appSecret', 'encryptKey', 'verificationToken'] },
  dingtalk: { schema: dingtalkAppCredentials, secretFields: ['appSecret', 'aesKey', 'token'] },
  wecom: { schema: wecomAppCredentials, secretFields: ['secret', 'token', 'encodingAesKey'] },
};

export function credentialSpec(provider: Provider, kind: IntegrationKind): CredentialSpec {
  if (kind === 'app') return appSpecs[provider];
  // A bot's whole URL is a secret: its access_token/key grants sending.
  return { schema: webhookCredentials(provider), secretFields: ['url', 'secret'] };
}

export type Credentials = Record<string, string>;

const integrationName = z
  .string({ error: 'name is required' })
  .trim()
  .min(1, 'name must not be empty')
  .max(100, 'name must be at most 100 characters')
  .regex(/^[^\p{Cc}]+$/u, 'name must not contain control characters');

const apiBaseUrl = z
  .string({ error: 'apiBaseUrl must be a string' })
  .max(2048, 'apiBaseUrl must be at most 2048 characters')
  .refine((value) => URL.canParse(value), 'apiBaseUrl must be an absolute URL such as https://open.feishu.cn');

const credentialsObject = z.record(z.string(), z.unknown(), { error: 'credentials must be an object' });

/** Adds the issues of parsing `credentials` with the provider's schema, under the `credentials` path. */
function checkCredentials(
  value: { provider: Provider; kind: IntegrationKind; credentials: Record<string, unknown> },
  ctx: z.RefinementCtx,
): Credentials | undefined {
  const parsed = credentialSpec(value.provider, value.kind).schema.safeParse(value.credentials);
  if (parsed.success) return dropUndefined(parsed.data);
  for (const issue of parsed.error.issues) {
    ctx.addIssue({ ...issue, path: ['credentials', ...issue.path] } as z.core.$ZodRawIssue);
  }
  return undefined;
}

const dropUndefined = (record: Record<string, string | undefined>): Credentials =>
  Object.fromEntries(Object.entries(record).filter((entry): entry is [string, string] => entry[1] !== undefined));

export const createIntegrationBody = z
  .strictObject({
    provider: z.enum(providers, { error: `provider must be one of ${providers.join(', ')}` }),
    kind: z.enum(integrationKinds, { error: `kind must be one of ${integrationKinds.join(', ')}` }).default('app'),
    name: integrationName,
    credentials: credentialsObject,
    apiBaseUrl: apiBaseUrl.optional(),
    /** The language of what imhub writes on the platform. @default zh-CN (en-US for lark) */
    locale: localeSchema.optional(),
    /** The IANA zone of the times imhub writes there. @default Asia/Shanghai */
    timeZone: timeZoneSchema.optional(),
  })
  .transform((value, ctx) => {
    const credentials = checkCredentials(value, ctx);
    if (value.kind === 'webhook' && value.apiBaseUrl !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['apiBaseUrl'], message: 'apiBaseUrl applies to apps only; a webhook integration uses its url' });
    }
    return { ...value, credentials: credentials ?? {} };
  });
export type CreateIntegrationInput = z.output<typeof createIntegrationBody>;

export const updateIntegrationBody = z.strictObject(
  {
    name: integrationName.optional(),
    /** `null` removes an override and goes back to the platform's default base. */
    apiBaseUrl: apiBaseUrl.nullable().optional(),
    /** Fields given here replace the stored ones; fields left out keep their value. `null` removes an optional field. */
    credentials: z.record(z.string(), z.unknown().nullable(), { error: 'credentials must be an object' }).optional(),
    locale: localeSchema.optional(),
    timeZone: timeZoneSchema.optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `${issue.keys.join(', ')} cannot be changed; only name, apiBaseUrl, credentials, locale and timeZone can` : undefined) },
).refine((value) => Object.keys(value).length > 0, 'give at least one of name, apiBaseUrl, credentials, locale, timeZone');
export type UpdateIntegrationInput = z.output<typeof updateIntegrationBody>;

/** An integration as stored: non-secret credential fields in the clear, secrets only as ciphertext. */
export interface Integration {
  id: string;
  provider: Provider;
  kind: IntegrationKind;
  name: string;
  apiBaseUrl?: string;
  /** Absent on records stored before locales: read as the platform's default (`integrationLocale`). */
  locale?: Locale;
  timeZone?: string;
  publicCredentials: Credentials;
  /** Field name → short hint (last characters) for each secret that is set. */
  secretHints: Record<string, string>;
  /** Ciphertext of the JSON object of secret fields, bound to the integration id. */
  sealedSecrets: string;
  /** Increases whenever a secret changes, so tokens cached under an old secret are never reused. */
  credentialVersion: number;
  /** Optimistic-concurrency version of the whole record. */
  version: number;
  /** When the last authentic callback arrived (written at most hourly): the callback path works. */
  callbacksSeenAt?: string;
  /** The platform said this app's call quota is used up (DingTalk 90020) until `resetsAt`: imhub does not poll meanwhile. */
  platformQuota?: { platformCode: string | number; since: string; resetsAt: string };
  createdAt: string;
  updatedAt: string;
}

/** Splits validated credentials into the part stored in the clear and the part that gets sealed. */
export function splitCredentials(provider: Provider, kind: IntegrationKind, credentials: Credentials) {
  const { secretFields } = credentialSpec(provider, kind);
  const publicCredentials: Credentials = {};
  const secrets: Credentials = {};
  for (const [field, value] of Object.entries(credentials)) {
    (secretFields.includes(field) ? secrets : publicCredentials)[field] = value;
  }
  const secretHints = Object.fromEntries(Object.entries(secrets).map(([field, value]) => [field, secretHint(field, value)]));
  return { publicCredentials, secrets, secretHints };
}

/**
 * A hint that lets a person recognise a secret without revealing it: the last four characters,
 * and only for secrets long enough that four characters give nothing useful away.
 * A bot URL keeps its origin, which is not secret.
 */
export function secretHint(field: string, value: string): string {
  const tail = value.length >= 16 ? value.slice(-4) : '';
  if (field === 'url' && URL.canParse(value)) return `${new URL(value).origin}/…${tail}`;
  return `…${tail}`;
}

/**
 * Applies a PATCH of credentials to the stored ones. Returns the full credential set to validate;
 * `null` removes an optional field.
 */
export function mergeCredentials(current: Credentials, patch: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...current };
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete merged[field];
    else merged[field] = value;
  }
  return merged;
}

export const credentialsChanged = (before: Credentials, after: Credentials) =>
  Object.keys({ ...before, ...after }).some((field) => before[field] !== after[field]);

/** What callers see: no secret, only a hint that each one is set. */
export interface IntegrationView {
  id: string;
  provider: Provider;
  kind: IntegrationKind;
  name: string;
  apiBaseUrl: string | null;
  callbackUrl: string | null;
  locale: Locale;
  timeZone: string;
  credentials: Record<string, string>;
  credentialVersion: number;
  version: number;
  /** While the platform's call quota is used up. */
  platformQuota: ({ exhausted: true } & NonNullable<Integration['platformQuota']>) | null;
  createdAt: string;
  updatedAt: string;
}

export function toIntegrationView(integration: Integration, publicBaseUrl: string, now = new Date()): IntegrationView {
  const hints = Object.fromEntries(Object.entries(integration.secretHints).map(([field, hint]) => [field, `(secret, ${hint})`]));
  return {
    id: integration.id,
    provider: integration.provider,
    kind: integration.kind,
    name: integration.name,
    apiBaseUrl: integration.apiBaseUrl ?? null,
    callbackUrl: integration.kind === 'app' ? callbackUrl(publicBaseUrl, integration.id) : null,
    ...integrationLocale(integration),
    credentials: { ...integration.publicCredentials, ...hints },
    credentialVersion: integration.credentialVersion,
    version: integration.version,
    platformQuota: integration.platformQuota && integration.platformQuota.resetsAt > now.toISOString() ? { exhausted: true, ...integration.platformQuota } : null,
    createdAt: integration.createdAt,
    updatedAt: integration.updatedAt,
  };
}

export const callbackUrl = (publicBaseUrl: string, integrationId: string) =>
  `${publicBaseUrl.replace(/\/+$/, '')}/v1/callbacks/${encodeURIComponent(integrationId)}`;

/** Names are unique regardless of case and surrounding space. */
export const normalizeIntegrationName = (name: string) => name.trim().normalize('NFKC').toLowerCase();
