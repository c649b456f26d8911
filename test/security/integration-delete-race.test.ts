import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Integration } from '../../lib/domain/integration.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import { localCredentials, localRegion } from '../../lib/local/embedded-dynamodb.ts';
import { LocalSecretSealer } from '../../lib/secrets/local-sealer.ts';
import { IntegrationService } from '../../lib/services/integration-service.ts';
import { DynamoIntegrationRepository } from '../../lib/store/dynamodb/integrations.ts';
import { validCredentials } from '../support/fixtures.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

// Issue 18, item 6: a DELETE that read the integration before a concurrent rename must still
// delete it (or say 409), never answer 404 while it exists. The race is made deterministic: the
// rename goes through the real API exactly between the delete's read and its write.

let api: TestApi;
let dynamo: DynamoDBDocumentClient;

beforeAll(async () => {
  api = await startTestApi();
  dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: api.runtime.dynamoEndpoint, region: localRegion, credentials: localCredentials }), {
    marshallOptions: { removeUndefinedValues: true },
  });
});
afterAll(async () => {
  dynamo?.destroy();
  await api?.stop();
});

const rename = async (id: string) => {
  const renamed = await api.call('PATCH', `/v1/integrations/${id}`, { body: { name: `renamed ${randomBytes(4).toString('hex')}` } });
  expect(renamed.status, renamed.text).toBe(200);
  return renamed.body.name as string;
};

async function createIntegration(): Promise<{ id: string; name: string }> {
  const created = await api.call('POST', '/v1/integrations', { body: { provider: 'feishu', name: `race ${randomBytes(4).toString('hex')}`, credentials: validCredentials['feishu/app'] } });
  expect(created.status, created.text).toBe(201);
  return { id: created.body.id, name: created.body.name };
}

/** A repository whose reads are each followed by `afterRead` (a concurrent request), before the caller sees them. */
class InterleavedRepository extends DynamoIntegrationRepository {
  afterRead: ((integration: Integration) => Promise<void>) | undefined;
  override async get(id: string) {
    const integration = await super.get(id);
    if (integration && this.afterRead) await this.afterRead(integration);
    return integration;
  }
}

const leftovers = async (id: string) => (await api.scan()).filter((item) => JSON.stringify(item).includes(id));

describe('DELETE /v1/integrations/{id} racing a rename', () => {
  it('deletes the integration and both name locks when a rename lands between its read and its write', async () => {
    // Prepare: the service as the DELETE route runs it, on the runtime's table; one rename right after its read
    const { id } = await createIntegration();
    const repository = new InterleavedRepository(dynamo, api.tableName);
    let newName = '';
    repository.afterRead = async (integration) => {
      repository.afterRead = undefined;
      newName = await rename(integration.id);
    };
    const service = new IntegrationService({ repository, sealer: LocalSecretSealer.fromKeyFile(process.env.IMHUB_LOCAL_KEY_FILE!), urlPolicy: { allowInsecure: true }, publicBaseUrl: api.runtime.url });

    // Act
    await service.delete(id);

    // Assess: gone, nothing left, and the new name is free again
    expect(newName).toMatch(/^renamed /);
    expect((await api.call('GET', `/v1/integrations/${id}`)).status).toBe(404);
    expect(await leftovers(id)).toEqual([]);
    const reused = await api.call('POST', '/v1/integrations', { body: { provider: 'feishu', name: newName, credentials: validCredentials['feishu/app'] } });
    expect(reused.status, reused.text).toBe(201);
  });

  it('finishes a delete given a stale read of the integration', async () => {
    const { id } = await createIntegration();
    const repository = new DynamoIntegrationRepository(dynamo, api.tableName);
    const stale = (await repository.get(id))!;
    await rename(id);

    await repository.delete(stale);

    expect((await api.call('GET', `/v1/integrations/${id}`)).status).toBe(404);
    expect(await leftovers(id)).toEqual([]);
  });

  it('answers 404 only when the integration is really gone', async () => {
    const { id } = await createIntegration();
    const repository = new DynamoIntegrationRepository(dynamo, api.tableName);
    const stale = (await repository.get(id))!;
    expect((await api.call('DELETE', `/v1/integrations/${id}`)).status).toBe(204);

    await expect(repository.delete(stale)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('answers 409 version_conflict, and deletes nothing, when every re-read is overtaken by another rename', async () => {
    const { id } = await createIntegration();
    const repository = new InterleavedRepository(dynamo, api.tableName);
    const stale = (await repository.get(id))!;
    await rename(id);
    repository.afterRead = async (integration) => {
      await rename(integration.id);
    };

    const failure = await repository.delete(stale).catch((error: unknown) => error);

    repository.afterRead = undefined;
    expect(failure).toBeInstanceOf(ConflictError);
    expect((failure as ConflictError).code).toBe('version_conflict');
    const still = await api.call('GET', `/v1/integrations/${id}`);
    expect(still.status).toBe(200);
    // Its current name is still locked to it: another integration cannot take it.
    const taken = await api.call('POST', '/v1/integrations', { body: { provider: 'feishu', name: still.body.name, credentials: validCredentials['feishu/app'] } });
    expect(taken.status).toBe(409);
  });
});
