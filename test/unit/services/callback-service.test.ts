import { describe, expect, it } from 'vitest';
import type { Integration } from '../../../lib/domain/integration.ts';
import { feishuSignature, feishuEncrypt } from '../../../lib/providers/crypto/feishu-cipher.ts';
import { CallbackService, type CallbackEventSink } from '../../../lib/services/callback-service.ts';
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

/** The claim contract, in memory. */
function memoryEvents(): CallbackEventRepository & { states: Map<string, string> } {
  const states = new Map<string, string>();
  return {
    states,
    claim: async ({ eventId }) => {
      if (states.has(eventId)) return false;
      states.set(eventId, 'in_progress');
      return true;
    },
    complete: async (_, eventId) => void states.set(eventId, 'done'),
    release: async (_, eventId) => void states.delete(eventId),
  };
}

function signedEvent(eventId: string) {
  const body = JSON.stringify({ encrypt: feishuEncrypt('ek', JSON.stringify({ schema: '2.0', header: { event_id: eventId, event_type: 'approval_instance', app_id: 'cli_1' }, event: {} })) });
  const timestamp = String(Math.floor(Date.now() / 1000));
  return {
    method: 'POST' as const,
    query: {},
    headers: { 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': 'n', 'x-lark-signature': feishuSignature(timestamp, 'n', 'ek', body) },
    rawBody: Buffer.from(body),
    now: new Date(),
  };
}

describe('CallbackService', () => {
  it('answers an authentic event with success when handling it fails, and leaves its work to the reconciler (WeCom never retries a non-200)', async () => {
    // Prepare: a sink whose handling fails
    const events = memoryEvents();
    const deferred: string[] = [];
    const sink: CallbackEventSink = {
      handle: async () => {
        throw new Error('downstream failed');
      },
      defer: async (_integration, event) => void deferred.push(event.id),
    };
    const service = new CallbackService({ integrations: { require: async () => integration, credentials: async () => credentials }, events, sink });
    // Act
    const answer = await service.handle('int_1', signedEvent('e1'));
    const duplicate = await service.handle('int_1', signedEvent('e1'));
    // Assess: one deferral, the event done, the platform told success both times
    expect(JSON.parse(answer.body)).toEqual({ msg: 'success' });
    expect(JSON.parse(duplicate.body)).toEqual({ msg: 'success' });
    expect(deferred).toEqual(['e1']);
    expect(events.states.get('e1')).toBe('done');
  });

  it('gives an event back for the platform retry only when not even the deferral can be recorded (once it takes effect)', async () => {
    const events = memoryEvents();
    let calls = 0;
    const sink: CallbackEventSink = {
      handle: async () => {
        calls += 1;
        if (calls === 1) throw new Error('downstream failed');
        return undefined;
      },
      defer: async () => {
        throw new Error('store down');
      },
    };
    const service = new CallbackService({ integrations: { require: async () => integration, credentials: async () => credentials }, events, sink });
    await expect(service.handle('int_1', signedEvent('e2'))).rejects.toThrow('downstream failed');
    expect(events.states.has('e2')).toBe(false);
    const retry = await service.handle('int_1', signedEvent('e2'));
    expect(JSON.parse(retry.body)).toEqual({ msg: 'success' });
    expect(calls).toBe(2);
    expect(events.states.get('e2')).toBe('done');
  });

  it('lets the sink answer the platform (a card action toast)', async () => {
    const service = new CallbackService({
      integrations: { require: async () => integration, credentials: async () => credentials },
      events: memoryEvents(),
      sink: { handle: async () => ({ status: 200, contentType: 'application/json', body: '{"toast":{"type":"success","content":"ok"}}' }), defer: async () => undefined },
    });
    expect((await service.handle('int_1', signedEvent('t1'))).body).toContain('toast');
  });
});
