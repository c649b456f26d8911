import { nextMonthInChina } from '../domain/check-plan.ts';
import type { Integration } from '../domain/integration.ts';
import { ProviderError, VerificationFailedError } from '../errors.ts';
import type { HttpClientOptions } from '../providers/http-client.ts';
import type { ImProvider, VerifyResult } from '../providers/port.ts';
import { providerFor } from '../providers/provider-factory.ts';
import type { TokenCache } from '../providers/token-cache.ts';
import type { IntegrationService } from './integration-service.ts';

/** Turns integrations into providers (credentials opened, tokens shared) and runs verify. */
export class ProviderService {
  constructor(
    private readonly options: { integrations: IntegrationService; tokens: TokenCache; http?: HttpClientOptions },
  ) {}

  async providerOf(integration: Integration): Promise<ImProvider> {
    const credentials = await this.options.integrations.credentials(integration);
    return providerFor(integration, credentials, {
      tokens: this.options.tokens,
      ...(this.options.http ? { http: this.options.http } : {}),
      // The quota is shown on the integration, and the reconciler stops polling it until the reset.
      onQuotaExhausted: (error) => this.options.integrations.markQuotaExhausted(integration.id, { platformCode: error.platformCode, resetsAt: nextMonthInChina(new Date()).toISOString() }),
    });
  }

  /**
   * Proves the integration's credentials against the platform now. A platform refusal (a code on
   * its answer) is the user's to fix: 422 with the platform's code and message. An unreachable or
   * failing platform stays a 502/504.
   */
  async verify(id: string): Promise<VerifyResult & { integrationId: string; checkedAt: string }> {
    const integration = await this.options.integrations.require(id);
    const provider = await this.providerOf(integration);
    try {
      return { ...(await provider.verify()), integrationId: id, checkedAt: new Date().toISOString() };
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
}
