import { type CredentialProbe, type IntegrationSetup, quotaSkippedDetail, setupChecks } from '../domain/integration-setup.ts';
import { AppError, ProviderError } from '../errors.ts';
import type { IntegrationActivityRepository } from '../store/repository.ts';
import type { IntegrationService } from './integration-service.ts';
import type { ProviderService } from './provider-service.ts';

/**
 * The setup check behind the console's "add integration": an app's token fetched now, and what the
 * callback path and the jobs noted (handshake, last event, last call the platform refused). A bot is not probed here: its
 * only proof is a message to its group, which the console sends on request (verify).
 */
export class IntegrationSetupService {
  constructor(
    private readonly options: {
      integrations: IntegrationService;
      providers: Pick<ProviderService, 'fetchToken'>;
      activity: IntegrationActivityRepository;
      now?: () => Date;
    },
  ) {}

  async check(id: string): Promise<IntegrationSetup> {
    const integration = await this.options.integrations.require(id);
    const now = (this.options.now ?? (() => new Date()))();
    // While the platform's call quota is used up, a probe would only spend what is left of it.
    const quotaUsedUp = Boolean(integration.platformQuota && integration.platformQuota.resetsAt > now.toISOString());
    const probe = integration.kind !== 'app' ? undefined : quotaUsedUp ? ({ ok: 'skipped', detail: quotaSkippedDetail } as const) : this.probe(id);
    const [activity, probed] = await Promise.all([this.options.activity.get(id), probe]);
    return setupChecks(integration, activity, probed, now);
  }

  private async probe(id: string): Promise<CredentialProbe> {
    try {
      const verified = await this.options.providers.fetchToken(id);
      return { ok: true, detail: verified.detail };
    } catch (error) {
      const platform = error instanceof ProviderError ? error : error instanceof Error && error.cause instanceof ProviderError ? error.cause : undefined;
      if (platform) return { ok: false, detail: error instanceof AppError ? error.message : platform.message, platformCode: platform.platformCode };
      if (error instanceof AppError) return { ok: false, detail: error.message };
      throw error;
    }
  }
}
