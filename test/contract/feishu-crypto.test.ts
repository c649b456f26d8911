import * as lark from '@larksuiteoapi/node-sdk';
import { describe, expect, it } from 'vitest';
import { feishuBotSign, feishuDecrypt, feishuEncrypt, feishuSignature } from '../../lib/providers/crypto/feishu-cipher.ts';

// Vectors from ../shared/platforms/feishu-lark.md §4.1 and §4.6 (cross-checked there with node-sdk 1.74.0).
const encryptKey = 'test-encrypt-key';
const iv = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const challengePlain = '{"challenge":"ajls384kdjxxxx","token":"test-verification-token","type":"url_verification"}';
const challengeEncrypt =
  'AAECAwQFBgcICQoLDA0OD/pXnuQjbBOjuCGc9CaoydgfmhsaMGCr8Nilh1aaRxmijQI5V3Ds9/JtY0ygk8KFxc/HI3Ds737nIS8YrDbUrqZB9yFiTsWkjoU+kIHNxyyALeJaAf5fBko4rN68WmUDRw==';
const approvalBody =
  '{"encrypt":"AAECAwQFBgcICQoLDA0ODzzKvepm1BDtjvXlRqk7hx4PeiJMNjU67BXD4OoGSS2KJ2Ha1Jgt9NQqMZ1tvcfUhRGmz9OUUYVIgdnXn47YnmyE/VxY9n6XNSe3LT8TzE/cmAjcaG72BFPejvh4k3fTz6GuIzHqzmYjZ2LB4rDJyc7yqdM5IOmg9xmT9fBDR6CYcWUpdmH4YWbkiFSkML6W6nfHg+KDV6KieHhAG6BU5/Ooj0/coqo/wTUPirqOqmcxt1/Klv/acCgBg8o/YYHpST7uMBuXKSmi7/6mVhgXzjFCJjcDBVa3t8wqbCZosBcIHtlSCfI5MB0sdV6MvULkpObEb9PMiuvT8RtTQnkUEYJfVvVJ0OVolPw22wZAsIJXuUQty6IAFstvu55HqO6f7dVRp4csGDoFsM03+V0nKmcE7X8JTmiMamfDEbC6o9rBxK09osD6Aro4PBaERhEZzubtEgyER/hXSwcI4yFGFLNqH28MDKIDJm1v+DPtDJaJweObgiQWGvQbhhHawykPODoKiQCzFqHaV5iCTzhnPFzpDX4XUQYCdDhGCZQ8wDOSsYug28O5EpVj1ieHqZiCxw=="}';

describe('Feishu/Lark cipher against the published vectors', () => {
  it('decrypts the official "test key" vector to "hello world"', () => {
    expect(feishuDecrypt('test key', 'P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=')).toBe('hello world');
  });

  it('encrypts the challenge vector to the published ciphertext with the fixed IV', () => {
    expect(feishuEncrypt(encryptKey, challengePlain, iv)).toBe(challengeEncrypt);
  });

  it('computes the published X-Lark-Signature of the approval event', () => {
    expect(feishuSignature('1700000000', 'abc123nonce', encryptKey, approvalBody)).toBe('558a6ecf1d321bbfefcaa53a3fae93035e31e77f29a37b4f7194385825b87c97');
  });

  it('signs custom-bot messages as the documented vector', () => {
    expect(feishuBotSign('demo-secret', 1599360473)).toBe('3/MaVZ8JLIy4TUG+7KSFJqvUkTKd+HWY8g+56DZWq8s=');
  });
});

describe('Feishu/Lark cipher against @larksuiteoapi/node-sdk', () => {
  it('produces payloads the SDK decrypts, including Chinese text and every padding length', () => {
    const cipher = new lark.AESCipher(encryptKey);
    for (let length = 0; length < 40; length += 1) {
      const plain = JSON.stringify({ text: `审批通过${'x'.repeat(length)}%` });
      expect(cipher.decrypt(feishuEncrypt(encryptKey, plain))).toBe(plain);
    }
  });

  it('decrypts what the SDK-compatible scheme produces', () => {
    const plain = JSON.stringify({ schema: '2.0', header: { event_id: 'e1' }, event: { note: '你好 %20' } });
    const encrypted = feishuEncrypt(encryptKey, plain);
    expect(feishuDecrypt(encryptKey, encrypted)).toBe(new lark.AESCipher(encryptKey).decrypt(encrypted));
  });

  it('answers the encrypted challenge as the SDK does', () => {
    const ours = JSON.parse(feishuDecrypt(encryptKey, challengeEncrypt));
    const theirs = lark.generateChallenge({ encrypt: challengeEncrypt }, { encryptKey });
    expect(theirs).toEqual({ isChallenge: true, challenge: { challenge: ours.challenge } });
  });

  it('signs bodies the SDK dispatcher accepts', async () => {
    // Prepare: an event we encrypt and sign, handed to the SDK exactly as its adaptor would
    const body = JSON.stringify({ encrypt: feishuEncrypt(encryptKey, JSON.stringify({ schema: '2.0', header: { event_id: 'e2', event_type: 'approval_instance', token: 't' }, event: { status: 'APPROVED' } })) });
    const headers = { 'x-lark-request-timestamp': '1700000000', 'x-lark-request-nonce': 'n1', 'x-lark-signature': feishuSignature('1700000000', 'n1', encryptKey, body) };
    let seen: unknown;
    const dispatcher = new lark.EventDispatcher({ encryptKey, loggerLevel: lark.LoggerLevel.error }).register({
      approval_instance: async (data: unknown) => {
        seen = data;
        return 'handled';
      },
    } as never);
    // Act
    const result = await dispatcher.invoke(Object.assign(Object.create({ headers }), JSON.parse(body)));
    // Assess
    expect(result).toBe('handled');
    expect(seen).toMatchObject({ status: 'APPROVED' });
    const forged = await dispatcher.invoke(Object.assign(Object.create({ headers: { ...headers, 'x-lark-signature': 'deadbeef' } }), JSON.parse(body)));
    expect(forged).toBeUndefined();
  });
});
