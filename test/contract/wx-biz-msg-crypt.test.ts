import * as wecom from '@wecom/crypto';
import { describe, expect, it } from 'vitest';
import { callbackDecrypt, callbackEncrypt, callbackSignature } from '../../lib/providers/crypto/wx-biz-msg-crypt.ts';

// Official vectors, ../shared/platforms/dingtalk-wecom.md §4.3 (DingTalk) and §8.4 (WeCom).
const dingtalk = {
  token: 'mryue',
  aesKey: 'Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7',
  owner: 'ding6ccabc44d2c8d38b',
  timestamp: '1608001896814',
  nonce: 'WL4PK6yA',
  encrypt: '0vJiX6vliEpwG3U45CtXqi+m8PXbQRARJ8p8BbDuD1EMTDf0jKpQ79QS93qEk7XHpP6u+oTTrd15NRPvNvmBKyDCYxxOK+HZeKju4yhELOFchzNukR+t8SB/qk4ROMu3',
  signature: '03044561471240d4a14bb09372dfcfd4fd0e40cb',
};
const wecomVector = {
  corpId: 'wx5823bf96d3bd56c7',
  token: 'QDG6eK',
  aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  timestamp: '1409659813',
  nonce: '1372623149',
  encrypt:
    'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==',
  signature: '477715d11cdb4164915debcba66cb864d751f3e6',
};

describe('the DingTalk/WeCom callback cipher against the official vectors', () => {
  it('verifies and decrypts the DingTalk check_url vector with the app key as owner', () => {
    expect(callbackSignature(dingtalk.token, dingtalk.timestamp, dingtalk.nonce, dingtalk.encrypt)).toBe(dingtalk.signature);
    expect(callbackDecrypt(dingtalk.aesKey, dingtalk.encrypt, [dingtalk.owner])).toEqual({ message: '{"EventType":"check_url"}', receiverId: dingtalk.owner });
  });

  it('verifies and decrypts the WeCom vector with the corp id as receiver', () => {
    expect(callbackSignature(wecomVector.token, wecomVector.timestamp, wecomVector.nonce, wecomVector.encrypt)).toBe(wecomVector.signature);
    const { message, receiverId } = callbackDecrypt(wecomVector.aesKey, wecomVector.encrypt, [wecomVector.corpId]);
    expect(receiverId).toBe(wecomVector.corpId);
    expect(message).toContain('<Content><![CDATA[hello]]></Content>');
    expect(message).toContain('4561255354251345929');
  });

  it('refuses a receiver id other than the accepted ones', () => {
    expect(() => callbackDecrypt(dingtalk.aesKey, dingtalk.encrypt, ['dingOTHER'])).toThrow(expect.objectContaining({ reason: 'receiver' }));
  });
});

describe('the callback cipher against @wecom/crypto', () => {
  const aesKey = wecomVector.aesKey;
  const messages = ['success', '{"EventType":"check_url"}', '审批通过 100% done', 'x'.repeat(10), '<xml><a>1</a></xml>'];

  it.each(messages)('@wecom/crypto decrypts what we encrypt: %s', (message) => {
    const theirs = wecom.decrypt(aesKey, callbackEncrypt(aesKey, message, 'ww-corp'));
    expect({ message: theirs.message, id: theirs.id }).toEqual({ message, id: 'ww-corp' });
  });

  it.each(messages)('we decrypt what @wecom/crypto encrypts: %s', (message) => {
    expect(callbackDecrypt(aesKey, wecom.encrypt(aesKey, message, 'ww-corp'), ['ww-corp']).message).toBe(message);
  });

  it('produces byte-identical ciphertext for the same random prefix, including a full padding block', () => {
    const random = Buffer.from('0123456789abcdef');
    // 16 + 4 + 10 + 2 = 32 bytes: an exact block, so a full 32-byte pad block follows.
    expect(callbackEncrypt(aesKey, 'x'.repeat(10), 'id', random)).toBe(wecom.encrypt(aesKey, 'x'.repeat(10), 'id', random));
    expect(Buffer.from(callbackEncrypt(aesKey, 'x'.repeat(10), 'id', random), 'base64')).toHaveLength(64);
  });

  it('signs as @wecom/crypto does', () => {
    expect(callbackSignature('tok', '1700000000', 'nonce', 'ENC+/=')).toBe(wecom.getSignature('tok', '1700000000', 'nonce', 'ENC+/='));
  });
});
