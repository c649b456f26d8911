import { setTimeout as sleep } from 'node:timers/promises';
import { answeredMarginMs, botLimits, scaleWindows } from '../../lib/domain/rate-limit.ts';
import { services } from '../../lib/services/index.ts';
import { rateWindowScale } from './environment.ts';
import type { Row, SuiteResult } from './report.ts';
import type { BenchSettings } from './settings.ts';
import type { BenchStack } from './stack.ts';

/** DingTalk group bots: 20 messages a minute, then a 10-minute block (../shared/platforms/dingtalk-wecom.md §5.1). */
const dingtalkBotPerMinute = 20;
/** Feishu/Lark message API: 50/s (and 1000/min) per app and tenant (../shared/platforms/feishu-lark.md §5.1). */
const feishuAppPerSecond = 50;

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

const message = (text: string) => ({ message: { title: 'Deploy finished', text, level: 'success' } });

/**
 * Row 4a: N notifications at once to one DingTalk group bot. imhub sends what the window allows
 * and queues the rest in each notification's `notification.dispatch` job, due when the window
 * opens; the local runtime runs a job when it is due (in AWS, a wake-up message delayed until
 * then). The minute sweep runs too, as EventBridge runs it, at fixed times every scaled minute
 * from the burst: it runs only what the jobs' own triggers missed, and the bench counts that.
 * Timed from the first request to the N-th message the simulated bot accepted; the floor is the
 * platform's limit itself: the last batch of 20 cannot go before ⌊(N-1)/20⌋ windows have passed.
 */
async function botBurst(stack: BenchStack, count: number) {
  const secret = 'SECbenchbotsecret0001';
  const { url, bot } = stack.sim.addBot('dingtalk', secret);
  const created = await stack.call<{ id: string }>('POST', '/v1/integrations', { provider: 'dingtalk', kind: 'webhook', name: `bench dingtalk bot ${Date.now()}`, credentials: { url, secret } });
  if (created.status !== 201) throw new Error(`registering the bot failed: ${created.status}`);
  const windowMs = 60_000 * rateWindowScale;
  // What imhub waits for a window after a send's answer (lib/domain/rate-limit.ts): the window and a margin for the platform's clock.
  const imhubWindowMs = windowMs + answeredMarginMs(scaleWindows(botLimits.dingtalk!, rateWindowScale)[0]!);
  const unscaledWindowMs = 60_000 + answeredMarginMs(botLimits.dingtalk![0]!);
  const sentBefore = bot.sent.length;

  const started = Date.now();
  const answers = await Promise.all(Array.from({ length: count }, (_, index) => stack.call<{ status: string }>('POST', '/v1/notifications', { integrationId: created.body.id, ...message(`release note ${index}`) })));
  if (answers.some((answer) => answer.status !== 201)) throw new Error('a bot notification was refused');
  const queued = answers.filter((answer) => answer.body.status === 'pending').length;
  let swept = 0;
  for (let tick = 1; bot.sent.length - sentBefore < count && tick <= 20; tick += 1) {
    const at = started + tick * windowMs;
    while (bot.sent.length - sentBefore < count && Date.now() < at) await sleep(Math.min(20, Math.max(0, at - Date.now())));
    if (bot.sent.length - sentBefore < count) swept += (await services.worker().runDue()).ran;
  }
  const sent = bot.sent.slice(sentBefore);
  if (sent.length < count) throw new Error(`only ${sent.length} of ${count} bot messages arrived`);
  const times = sent.map((entry) => entry.at - started).sort((a, b) => a - b);
  const firsts = Array.from({ length: Math.ceil(count / dingtalkBotPerMinute) }, (_, batch) => batch * dingtalkBotPerMinute);
  const batches = firsts.map((first) => times[first]! / 1000);
  // A later batch may start a window and a margin after the answer to the send 20 before it: how long after that send's arrival it began.
  const lagsSeconds = firsts.slice(1).map((first) => (times[first]! - (times[first - dingtalkBotPerMinute]! + imhubWindowMs)) / 1000);
  return { count, queued, swept, unscaledWindowMs, imhubFloorSeconds: (times[(count - 1) % dingtalkBotPerMinute]! + Math.floor((count - 1) / dingtalkBotPerMinute) * imhubWindowMs) / 1000, throttled: bot.throttled, seconds: times.at(-1)! / 1000, floorSeconds: (Math.floor((count - 1) / dingtalkBotPerMinute) * windowMs) / 1000, windowMs, imhubWindowMs, batchStartsSeconds: batches, lagsSeconds, sentAtMs: times };
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
      note: `${bot.count - bot.queued} sent at once, ${bot.queued} queued in their notifications' dispatch jobs, due when the window opens; batches of 20 began at ${bot.batchStartsSeconds.map((at) => `${at.toFixed(1)} s`).join(', ')}; the sweep (every scaled minute) ran ${plural(bot.swept, 'job')} their own timers had missed; ${plural(bot.throttled, 'send')} refused by the bot and retried later. imhub counts each send from its answer plus a margin for the platform's clock (${(bot.imhubWindowMs / 1000).toFixed(3)} s after it for the scaled ${(bot.windowMs / 1000).toFixed(0)} s minute, ${(bot.unscaledWindowMs / 1000).toFixed(1)} s unscaled), and the first batch leaves as fast as the requests come in: the last message follows the one 20 before it, which follows one 20 before that (at ${(bot.sentAtMs[(bot.count - 1) % dingtalkBotPerMinute]! / 1000).toFixed(2)} s), so imhub's own pacing allows it at ${bot.imhubFloorSeconds.toFixed(2)} s at the earliest`,
    },
    {
      id: '4b',
      measure: `${app.chats} chats through a Feishu app, one notification`,
      unit: 's',
      ours: app.seconds,
      peer: app.floorSeconds,
      better: 'lower',
      peerIs: `${app.chats} messages at the app's 50/s`,
      note: 'one delivery after the other, claimed when the notification is written and each outcome recorded in DynamoDB; below 1× means the platform, not imhub, would be the bottleneck',
    },
  ];
  return { rows, details: { bot, app } };
}
