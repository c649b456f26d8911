import { type CredentialProbe, type IntegrationSetup, setupChecks } from '../domain/integration-setup.ts';
import { AppError, ProviderError } from '../errors.ts';
import type { IntegrationActivityRepository } from '../store/repository.ts';
import type { IntegrationService } from './integration-service.ts';
import type { ProviderService } from './provider-service.ts';

/**
 * The setup check behind the console's "add integration": an app's token fetched now, and what the
 * callback path noted (handshake, last event, last refused callback). A bot is not probed here: its
 * only proof is a message to its group, which the console sends on request (verify).
 */
export class IntegrationSetupService {
  constructor(
    private readonly options: {
      integrations: IntegrationService;
      providers: Pick<ProviderService, 'verify'>;
      activity: IntegrationActivityRepository;
      now?: () => Date;
    },
  ) {}

  async check(id: string): Promise<IntegrationSetup> {
    const integration = await this.options.integrations.require(id);
    const [activity, probe] = await Promise.all([this.options.activity.get(id), integration.kind === 'app' ? this.probe(id) : undefined]);
    return setupChecks(integration, activity, probe, (this.options.now ?? (() => new Date()))());
  }

  private async probe(id: string): Promise<CredentialProbe> {
    try {
      const verified = await this.options.providers.verify(id);
      return { ok: true, detail: verified.detail };
    } catch (error) {
      const platform = error instanceof ProviderError ? error : error instanceof Error && error.cause instanceof ProviderError ? error.cause : undefined;
      if (platform) return { ok: false, detail: error instanceof AppError ? error.message : platform.message, platformCode: platform.platformCode };
      if (error instanceof AppError) return { ok: false, detail: error.message };
      throw error;
    }
  }
}
