import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { WebhookState } from '../../../lib/domain/approval.ts';
import { createLogger } from '../../../lib/log.ts';
import type { SecretSealer } from '../../../lib/secrets/sealer.ts';
import { newJob } from '../../../lib/domain/job.ts';
import { JobWorker } from '../../../lib/jobs/worker.ts';
import { ApprovalService } from '../../../lib/services/approvals/approval-service.ts';
import { MemoryStore } from '../../../lib/store/memory/memory-store.ts';

// Red team, issue 15 item 7: webhooks went one at a time, each waiting up to 10 s, so receivers
// that never answer held back everything after them and outlived the reconciler's run.

// Ended just now: well inside the retry window.
const ended = new Date().toISOString();

/** `count` ended approvals whose webhook is due, each with its delivery job, in the in-memory store. */
function storeOf(count: number) {
  const store = new MemoryStore();
  for (let index = 0; index < count; index += 1) {
    const id = `apr_${index}`;
    const webhook: WebhookState = { url: `http://127.0.0.1:9/hooks/${index}`, sealedSecret: 'sealed', state: 'pending', attempts: [] };
    store.approvalsById.set(id, { id, integrationId: 'int_1', title: 't', requester: { userId: 'r' }, stages: [], status: 'approved', decisions: [], timeoutAt: ended, onTimeout: 'expire', endedAt: ended, webhook, nextCheckAt: ended, checks: 0, version: 2, createdAt: ended, updatedAt: ended });
    store.jobsById.set(`approval.webhook#${id}`, newJob('approval.webhook', id, ended, new Date()));
  }
  return { records: store.approvalsById, store };
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

/** The worker with the approval service's handlers over the in-memory store. */
function workerWith(store: MemoryStore, fetch: typeof globalThis.fetch, webhookTimeoutMs?: number) {
  const sealer: SecretSealer = { seal: async (value) => value, open: async () => 'webhook-secret-000001' };
  const approvals = new ApprovalService({
    approvals: store.approvals,
    index: store.index,
    integrations: {} as never,
    providers: {} as never,
    sealer,
    urlPolicy: { allowInsecure: true },
    logger: createLogger({ level: 'error' }),
    fetch,
    ...(webhookTimeoutMs ? { webhookTimeoutMs } : {}),
  });
  const unused = async () => undefined;
  return new JobWorker({ store: store.jobs, handlers: { ...approvals.jobHandlers(), 'notification.dispatch': unused }, logger: createLogger({ level: 'error' }) });
}

/** Lets every pending callback and I/O turn run, a few times over. */
const settle = async () => {
  for (let index = 0; index < 20; index += 1) await turn();
};

describe('webhook delivery jobs', () => {
  it('posts up to 8 at once; the next starts only when one of them is answered', async () => {
    // Prepare
    const { records, store } = storeOf(12);
    const receivers = heldFetch();
    const worker = workerWith(store, receivers.fetch);
    // Act
    const run = worker.runDue();
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
    expect(result).toEqual({ ran: 12, failed: 0 });
    expect([...records.values()].map((record) => record.webhook!.state).sort()).toEqual([...Array(7).fill('delivered'), ...Array(5).fill('pending')]);
    // A delivered webhook's job is gone; one answered 503 is due again later, after the first backoff.
    expect(store.jobsById.has('approval.webhook#apr_1')).toBe(false);
    expect(store.jobsById.get('approval.webhook#apr_2')!.dueAt > new Date(Date.now() + 20_000).toISOString()).toBe(true);
  });

  it('takes no delivery once the run’s deadline has passed: they stay due for the next run', async () => {
    const { records, store } = storeOf(3);
    const receivers = heldFetch();
    const result = await workerWith(store, receivers.fetch).runDue(100, Date.now() - 1);
    expect(result).toEqual({ ran: 0, failed: 0 });
    expect((await store.jobs.due(new Date(), 100)).length).toBe(3);
    expect(receivers.waiting).toHaveLength(0);
    expect([...records.values()].every((record) => record.webhook!.state === 'pending' && record.webhook!.attempts.length === 0)).toBe(true);
  });

  it('ends an attempt the receiver never answers at the run’s deadline, not at its own longer timeout, and records it as a timeout to retry', async () => {
    // Prepare: a one-minute attempt timeout (longer than this test may take) and a deadline now
    const { records, store } = storeOf(1);
    const receivers = heldFetch();
    // Act
    const result = await workerWith(store, receivers.fetch, 60_000).runDue(100, Date.now() + 10);
    // Assess
    expect(result).toEqual({ ran: 1, failed: 0 });
    expect(records.get('apr_0')!.webhook).toMatchObject({ state: 'pending', attempts: [{ status: 0, error: 'timeout' }], nextAttemptAt: expect.any(String) });
  });

  it('records a delivered webhook on the approval another job changed meanwhile, and never posts it twice', async () => {
    // Prepare: while the receiver answers, the end message's job records its hand-over (a new version)
    const { records, store } = storeOf(1);
    let posts = 0;
    const fetch = (async () => {
      posts += 1;
      const current = records.get('apr_0')!;
      records.set('apr_0', { ...current, announced: ['end'], version: current.version + 1 });
      return new Response(null, { status: 204 });
    }) as unknown as typeof globalThis.fetch;
    // Act
    const result = await workerWith(store, fetch).runDue();
    // Assess: one post, recorded as delivered on the newer version, the other job's change kept, and no job left
    expect(result).toEqual({ ran: 1, failed: 0 });
    expect(posts).toBe(1);
    expect(records.get('apr_0')).toMatchObject({ announced: ['end'], webhook: { state: 'delivered', attempts: [{ status: 204 }] } });
    expect(store.jobsById.size).toBe(0);
  });
});
