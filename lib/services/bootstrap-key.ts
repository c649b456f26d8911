import { createHash, timingSafeEqual } from 'node:crypto';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The admin key that exists before any key is created: `API_TOKEN` locally, a Secrets Manager secret in AWS. */
export interface BootstrapKey {
  matches(presented: string): Promise<boolean>;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Hashing both sides first gives equal lengths, so the comparison time says nothing about the key. */
export const constantTimeEquals = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

export class StaticBootstrapKey implements BootstrapKey {
  constructor(private readonly key: string) {}
  async matches(presented: string) {
    return constantTimeEquals(presented, this.key);
  }
}

/**
 * Reads the generated secret once and keeps it for a few minutes, so a rotated value is picked
 * up without a redeploy and a request does not cost a Secrets Manager call.
 */
export class SecretsManagerBootstrapKey implements BootstrapKey {
  private cached?: { value: string; until: number };

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  async matches(presented: string) {
    const now = Date.now();
    if (!this.cached || this.cached.until <= now) {
      const result = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      if (!result.SecretString) throw new Error('the bootstrap secret has no string value');
      this.cached = { value: result.SecretString, until: now + this.ttlMs };
    }
    return constantTimeEquals(presented, this.cached.value);
  }
}
