import { createHash } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ApiKeyRecord } from '../domain/api-key.ts';
import { type ApprovalRecord, isTerminal, type WebhookState } from '../domain/approval.ts';
import { nextAllowedAt, type RateWindow } from '../domain/rate-limit.ts';
import { type Integration, normalizeIntegrationName } from '../domain/integration.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { CachedToken, TokenKey, TokenStore } from '../providers/token-cache.ts';
import type { SecretSealer } from '../secrets/sealer.ts';
import { decodeCursor, encodeCursor, type KeyAttributes } from './cursor.ts';
import type {
  ApiKeyRepository,
  ApprovalIndexRepository,
  ApprovalListRequest,
  ApprovalRepository,
  CallbackEventRepository,
  IntegrationRepository,
  NotificationRecord,
  NotificationRepository,
  RateLimitStore,
  Page,
  PageRequest,
  ProvisionedDefinition,
} from './repository.ts';
import { tableSchema } from './table-schema.ts';

const keys = {
  integration: (id: string) => ({ pk: `INT#${id}`, sk: 'INT' }),
  integrationName: (name: string) => ({ pk: `INTNAME#${normalizeIntegrationName(name)}`, sk: 'INTNAME' }),
  apiKey: (id: string) => ({ pk: `APIKEY#${id}`, sk: 'APIKEY' }),
  token: (key: TokenKey) => ({ pk: `TOKEN#${key.integrationId}#${key.credentialVersion}`, sk: 'TOKEN' }),
  tokenLease: (key: TokenKey) => ({ pk: `TOKEN#${key.integrationId}#${key.credentialVersion}`, sk: 'LEASE' }),
  approval: (id: string) => ({ pk: `APR#${id}`, sk: 'APR' }),
  notification: (id: string) => ({ pk: `NOTIF#${id}`, sk: 'NOTIF' }),
  notificationKey: (integrationId: string, key: string) => ({ pk: `NOTIFKEY#${integrationId}#${key}`, sk: 'NOTIFKEY' }),
  rate: (key: string) => ({ pk: `RATE#${key}`, sk: 'RATE' }),
  definition: (integrationId: string, key: string) => ({ pk: `PROV#${integrationId}#${key}`, sk: 'PROV' }),
  instance: (integrationId: string, instanceId: string) => ({ pk: `APRINST#${integrationId}#${instanceId}`, sk: 'APRINST' }),
  approvalKey: (integrationId: string, key: string) => ({ pk: `APRKEY#${integrationId}#${key}`, sk: 'APRKEY' }),
  callbackEvent: (integrationId: string, eventId: string) => ({ pk: `EVENT#${integrationId}#${eventId}`, sk: 'EVENT' }),
};
const listings = { integration: 'INTEGRATION', apiKey: 'APIKEY', approval: 'APPROVAL' } as const;
const keyAttributeNames = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'];

function stripKeys<T>(item: Record<string, unknown>): T {
  const copy = { ...item };
  for (const name of keyAttributeNames) delete copy[name];
  return copy as T;
}

/** Which items of a cancelled transaction failed their condition (by index). */
function failedConditions(error: unknown): number[] | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  return (error.CancellationReasons ?? []).flatMap((reason, index) => (reason.Code === 'ConditionalCheckFailed' ? [index] : []));
}

const nameTaken = (name: string) =>
  new ConflictError(`an integration named "${name}" already exists; choose another name`, { code: 'name_taken' });

async function queryListing<T>(
  client: DynamoDBDocumentClient,
  tableName: string,
  listing: string,
  page: PageRequest,
  filter?: { expression: string; values: Record<string, unknown>; names?: Record<string, string> },
): Promise<Page<T>> {
  const exclusiveStartKey = decodeCursor(page.cursor, listing);
  const result = await client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: tableSchema.gsi1.indexName,
      KeyConditionExpression: 'gsi1pk = :listing',
      ExpressionAttributeValues: { ':listing': listing, ...filter?.values },
      ...(filter ? { FilterExpression: filter.expression } : {}),
      ...(filter?.names ? { ExpressionAttributeNames: filter.names } : {}),
      Limit: page.limit,
      ExclusiveStartKey: exclusiveStartKey,
    }),
  );
  const items = (result.Items ?? []).map((item) => stripKeys<T>(item));
  const nextCursor = encodeCursor(result.LastEvaluatedKey as KeyAttributes | undefined);
  return nextCursor ? { items, nextCursor } : { items };
}

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

/** Platforms retry for up to ~7 h (Feishu); dedupe records outlive that comfortably. */
const eventRecordTtlSeconds = 48 * 3600;
/** How long an in-progress claim blocks others before a retry may take it over. */
const claimLeaseMs = 60_000;

