import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Feishu/Lark event crypto (identical on both): AES-256-CBC under sha256(Encrypt Key) with a
 * random IV prepended, and the request signature sha256(timestamp + nonce + encryptKey + rawBody).
 */
/** The AES key of each Encrypt Key this instance has seen: every event would hash it again. */
const keys = new Map<string, Buffer>();
function keyOf(encryptKey: string): Buffer {
  let key = keys.get(encryptKey);
  if (!key) {
    key = createHash('sha256').update(encryptKey, 'utf8').digest();
    if (keys.size >= 256) keys.clear();
    keys.set(encryptKey, key);
  }
  return key;
}

export function feishuDecrypt(encryptKey: string, encrypted: string): string {
  const data = Buffer.from(encrypted, 'base64');
  if (data.length < 32 || data.length % 16 !== 0) throw new Error('ciphertext has an impossible length');
  const decipher = createDecipheriv('aes-256-cbc', keyOf(encryptKey), data.subarray(0, 16));
  return Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]).toString('utf8');
}

/** The platform's side of the scheme, for simulators and tests: base64(iv || AES-256-CBC(plaintext)). */
export function feishuEncrypt(encryptKey: string, plaintext: string, iv: Buffer = randomBytes(16)): string {
  const cipher = createCipheriv('aes-256-cbc', keyOf(encryptKey), iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

export function feishuSignature(timestamp: string, nonce: string, encryptKey: string, rawBody: Buffer | string): string {
  return createHash('sha256')
    .update(Buffer.from(timestamp + nonce + encryptKey, 'utf8'))
    .update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody)
    .digest('hex');
}

/** Compares two hex digests without an early exit. */
export function hexDigestEquals(actual: string, expected: string): boolean {
  const a = Buffer.from(actual.toLowerCase(), 'utf8');
  const b = Buffer.from(expected.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Compares two strings (tokens, base64 signatures) exactly, without an early exit. */
export const constantTimeEquals = (actual: string, expected: string) => hexDigestEquals(Buffer.from(actual).toString('hex'), Buffer.from(expected).toString('hex'));

/** Custom-bot signing: base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = "")), timestamp in seconds. */
export function feishuBotSign(secret: string, timestampSeconds: number): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}
