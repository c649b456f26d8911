import { BadRequestError, ProviderError } from '../errors.ts';
import type { Credentials, Integration } from '../domain/integration.ts';
import { normalizeEmail, normalizeMobile } from '../domain/person.ts';
import { type PlatformAnswer, PlatformHttpClient, type PlatformRequest, type PlatformRules, type HttpClientOptions } from './http-client.ts';
import type { RenderableMessage } from '../domain/message.ts';
import type { ApprovalOperations, ApprovalSpec, CardOperations, FoundInstance, ImProvider, InstanceSnapshot, MessageOperations, MessageTarget, Person, SentMessage, VerifyResult } from './port.ts';
import type { CachedToken, TokenCache, TokenKey } from './token-cache.ts';

/** What differs between the app platforms: a small table, not a copy of the flow. */
export interface AppAdapter {
  rules: PlatformRules;
  /** Fetches a new access token with the app's credentials. */
  fetchToken(http: PlatformHttpClient): Promise<CachedToken>;
  /** Adds the token to a request the way the platform wants it (header or query). */
  authorize(request: PlatformRequest, token: string): PlatformRequest;
  /** Looks people up by email or mobile, in batches where the platform has them; absent from the map when unknown. */
  lookUp(call: AuthorizedCall, people: readonly LookUpPerson[]): Promise<Map<string, string>>;
  tokenName: string;
  approvals: ApprovalAdapter;
  messages: MessageAdapter;
  /** Interactive approval cards, where imhub renders the platform's cards. */
  cards?(call: AuthorizedCall): CardOperations;
}

/** A platform's app-message API, given an authorized call. */
export interface MessageAdapter {
  send(call: AuthorizedCall, target: MessageTarget, message: RenderableMessage, dedupeKey: string): Promise<SentMessage>;
  urgent?(call: AuthorizedCall, messageId: string, userIds: readonly string[]): Promise<void>;
  remindUrgently?(call: AuthorizedCall, userIds: readonly string[], text: string): Promise<void>;
}

/** A platform's approval API, given an authorized call. */
export interface ApprovalAdapter {
  definitionKey(spec: ApprovalSpec): string;
  provision(call: AuthorizedCall, spec: ApprovalSpec, name: string): Promise<string>;
  /** Repeatable follow-up of a new definition, once its code is stored (Feishu: subscribe its events). */
  activate?(call: AuthorizedCall, definition: string): Promise<void>;
  createInstance(call: AuthorizedCall, definition: string, spec: ApprovalSpec): Promise<{ instanceId: string; url?: string }>;
  getInstance(call: AuthorizedCall, definition: string, instanceId: string, spec: ApprovalSpec): Promise<InstanceSnapshot>;
  withdraw(call: AuthorizedCall, definition: string, instanceId: string, spec: ApprovalSpec): Promise<'withdrawn' | 'unsupported'>;
  /** Lists and reads the instances made for `spec` since `since` (`ApprovalOperations.findInstances`). */
  findInstances?(call: AuthorizedCall, definition: string, spec: ApprovalSpec, since: Date): Promise<FoundInstance[]>;
}

export type LookUpPerson = Exclude<Person, { userId: string }>;
/** How a person asked for and a person the platform echoes are matched: emails ignoring case, mobiles as the platforms store them. */
export const lookUpKey = (person: LookUpPerson) => ('email' in person ? `email:${normalizeEmail(person.email)}` : `mobile:${normalizeMobile(person.mobile) ?? person.mobile}`);

export type AuthorizedCall = <T>(request: PlatformRequest) => Promise<PlatformAnswer<T>>;

export interface AppProviderDeps {
  tokens: TokenCache;
  http?: HttpClientOptions;
  now?: () => number;
  /** How long a person the platform did not find is not asked for again. @default 600000 */
  lookupMissMs?: number;
  /** Told when the platform says the app's call quota is used up; its own failure is ignored. */
  onQuotaExhausted?: (error: ProviderError) => Promise<void>;
  /** Told when the platform refuses a call with its own code. */
  onRefused?: (error: ProviderError) => Promise<void>;
}

/** People the platforms did not find, per integration, until when (kept per process, bounded). */
const lookupMisses = new Map<string, number>();
function rememberMiss(key: string, until: number) {
  if (lookupMisses.size >= 10_000) lookupMisses.delete(lookupMisses.keys().next().value!);
  lookupMisses.set(key, until);
}

/** Apps on every platform: token from the shared cache, one retry with a fresh token on an expired-token code. */
export class AppProvider implements ImProvider {
  readonly provider: Integration['provider'];
  readonly kind = 'app' as const;
  readonly http: PlatformHttpClient;
  private readonly key: TokenKey;
  private readonly now: () => number;

