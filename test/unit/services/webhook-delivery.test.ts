import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ApprovalRecord, WebhookState } from '../../../lib/domain/approval.ts';
import { createLogger } from '../../../lib/log.ts';
import type { SecretSealer } from '../../../lib/secrets/sealer.ts';
import { ApprovalService } from '../../../lib/services/approval-service.ts';
import type { ApprovalRepository } from '../../../lib/store/repository.ts';

// Red team, issue 15 item 7: webhooks went one at a time, each waiting up to 10 s, so receivers
// that never answer held back everything after them and outlived the reconciler's run.

// Ended just now: well inside the retry window.
const ended = new Date().toISOString();

/** `count` ended approvals whose webhook is due, in a store that keeps only what deliveries touch. */
function storeOf(count: number) {
  const records = new Map<string, ApprovalRecord>();
  for (let index = 0; index < count; index += 1) {
    const id = `apr_${index}`;
    const webhook: WebhookState = { url: `http://127.0.0.1:9/hooks/${index}`, sealedSecret: 'sealed', state: 'pending', attempts: [], nextAttemptAt: ended };
    records.set(id, { id, integrationId: 'int_1', title: 't', requester: { userId: 'r' }, stages: [], status: 'approved', decisions: [], timeoutAt: ended, onTimeout: 'expire', endedAt: ended, webhook, nextCheckAt: ended, checks: 0, version: 2, createdAt: ended, updatedAt: ended });
  }
  const repository: Pick<ApprovalRepository, 'dueWebhooks' | 'leaseWebhook' | 'recordWebhook'> = {
    dueWebhooks: async (_now, limit) => [...records.values()].filter((record) => record.webhook?.state === 'pending').slice(0, limit),
    leaseWebhook: async () => true,
    recordWebhook: async (id, _attempts, webhook) => {
      records.set(id, { ...records.get(id)!, webhook });
    },
  };
  return { records, repository };
}

/** A fetch whose answers the test gives: each call waits until `answer()` (or its abort signal). */
function heldFetch() {
  const waiting: { url: string; answer: (status: number) => void }[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const fetch = ((url: string, init: RequestInit) =>
    new Promise<Response>((resolve, reject) => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      const done = () => (inFlight -= 1);
      waiting.push({ url, answer: (status) => (done(), resolve(new Response(null, { status }))) });
      init.signal?.addEventListener('abort', () => (done(), reject(init.signal!.reason)));
    })) as unknown as typeof globalThis.fetch;
  return { fetch, waiting, mostInFlight: () => mostInFlight };
}

function serviceWith(repository: Partial<ApprovalRepository>, fetch: typeof globalThis.fetch, webhookTimeoutMs?: number) {
  const sealer: SecretSealer = { seal: async (value) => value, open: async () => 'webhook-secret-000001' };
  return new ApprovalService({
    approvals: repository as ApprovalRepository,
    index: {} as never,
    integrations: {} as never,
    providers: {} as never,
    sealer,
    urlPolicy: { allowInsecure: true },
    logger: createLogger({ level: 'error' }),
    fetch,
    ...(webhookTimeoutMs ? { webhookTimeoutMs } : {}),
  });
}

/** Lets every pending callback and I/O turn run, a few times over. */
const settle = async () => {
  for (let index = 0; index < 20; index += 1) await turn();
};

describe('deliverWebhooks', () => {
  it('posts up to 8 at once; the next starts only when one of them is answered', async () => {
    // Prepare
    const { records, repository } = storeOf(12);
    const receivers = heldFetch();
    const service = serviceWith(repository, receivers.fetch);
    // Act
    const run = service.deliverWebhooks();
    await settle();
    const atFirst = receivers.waiting.length;
    receivers.waiting[0]!.answer(204);
    await settle();
    const afterOneAnswer = receivers.waiting.length;
    for (let answered = 1; answered < 12; answered += 1) {
      await settle();
      receivers.waiting[answered]!.answer(answered % 2 ? 204 : 503);
    }
    const result = await run;
    // Assess
    expect([atFirst, afterOneAnswer, receivers.mostInFlight()]).toEqual([8, 9, 8]);
    expect(result).toEqual({ attempted: 12, delivered: 7 });
    expect([...records.values()].map((record) => record.webhook!.state).sort()).toEqual([...Array(7).fill('delivered'), ...Array(5).fill('pending')]);
  });

  it('takes no delivery once the run’s deadline has passed: they stay due for the next run', async () => {
    const { records, repository } = storeOf(3);
    const receivers = heldFetch();
    const result = await serviceWith(repository, receivers.fetch).deliverWebhooks(50, Date.now() - 1);
    expect(result).toEqual({ attempted: 0, delivered: 0 });
    expect(receivers.waiting).toHaveLength(0);
    expect([...records.values()].every((record) => record.webhook!.state === 'pending' && record.webhook!.attempts.length === 0)).toBe(true);
  });

  it('ends an attempt the receiver never answers at the run’s deadline, not at its own longer timeout, and records it as a timeout to retry', async () => {
    // Prepare: a one-minute attempt timeout (longer than this test may take) and a deadline now
    const { records, repository } = storeOf(1);
    const receivers = heldFetch();
    // Act
    const result = await serviceWith(repository, receivers.fetch, 60_000).deliverWebhooks(50, Date.now() + 10);
    // Assess
    expect(result).toEqual({ attempted: 1, delivered: 0 });
    expect(records.get('apr_0')!.webhook).toMatchObject({ state: 'pending', attempts: [{ status: 0, error: 'timeout' }], nextAttemptAt: expect.any(String) });
  });
});
