import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/log.ts';
import type { ImProvider } from '../../../lib/providers/port.ts';
import { NotificationService } from '../../../lib/services/notification-service.ts';
import { MemoryStore } from '../../../lib/store/memory/memory-store.ts';
import type { NotificationRecord } from '../../../lib/store/repository.ts';
import { integrationRecord } from '../../support/records.ts';

// A notification is created with its deliveries claimed by the request that sends them, so a send
// costs one write (its outcome), not two; a delivery whose claim has no lease left for its send is
// never sent by that request, but by the notification's job when the claim ends.

const app = integrationRecord({ id: 'int_app', provider: 'wecom', kind: 'app' });

function setup(sendMs: number) {
  const store = new MemoryStore();
  let clock = Date.parse('2026-12-01T08:00:00.000Z');
  const sent: string[] = [];
  const provider = {
    resolveUsers: async () => [],
    messages: {
      send: async (target: { userId: string }) => {
        sent.push(target.userId);
        clock += sendMs;
        return { messageId: `msg_${sent.length}` };
      },
    },
  } as unknown as ImProvider;
  const saves: NotificationRecord[] = [];
  const service = new NotificationService({
    notifications: { ...store.notifications, save: async (next, previous, jobs) => (saves.push(next), store.notifications.save(next, previous, jobs)) },
    rateLimits: store.rateLimits,
    integrations: { requireReferenced: async () => app, require: async () => app } as never,
    providers: { providerOf: async () => provider } as never,
    logger: createLogger({ level: 'error', write: () => undefined }),
    now: () => new Date(clock),
  });
  const notify = () => service.create({ integrationId: app.id, to: { chatIds: [], userIds: ['u1', 'u2', 'u3'], emails: [], mobiles: [] }, message: { title: '', text: 'deployed', level: 'info', links: [], mentions: [] } } as never);
  return { store, service, sent, saves, notify, advance: (ms: number) => (clock += ms) };
}

describe('notification claims', () => {
  it('sends every target of a new notification with one write each, its outcome', async () => {
    const { sent, saves, notify } = setup(100);
    const { notification } = await notify();
    expect(notification.status).toBe('sent');
    expect(sent).toEqual(['u1', 'u2', 'u3']);
    expect(saves.map((save) => save.deliveries.map((delivery) => delivery.status))).toEqual([
      ['sent', 'queued', 'queued'],
      ['sent', 'sent', 'queued'],
      ['sent', 'sent', 'sent'],
    ]);
    expect(notification.deliveries.map((delivery) => delivery.attempts)).toEqual([1, 1, 1]);
  });

  it('leaves a target whose claim has no lease left after a slow send to the job, which sends it once when the claim ends', async () => {
    // Each send takes 40 s; the created claim lasts 110 s (longest call 50 s + lease 60 s): u2 starts at 40 s with a
    // whole lease left, u3 would start at 80 s with only 30 s left
    const { service, sent, notify, advance } = setup(40_000);
    const { notification } = await notify();
    expect(sent).toEqual(['u1', 'u2']);
    expect(notification.status).toBe('pending');
    // Before the claim ends the job sends nothing; at its end, the rest, once
    await service.dispatchJob(notification.id);
    expect(sent).toEqual(['u1', 'u2']);
    advance(30_000);
    await service.dispatchJob(notification.id);
    await service.dispatchJob(notification.id);
    expect(sent).toEqual(['u1', 'u2', 'u3']);
    expect((await service.get(notification.id)).status).toBe('sent');
  });
});
