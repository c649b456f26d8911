import { apiKeyUsable, type Principal, parseApiKey, secretMatchesHash } from '../domain/api-key.ts';
import { UnauthorizedError } from '../errors.ts';
import type { ApiKeyRepository } from '../store/repository.ts';
import type { BootstrapKey } from './bootstrap-key.ts';

const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** Turns an `Authorization` header into a principal, or throws 401 saying what is wrong. */
export class Authenticator {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly bootstrap: BootstrapKey,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!authorization) throw new UnauthorizedError('missing Authorization header: send "Authorization: Bearer <api key>"');
    const token = bearer.exec(authorization)?.[1];
    if (!token || token.length > 512) throw new UnauthorizedError('malformed Authorization header: send "Authorization: Bearer <api key>"');

    const parsed = parseApiKey(token);
    if (parsed) {
      const record = await this.keys.get(parsed.id);
      if (record && secretMatchesHash(parsed.secret, record.secretHash)) {
        if (!apiKeyUsable(record, this.now())) throw new UnauthorizedError('this API key was revoked or has expired');
        return { keyId: record.id, scopes: record.scopes };
      }
    } else if (await this.bootstrap.matches(token)) {
      return { keyId: 'bootstrap', scopes: ['admin'] };
    }
    throw new UnauthorizedError('invalid API key');
  }
}
