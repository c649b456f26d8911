import { wecomMessages } from './wecom-messages.ts';
import { wecomApprovals } from './wecom-approvals.ts';
import { wecomCards } from './wecom-cards.ts';
import { type AppAdapter, type LookUpPerson, lookUpKey } from '../app-provider.ts';
import { ProviderError } from '../../errors.ts';
import type { PlatformRules } from '../http-client.ts';

/** WeCom: `errcode` on every answer, the token in `?access_token=`. */
export const wecomRules: PlatformRules = {
  platform: 'wecom',
  errorOf(_status, body) {
    const answer = body as { errcode?: unknown; errmsg?: unknown } | undefined;
    if (typeof answer?.errcode !== 'number' || answer.errcode === 0) return undefined;
    const message = String(answer.errmsg ?? '');
    // 60020 "not allow to access from your ip": apps created after 2022-06-20 take calls only from their trusted IPs.
    if (answer.errcode === 60020) {
      return { code: 60020, message: `${message} (WeCom accepts this app's calls only from its trusted IPs: add imhub's egress IPs under the app's 企业可信IP; in AWS deploy with -c fixedEgress=true and use the stack output EgressIps)` };
    }
    return { code: answer.errcode, message };
  },
  // -1: system busy; 45009: API frequency limit; 45033: concurrency limit.
  retryableCodes: new Set([-1, 45009, 45033]),
  // 40014: invalid access_token; 42001: expired; 41001: missing.
  tokenExpiredCodes: new Set([40014, 42001, 41001]),
};

/** Answers meaning "no such member" for the lookups. */
const notFound = new Set([46004, 60111, 40003]);

export function wecomAdapter(base: string, credentials: { corpId: string; secret: string; agentId: string }): AppAdapter {
  return {
    rules: wecomRules,
    approvals: wecomApprovals(base),
    messages: wecomMessages(base, credentials),
    cards: (call) => wecomCards(base, call, credentials),
    tokenName: 'access_token',
    async fetchToken(http) {
      const started = Date.now();
      const { body } = await http.call<{ access_token?: unknown; expires_in?: unknown }>({
        method: 'GET',
        url: `${base}/cgi-bin/gettoken`,
        query: { corpid: credentials.corpId, corpsecret: credentials.secret },
        idempotent: true,
      });
      // An HTTP 200 with errcode 0 but no token (a proxy, a broken deployment) is the platform's failure, not a token.
      if (typeof body?.access_token !== 'string' || !body.access_token || typeof body.expires_in !== 'number' || !(body.expires_in > 0)) {
        throw new ProviderError('wecom', 'no_token', 'the token endpoint answered HTTP 200 without a usable access_token and expires_in');
      }
      return { token: body.access_token, expiresAt: started + body.expires_in * 1000 };
    },
    authorize: (request, token) => ({ ...request, query: { ...request.query, access_token: token } }),
    async lookUp(call, people: readonly LookUpPerson[]) {
      const found = new Map<string, string>();
      const userIdOf = async (url: string, body: Record<string, unknown>) => {
        const answer = await call<{ userid?: string }>({ method: 'POST', url, body, idempotent: true }).catch((error: { platformCode?: unknown }) => {
          if (notFound.has(error.platformCode as number)) return { body: {} as { userid?: string } };
          throw error;
        });
        return answer.body.userid;
      };
      for (const person of people) {
        // email_type 1 is the WeCom mailbox (企业邮箱, the default), 2 the member's own email
        // (个人邮箱): most corps do not use WeCom mail, so both are asked, in that order.
        const userid =
          'email' in person
            ? ((await userIdOf(`${base}/cgi-bin/user/get_userid_by_email`, { email: person.email, email_type: 1 })) ??
              (await userIdOf(`${base}/cgi-bin/user/get_userid_by_email`, { email: person.email, email_type: 2 })))
            : await userIdOf(`${base}/cgi-bin/user/getuserid`, { mobile: person.mobile });
        if (userid) found.set(lookUpKey(person), userid);
      }
      return found;
    },
  };
}
