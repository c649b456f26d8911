import { setTimeout as sleep } from 'node:timers/promises';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { answeredMarginMs, answerSlot, inFlightMarginMs, pruneRateLog, type RateLog, type RateTake, type RateWindow, rateHorizonMs, type TakeOptions, takeSlot } from '../../domain/rate-limit.ts';
import type { RateLimitStore } from '../repository.ts';
import { isConditionFailure } from './conditions.ts';
import { keys } from './keys.ts';

/** A take, or (`answers`) a write of the answers this process holds for the key, and nothing else. */
interface Request {
  windows: readonly RateWindow[];
  /** The caller's now, and when (this process's clock) it asked: each try counts at its own time. */
  at: number;
  asked: number;
  options: TakeOptions;
  answers?: true;
  resolve: (taken: RateTake | undefined) => void;
  reject: (error: unknown) => void;
}

/** The answer to a send this process took, not written yet. */
interface Answer {
  takenAt: number;
  answeredAt: number;
}

interface Logged extends RateLog {
  version: number;
}

const maxTries = 20;
/** Rate keys (bots, chats) whose item this process keeps as it last wrote it. */
const rememberedKeys = 1000;
/** Sets `key` as the most recent entry of `map`, dropping the oldest beyond `rememberedKeys`. */
function keepRecent<T>(map: Map<string, T>, key: string, value: T) {
  map.delete(key);
  if (map.size >= rememberedKeys) map.delete(map.keys().next().value!);
  map.set(key, value);
}

const nowOf = (request: Request) => request.at + (Date.now() - request.asked);

/**
 * One item per key: `log` and `answered`, the times of recent sends (`RateLog`), and `ahead`, the
 * places in line given to sends that wait; written under a version condition, so instances never
 * oversend. A burst in one process (the local runtime, a worker's batch of jobs) is written
 * together: takes for a key that arrive while a write for it is in flight wait for it and go in
 * the next write, instead of each losing the race for the item again and again. An answer mostly
 * costs no write of its own: it goes with the key's next write from this process (a later take, a
 * place in line), which is when a send counts from it; a process that writes nothing more for the
 * key leaves its sends counting from when they left plus their margin, which is safe as long as
 * they took no longer than that margin. An answer that came later than that is written at once
 * where one send too many blocks the sender (`writeIfLate`: a group bot).
 */
export class DynamoRateLimitStore implements RateLimitStore {
  private readonly waiting = new Map<string, Request[]>();
  /** The item as this process last wrote it, by key (at most `rememberedKeys`). */
  private readonly lastWritten = new Map<string, Logged>();
  /** Answers not written yet, by key (at most `rememberedKeys`). */
  private readonly unwritten = new Map<string, Answer[]>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  take(key: string, windows: readonly RateWindow[], at: number, options: TakeOptions = {}): Promise<RateTake> {
    return this.enqueue(key, { windows, at, options }) as Promise<RateTake>;
  }

  private enqueue(key: string, asked: Pick<Request, 'windows' | 'at' | 'options' | 'answers'>): Promise<RateTake | undefined> {
    return new Promise((resolve, reject) => {
      const request: Request = { ...asked, asked: Date.now(), resolve, reject };
      const queue = this.waiting.get(key);
      if (queue) {
        queue.push(request);
        return;
      }
      this.waiting.set(key, [request]);
      void this.drain(key);
    });
  }

  async answered(key: string, windows: readonly RateWindow[], takenAt: number, answeredAt: number, options: { writeIfLate?: boolean } = {}): Promise<void> {
    keepRecent(this.unwritten, key, [...(this.unwritten.get(key) ?? []), { takenAt, answeredAt }]);
    // Slower than its margin: another process, counting it from when it left, would open the window too soon.
    if (options.writeIfLate && windows.some((window) => answeredAt + answeredMarginMs(window) > takenAt + inFlightMarginMs(window))) {
      await this.enqueue(key, { windows, at: answeredAt, options: {}, answers: true });
    }
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

  private async write(key: string, batch: readonly Request[]): Promise<(RateTake | undefined)[]> {
    const windows = batch.flatMap((request) => request.windows);
    const longest = rateHorizonMs(windows);
    const answers = this.unwritten.get(key) ?? [];
    // What this process wrote last is where it starts: one conditional write, no read, unless
    // another process wrote since (the condition fails, and the item is read).
    let current = this.lastWritten.get(key);
    for (let attempt = 0; attempt < maxTries; attempt += 1) {
      if (!current) {
        const read = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.rate(key), ConsistentRead: true }));
        const list = (name: string) => (read.Item?.[name] as number[] | undefined) ?? [];
        current = { log: list('log'), answered: list('answered'), ahead: list('ahead'), version: (read.Item?.version as number | undefined) ?? 0 };
      }
      // Each try counts at its own time: a send logged after lost races is not stamped earlier than
      // the sends logged before it (the log would let a later burst through too soon).
      const earliest = Math.min(...batch.map(nowOf));
      // Sends that left a window ago no longer count, nor places whose time has come; answers first,
      // as what the takes count from.
      const state: RateLog = pruneRateLog(current, windows, earliest);
      for (const answer of answers) answerSlot(state, answer.takenAt, answer.answeredAt);
      const taken = batch.map((request) => (request.answers ? undefined : takeSlot(state, request.windows, nowOf(request), request.options)));
      // Nothing logged, no place given (a verify refused) and no answer to write at once: nothing to write.
      if (!taken.some((take, index) => take?.taken || batch[index]!.options.queue || (batch[index]!.answers && answers.length > 0))) return taken;
      const { log, answered, ahead } = state;
      const { version } = current;
      const last = Math.max(0, ...log, ...answered, ...ahead);
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...keys.rate(key), log, answered, ahead, version: version + 1, expiresAt: Math.ceil((last + longest) / 1000) + 60 },
            ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : '#version = :version',
            ...(version === 0 ? {} : { ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': version } }),
          }),
        );
        keepRecent(this.lastWritten, key, { log, answered, ahead, version: version + 1 });
        // Written: what came in meanwhile waits for the next write.
        const later = (this.unwritten.get(key) ?? []).filter((answer) => !answers.includes(answer));
        if (later.length) this.unwritten.set(key, later);
        else this.unwritten.delete(key);
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
    // Too contended to write: nothing is logged; a take tries again in a moment (answers stay for the next write).
    return batch.map((request) => (request.answers ? undefined : { taken: false, retryAt: nowOf(request) + 100 }));
  }
}
