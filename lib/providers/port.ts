import type { IntegrationKind, Provider } from '../domain/integration.ts';

/** A person as callers name them; each platform resolves them to its own user id. */
export type Person = { userId: string } | { email: string } | { mobile: string };

export interface VerifyResult {
  verified: true;
  provider: Provider;
  kind: IntegrationKind;
  /** What was proven, in words, e.g. "fetched a tenant_access_token (valid 7200 s)". */
  detail: string;
}

/**
 * The one port between imhub and an IM platform. Feishu and Lark share an implementation (two
 * bases); DingTalk and WeCom have theirs; the four group bots share one. Approval and message
 * operations join this port with the approval and notification features that use them.
 */
export interface ImProvider {
  readonly provider: Provider;
  readonly kind: IntegrationKind;
  /** Proves the credentials now: a fresh token for apps, a test message for bots. Throws ProviderError when refused. */
  verify(): Promise<VerifyResult>;
  /** The platform user ids of these people, in order. Unknown people are a 422 naming them. */
  resolveUsers(people: readonly Person[]): Promise<string[]>;
}
