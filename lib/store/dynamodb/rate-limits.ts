import { setTimeout as sleep } from 'node:timers/promises';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type RateLog, type RateWindow, takeSlot } from '../../domain/rate-limit.ts';
import type { RateLimitStore, RateTake } from '../repository.ts';
import { isConditionFailure } from './conditions.ts';
import { keys } from './keys.ts';

interface Request {
  windows: readonly RateWindow[];
  /** The caller's now, and when (this process's clock) it asked: each try counts at its own time. */
  at: number;
  asked: number;
  queue: boolean;
  resolve: (taken: RateTake) => void;
  reject: (error: unknown) => void;
}

interface Logged extends RateLog {
  version: number;
}

const maxTries = 20;
/** Rate keys (bots, chats) whose item this process keeps as it last wrote it. */
const rememberedKeys = 1000;
const nowOf = (request: Request) => request.at + (Date.now() - request.asked);

/**
 * One item per key: `log`, the times of recent sends, and `ahead`, the places in line given to
 * sends that wait; written under a version condition, so instances never oversend. A burst in one
 * process (the local runtime, a worker's batch of jobs) is written together: takes for a key that
 * arrive while a write for it is in flight wait for it and go in the next write, instead of each
 * losing the race for the item again and again.
 */
export class DynamoRateLimitStore implements RateLimitStore {
  private readonly waiting = new Map<string, Request[]>();
  /** The item as this process last wrote it, by key (at most `rememberedKeys`). */
  private readonly lastWritten = new Map<string, Logged>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  take(key: string, windows: readonly RateWindow[], at: number, options?: { queue?: boolean }): Promise<RateTake> {
    return new Promise((resolve, reject) => {
      const request: Request = { windows, at, asked: Date.now(), queue: options?.queue ?? false, resolve, reject };
      const queue = this.waiting.get(key);
      if (queue) {
        queue.push(request);
        return;
      }
      this.waiting.set(key, [request]);
      void this.drain(key);
    });
  }

  private remember(key: string, logged: Logged) {
    this.lastWritten.delete(key);
    if (this.lastWritten.size >= rememberedKeys) this.lastWritten.delete(this.lastWritten.keys().next().value!);
    this.lastWritten.set(key, logged);
  }

  /** Writes what waits for `key`, one batch at a time, until nothing does. */
  private async drain(key: string): Promise<void> {
    for (;;) {
      const batch = this.waiting.get(key)!;
      if (batch.length === 0) {
        this.waiting.delete(key);
        return;
      }
      this.waiting.set(key, []);
      try {
        const taken = await this.write(key, batch);
        batch.forEach((request, index) => request.resolve(taken[index]!));
      } catch (error) {
        for (const request of batch) request.reject(error);
      }
    }
  }

  private async write(key: string, batch: readonly Request[]): Promise<RateTake[]> {
    const longest = Math.max(...batch.flatMap((request) => request.windows.map((window) => window.windowMs)));
    // What this process wrote last is where it starts: one conditional write, no read, unless
    // another process wrote since (the condition fails, and the item is read).
    let current = this.lastWritten.get(key);
    for (let attempt = 0; attempt < maxTries; attempt += 1) {
      if (!current) {
        const read = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.rate(key), ConsistentRead: true }));
        current = { log: (read.Item?.log as number[] | undefined) ?? [], ahead: (read.Item?.ahead as number[] | undefined) ?? [], version: (read.Item?.version as number | undefined) ?? 0 };
      }
      // Each try counts at its own time: a send logged after lost races is not stamped earlier than
      // the sends logged before it (the log would let a later burst through too soon).
      const earliest = Math.min(...batch.map(nowOf));
      // Sends that left a window ago no longer count, nor places whose time has come.
      const state: RateLog = { log: current.log.filter((time) => time > earliest - longest), ahead: current.ahead.filter((time) => time > earliest) };
      const taken = batch.map((request) => takeSlot(state, request.windows, nowOf(request), request.queue));
      // Nothing logged and no place given (a verify refused): nothing to write.
      if (!taken.some((take, index) => take.taken || batch[index]!.queue)) return taken;
      const { log, ahead } = state;
      const { version } = current;
      const last = Math.max(0, ...log, ...ahead);
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...keys.rate(key), log, ahead, version: version + 1, expiresAt: Math.ceil((last + longest) / 1000) + 60 },
            ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : '#version = :version',
            ...(version === 0 ? {} : { ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': version } }),
          }),
        );
        this.remember(key, { log, ahead, version: version + 1 });
        return taken;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        this.lastWritten.delete(key);
        current = undefined;
        // Written by another process since: read it afresh at once the first time, then back off.
        if (attempt === 0) continue;
      }
      // Another process wrote the item meanwhile: back off a random while (up to 5, 10, 20, 40 ms …,
      // at most 100) so that senders in several processes spread out instead of colliding again.
      await sleep(Math.random() * Math.min(100, 5 * 2 ** attempt));
    }
    // Too contended to write: nothing is logged; the caller tries again in a moment.
    return batch.map((request) => ({ taken: false, retryAt: nowOf(request) + 100 }));
  }
}
