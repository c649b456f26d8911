import { feishuMessages } from './feishu-messages.ts';
import { feishuApprovals } from './feishu-approvals.ts';
import { feishuCards } from './feishu-cards.ts';
import type { AppAdapter, LookUpPerson } from '../app-provider.ts';
import { lookUpKey } from '../app-provider.ts';
import { ProviderError } from '../../errors.ts';
import type { PlatformRules } from '../http-client.ts';

/** Feishu and Lark: the same API on two domains (`open.feishu.cn`, `open.larksuite.com`). */
export const feishuRules = (platform: 'feishu' | 'lark'): PlatformRules => ({
  platform,
  errorOf(_status, body) {
    const answer = body as { code?: unknown; msg?: unknown } | undefined;
    if (typeof answer?.code === 'number' && answer.code !== 0) return { code: answer.code, message: String(answer.msg ?? '') };
    return undefined;
  },
  // 99991400: request frequency limit (also sent with HTTP 429/400).
  // 230020: a chat's 5 messages/s; 11232: send frequency.
  // 1395001 (HTTP 400): the approval APIs' "There have been some errors. Please try again later".
  // 230049: im/v1/messages' "The message is being sent" (a repeat of a uuid still in flight).
  retryableCodes: new Set([99991400, 230020, 11232, 1395001, 230049]),
  // Missing, expired, invalid or malformed tenant token: fetch a new one and retry once.
  tokenExpiredCodes: new Set([99991661, 99991663, 99991664, 99991665, 99991671]),
});

export function feishuAdapter(platform: 'feishu' | 'lark', base: string, credentials: { appId: string; appSecret: string }): AppAdapter {
  return {
    rules: feishuRules(platform),
    approvals: feishuApprovals(base),
    messages: feishuMessages(base),
    cards: (call) => feishuCards(base, call),
    tokenName: 'tenant_access_token',
    async fetchToken(http) {
      const started = Date.now();
      const { body } = await http.call<{ tenant_access_token?: unknown; expire?: unknown }>({
        method: 'POST',
        url: `${base}/open-apis/auth/v3/tenant_access_token/internal`,
        body: { app_id: credentials.appId, app_secret: credentials.appSecret },
        idempotent: true,
      });
      // An HTTP 200 with code 0 but no token (a proxy, a broken deployment) is the platform's failure, not a token.
      if (typeof body?.tenant_access_token !== 'string' || !body.tenant_access_token || typeof body.expire !== 'number' || !(body.expire > 0)) {
        throw new ProviderError(platform, 'no_token', 'the token endpoint answered HTTP 200 without a usable tenant_access_token and expire');
      }
      return { token: body.tenant_access_token, expiresAt: started + body.expire * 1000 };
    },
    authorize: (request, token) => ({ ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } }),
    async lookUp(call, people: readonly LookUpPerson[]) {
      const found = new Map<string, string>();
      // batch_get_id takes at most 50 emails and 50 mobiles per call.
      for (let start = 0; start < people.length; start += 50) {
        const batch = people.slice(start, start + 50);
        const emails = batch.flatMap((person) => ('email' in person ? [person.email] : []));
        const mobiles = batch.flatMap((person) => ('mobile' in person ? [person.mobile] : []));
        const { body } = await call<{ data?: { user_list?: { user_id?: string; email?: string; mobile?: string }[] } }>({
          method: 'POST',
          url: `${base}/open-apis/contact/v3/users/batch_get_id`,
          query: { user_id_type: 'open_id' },
          body: { ...(emails.length ? { emails } : {}), ...(mobiles.length ? { mobiles } : {}), include_resigned: false },
          idempotent: true,
        });
        for (const user of body.data?.user_list ?? []) {
          if (!user.user_id) continue;
          if (user.email) found.set(lookUpKey({ email: user.email }), user.user_id);
          if (user.mobile) found.set(lookUpKey({ mobile: user.mobile }), user.user_id);
        }
      }
      return found;
    },
  };
}
