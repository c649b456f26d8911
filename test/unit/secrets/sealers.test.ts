import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { KmsSecretSealer } from '../../../lib/secrets/kms-sealer.ts';
import { LocalSecretSealer } from '../../../lib/secrets/local-sealer.ts';

describe('LocalSecretSealer', () => {
  const sealer = new LocalSecretSealer(randomBytes(32));

  it('opens what it sealed, and the ciphertext does not contain the plaintext', async () => {
    const sealed = await sealer.seal('{"appSecret":"s3cr3t"}', { integrationId: 'int_a' });
    expect(sealed).not.toContain('s3cr3t');
    expect(await sealer.open(sealed, { integrationId: 'int_a' })).toBe('{"appSecret":"s3cr3t"}');
  });

  it('refuses to open a value sealed for another integration', async () => {
    const sealed = await sealer.seal('x', { integrationId: 'int_a' });
    await expect(sealer.open(sealed, { integrationId: 'int_b' })).rejects.toThrow();
  });

  it('detects a tampered ciphertext', async () => {
    const sealed = await sealer.seal('payload', { integrationId: 'int_a' });
    const parts = sealed.split('.');
    const ciphertext = Buffer.from(parts[3]!, 'base64url');
    ciphertext[0]! ^= 1;
    parts[3] = ciphertext.toString('base64url');
    await expect(sealer.open(parts.join('.'), { integrationId: 'int_a' })).rejects.toThrow();
  });

  it('creates its key file once, readable by the owner only', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'imhub-key-')), 'nested', 'secret.key');
    const first = LocalSecretSealer.fromKeyFile(file);
    const key = readFileSync(file, 'utf8');
    const second = LocalSecretSealer.fromKeyFile(file);
    expect(readFileSync(file, 'utf8')).toBe(key);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await second.open(await first.seal('v', { integrationId: 'i' }), { integrationId: 'i' })).toBe('v');
  });
});

describe('KmsSecretSealer', () => {
  const kms = mockClient(KMSClient);
  beforeEach(() => kms.reset());

  it('binds the integration id as encryption context on seal and open', async () => {
    // Prepare
    kms.on(EncryptCommand).resolves({ CiphertextBlob: Buffer.from('blob') });
    kms.on(DecryptCommand).resolves({ Plaintext: Buffer.from('plain') });
    const sealer = new KmsSecretSealer(new KMSClient({ region: 'eu-west-1' }), 'alias/imhub');
    // Act
    const sealed = await sealer.seal('plain', { integrationId: 'int_1' });
    const opened = await sealer.open(sealed, { integrationId: 'int_1' });
    // Assess
    expect(opened).toBe('plain');
    const encrypt = kms.commandCalls(EncryptCommand)[0]!.args[0].input;
    expect(encrypt.KeyId).toBe('alias/imhub');
    expect(encrypt.EncryptionContext).toEqual({ service: 'imhub', integrationId: 'int_1' });
    const decrypt = kms.commandCalls(DecryptCommand)[0]!.args[0].input;
    expect(decrypt.EncryptionContext).toEqual({ service: 'imhub', integrationId: 'int_1' });
    expect(Buffer.from(decrypt.CiphertextBlob!).toString()).toBe('blob');
  });

  it('refuses a value that was not sealed by KMS', async () => {
    const sealer = new KmsSecretSealer(new KMSClient({ region: 'eu-west-1' }), 'k');
    await expect(sealer.open('local.v1.a.b.c', { integrationId: 'i' })).rejects.toThrow('not a KMS-sealed value');
  });
});
