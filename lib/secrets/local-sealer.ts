import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SealContext, SecretSealer } from './sealer.ts';

const prefix = 'local.v1';

/**
 * AES-256-GCM under a 32-byte key kept in a file, for the local runtime. Format:
 * `local.v1.<iv>.<ciphertext>.<tag>` (base64url), with the integration id as additional
 * authenticated data.
 */
export class LocalSecretSealer implements SecretSealer {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the local secret key must be 32 bytes');
  }

  /** Reads the key file, creating it (mode 0600) with a fresh random key on first start. */
  static fromKeyFile(path: string): LocalSecretSealer {
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    }
    chmodSync(path, 0o600);
    return new LocalSecretSealer(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64'));
  }

  async seal(plaintext: string, context: SealContext): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(aad(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [prefix, iv, ciphertext, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  async open(sealed: string, context: SealContext): Promise<string> {
    const parts = sealed.split('.');
    if (parts.length !== 5 || `${parts[0]}.${parts[1]}` !== prefix) throw new Error('not a locally sealed value');
    const [iv, ciphertext, tag] = parts.slice(2).map((part) => Buffer.from(part, 'base64url')) as [Buffer, Buffer, Buffer];
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAAD(aad(context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  }
}

const aad = (context: SealContext) => Buffer.from(`imhub:integration:${context.integrationId}`, 'utf8');
