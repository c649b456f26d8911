import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * The callback cipher DingTalk and WeCom share (WeCom's WXBizMsgCrypt, DingTalk's
 * DingCallbackCrypto): AES-256-CBC with key = base64(EncodingAESKey + "="), IV = key[0..16),
 * plaintext = random(16) ‖ uint32be(len) ‖ message ‖ receiverId, PKCS#7 padded to 32 bytes;
 * signature = sha1 of the sorted [token, timestamp, nonce, encrypt] joined.
 */
export class CallbackCipherError extends Error {
  constructor(
    message: string,
    readonly reason: 'key' | 'decrypt' | 'receiver' | 'length',
  ) {
    super(message);
    this.name = 'CallbackCipherError';
  }
}

const blockSize = 32;

/** Decoded keys of the integrations this instance serves: every callback would decode its key again. */
const decodedKeys = new Map<string, Buffer>();

export function aesKeyOf(encodingAesKey: string): Buffer {
  const known = decodedKeys.get(encodingAesKey);
  if (known) return known;
  if (!/^[A-Za-z0-9+/]{43}$/.test(encodingAesKey)) throw new CallbackCipherError('the AES key must be 43 base64 characters', 'key');
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (key.length !== 32) throw new CallbackCipherError('the AES key does not decode to 32 bytes', 'key');
  if (decodedKeys.size >= 256) decodedKeys.clear();
  decodedKeys.set(encodingAesKey, key);
  return key;
}

export function callbackSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join(''), 'utf8').digest('hex');
}

export function callbackEncrypt(encodingAesKey: string, message: string, receiverId: string, random: Buffer = randomBytes(16)): string {
  const key = aesKeyOf(encodingAesKey);
  const body = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const plain = Buffer.concat([random, length, body, Buffer.from(receiverId, 'utf8')]);
  const pad = blockSize - (plain.length % blockSize);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}

/** Decrypts and checks the trailing receiver id against the accepted ones (e.g. appKey or corpId). */
export function callbackDecrypt(encodingAesKey: string, encrypt: string, acceptedReceivers: readonly string[]): { message: string; receiverId: string } {
  const key = aesKeyOf(encodingAesKey);
  const data = Buffer.from(encrypt, 'base64');
  if (data.length === 0 || data.length % 16 !== 0) throw new CallbackCipherError('ciphertext has an impossible length', 'decrypt');
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    throw new CallbackCipherError('ciphertext does not decrypt', 'decrypt');
  }
  // Unpad leniently (1..32), as the official libraries do: some producers pad to 16.
  const pad = plain[plain.length - 1] ?? 0;
  const unpadded = pad >= 1 && pad <= blockSize ? plain.subarray(0, plain.length - pad) : plain;
  if (unpadded.length < 20) throw new CallbackCipherError('plaintext is too short', 'length');
  const length = unpadded.readUInt32BE(16);
  if (20 + length > unpadded.length) throw new CallbackCipherError('message length exceeds the plaintext', 'length');
  const message = unpadded.subarray(20, 20 + length).toString('utf8');
  const receiverId = unpadded.subarray(20 + length).toString('utf8');
  if (!acceptedReceivers.includes(receiverId)) throw new CallbackCipherError('the receiver id does not match this integration', 'receiver');
  return { message, receiverId };
}
