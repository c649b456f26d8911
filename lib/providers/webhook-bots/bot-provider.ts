import type { Credentials, Integration, Provider } from '../../domain/integration.ts';
import { BadRequestError } from '../../errors.ts';
import { dingtalkBotSign, feishuBotSign } from '../crypto/bot-signing.ts';
import { dingtalkRules } from '../dingtalk/dingtalk-provider.ts';
import { feishuRules } from '../feishu-lark/feishu-provider.ts';
import { type HttpClientOptions, PlatformHttpClient, type PlatformRequest, type PlatformRules } from '../http-client.ts';
import type { ImProvider, MessageOperations, VerifyResult } from '../port.ts';
import { botPayload } from '../../domain/message.ts';
import { wecomRules } from '../wecom/wecom-provider.ts';

/** How each platform's group bot takes a text message and its signature: the only differences between them. */
interface BotShape {
  rules: PlatformRules;
  textBody(text: string): Record<string, unknown>;
  sign(request: PlatformRequest & { body: Record<string, unknown> }, secret: string, now: number): PlatformRequest;
}

const feishuShape = (platform: 'feishu' | 'lark'): BotShape => ({
  // Bots answer `{code, msg}` like the API; 11232 is the bot's throttle code. Sent too fast, a bot
  // also answers HTTP 400 `{"code":9499,"msg":"too many request"}`; 9499 "Bad Request" is a refusal.
  rules: { ...feishuRules(platform), retryableCodes: new Set([99991400, 11232]), retryableAnswer: (code, message) => code === 9499 && /too many/i.test(message) },
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
    // 130101: more than 20 messages a minute.
    rules: { ...dingtalkRules, retryableCodes: new Set([130101]) },
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
    await this.post(this.shape.textBody(text));
  }

  /** Bots post to their own group only; the target is ignored, and no platform deduplicates bot posts. */
  readonly messages: MessageOperations = {
    send: async (_target, message) => {
      await this.post(botPayload(this.provider, message));
      return {};
    },
  };

  async verify(): Promise<VerifyResult> {
    await this.sendText(`imhub: this group bot is connected to integration "${this.integration.name}".`);
    return { verified: true, provider: this.provider, kind: 'webhook', detail: 'sent a test message to the group' };
  }

  async resolveUsers(): Promise<string[]> {
    throw new BadRequestError('a group bot cannot look people up; use an app integration, or give userIds');
  }
}
