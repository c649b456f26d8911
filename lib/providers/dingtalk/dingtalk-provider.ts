import { dingtalkMessages } from './dingtalk-messages.ts';
import { dingtalkApprovals } from './dingtalk-approvals.ts';
import { dingtalkCards } from './dingtalk-cards.ts';
import { type AppAdapter, type AuthorizedCall, type LookUpPerson, lookUpKey, unsupportedLookup } from '../app-provider.ts';
import { ProviderError } from '../../errors.ts';
import type { PlatformRules } from '../http-client.ts';

/**
 * DingTalk: the new API (`api.dingtalk.com`, token in `x-acs-dingtalk-access-token`, errors as
 * non-2xx `{code, message}`) and the legacy one (`oapi.dingtalk.com`, `?access_token=`,
 * `errcode` on HTTP 200). The same token works for both.
 */
export const dingtalkRules: PlatformRules = {
  platform: 'dingtalk',
  errorOf(status, body) {
    const answer = body as { errcode?: unknown; errmsg?: unknown; code?: unknown; message?: unknown } | undefined;
    if (typeof answer?.errcode === 'number' && answer.errcode !== 0) return { code: answer.errcode, message: String(answer.errmsg ?? '') };
    if (status >= 300 && typeof answer?.code === 'string') return { code: answer.code, message: String(answer.message ?? '') };
    return undefined;
  },
  // 90018/90006/90005: QPS and per-minute limits; 90002: the API's global QPS ("如何处理钉钉服务端API限流");
  // -1 busy; 15: a legacy timeout.
  retryableCodes: new Set([90018, 90006, 90005, 90002, -1, 15, 'Forbidden.AccessDenied.QpsLimitForApi', 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi']),
  tokenExpiredCodes: new Set([40014, 42001, 'InvalidAuthentication']),
  // The org's monthly call quota (10,000 on standard editions) is used up ("如何处理钉钉服务端API限流").
  quotaCodes: new Set([90020, 'Forbidden.AccessDenied.ApiCountLimitForOrg']),
};

export function dingtalkAdapter(
  bases: { api: string; oapi: string },
  credentials: {
    appKey: string;
    appSecret: string;
    agentId?: string | undefined;
    robotCode?: string | undefined;
    /** With a card template: approval cards (`via: "card"`). */
    cards?: { integrationId: string; credentialVersion: number; cardTemplateId: string; callbackUrl: string };
  },
): AppAdapter {
  const cards = credentials.cards;
  return {
    rules: dingtalkRules,
    approvals: dingtalkApprovals(bases.api),
    messages: dingtalkMessages(bases, credentials),
    ...(cards ? { cards: (call: AuthorizedCall) => dingtalkCards(bases.api, call, { ...cards, appKey: credentials.appKey, appSecret: credentials.appSecret, robotCode: credentials.robotCode }) } : {}),
    tokenName: 'accessToken',
    async fetchToken(http) {
      const started = Date.now();
      const { body } = await http.call<{ accessToken?: unknown; expireIn?: unknown }>({
        method: 'POST',
        url: `${bases.api}/v1.0/oauth2/accessToken`,
        body: { appKey: credentials.appKey, appSecret: credentials.appSecret },
        idempotent: true,
      });
      // An HTTP 200 without a token (a proxy, a broken deployment) is the platform's failure, not a token.
      if (typeof body?.accessToken !== 'string' || !body.accessToken || typeof body.expireIn !== 'number' || !(body.expireIn > 0)) {
        throw new ProviderError('dingtalk', 'no_token', 'the token endpoint answered HTTP 200 without a usable accessToken and expireIn');
      }
      return { token: body.accessToken, expiresAt: started + body.expireIn * 1000 };
    },
    // The new API (/v1.0/…) takes the token in a header, as the SDK sends it; the legacy oapi
    // (/topapi/…) only in the query. A token is not put in a URL that does not need it.
    authorize: (request, token) =>
      new URL(request.url).pathname.startsWith('/v1.0/')
        ? { ...request, headers: { ...request.headers, 'x-acs-dingtalk-access-token': token } }
        : { ...request, query: { ...request.query, access_token: token } },
    async lookUp(call, people: readonly LookUpPerson[]) {
      const found = new Map<string, string>();
      for (const person of people) {
        if ('email' in person) throw unsupportedLookup('DingTalk', 'email');
        const { body } = await call<{ result?: { userid?: string } }>({
          method: 'POST',
          url: `${bases.oapi}/topapi/v2/user/getbymobile`,
          body: { mobile: person.mobile },
          idempotent: true,
        }).catch((error: { platformCode?: unknown }) => {
          // 60121: no such user; 40104: "Invalid mobile number in the organization" (no member has it).
          if (error.platformCode === 60121 || error.platformCode === 40104) return { body: {} as { result?: { userid?: string } } };
          throw error;
        });
        if (body.result?.userid) found.set(lookUpKey(person), body.result.userid);
      }
      return found;
    },
  };
}
