import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature on imhub's outbound approval webhooks:
 * `X-Imhub-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>` with
 * `X-Imhub-Timestamp: <unix seconds>`. Receivers recompute it over the raw body.
 */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/** For receivers (and tests): checks the signature and that the timestamp is within `toleranceSeconds`. */
export function verifyWebhookSignature(options: { secret: string; timestamp: string; body: string; signature: string; now?: Date; toleranceSeconds?: number }): boolean {
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (!/^\d{1,12}$/.test(options.timestamp) || Math.abs(now - Number(options.timestamp)) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(webhookSignature(options.secret, options.timestamp, options.body));
  const actual = Buffer.from(options.signature);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
