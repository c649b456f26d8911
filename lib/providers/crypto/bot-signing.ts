import { createHmac } from 'node:crypto';

export { feishuBotSign } from './feishu-cipher.ts';

/** DingTalk robot signing: base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret)), timestamp in ms. */
export function dingtalkBotSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
}