export class DynamoCallbackEventRepository implements CallbackEventRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim({ integrationId, eventId, eventType, now }: { integrationId: string; eventId: string; eventType: string; now: Date }): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.callbackEvent(integrationId, eventId),
            integrationId,
            eventType,
            status: 'in_progress',
            leaseUntil: now.getTime() + claimLeaseMs,
            receivedAt: now.toISOString(),
            expiresAt: Math.floor(now.getTime() / 1000) + eventRecordTtlSeconds,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR (#status = :inProgress AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': 'in_progress', ':now': now.getTime() },
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async complete(integrationId: string, eventId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.callbackEvent(integrationId, eventId),
        UpdateExpression: 'SET #status = :done REMOVE leaseUntil',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':done': 'done' },
      }),
    );
  }

  async release(integrationId: string, eventId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: keys.callbackEvent(integrationId, eventId) }));
  }
}

const isConditionFailure = (error: unknown) => (error as { name?: string }).name === 'ConditionalCheckFailedException';

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
          Item: { ...keys.tokenLease(key), leaseUntil: now + ms, expiresAt: Math.ceil((now + ms) / 1000) + 60 },
          ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now',
          ExpressionAttributeValues: { ':now': now },
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

/** Items of one GSI2 partition (`DUE`, `WEBHOOK`, `NOTIFY`) whose time has come, soonest first. */
async function queryDue<T>(client: DynamoDBDocumentClient, tableName: string, partition: string, now: Date, limit: number): Promise<T[]> {
  const result = await client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: tableSchema.gsi2.indexName,
      KeyConditionExpression: 'gsi2pk = :partition AND gsi2sk <= :now',
      ExpressionAttributeValues: { ':partition': partition, ':now': `${now.toISOString()}#~` },
      Limit: limit,
    }),
  );
  return (result.Items ?? []).map((item) => stripKeys<T>(item));
}

/**
 * Puts a new item, and with an idempotency key also the key's lock item, in one transaction. When
 * the key was used before, stores nothing and returns the record that key made.
 */
async function putOnce<T>(
  client: DynamoDBDocumentClient,
  tableName: string,
  item: Record<string, unknown>,
  idempotency: { item: Record<string, unknown>; original: () => Promise<T | undefined> } | undefined | '',
): Promise<{ created: boolean; record?: T }> {
  const put = (value: Record<string, unknown>) => ({ Put: { TableName: tableName, Item: value, ConditionExpression: 'attribute_not_exists(pk)' } });
  try {
    await client.send(new TransactWriteCommand({ TransactItems: idempotency ? [put(item), put(idempotency.item)] : [put(item)] }));
    return { created: true };
  } catch (error) {
    if (!idempotency || !failedConditions(error)?.includes(1)) throw error;
    const original = await idempotency.original();
    if (!original) throw new ConflictError('this idempotencyKey is being used by a request in progress; retry shortly', { code: 'idempotency_in_progress' });
    return { created: false, record: original };
  }
}

