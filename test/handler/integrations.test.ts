import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { knownSecrets, validCredentials } from '../support/fixtures.ts';
import { apiEvent, lambdaContext } from '../support/events.ts';

// The function as deployed in AWS: KMS sealing, the bootstrap key in Secrets Manager, https-only URLs.
Object.assign(process.env, {
  IMHUB_RUNTIME: 'aws',
  TABLE_NAME: 'imhub-table',
  KMS_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/k',
  BOOTSTRAP_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:bootstrap',
  PUBLIC_BASE_URL: 'https://api.example.com',
  AWS_REGION: 'eu-west-1',
});
const { handler } = await import('../../functions/integrations.ts');

const dynamo = mockClient(DynamoDBDocumentClient);
const kms = mockClient(KMSClient);
const secrets = mockClient(SecretsManagerClient);
const admin = { authorization: 'Bearer bootstrap-admin-key' };

const createEvent = (body: unknown) => apiEvent('POST', '/v1/integrations', { body, headers: admin });

beforeAll(() => {
  secrets.on(GetSecretValueCommand).resolves({ SecretString: 'bootstrap-admin-key' });
});
beforeEach(() => {
  dynamo.reset();
  kms.reset();
  kms.on(EncryptCommand).resolves({ CiphertextBlob: Buffer.from('kms-ciphertext') });
  kms.on(DecryptCommand).rejects(new Error('not expected'));
});

describe('integrations function in AWS mode', () => {
  it('seals credentials with KMS under the new id and writes only ciphertext', async () => {
    // Prepare
    dynamo.on(TransactWriteCommand).resolves({});
    // Act
    const response = await handler(createEvent({ provider: 'feishu', name: 'prod', credentials: validCredentials['feishu/app'] }), lambdaContext());
    // Assess
    expect(response.statusCode).toBe(201);
    const { id } = JSON.parse(response.body!);
    const encrypt = kms.commandCalls(EncryptCommand)[0]!.args[0].input;
    expect(encrypt.EncryptionContext).toEqual({ service: 'imhub', integrationId: id });
    const written = JSON.stringify(dynamo.commandCalls(TransactWriteCommand)[0]!.args[0].input);
    expect(written).toContain(`kms.v1.${Buffer.from('kms-ciphertext').toString('base64')}`);
    for (const secret of knownSecrets) expect(written).not.toContain(secret);
    expect(JSON.parse(response.body!).callbackUrl).toBe(`https://api.example.com/v1/callbacks/${id}`);
  });

  it('refuses http and private apiBaseUrl values in AWS, before anything is sealed or stored', async () => {
    for (const apiBaseUrl of ['http://open.feishu.cn', 'https://169.254.169.254']) {
      const response = await handler(
        createEvent({ provider: 'lark', name: 'x', apiBaseUrl, credentials: validCredentials['lark/app'] }),
        lambdaContext(),
      );
      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body!).error.details[0].path).toBe('apiBaseUrl');
    }
    expect(dynamo.calls()).toHaveLength(0);
    expect(kms.calls()).toHaveLength(0);
  });

  it('maps a failed name-lock condition to 409 name_taken', async () => {
    dynamo.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
      }),
    );
    const response = await handler(createEvent({ provider: 'wecom', kind: 'webhook', name: 'dup', credentials: validCredentials['wecom/webhook'] }), lambdaContext());
    expect(response.statusCode).toBe(409);
    expect(JSON.parse(response.body!).error.code).toBe('name_taken');
  });

  it('answers an unexpected store failure with a 500 that reveals nothing', async () => {
    dynamo.on(GetCommand).rejects(new Error('socket hang up at 10.0.0.7 table imhub-table'));
    const response = await handler(
      apiEvent('GET', '/v1/integrations/{id}', { pathParameters: { id: 'int_1' }, headers: admin }),
      lambdaContext(),
    );
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('10.0.0.7');
    expect(JSON.parse(response.body!).error).toEqual({ code: 'internal', message: expect.any(String), requestId: 'req-1' });
  });

  it('answers a busy store (a conflicting transaction, throttling) with a 503 to repeat, revealing nothing', async () => {
    dynamo.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({ message: 'conflict on 10.0.0.7', $metadata: {}, CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }] }),
    );
    const response = await handler(createEvent({ provider: 'wecom', kind: 'webhook', name: 'busy', credentials: validCredentials['wecom/webhook'] }), lambdaContext());
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'retry-after': '1' });
    expect(response.body).not.toContain('10.0.0.7');
    expect(JSON.parse(response.body!).error).toMatchObject({ code: 'store_unavailable', message: expect.stringContaining('repeat the request') });
  });

  it('reads the bootstrap key from Secrets Manager once, not per request', async () => {
    dynamo.on(GetCommand).resolves({});
    const before = secrets.commandCalls(GetSecretValueCommand).length;
    for (let index = 0; index < 3; index += 1) {
      const response = await handler(apiEvent('GET', '/v1/integrations/{id}', { pathParameters: { id: 'int_1' }, headers: admin }), lambdaContext());
      expect(response.statusCode).toBe(404);
    }
    expect(secrets.commandCalls(GetSecretValueCommand).length - before).toBeLessThanOrEqual(1);
  });

  it('answers 401 for a key other than the bootstrap secret', async () => {
    const response = await handler(apiEvent('GET', '/v1/integrations', { headers: { authorization: 'Bearer nope' } }), lambdaContext());
    expect(response.statusCode).toBe(401);
    expect(dynamo.calls()).toHaveLength(0);
  });
});
