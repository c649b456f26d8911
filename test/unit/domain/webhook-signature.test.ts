import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyWebhookSignature, webhookSignature } from '../../../lib/domain/webhook-signature.ts';

describe('outbound webhook signature', () => {
  it('is sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>, as documented', () => {
    const body = '{"id":"apr_1","status":"approved"}';
    const expected = createHmac('sha256', 'webhook-secret-0123').update(`1700000000.${body}`).digest('hex');
    expect(webhookSignature('webhook-secret-0123', '1700000000', body)).toBe(`sha256=${expected}`);
  });

  it('verifies only the right secret, body and a fresh timestamp', () => {
    const now = new Date(1_700_000_100_000);
    const signature = webhookSignature('s'.repeat(16), '1700000000', 'body');
    expect(verifyWebhookSignature({ secret: 's'.repeat(16), timestamp: '1700000000', body: 'body', signature, now })).toBe(true);
    expect(verifyWebhookSignature({ secret: 't'.repeat(16), timestamp: '1700000000', body: 'body', signature, now })).toBe(false);
    expect(verifyWebhookSignature({ secret: 's'.repeat(16), timestamp: '1700000000', body: 'body!', signature, now })).toBe(false);
    expect(verifyWebhookSignature({ secret: 's'.repeat(16), timestamp: '1700000000', body: 'body', signature, now: new Date(1_700_001_000_000) })).toBe(false);
  });
});