export class DynamoApprovalRepository implements ApprovalRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * The sparse GSI2 keys: pending approvals are `DUE` for the reconciler, and so are ended ones
   * whose end message is still to be handed on; then ended ones whose webhook is still to be
   * delivered are `WEBHOOK`. Each is written in the same put as the terminal state, so a terminal
   * transition and its follow-up jobs exist together or not at all.
   */
  private item(approval: ApprovalRecord) {
    const endMessageDue = approval.notify && !approval.announced?.includes('end');
    const index = !isTerminal(approval.status)
      ? { gsi2pk: 'DUE', gsi2sk: `${approval.nextCheckAt}#${approval.id}` }
      : endMessageDue
        ? { gsi2pk: 'DUE', gsi2sk: `${approval.endedAt ?? approval.updatedAt}#${approval.id}` }
        : approval.webhook?.state === 'pending'
          ? { gsi2pk: 'WEBHOOK', gsi2sk: `${approval.webhook.nextAttemptAt}#${approval.id}` }
          : {};
    return { ...keys.approval(approval.id), gsi1pk: listings.approval, gsi1sk: `${approval.createdAt}#${approval.id}`, ...index, ...approval };
  }

  async create(approval: ApprovalRecord): Promise<{ created: boolean; approval: ApprovalRecord }> {
    const { created, record } = await putOnce(this.client, this.tableName, this.item(approval), approval.idempotencyKey && {
      item: { ...keys.approvalKey(approval.integrationId, approval.idempotencyKey), approvalId: approval.id },
      original: () => this.byIdempotencyKey(approval.integrationId, approval.idempotencyKey!),
    });
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

  update(next: ApprovalRecord, previous: ApprovalRecord): Promise<boolean> {
    return this.putIf(next, '#version = :version AND #status = :pending', { '#version': 'version', '#status': 'status' }, { ':version': previous.version, ':pending': 'pending' });
  }

  updateAnyStatus(next: ApprovalRecord, previous: ApprovalRecord): Promise<boolean> {
    return this.putIf(next, '#version = :version', { '#version': 'version' }, { ':version': previous.version });
  }

  private async putIf(next: ApprovalRecord, condition: string, names: Record<string, string>, values: Record<string, unknown>): Promise<boolean> {
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: this.item(next), ConditionExpression: condition, ExpressionAttributeNames: names, ExpressionAttributeValues: values }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  due(now: Date, limit: number): Promise<ApprovalRecord[]> {
    return this.dueIn('DUE', now, limit);
  }

  dueWebhooks(now: Date, limit: number): Promise<ApprovalRecord[]> {
    return this.dueIn('WEBHOOK', now, limit);
  }

  private dueIn(partition: string, now: Date, limit: number): Promise<ApprovalRecord[]> {
    return queryDue<ApprovalRecord>(this.client, this.tableName, partition, now, limit);
  }

  async leaseWebhook(id: string, attempts: number, now: Date, until: Date): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.approval(id),
          UpdateExpression: 'SET webhookLeaseUntil = :until',
          ConditionExpression: 'webhook.#state = :pending AND size(webhook.attempts) = :attempts AND (attribute_not_exists(webhookLeaseUntil) OR webhookLeaseUntil < :now)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':pending': 'pending', ':attempts': attempts, ':now': now.toISOString(), ':until': until.toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async recordWebhook(id: string, attempts: number, webhook: WebhookState): Promise<void> {
    const stillDue = webhook.state === 'pending';
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.approval(id),
        UpdateExpression: stillDue ? 'SET webhook = :webhook, gsi2sk = :next REMOVE webhookLeaseUntil' : 'SET webhook = :webhook REMOVE webhookLeaseUntil, gsi2pk, gsi2sk',
        ConditionExpression: 'size(webhook.attempts) = :attempts',
        ExpressionAttributeValues: { ':webhook': webhook, ':attempts': attempts, ...(stillDue ? { ':next': `${webhook.nextAttemptAt}#${id}` } : {}) },
      }),
    );
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

export class DynamoNotificationRepository implements NotificationRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Notifications with a queued delivery sit in the sparse GSI2 under `NOTIFY`, by the earliest due time. */
  private item(notification: NotificationRecord) {
    const due = notification.deliveries.filter((delivery) => delivery.status === 'queued').map((delivery) => delivery.nextAttemptAt ?? notification.updatedAt).sort()[0];
    return { ...keys.notification(notification.id), ...(due ? { gsi2pk: 'NOTIFY', gsi2sk: `${due}#${notification.id}` } : {}), ...notification };
  }

  async create(notification: NotificationRecord): Promise<{ created: boolean; notification: NotificationRecord }> {
    const { created, record } = await putOnce(this.client, this.tableName, this.item(notification), notification.idempotencyKey && {
      item: { ...keys.notificationKey(notification.integrationId, notification.idempotencyKey), notificationId: notification.id },
      original: () => this.byIdempotencyKey(notification.integrationId, notification.idempotencyKey!),
    });
    return { created, notification: record ?? notification };
  }

  async get(id: string): Promise<NotificationRecord | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.notification(id), ConsistentRead: true }));
    return result.Item ? stripKeys<NotificationRecord>(result.Item) : undefined;
  }

  async byIdempotencyKey(integrationId: string, key: string): Promise<NotificationRecord | undefined> {
    const existing = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.notificationKey(integrationId, key), ConsistentRead: true }));
    return existing.Item ? this.get(existing.Item.notificationId as string) : undefined;
  }

  async save(next: NotificationRecord, previous: NotificationRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.item(next),
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': previous.version },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  due(now: Date, limit: number): Promise<NotificationRecord[]> {
    return queryDue<NotificationRecord>(this.client, this.tableName, 'NOTIFY', now, limit);
  }
}

/** One item per key holding the recent send times; updated under a version condition, so instances never oversend. */
export class DynamoRateLimitStore implements RateLimitStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async acquire(key: string, windows: readonly RateWindow[], now: number): Promise<number | undefined> {
    const longest = Math.max(...windows.map((window) => window.windowMs));
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const current = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.rate(key), ConsistentRead: true }));
      const log = ((current.Item?.log as number[] | undefined) ?? []).filter((time) => time > now - longest);
      const wait = nextAllowedAt(log, windows, now);
      if (wait !== undefined) return wait;
      const version = (current.Item?.version as number | undefined) ?? 0;
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...keys.rate(key), log: [...log, now], version: version + 1, expiresAt: Math.ceil((now + longest) / 1000) + 60 },
            ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : '#version = :version',
            ...(version === 0 ? {} : { ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': version } }),
          }),
        );
        return undefined;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    return now + 100;
  }
}
