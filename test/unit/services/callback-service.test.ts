import { describe, expect, it } from 'vitest';
import type { Job } from '../../../lib/domain/job.ts';
import type { Integration } from '../../../lib/domain/integration.ts';
import { feishuSignature, feishuEncrypt } from '../../../lib/providers/crypto/feishu-cipher.ts';
import { CallbackService } from '../../../lib/services/callback-service.ts';
import type { CallbackEventRepository } from '../../../lib/store/repository.ts';

const integration: Integration = {
  id: 'int_1',
  provider: 'feishu',
  kind: 'app',
  name: 'x',
  publicCredentials: { appId: 'cli_1' },
  secretHints: {},
  sealedSecrets: 'sealed',
  credentialVersion: 1,
  version: 1,
  createdAt: '',
  updatedAt: '',
};
const credentials = { appId: 'cli_1', appSecret: 's', encryptKey: 'ek' };

/** The claim contract, in memory: the event id and its job are written together, once. */
function memoryEvents(options: { failing?: boolean } = {}): CallbackEventRepository & { jobs: Job[]; claimed: Set<string> } {
  const claimed = new Set<string>();
  const jobs: Job[] = [];
  return {
    claimed,
    jobs,
    claim: async ({ eventId, job }) => {
      if (options.failing) throw Object.assign(new Error('store down'), { name: 'InternalServerError' });
      if (claimed.has(eventId)) return false;
      claimed.add(eventId);
      if (job) jobs.push(job);
      return true;
    },
  };
}

function signedEvent(eventId: string, event: Record<string, unknown> = { instance_code: 'inst-1' }) {
  const body = JSON.stringify({ encrypt: feishuEncrypt('ek', JSON.stringify({ schema: '2.0', header: { event_id: eventId, event_type: 'approval_instance', app_id: 'cli_1' }, event })) });
  const timestamp = String(Math.floor(Date.now() / 1000));
  return {
    method: 'POST' as const,
    query: {},
    headers: { 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': 'n', 'x-lark-signature': feishuSignature(timestamp, 'n', 'ek', body) },
    rawBody: Buffer.from(body),
    now: new Date(),
  };
}

const serviceWith = (events: CallbackEventRepository) => new CallbackService({ integrations: { require: async () => integration, credentials: async () => credentials }, events });

describe('CallbackService', () => {
  it('answers an authentic event once its id is claimed with its job, and a duplicate adds no second job', async () => {
    // Prepare
    const events = memoryEvents();
    const service = serviceWith(events);
    // Act
    const answer = await service.handle('int_1', signedEvent('e1'));
    const duplicate = await service.handle('int_1', signedEvent('e1'));
    // Assess: success both times, one job due at once naming the instance, and nothing of the decrypted body
    expect(JSON.parse(answer.body)).toEqual({ msg: 'success' });
    expect(JSON.parse(duplicate.body)).toEqual({ msg: 'success' });
    expect(events.jobs).toHaveLength(1);
    expect(events.jobs[0]).toMatchObject({ kind: 'callback.event', payload: { integrationId: 'int_1', event: { id: 'e1', type: 'approval_instance', instanceId: 'inst-1' } } });
    expect(JSON.stringify(events.jobs[0])).not.toContain('"payload":{"schema"');
  });

  it('claims an event that names no instance without a job (its repeats are still known)', async () => {
    const events = memoryEvents();
    await serviceWith(events).handle('int_1', signedEvent('e2', {}));
    expect(events.claimed.has('e2')).toBe(true);
    expect(events.jobs).toHaveLength(0);
  });

  it('does not answer success when the event cannot be recorded, so the platform sends it again', async () => {
    await expect(serviceWith(memoryEvents({ failing: true })).handle('int_1', signedEvent('e3'))).rejects.toThrow('store down');
  });
});
