import { type Credentials, defaultApiBaseUrls, type Integration } from '../domain/integration.ts';
import { AppProvider, type AppAdapter } from './app-provider.ts';
import { dingtalkAdapter } from './dingtalk/dingtalk-provider.ts';
import { feishuAdapter } from './feishu-lark/feishu-provider.ts';
import type { ProviderError } from '../errors.ts';
import type { HttpClientOptions } from './http-client.ts';
import type { ImProvider } from './port.ts';
import type { TokenCache } from './token-cache.ts';
import { BotProvider } from './webhook-bots/bot-provider.ts';
import { wecomAdapter } from './wecom/wecom-provider.ts';

export interface ProviderDeps {
  tokens: TokenCache;
  http?: HttpClientOptions;
  /** Told when the platform says the app's call quota is used up (DingTalk's monthly quota). */
  onQuotaExhausted?: (error: ProviderError) => Promise<void>;
  /** Told when the platform refuses a call with its own code (what the setup check shows as the last error). */
  onRefused?: (error: ProviderError) => Promise<void>;
  /** The integration's public callback URL (where DingTalk's card clicks are registered to go). */
  callbackUrl?: string;
}

function adapterFor(integration: Integration, credentials: Credentials, callbackUrl: string | undefined): AppAdapter {
  const base = (integration.apiBaseUrl ?? defaultApiBaseUrls[integration.provider]).replace(/\/+$/, '');
  const c = credentials as Record<string, string>;
  switch (integration.provider) {
    case 'feishu':
    case 'lark':
      return feishuAdapter(integration.provider, base, { appId: c.appId!, appSecret: c.appSecret! });
    case 'dingtalk':
      // One apiBaseUrl (a proxy or simulator) serves both DingTalk hosts; by default they differ.
      return dingtalkAdapter(integration.apiBaseUrl ? { api: base, oapi: base } : { api: 'https://api.dingtalk.com', oapi: 'https://oapi.dingtalk.com' }, {
        appKey: c.appKey!,
        appSecret: c.appSecret!,
        agentId: c.agentId,
        robotCode: c.robotCode,
        ...(c.cardTemplateId && callbackUrl ? { cards: { integrationId: integration.id, credentialVersion: integration.credentialVersion, cardTemplateId: c.cardTemplateId, callbackUrl } } : {}),
      });
    case 'wecom':
      return wecomAdapter(base, { corpId: c.corpId!, secret: c.secret!, agentId: c.agentId! });
  }
}

/** The provider of an integration, with its opened credentials. */
export function providerFor(integration: Integration, credentials: Credentials, deps: ProviderDeps): ImProvider {
  if (integration.kind === 'webhook') return new BotProvider(integration, credentials, { ...(deps.http ? { http: deps.http } : {}) });
  return new AppProvider(integration, credentials, adapterFor(integration, credentials, deps.callbackUrl), deps);
}
