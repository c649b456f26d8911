import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CachedToken, TokenKey, TokenStore } from '../../providers/token-cache.ts';
import type { SecretSealer } from '../../secrets/sealer.ts';
import { isConditionFailure } from './conditions.ts';
import { keys } from './keys.ts';

/**
 * Platform access tokens shared by all instances. A token is a credential too, so it is stored
 * sealed like the integration's secrets; the item expires with the token (TTL).
 */
export class DynamoTokenStore implements TokenStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly sealer: SecretSealer,
  ) {}

  async get(key: TokenKey): Promise<CachedToken | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.token(key), ConsistentRead: true }));
    if (!result.Item) return undefined;
    const token = await this.sealer.open(result.Item.sealedToken as string, { integrationId: key.integrationId });
    return { token, expiresAt: result.Item.tokenExpiresAt as number };
  }

  async put(key: TokenKey, token: CachedToken): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.token(key),
          sealedToken: await this.sealer.seal(token.token, { integrationId: key.integrationId }),
          tokenFingerprint: fingerprint(token.token),
          tokenExpiresAt: token.expiresAt,
          expiresAt: Math.ceil(token.expiresAt / 1000),
        },
      }),
    );
  }

  async discard(key: TokenKey, token: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.token(key),
          ConditionExpression: 'tokenFingerprint = :fingerprint',
          ExpressionAttributeValues: { ':fingerprint': fingerprint(token) },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async lease(key: TokenKey, ms: number, now: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          // ISO times, as every lease in the table; a lease an older version wrote as epoch ms (a
          // number) is seconds old by now, so it is taken over.
          Item: { ...keys.tokenLease(key), leaseUntil: new Date(now + ms).toISOString(), expiresAt: Math.ceil((now + ms) / 1000) + 60 },
          ConditionExpression: 'attribute_not_exists(pk) OR attribute_type(leaseUntil, :number) OR leaseUntil < :now',
          ExpressionAttributeValues: { ':now': new Date(now).toISOString(), ':number': 'N' },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async releaseLease(key: TokenKey): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: keys.tokenLease(key) }));
  }
}

/** Identifies a token without storing it in the clear (for conditional discards). */
const fingerprint = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 32);
