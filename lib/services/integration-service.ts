import { randomBytes } from 'node:crypto';
import type * as z from 'zod';
import {
  callbackUrl,
  type CreateIntegrationInput,
  type Credentials,
  credentialSpec,
  credentialsChanged,
  type Integration,
  type IntegrationView,
  mergeCredentials,
  officialApiBases,
  type Provider,
  splitCredentials,
  toIntegrationView,
  type UpdateIntegrationInput,
} from '../domain/integration.ts';
import type { Principal } from '../domain/api-key.ts';
import { apiBaseUrlProblem, type OutboundUrlPolicy, outboundUrlProblem } from '../domain/outbound-url.ts';
import { BadRequestError, ConflictError, type ErrorDetail, ForbiddenError, invalidInput, NotFoundError, zodIssuesToDetails } from '../errors.ts';
import type { IntegrationRepository, Page, PageRequest } from '../store/repository.ts';
import type { SecretSealer } from '../secrets/sealer.ts';

export interface IntegrationServiceOptions {
  repository: IntegrationRepository;
  sealer: SecretSealer;
  urlPolicy: OutboundUrlPolicy;
  /**
   * Bases an app's apiBaseUrl may use in AWS besides the platform's official API hosts (IMHUB_ALLOWED_API_BASES).
   * @default [] (the official hosts only)
   */
  allowedApiBases?: readonly string[];
  /** Base of callback URLs, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com`. */
  publicBaseUrl: string;
  now?: () => Date;
  /** How long opened credentials are kept in memory, sparing a KMS call per platform call or event. @default 300000 */
  credentialCacheMs?: number;
}

export const newIntegrationId = () => `int_${randomBytes(15).toString('base64url').replace(/[-_]/g, 'x')}`;

/** Create, read, update and delete integrations; the only place that seals and opens their secrets. */
export class IntegrationService {
  private readonly now: () => Date;
  /** Keyed by id and credential version: a changed secret is never served from here. */
  private readonly credentialCache = new Map<string, { credentials: Credentials; until: number }>();

