import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ApprovalRecord } from '../../domain/approval.ts';
import type { Job } from '../../domain/job.ts';
import type { ApprovalIndexRepository, ApprovalListRequest, ApprovalRepository, Page, ProvisionedDefinition } from '../repository.ts';
import { isConditionFailure, putOnce } from './conditions.ts';
import { queryListing } from './index-queries.ts';
import { writeWithJobs } from './jobs.ts';
import { keys, listings, stripKeys } from './keys.ts';

export class DynamoApprovalRepository implements ApprovalRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private item(approval: ApprovalRecord) {
    return { ...keys.approval(approval.id), gsi1pk: listings.approval, gsi1sk: `${approval.createdAt}#${approval.id}`, ...approval };
  }

  async create(approval: ApprovalRecord, jobs: readonly Job[] = []): Promise<{ created: boolean; approval: ApprovalRecord }> {
    const { created, record } = await putOnce(
      this.client,
      this.tableName,
      this.item(approval),
      approval.idempotencyKey && {
        item: { ...keys.approvalKey(approval.integrationId, approval.idempotencyKey), approvalId: approval.id },
        original: () => this.byIdempotencyKey(approval.integrationId, approval.idempotencyKey!),
      },
      jobs,
    );
    return { created, approval: record ?? approval };
  }

  async get(id: string): Promise<ApprovalRecord | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.approval(id), ConsistentRead: true }));
    return result.Item ? stripKeys<ApprovalRecord>(result.Item) : undefined;
  }

  async byIdempotencyKey(integrationId: string, key: string): Promise<ApprovalRecord | undefined> {
    const existing = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.approvalKey(integrationId, key), ConsistentRead: true }));
    return existing.Item ? this.get(existing.Item.approvalId as string) : undefined;
  }

  list(request: ApprovalListRequest): Promise<Page<ApprovalRecord>> {
    const conditions: string[] = [];
    const values: Record<string, unknown> = {};
    if (request.status) {
      conditions.push('#status = :status');
      values[':status'] = request.status;
    }
    if (request.integrationId) {
      conditions.push('integrationId = :integrationId');
      values[':integrationId'] = request.integrationId;
    }
    return queryListing<ApprovalRecord>(
      this.client,
      this.tableName,
      listings.approval,
      request,
      conditions.length ? { expression: conditions.join(' AND '), values, ...(request.status ? { names: { '#status': 'status' } } : {}) } : undefined,
    );
  }

  update(next: ApprovalRecord, previous: ApprovalRecord, jobs: readonly Job[] = []): Promise<boolean> {
    return this.putIf(next, jobs, '#version = :version AND #status = :pending', { '#version': 'version', '#status': 'status' }, { ':version': previous.version, ':pending': 'pending' });
  }

  updateAnyStatus(next: ApprovalRecord, previous: ApprovalRecord, jobs: readonly Job[] = []): Promise<boolean> {
    return this.putIf(next, jobs, '#version = :version', { '#version': 'version' }, { ':version': previous.version });
  }

  private putIf(next: ApprovalRecord, jobs: readonly Job[], condition: string, names: Record<string, string>, values: Record<string, unknown>): Promise<boolean> {
    return writeWithJobs(this.client, this.tableName, { Put: { Item: this.item(next), ConditionExpression: condition, ExpressionAttributeNames: names, ExpressionAttributeValues: values } }, jobs, next.id);
  }
}

export class DynamoApprovalIndexRepository implements ApprovalIndexRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async definition(integrationId: string, key: string): Promise<ProvisionedDefinition | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.definition(integrationId, key), ConsistentRead: true }));
    if (!result.Item) return undefined;
    const code = result.Item.code as string | undefined;
    // Items written before `ready` existed were stored only once subscribed: ready.
    return code ? { code, ready: result.Item.ready !== false } : { ready: false };
  }

  async claimDefinition(integrationId: string, key: string, now: Date, until: Date): Promise<{ attempt: number } | undefined> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.definition(integrationId, key),
          UpdateExpression: 'SET leaseUntil = :until ADD attempts :one',
          ConditionExpression: 'attribute_not_exists(pk) OR (attribute_not_exists(code) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now))',
          ExpressionAttributeValues: { ':until': until.toISOString(), ':now': now.toISOString(), ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { attempt: Number(result.Attributes?.attempts ?? 1) };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async releaseDefinition(integrationId: string, key: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({ TableName: this.tableName, Key: keys.definition(integrationId, key), UpdateExpression: 'REMOVE leaseUntil', ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(code)' }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async recordDefinition(integrationId: string, key: string, code: string): Promise<string> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.definition(integrationId, key),
          UpdateExpression: 'SET code = :code, ready = :false REMOVE leaseUntil',
          ConditionExpression: 'attribute_not_exists(code)',
          ExpressionAttributeValues: { ':code': code, ':false': false },
        }),
      );
      return code;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return (await this.definition(integrationId, key))?.code ?? code;
    }
  }

  async markDefinitionReady(integrationId: string, key: string): Promise<void> {
    await this.client.send(new UpdateCommand({ TableName: this.tableName, Key: keys.definition(integrationId, key), UpdateExpression: 'SET ready = :true', ExpressionAttributeValues: { ':true': true } }));
  }

  async linkInstance(integrationId: string, instanceId: string, approvalId: string): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.instance(integrationId, instanceId), approvalId } }));
  }

  async approvalOfInstance(integrationId: string, instanceId: string): Promise<string | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.instance(integrationId, instanceId), ConsistentRead: true }));
    return result.Item?.approvalId as string | undefined;
  }
}
