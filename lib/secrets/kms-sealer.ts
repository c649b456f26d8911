import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { SealContext, SecretSealer } from './sealer.ts';

const prefix = 'kms.v1.';

/**
 * KMS Encrypt/Decrypt with the integration id as encryption context: a ciphertext only opens
 * for the integration it was sealed for, and CloudTrail shows which integration was read.
 * Credentials are small (the schemas cap them well under KMS's 4 KB plaintext limit).
 */
export class KmsSecretSealer implements SecretSealer {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async seal(plaintext: string, context: SealContext): Promise<string> {
    const result = await this.kms.send(
      new EncryptCommand({ KeyId: this.keyId, Plaintext: Buffer.from(plaintext, 'utf8'), EncryptionContext: encryptionContext(context) }),
    );
    if (!result.CiphertextBlob) throw new Error('KMS returned no ciphertext');
    return prefix + Buffer.from(result.CiphertextBlob).toString('base64');
  }

  async open(sealed: string, context: SealContext): Promise<string> {
    if (!sealed.startsWith(prefix)) throw new Error('not a KMS-sealed value');
    const result = await this.kms.send(
      new DecryptCommand({
        KeyId: this.keyId,
        CiphertextBlob: Buffer.from(sealed.slice(prefix.length), 'base64'),
        EncryptionContext: encryptionContext(context),
      }),
    );
    if (!result.Plaintext) throw new Error('KMS returned no plaintext');
    return Buffer.from(result.Plaintext).toString('utf8');
  }
}

const encryptionContext = (context: SealContext) => ({ service: 'imhub', integrationId: context.integrationId });
