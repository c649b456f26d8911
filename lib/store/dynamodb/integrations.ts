import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type Integration, normalizeIntegrationName } from '../../domain/integration.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';
import type { IntegrationRepository, Page, PageRequest } from '../repository.ts';
import { failedConditions } from './conditions.ts';
import { queryListing } from './index-queries.ts';
import { keys, listings, stripKeys } from './keys.ts';

const nameTaken = (name: string) =>
  new ConflictError(`an integration named "${name}" already exists; choose another name`, { code: 'name_taken' });

export class DynamoIntegrationRepository implements IntegrationRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private item(integration: Integration) {
    return {
      ...keys.integration(integration.id),
      gsi1pk: listings.integration,
      gsi1sk: `${integration.createdAt}#${integration.id}`,
      ...integration,
    };
  }

  async create(integration: Integration): Promise<void> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.tableName, Item: this.item(integration), ConditionExpression: 'attribute_not_exists(pk)' } },
            {
              Put: {
                TableName: this.tableName,
                Item: { ...keys.integrationName(integration.name), integrationId: integration.id },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
    } catch (error) {
      const failed = failedConditions(error);
      if (failed?.includes(1)) throw nameTaken(integration.name);
      if (failed?.includes(0)) throw new ConflictError('an integration with this id already exists; retry the request');
      throw error;
    }
  }

  async get(id: string): Promise<Integration | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.integration(id), ConsistentRead: true }));
    return result.Item ? stripKeys<Integration>(result.Item) : undefined;
  }

  list(page: PageRequest): Promise<Page<Integration>> {
    return queryListing<Integration>(this.client, this.tableName, listings.integration, page);
  }

  async update(next: Integration, previous: Integration): Promise<void> {
    const renamed = normalizeIntegrationName(next.name) !== normalizeIntegrationName(previous.name);
    const versionCheck = {
      Put: {
        TableName: this.tableName,
        Item: this.item(next),
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':expected': previous.version },
      },
    };
    const nameMove = renamed
      ? [
          {
            Put: {
              TableName: this.tableName,
              Item: { ...keys.integrationName(next.name), integrationId: next.id },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Delete: {
              TableName: this.tableName,
              Key: keys.integrationName(previous.name),
              ConditionExpression: 'integrationId = :id',
              ExpressionAttributeValues: { ':id': previous.id },
            },
          },
        ]
      : [];
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: [versionCheck, ...nameMove] }));
    } catch (error) {
      const failed = failedConditions(error);
      if (failed?.includes(0)) {
        throw new ConflictError('the integration was changed by another request meanwhile; read it again and retry', { code: 'version_conflict' });
      }
      if (failed?.includes(1)) throw nameTaken(next.name);
      if (failed?.includes(2)) throw new ConflictError('the integration was renamed by another request meanwhile; read it again and retry', { code: 'version_conflict' });
      throw error;
    }
  }

  /**
   * Deletes exactly the version it was given, with that version's name lock. A failed condition
   * means a concurrent change (a rename moves the lock): the integration is read again and the
   * delete finished on what is stored now. Only an integration that is really gone is a 404.
   */
  async delete(integration: Integration): Promise<void> {
    let current: Integration | undefined = integration;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Delete: {
                  TableName: this.tableName,
                  Key: keys.integration(current.id),
                  ConditionExpression: '#version = :expected',
                  ExpressionAttributeNames: { '#version': 'version' },
                  ExpressionAttributeValues: { ':expected': current.version },
                },
              },
              {
                Delete: {
                  TableName: this.tableName,
                  Key: keys.integrationName(current.name),
                  // Never another integration's lock; a lock already missing does not block the delete.
                  ConditionExpression: 'attribute_not_exists(pk) OR integrationId = :id',
                  ExpressionAttributeValues: { ':id': current.id },
                },
              },
              // What the setup check noted goes with it (no condition: it may never have been written).
              { Delete: { TableName: this.tableName, Key: keys.integrationActivity(current.id) } },
            ],
          }),
        );
        return;
      } catch (error) {
        if (!failedConditions(error)?.length) throw error;
      }
      current = await this.get(integration.id);
      if (!current) throw new NotFoundError(`integration ${integration.id} does not exist`);
    }
    throw new ConflictError('the integration kept changing while it was being deleted; repeat the delete', { code: 'version_conflict' });
  }
}
