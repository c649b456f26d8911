import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiKeyRecord } from '../../domain/api-key.ts';
import type { ApiKeyRepository, Page, PageRequest } from '../repository.ts';
import { queryListing } from './index-queries.ts';
import { keys, listings, stripKeys } from './keys.ts';

export class DynamoApiKeyRepository implements ApiKeyRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(record: ApiKeyRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.apiKey(record.id), gsi1pk: listings.apiKey, gsi1sk: `${record.createdAt}#${record.id}`, ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.apiKey(id) }));
    return result.Item ? stripKeys<ApiKeyRecord>(result.Item) : undefined;
  }

  list(page: PageRequest): Promise<Page<ApiKeyRecord>> {
    return queryListing<ApiKeyRecord>(this.client, this.tableName, listings.apiKey, page);
  }

  async revoke(id: string, at: string): Promise<ApiKeyRecord | undefined> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.apiKey(id),
          // Revoking twice keeps the first time.
          UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :at)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes ? stripKeys<ApiKeyRecord>(result.Attributes) : undefined;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
  }
}
