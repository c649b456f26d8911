import { setTimeout as sleep } from 'node:timers/promises';
import { rateWindowScale } from './environment.ts';
import type { Row, SuiteResult } from './report.ts';
import type { BenchSettings } from './settings.ts';
import type { BenchStack } from './stack.ts';

/** DingTalk group bots: 20 messages a minute, then a 10-minute block (../shared/platforms/dingtalk-wecom.md §5.1). */
const dingtalkBotPerMinute = 20;
/** Feishu/Lark message API: 50/s (and 1000/min) per app and tenant (../shared/platforms/feishu-lark.md §5.1). */
const feishuAppPerSecond = 50;

const message = (text: string) => ({ message: { title: 'Deploy finished', text, level: 'success' } });

/**
 * Row 4a: N notifications at once to one DingTalk group bot. imhub sends what the window allows
 * and queues the rest for the reconciler, which runs on EventBridge's one-minute schedule scaled
 * like the windows. Timed from the first request to the N-th message the simulated bot accepted;
 * the floor is the platform's limit itself: the last batch of 20 cannot go before
 * ⌊(N-1)/20⌋ windows have passed.
 */
async function botBurst(stack: BenchStack, count: number) {
  const secret = 'SECbenchbotsecret0001';
  const { url, bot } = stack.sim.addBot('dingtalk', secret);
  const created = await stack.call<{ id: string }>('POST', '/v1/integrations', { provider: 'dingtalk', kind: 'webhook', name: 'bench dingtalk bot', credentials: { url, secret } });
  if (created.status !== 201) throw new Error(`registering the bot failed: ${created.status}`);

  const windowMs = 60_000 * rateWindowScale;
  const started = Date.now();
  const answers = await Promise.all(Array.from({ length: count }, (_, index) => stack.call<{ status: string }>('POST', '/v1/notifications', { integrationId: created.body.id, ...message(`release note ${index}`) })));
  if (answers.some((answer) => answer.status !== 201)) throw new Error('a bot notification was refused');
  const queued = answers.filter((answer) => answer.body.status === 'pending').length;
  // EventBridge's ticks, scaled: at fixed times from the burst, however long each run takes.
  for (let tick = 1; bot.sent.length < count && tick <= 20; tick += 1) {
    await sleep(Math.max(0, started + tick * windowMs - Date.now()));
    await stack.runtime.reconcile();
  }
  if (bot.sent.length < count) throw new Error(`only ${bot.sent.length} of ${count} bot messages arrived`);
  const lastMs = Math.max(...bot.sent.map((sent) => sent.at)) - started;
  return { count, queued, throttled: bot.throttled, seconds: lastMs / 1000, floorSeconds: (Math.floor((count - 1) / dingtalkBotPerMinute) * windowMs) / 1000, windowMs };
}

/**
 * Row 4b: one notification to M chats through a Feishu app. Each chat gets one message, so the
 * per-chat limit (5/s) does not bind; the app's message-API limit does: M messages at 50/s.
 */
async function appFanOut(stack: BenchStack, chats: number) {
  const chatIds = Array.from({ length: chats }, (_, index) => `oc_bench_${index}`);
  const before = stack.sim.messages.length;
  const started = Date.now();
  const answer = await stack.call<{ status: string }>('POST', '/v1/notifications', { integrationId: stack.integrations.feishu.id, to: { chatIds }, ...message('api v1.4.2 is live') });
  const sent = stack.sim.messages.slice(before);
  if (answer.status !== 201 || answer.body.status !== 'sent' || sent.length !== chats) throw new Error(`the app fan-out ended ${answer.status} ${answer.body.status} with ${sent.length} of ${chats} messages`);
  return { chats, seconds: (Math.max(...sent.map((entry) => entry.at)) - started) / 1000, floorSeconds: chats / feishuAppPerSecond };
}

export async function benchFanOut(stack: BenchStack, settings: BenchSettings['fanOut']): Promise<SuiteResult> {
  const bot = await botBurst(stack, settings.botMessages);
  const app = await appFanOut(stack, settings.chats);
  const rows: Row[] = [
    {
      id: '4a',
      measure: `${bot.count} messages to one DingTalk group bot (20/min), windows ×${rateWindowScale}`,
      unit: 's',
      ours: bot.seconds,
      peer: bot.floorSeconds,
      better: 'lower',
      peerIs: 'the least the 20/min limit allows',
      note: `${bot.count - bot.queued} sent at once, ${bot.queued} queued for the reconciler, which ticks every ${bot.windowMs / 1000} s (the scaled minute); ${bot.throttled} refused by the bot and retried later. imhub keeps its windows 10% + 1 s longer than documented, so each queued batch waits one tick more than the limit needs (at ×1 too: 67 s windows, 60 s ticks)`,
    },
    {
      id: '4b',
      measure: `${app.chats} chats through a Feishu app, one notification`,
      unit: 's',
      ours: app.seconds,
      peer: app.floorSeconds,
      better: 'lower',
      peerIs: `${app.chats} messages at the app's 50/s`,
      note: 'one delivery after the other, each claimed and recorded in DynamoDB; below 1× means the platform, not imhub, would be the bottleneck',
    },
  ];
  return { rows, details: { bot, app } };
}
