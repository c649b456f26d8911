import { type ApiKeyRecord, generateApiKey, type Scope, toApiKeyView } from '../domain/api-key.ts';
import { NotFoundError } from '../errors.ts';
import type { ApiKeyRepository, PageRequest } from '../store/repository.ts';

/** API keys: created (shown once), listed without their secret, revoked. */
export class ApiKeyService {
  constructor(
    private readonly repository: ApiKeyRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(input: { name: string; scopes: Scope[]; expiresAt?: string | undefined }) {
    const { id, key, secretHash } = generateApiKey();
    const record: ApiKeyRecord = {
      id,
      name: input.name,
      scopes: input.scopes,
      secretHash,
      createdAt: this.now().toISOString(),
      ...(input.expiresAt ? { expiresAt: new Date(input.expiresAt).toISOString() } : {}),
    };
    await this.repository.create(record);
    return { ...toApiKeyView(record), key };
  }

  async list(page: PageRequest) {
    const result = await this.repository.list(page);
    return { ...result, items: result.items.map(toApiKeyView) };
  }

  async revoke(id: string) {
    const record = await this.repository.revoke(id, this.now().toISOString());
    if (!record) throw new NotFoundError(`API key ${id} does not exist`);
    return toApiKeyView(record);
  }
}