  constructor(
    integration: Integration,
    readonly credentials: Credentials,
    private readonly adapter: AppAdapter,
    private readonly deps: AppProviderDeps,
  ) {
    this.provider = integration.provider;
    this.key = { integrationId: integration.id, credentialVersion: integration.credentialVersion };
    this.http = new PlatformHttpClient(adapter.rules, deps.http);
    this.now = deps.now ?? Date.now;
    // Only where the platform can list instances: its absence tells a start that nothing can be looked for.
    if (adapter.approvals.findInstances) this.approvals.findInstances = (definition, spec, since) => adapter.approvals.findInstances!(this.call, definition, spec, since);
    const cards = adapter.cards?.(this.call);
    if (cards) this.cards = cards;
    if (adapter.messages.urgent) this.messages.urgent = (messageId, userIds) => adapter.messages.urgent!(this.call, messageId, userIds);
    if (adapter.messages.remindUrgently) this.messages.remindUrgently = (userIds, text) => adapter.messages.remindUrgently!(this.call, userIds, text);
  }

  readonly cards?: CardOperations;

  readonly approvals: ApprovalOperations = {
    definitionKey: (spec) => this.adapter.approvals.definitionKey(spec),
    provision: (spec, name) => this.noteRefusal(this.adapter.approvals.provision(this.call, spec, name)),
    activate: async (definition) => {
      await this.noteRefusal(Promise.resolve(this.adapter.approvals.activate?.(this.call, definition)));
    },
    createInstance: (definition, spec) => this.noteRefusal(this.adapter.approvals.createInstance(this.call, definition, spec)),
    getInstance: (definition, instanceId, spec) => this.adapter.approvals.getInstance(this.call, definition, instanceId, spec),
    withdraw: (definition, instanceId, spec) => this.noteRefusal(this.adapter.approvals.withdraw(this.call, definition, instanceId, spec)),
  };

  /**
   * Tells `onRefused` of a refusal that leaves an operation (what a person must fix, such as a missing
   * permission), not of one the adapter handles inside it (a person lookup that finds no one).
   */
  private async noteRefusal<T>(operation: Promise<T>): Promise<T> {
    try {
      return await operation;
    } catch (error) {
      if (error instanceof ProviderError && error.refused) await this.deps.onRefused?.(error).catch(() => undefined);
      throw error;
    }
  }

  readonly messages: MessageOperations = {
    send: (target, message, dedupeKey) => this.noteRefusal(this.adapter.messages.send(this.call, target, message, dedupeKey)),
  };

  async verify(): Promise<VerifyResult> {
    const token = await this.adapter.fetchToken(this.http);
    await this.deps.tokens.remember(this.key, token);
    const seconds = Math.round((token.expiresAt - this.now()) / 1000);
    return { verified: true, provider: this.provider, kind: 'app', detail: `fetched a ${this.adapter.tokenName} (valid ${seconds} s)` };
  }

  /** Calls the platform with the app's token; an expired-token answer gets one retry with a new token. */
  readonly call: AuthorizedCall = async <T>(request: PlatformRequest) => {
    try {
      return await this.callWithToken<T>(request);
    } catch (error) {
      if (error instanceof ProviderError && error.quotaExhausted) await this.deps.onQuotaExhausted?.(error).catch(() => undefined);
      throw error;
    }
  };

  private async callWithToken<T>(request: PlatformRequest): Promise<PlatformAnswer<T>> {
    const token = await this.deps.tokens.get(this.key, () => this.adapter.fetchToken(this.http));
    try {
      return await this.http.call<T>(this.adapter.authorize(request, token));
    } catch (error) {
      if (!(error instanceof ProviderError) || !this.adapter.rules.tokenExpiredCodes.has(error.platformCode)) throw error;
      await this.deps.tokens.invalidate(this.key, token);
      const fresh = await this.deps.tokens.get(this.key, () => this.adapter.fetchToken(this.http));
      return this.http.call<T>(this.adapter.authorize(request, fresh));
    }
  }

  /**
   * Platform ids of these people. A miss is remembered for a while (`lookupMissMs`) and not asked
   * again meanwhile: WeCom blocks an app's lookups for a day once its misses pass 20% of the
   * headcount, and a pipeline repeating a start with a typo would get there.
   */
  async resolveUsers(people: readonly Person[]): Promise<string[]> {
    const toLookUp = people.filter((person): person is LookUpPerson => !('userId' in person));
    const now = this.now();
    const missKey = (person: LookUpPerson) => `${this.key.integrationId}#${this.key.credentialVersion}#${lookUpKey(person)}`;
    const recentMisses = toLookUp.filter((person) => (lookupMisses.get(missKey(person)) ?? 0) > now);
    const toAsk = toLookUp.filter((person) => !recentMisses.includes(person));
    const found = toAsk.length ? await this.adapter.lookUp(this.call, toAsk) : new Map<string, string>();
    for (const person of toAsk) if (!found.has(lookUpKey(person))) rememberMiss(missKey(person), now + (this.deps.lookupMissMs ?? 600_000));
    const unknown = toLookUp.filter((person) => !found.has(lookUpKey(person))).map((person) => ('email' in person ? person.email : person.mobile));
    if (unknown.length > 0) {
      throw new ProviderError(this.provider, 'user_not_found', `no ${this.provider} user visible to this app has ${unknown.join(', ')}`, { kind: 'platform_refused' });
    }
    return people.map((person) => ('userId' in person ? person.userId : found.get(lookUpKey(person))!));
  }
}

export const unsupportedLookup = (provider: string, what: string) =>
  new BadRequestError(`${provider} cannot look people up by ${what}; give their userId${what === 'email' ? ' or mobile' : ''}`);
