import { describe, expect, it } from 'vitest';
import { answeredMarginMs } from '../../../lib/domain/rate-limit.ts';
import { JobWorker } from '../../../lib/jobs/worker.ts';
import { createLogger } from '../../../lib/log.ts';
import type { ImProvider } from '../../../lib/providers/port.ts';
import { NotificationService } from '../../../lib/services/notification-service.ts';
import { MemoryStore } from '../../../lib/store/memory/memory-store.ts';
import { integrationRecord } from '../../support/records.ts';

// Issue 15: the DingTalk burst test measured pacing on a real clock, so a loaded machine failed it.
// Here time is a fake clock the test moves to each job's due time: the pacing is exact.

const bot = integrationRecord({ id: 'int_bot', provider: 'dingtalk', kind: 'webhook', name: 'releases bot' });

/**
 * 50 notifications to one DingTalk bot (20 a minute), sent by the request and then by their jobs, on a fake clock.
 * `transitMs(n)`: how long the n-th send takes to reach the bot, which answers as it arrives (`sentAt` is the arrival).
 */
async function burst(count: number, arrivalGapMs: number, transitMs: (send: number) => number = () => 0) {
  const start = Date.parse('2026-12-01T08:00:00.000Z');
  let clock = start;
  const now = () => new Date(clock);
  const sentAt: number[] = [];
  const sentTexts: string[] = [];
  const provider = {
    resolveUsers: async () => [],
    messages: {
      send: async (_target: unknown, message: { text: string }) => {
        clock += transitMs(sentAt.length);
        sentAt.push(clock - start);
        sentTexts.push(message.text);
        return {};
      },
    },
  } as unknown as ImProvider;
  const store = new MemoryStore();
  const logger = createLogger({ level: 'error' });
  const takes = { taken: 0, refused: 0 };
  /** The places in line given to sends, and the places woken sends gave back. */
  const places: number[] = [];
  const releases: number[] = [];
  const notifications = new NotificationService({
    notifications: store.notifications,
    rateLimits: {
      take: async (...args) => {
        const taken = await store.rateLimits.take(...args);
        takes[taken.taken ? 'taken' : 'refused'] += 1;
        if (!taken.taken) places.push(taken.retryAt - start);
        if (args[3]?.release !== undefined) releases.push(args[3].release - start);
        return taken;
      },
      answered: store.rateLimits.answered,
    },
    integrations: { requireReferenced: async () => bot, require: async () => bot } as never,
    providers: { providerOf: async () => provider } as never,
    logger,
    now,
    // A send waiting for an opening a moment ahead: time moves to it
    sleep: async (ms) => {
      const until = clock + ms;
      clock = Math.max(clock, until);
    },
  });
  const unused = async () => undefined;
  const worker = new JobWorker({
    store: store.jobs,
    handlers: { 'notification.dispatch': (job) => notifications.dispatchJob(job.subject), 'callback.event': unused, 'approval.check': unused, 'approval.announce': unused, 'approval.webhook': unused, 'approval.nudge': unused, 'approval.cards': unused },
    logger,
    now,
    // One at a time: each run's sleep moves the one clock, so runs side by side would each send at the latest one's time
    concurrency: { 'notification.dispatch': 1 },
  });
  // Time moves to each job's due time, as the trigger would wake it
  const runDue = async () => {
    for (let round = 0; round < 1000; round += 1) {
      const next = [...store.jobsById.values()].map((job) => Date.parse(job.dueAt)).sort((a, b) => a - b)[0];
      if (next === undefined || next > clock) return;
      await worker.runDue();
    }
  };
  // Act: the notifications arrive `arrivalGapMs` apart, jobs run as they come due in between; then time moves to each next due job
  for (let index = 0; index < count; index += 1) {
    clock = Math.max(clock, start + index * arrivalGapMs);
    await runDue();
    await notifications.create({ integrationId: bot.id, message: { title: '', text: `message ${index}`, level: 'info', links: [], mentions: [] } } as never);
  }
  for (let round = 0; round < 1000; round += 1) {
    const next = [...store.jobsById.values()].map((job) => Date.parse(job.dueAt)).sort((a, b) => a - b)[0];
    if (next === undefined) break;
    clock = Math.max(clock, next);
    await worker.runDue();
  }
  return { sentAt, takes, places, releases, sentTexts, statuses: await Promise.all([...store.notificationsById.keys()].map(async (id) => (await notifications.get(id)).status)) };
}

