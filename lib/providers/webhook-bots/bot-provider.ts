import type { Credentials, Integration, Provider } from '../../domain/integration.ts';
import { integrationLocale } from '../../domain/locale.ts';
import { textsFor } from '../../domain/texts.ts';
import { BadRequestError } from '../../errors.ts';
import { dingtalkBotSign, feishuBotSign } from '../crypto/bot-signing.ts';
import { dingtalkRules } from '../dingtalk/dingtalk-provider.ts';
import { feishuRules } from '../feishu-lark/feishu-provider.ts';
import { type HttpClientOptions, PlatformHttpClient, type PlatformRequest, type PlatformRules } from '../http-client.ts';
import type { ImProvider, MessageOperations, VerifyResult } from '../port.ts';
import { botPayload, keywordFirst, withKeyword } from '../../domain/message.ts';
import { wecomRules } from '../wecom/wecom-provider.ts';

/** How each platform's group bot takes a text message and its signature: the only differences between them. */
interface BotShape {
  rules: PlatformRules;
  textBody(text: string): Record<string, unknown>;
  sign(request: PlatformRequest & { body: Record<string, unknown> }, secret: string, now: number): PlatformRequest;
}

/** What to do about a refusal by the bot's security settings, which the platforms' messages leave unsaid. */
const securityAdvice = {
  keyword: "the bot's security setting requires a keyword in every message: set `keyword` on the integration to one of the bot's keywords",
  sign: "the bot's security setting checks a signature: set `secret` on the integration to the bot's signing secret (加签)",
  ip: "the bot's security setting accepts only listed IP addresses: add imhub's egress IPs to the bot, or use a keyword or signature instead",
};

/** Adds the advice to a security refusal's message; `adviceOf` picks it from the code and message. */
function withAdvice(rules: PlatformRules, adviceOf: (code: string | number, message: string) => string | undefined): PlatformRules['errorOf'] {
  return (status, body) => {
    const error = rules.errorOf(status, body);
    const advice = error && adviceOf(error.code, error.message);
    return error && advice ? { ...error, message: `${error.message} (${advice})` } : error;
  };
}

const feishuShape = (platform: 'feishu' | 'lark'): BotShape => ({
  // Bots answer `{code, msg}` like the API; 11232 is the bot's throttle code. Sent too fast, a bot
  // also answers HTTP 400 `{"code":9499,"msg":"too many request"}`; 9499 "Bad Request" is a refusal.
  // 19024 "Key Words Not Found" and 19021 (sign) are its security refusals (自定义机器人使用指南).
  rules: {
    ...feishuRules(platform),
    errorOf: withAdvice(feishuRules(platform), (code) => ({ 19024: securityAdvice.keyword, 19021: securityAdvice.sign })[code as number]),
    retryableCodes: new Set([99991400, 11232]),
    retryableAnswer: (code, message) => code === 9499 && /too many/i.test(message),
  },
  textBody: (text) => ({ msg_type: 'text', content: { text } }),
  sign: (request, secret, now) => {
    const timestamp = Math.floor(now / 1000);
    return { ...request, body: { ...request.body, timestamp: String(timestamp), sign: feishuBotSign(secret, timestamp) } };
  },
});

const shapes: Record<Provider, BotShape> = {
  feishu: feishuShape('feishu'),
  lark: feishuShape('lark'),
  dingtalk: {
    // 130101: more than 20 messages a minute. 310000 is any of the three security settings failing,
    // told apart only by the message: "keywords not in content", "sign not match", "ip … not in whitelist".
    rules: {
      ...dingtalkRules,
      errorOf: withAdvice(dingtalkRules, (code, message) =>
        code !== 310000 ? undefined : /keyword/i.test(message) ? securityAdvice.keyword : /sign/i.test(message) ? securityAdvice.sign : /ip|whitelist/i.test(message) ? securityAdvice.ip : Object.values(securityAdvice).join('; or '),
      ),
      retryableCodes: new Set([130101]),
    },
    textBody: (text) => ({ msgtype: 'text', text: { content: text } }),
    sign: (request, secret, now) => ({ ...request, query: { ...request.query, timestamp: String(now), sign: dingtalkBotSign(secret, now) } }),
  },
  wecom: {
    // WeCom bots have no signature: the key in the URL is the credential.
    rules: { ...wecomRules, retryableCodes: new Set([45009, -1]) },
    textBody: (text) => ({ msgtype: 'text', text: { content: text } }),
    sign: (request) => request,
  },
};

/** The four group-bot webhooks: one sender, a table of differences. */
export class BotProvider implements ImProvider {
  readonly provider: Provider;
  readonly kind = 'webhook' as const;
  private readonly http: PlatformHttpClient;
  private readonly shape: BotShape;

  constructor(
    private readonly integration: Integration,
    private readonly credentials: Credentials,
    options: { http?: HttpClientOptions; now?: () => number } = {},
    private readonly now: () => number = options.now ?? Date.now,
  ) {
    this.provider = integration.provider;
    this.shape = shapes[integration.provider];
    this.http = new PlatformHttpClient(this.shape.rules, options.http);
  }

  /** Posts a body to the group; signed when the bot has a secret. Not idempotent: retried only when refused, never after a timeout. */
  private async post(body: Record<string, unknown>): Promise<void> {
    const request = { method: 'POST' as const, url: this.credentials.url!, body, idempotent: false };
    const secret = this.credentials.secret;
    await this.http.call(secret ? this.shape.sign(request, secret, this.now()) : request);
  }

  async sendText(text: string): Promise<void> {
    await this.post(this.shape.textBody(keywordFirst(text, this.credentials.keyword)));
  }

  /** Bots post to their own group only; the target is ignored, and no platform deduplicates bot posts. */
  readonly messages: MessageOperations = {
    send: async (_target, message) => {
      const { body, truncated } = botPayload(this.provider, withKeyword(message, this.credentials.keyword));
      await this.post(body);
      return { truncated };
    },
  };

  async verify(): Promise<VerifyResult> {
    await this.sendText(textsFor(integrationLocale(this.integration).locale).botTest(this.integration.name));
    return { verified: true, provider: this.provider, kind: 'webhook', detail: 'sent a test message to the group' };
  }

  async resolveUsers(): Promise<string[]> {
    throw new BadRequestError('a group bot cannot look people up; use an app integration, or give userIds');
  }
}
