import { wecomMessages } from './wecom-messages.ts';
import { wecomApprovals } from './wecom-approvals.ts';
import { type AppAdapter, type LookUpPerson, lookUpKey } from '../app-provider.ts';
import type { PlatformRules } from '../http-client.ts';

/** WeCom: `errcode` on every answer, the token in `?access_token=`. */
export const wecomRules: PlatformRules = {
  platform: 'wecom',
  errorOf(_status, body) {
    const answer = body as { errcode?: unknown; errmsg?: unknown } | undefined;
    if (typeof answer?.errcode === 'number' && answer.errcode !== 0) return { code: answer.errcode, message: String(answer.errmsg ?? '') };
    return undefined;
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
    tokenName: 'access_token',
    async fetchToken(http) {
      const started = Date.now();
      const { body } = await http.call<{ access_token: string; expires_in: number }>({
        method: 'GET',
        url: `${base}/cgi-bin/gettoken`,
        query: { corpid: credentials.corpId, corpsecret: credentials.secret },
        idempotent: true,
      });
      return { token: body.access_token, expiresAt: started + body.expires_in * 1000 };
    },
    authorize: (request, token) => ({ ...request, query: { ...request.query, access_token: token } }),
    async lookUp(call, people: readonly LookUpPerson[]) {
      const found = new Map<string, string>();
      for (const person of people) {
        const request =
          'email' in person
            ? { url: `${base}/cgi-bin/user/get_userid_by_email`, body: { email: person.email, email_type: 1 } }
            : { url: `${base}/cgi-bin/user/getuserid`, body: { mobile: person.mobile } };
        const { body } = await call<{ userid?: string }>({ method: 'POST', ...request, idempotent: true }).catch((error: { platformCode?: unknown }) => {
          if (notFound.has(error.platformCode as number)) return { body: {} as { userid?: string } };
          throw error;
        });
        if (body.userid) found.set(lookUpKey(person), body.userid);
      }
      return found;
    },
  };
}
