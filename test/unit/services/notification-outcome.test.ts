import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/log.ts';
import type { ImProvider } from '../../../lib/providers/port.ts';
import { NotificationService } from '../../../lib/services/notification-service.ts';
import { MemoryStore } from '../../../lib/store/memory/memory-store.ts';
import { integrationRecord } from '../../support/records.ts';

// Reliability seed 461867 (200 approvals): a message went out twice, 50 s apart. Its send succeeded,
// but another dispatcher had written the notification meanwhile, the 'sent' record lost the race,
// and the delivery went out again when its claim ran out.

describe('notification delivery outcome', () => {
  it('is recorded on the latest notification when another dispatcher wrote it during the send, so the message goes out once', async () => {
    // Prepare: a bot whose send answers only after another writer has changed the notification
    const store = new MemoryStore();
    const bot = integrationRecord({ id: 'int_bot', provider: 'wecom', kind: 'webhook' });
    let sends = 0;
    const provider = {
      resolveUsers: async () => [],
      messages: {
        send: async () => {
          sends += 1;
          for (const [id, record] of store.notificationsById) store.notificationsById.set(id, { ...record, version: record.version + 1 });
          return {};
        },
      },
    } as unknown as ImProvider;
    let clock = Date.parse('2026-12-01T08:00:00.000Z');
    const service = new NotificationService({
      notifications: store.notifications,
      rateLimits: store.rateLimits,
      integrations: { requireReferenced: async () => bot, require: async () => bot } as never,
      providers: { providerOf: async () => provider } as never,
      logger: createLogger({ level: 'error', write: () => undefined }),
      now: () => new Date(clock),
    });
    // Act: send; then, long after any claim would have run out, its job runs
    const { notification } = await service.create({ integrationId: bot.id, message: { title: '', text: 'deployed', level: 'info', links: [], mentions: [] } } as never);
    clock += 3_600_000;
    await service.dispatchJob(notification.id);
    // Assess
    expect(notification.status).toBe('sent');
    expect((await service.get(notification.id)).deliveries).toMatchObject([{ status: 'sent', attempts: 1 }]);
    expect(sends).toBe(1);
  });
});
