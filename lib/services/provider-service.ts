import { nextMonthInChina } from '../domain/check-plan.ts';
import type { Integration } from '../domain/integration.ts';
import { ProviderError, TooManyRequestsError, VerificationFailedError } from '../errors.ts';
import type { HttpClientOptions } from '../providers/http-client.ts';
import type { Logger } from '../log.ts';
import type { ImProvider, VerifyResult } from '../providers/port.ts';
import { providerFor } from '../providers/provider-factory.ts';
import type { TokenCache } from '../providers/token-cache.ts';
import type { IntegrationActivityRepository, RateLimitStore } from '../store/repository.ts';
import type { IntegrationService } from './integration-service.ts';
import { noteSendAnswer, type SendRateLimit, sendRateLimit } from './notification-service.ts';

/** Turns integrations into providers (credentials opened, tokens shared) and runs verify. */
export class ProviderService {
  constructor(
    private readonly options: {
      integrations: IntegrationService;
      tokens: TokenCache;
      /** The send windows messages take: a group bot's verify posts a message, so it takes a slot too. */
      rateLimits: RateLimitStore;
      /** Multiplies every rate window, as for notifications. @default 1 */
      rateWindowScale?: number;
      http?: HttpClientOptions;
      /** Where a refused call is noted for the setup check (its last error). */
      activity?: Pick<IntegrationActivityRepository, 'notePlatformError'>;
      logger?: Logger;
    },
  ) {}

  async providerOf(integration: Integration): Promise<ImProvider> {
    const credentials = await this.options.integrations.credentials(integration);
    return providerFor(integration, credentials, {
      tokens: this.options.tokens,
      callbackUrl: this.options.integrations.callbackUrlOf(integration),
      ...(this.options.http ? { http: this.options.http } : {}),
      // The quota is shown on the integration, and the reconciler stops polling it until the reset.
      onQuotaExhausted: (error) => this.options.integrations.markQuotaExhausted(integration.id, { platformCode: error.platformCode, resetsAt: nextMonthInChina(new Date()).toISOString() }),
      ...(this.options.activity ? { onRefused: (error) => this.options.activity!.notePlatformError(integration.id, { platformCode: error.platformCode, message: error.message }, new Date()) } : {}),
    });
  }

  /**
   * The setup check's probe: an app fetches a token now, and nothing else. Unlike verify it sets up
   * nothing on the platform (no card route), so the setup route's `read` scope cannot change it.
   */
  async fetchToken(id: string): Promise<VerifyResult> {
    const integration = await this.options.integrations.require(id);
    if (integration.kind !== 'app') throw new Error('only an app fetches a token');
    return (await this.providerOf(integration)).verify();
  }

  /**
   * Proves the integration's credentials against the platform now. A platform refusal (a code on
   * its answer) is the user's to fix: 422 with the platform's code and message. An unreachable or
   * failing platform stays a 502/504. A group bot's verify posts a message, so it takes a slot of
   * the bot's window like any message: with the window full it is a 429 saying when the bot can
   * take one, and the platform is not called.
   */
  async verify(id: string): Promise<VerifyResult & { integrationId: string; checkedAt: string }> {
    const integration = await this.options.integrations.require(id);
    const provider = await this.providerOf(integration);
    const slot = integration.kind === 'webhook' ? await this.takeBotSlot(integration) : undefined;
    try {
      const verified = await (slot ? provider.verify().finally(() => noteSendAnswer(this.options.rateLimits, slot, slot.at, Date.now(), this.options.logger)) : provider.verify());
      // What card clicks need on the platform (DingTalk's callback route, signed with a secret derived from the app secret).
      await provider.cards?.prepare?.();
      return { ...verified, integrationId: id, checkedAt: new Date().toISOString() };
    } catch (error) {
      if (error instanceof ProviderError && error.refused) {
        throw new VerificationFailedError(
          `${error.platform} refused these credentials: code ${error.platformCode}, "${error.platformMessage}". Check the ${integration.kind === 'app' ? 'app credentials (and trusted IPs for WeCom)' : 'webhook URL, secret and keyword'}.`,
          { cause: error, details: error.details },
        );
      }
      throw error;
    }
  }

  /** A group bot's verify posts a message: it takes a slot of the bot's window like any message. */
  private async takeBotSlot(integration: Integration): Promise<(SendRateLimit & { at: number }) | undefined> {
    const limit = sendRateLimit(integration, { group: true }, this.options.rateWindowScale ?? 1);
    if (!limit) return undefined;
    const now = Date.now();
    const taken = await this.options.rateLimits.take(limit.key, limit.windows, now);
    if (taken.taken) return { ...limit, at: taken.at };
    const freeAt = taken.retryAt;
    const seconds = Math.max(1, Math.ceil((freeAt - now) / 1000));
    throw new TooManyRequestsError(`this group bot has sent as many messages as the platform allows for now; it can take one (and a verify) again in ${seconds} s`, {
      headers: { 'retry-after': String(seconds) },
      details: { retryAt: new Date(freeAt).toISOString() },
    });
  }
}