describe('notification pacing (fake clock)', () => {
  it('sends a burst of 50 to a 20-a-minute bot in full, never more than 20 in any minute, within 1.1× the least the limit allows', async () => {
    const { sentAt, sentTexts, statuses } = await burst(50, 0);
    // Every message once
    expect(new Set(sentTexts).size).toBe(50);
    expect(sentTexts).toHaveLength(50);
    expect(statuses.every((status) => status === 'sent')).toBe(true);
    // Never 21 within one minute
    for (let index = 20; index < sentAt.length; index += 1) expect(sentAt[index]! - sentAt[index - 20]!).toBeGreaterThanOrEqual(60_000);
    // The least the limit allows: 20 now, 20 a minute later, 10 two minutes later (120 s)
    expect(sentAt.at(-1)!).toBeGreaterThanOrEqual(120_000);
    expect(sentAt.at(-1)!).toBeLessThanOrEqual(1.1 * 120_000);
  });

  it('gives each waiting send its own place in line: 50 arriving a second apart are each refused once, then sent at their opening', async () => {
    const { sentAt, takes, places, releases, sentTexts } = await burst(50, 1000);
    expect(new Set(sentTexts).size).toBe(50);
    for (let index = 20; index < sentAt.length; index += 1) expect(sentAt[index]! - sentAt[index - 20]!).toBeGreaterThanOrEqual(60_000);
    // The 30 beyond the window's room waited once each, woken at their own opening (not all at the first one, to be refused again)
    expect(takes).toEqual({ taken: 50, refused: 30 });
    // Each woke a little before its place and gave that place back, so that it did not wait behind itself
    expect([...releases].sort((a, b) => a - b)).toEqual([...places].sort((a, b) => a - b));
    // The least the limit allows: message k leaves when it arrives or a minute after message k − 20, whichever is later
    const least: number[] = [];
    for (let index = 0; index < 50; index += 1) least.push(Math.max(index * 1000, index >= 20 ? least[index - 20]! + 60_000 : 0));
    expect(sentAt.at(-1)!).toBeLessThanOrEqual(1.1 * least.at(-1)!);
    // Each waiting send left at the opening the answer to the send 20 before it allowed, not a margin for its transit later
    const answered = answeredMarginMs({ max: 20, windowMs: 60_000 });
    for (let index = 20; index < sentAt.length; index += 1) expect(sentAt[index]).toBe(Math.max(index * 1000, sentAt[index - 20]! + answered + 60_000));
  });

  it('never lets a slow send open the next window early: the 21st leaves a minute after the first one’s answer, however long it took to arrive', async () => {
    // The first send takes 5 s to reach the bot (longer than the 3 s a send in flight is given); the others arrive at once
    const { sentAt } = await burst(50, 0, (send) => (send === 0 ? 5000 : 0));
    expect(sentAt[0]).toBe(5000);
    // Counted where the bot counts them, on arrival: never 21 within one minute
    const arrivals = [...sentAt].sort((a, b) => a - b);
    for (let index = 20; index < arrivals.length; index += 1) expect(arrivals[index]! - arrivals[index - 20]!).toBeGreaterThanOrEqual(60_000);
    expect(sentAt[20]).toBe(5000 + answeredMarginMs({ max: 20, windowMs: 60_000 }) + 60_000);
  });
});