  constructor(private readonly options: IntegrationServiceOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async create(input: CreateIntegrationInput): Promise<IntegrationView> {
    this.checkUrls(input.provider, input.apiBaseUrl, input.credentials);
    const id = newIntegrationId();
    const { publicCredentials, secrets, secretHints } = splitCredentials(input.provider, input.kind, input.credentials);
    const at = this.now().toISOString();
    const integration: Integration = {
      id,
      provider: input.provider,
      kind: input.kind,
      name: input.name,
      ...(input.apiBaseUrl ? { apiBaseUrl: input.apiBaseUrl } : {}),
      ...(input.locale ? { locale: input.locale } : {}),
      ...(input.timeZone ? { timeZone: input.timeZone } : {}),
      publicCredentials,
      secretHints,
      sealedSecrets: await this.options.sealer.seal(JSON.stringify(secrets), { integrationId: id }),
      credentialVersion: 1,
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    await this.options.repository.create(integration);
    return this.view(integration);
  }

  async get(id: string): Promise<IntegrationView> {
    return this.view(await this.require(id));
  }

  async list(page: PageRequest): Promise<Page<IntegrationView>> {
    const result = await this.options.repository.list(page);
    return { ...result, items: result.items.map((integration) => this.view(integration)) };
  }

  /** `caller` is whoever asked: moving apiBaseUrl takes the admin scope or the secrets again. @default no scopes */
  async update(id: string, patch: UpdateIntegrationInput, caller: Pick<Principal, 'scopes'> = { scopes: [] }): Promise<IntegrationView> {
    const current = await this.require(id);
    this.checkApiBaseUrlMove(current, patch, caller);
    const next: Integration = { ...current, version: current.version + 1, updatedAt: this.now().toISOString() };
    if (patch.name !== undefined) next.name = patch.name;
    if (patch.locale !== undefined) next.locale = patch.locale;
    if (patch.timeZone !== undefined) next.timeZone = patch.timeZone;
    if (patch.apiBaseUrl === null) delete next.apiBaseUrl;
    else if (patch.apiBaseUrl !== undefined) {
      if (current.kind === 'webhook') {
        throw invalidInput('request body', [{ path: 'apiBaseUrl', message: 'apiBaseUrl applies to apps only; a webhook integration uses its url' }]);
      }
      next.apiBaseUrl = patch.apiBaseUrl;
    }

    let credentials: Credentials | undefined;
    if (patch.credentials) {
      const currentCredentials = { ...current.publicCredentials, ...(await this.openSecrets(current)) };
      credentials = this.validateCredentials(current, mergeCredentials(currentCredentials, patch.credentials));
      if (credentialsChanged(currentCredentials, credentials)) {
        const { publicCredentials, secrets, secretHints } = splitCredentials(current.provider, current.kind, credentials);
        Object.assign(next, {
          publicCredentials,
          secretHints,
          sealedSecrets: await this.options.sealer.seal(JSON.stringify(secrets), { integrationId: id }),
          credentialVersion: current.credentialVersion + 1,
        });
      }
    }
    this.checkUrls(current.provider, next.apiBaseUrl, credentials);
    await this.options.repository.update(next, current);
    return this.view(next);
  }

  async delete(id: string): Promise<void> {
    await this.options.repository.delete(await this.require(id));
  }

  /**
   * Notes that an authentic callback arrived (the callback path works), writing at most once an
   * hour per integration. Losing a race to another write is fine: someone wrote it recently.
   */
  async noteCallbackSeen(integration: Integration): Promise<void> {
    const now = this.now();
    if (integration.callbacksSeenAt && now.getTime() - new Date(integration.callbacksSeenAt).getTime() < 3600_000) return;
    await this.options.repository.update({ ...integration, callbacksSeenAt: now.toISOString(), version: integration.version + 1 }, integration).catch((error: unknown) => {
      if (!(error instanceof ConflictError)) throw error;
    });
  }

  /** Records that the platform's call quota of this integration is used up until `resetsAt`; shown on the integration. */
  async markQuotaExhausted(id: string, quota: { platformCode: string | number; resetsAt: string }): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const current = await this.options.repository.get(id);
      if (!current || current.platformQuota?.resetsAt === quota.resetsAt) return;
      const next: Integration = { ...current, platformQuota: { ...quota, since: this.now().toISOString() }, version: current.version + 1 };
      try {
        await this.options.repository.update(next, current);
        return;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
  }

  /** The full credentials (secrets included) for talking to the platform. Never returned to a caller. */
  async credentials(integration: Integration): Promise<Credentials> {
    const key = `${integration.id}:${integration.credentialVersion}`;
    const cached = this.credentialCache.get(key);
    if (cached && cached.until > Date.now()) return cached.credentials;
    const credentials = { ...integration.publicCredentials, ...(await this.openSecrets(integration)) };
    this.credentialCache.set(key, { credentials, until: Date.now() + (this.options.credentialCacheMs ?? 300_000) });
    return credentials;
  }

  /** An integration a request names in its body: a missing one is the request's mistake (400), not a 404. */
  async requireReferenced(id: string): Promise<Integration> {
    const integration = await this.options.repository.get(id);
    if (!integration) throw new BadRequestError(`integrationId ${id} does not exist`, { code: 'unknown_integration' });
    return integration;
  }

  find(id: string): Promise<Integration | undefined> {
    return this.options.repository.get(id);
  }

  async require(id: string): Promise<Integration> {
    const integration = await this.options.repository.get(id);
    if (!integration) throw new NotFoundError(`integration ${id} does not exist`);
    return integration;
  }

  private async openSecrets(integration: Integration): Promise<Credentials> {
    return JSON.parse(await this.options.sealer.open(integration.sealedSecrets, { integrationId: integration.id })) as Credentials;
  }

  private validateCredentials(integration: Integration, merged: Record<string, unknown>): Credentials {
    const parsed = (credentialSpec(integration.provider, integration.kind).schema as z.ZodType<Record<string, string | undefined>>).safeParse(merged);
    if (!parsed.success) {
      throw invalidInput('request body', zodIssuesToDetails(parsed.error.issues, ['credentials']));
    }
    return Object.fromEntries(Object.entries(parsed.data).filter((entry): entry is [string, string] => entry[1] !== undefined));
  }

  /**
   * The next token fetch sends the stored secrets to a new apiBaseUrl, so moving it takes the admin
   * scope or every stored secret in the same request (new or the same values): a secret can be
   * replaced, never read. Removing the override (back to the official host) needs neither.
   */
  private checkApiBaseUrlMove(current: Integration, patch: UpdateIntegrationInput, caller: Pick<Principal, 'scopes'>) {
    if (current.kind !== 'app' || patch.apiBaseUrl === undefined || patch.apiBaseUrl === null || patch.apiBaseUrl === current.apiBaseUrl) return;
    if (caller.scopes.includes('admin')) return;
    const stored = credentialSpec(current.provider, current.kind).secretFields.filter((field) => field in current.secretHints);
    const missing = stored.filter((field) => patch.credentials?.[field] === undefined);
    if (missing.length === 0) return;
    throw new ForbiddenError(
      `changing apiBaseUrl needs the admin scope or the credentials again: send ${missing.map((field) => `credentials.${field}`).join(', ')} in the same request`,
      { details: missing.map((field) => ({ path: `credentials.${field}`, message: `${field} is required to change apiBaseUrl without the admin scope` })) },
    );
  }

  /**
   * Applies the outbound URL policy (https and public addresses in AWS) to every URL imhub will call,
   * and, in AWS, keeps apiBaseUrl to the platform's official hosts and the operator's allowed bases.
   */
  private checkUrls(provider: Provider, apiBaseUrl: string | undefined, credentials: Credentials | undefined) {
    const details: ErrorDetail[] = [];
    const check = (path: string, problem: string | undefined) => {
      if (problem) details.push({ path, message: `${path.split('.').pop()} ${problem}` });
    };
    const allowedBases = [...officialApiBases[provider], ...(this.options.allowedApiBases ?? [])];
    check('apiBaseUrl', apiBaseUrl === undefined ? undefined : apiBaseUrlProblem(apiBaseUrl, allowedBases, this.options.urlPolicy));
    check('credentials.url', credentials?.url === undefined ? undefined : outboundUrlProblem(credentials.url, this.options.urlPolicy));
    if (details.length) throw invalidInput('request body', details);
  }

  /** Where the platform posts this integration's events and clicks. */
  callbackUrlOf(integration: Pick<Integration, 'id'>): string {
    return callbackUrl(this.options.publicBaseUrl, integration.id);
  }

  private view(integration: Integration) {
    return toIntegrationView(integration, this.options.publicBaseUrl);
  }
}
