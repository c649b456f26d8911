import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { localCredentials, localRegion } from '../../lib/local/embedded-dynamodb.ts';
import { keys } from '../../lib/store/dynamodb/keys.ts';
import { DynamoRateLimitStore } from '../../lib/store/dynamodb/rate-limits.ts';
import { ensureTable } from '../../lib/store/ensure-table.ts';
import type { RateTake } from '../../lib/store/repository.ts';

const raw = new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), region: localRegion, credentials: localCredentials });
const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
const tableName = `rates-${randomUUID()}`;
// A 20-a-minute bot: the store answers with times and never waits for them, so nothing here waits a minute.
const windows = [{ max: 20, windowMs: 60_000 }];
const stored = async (key: string) => (await client.send(new GetCommand({ TableName: tableName, Key: keys.rate(key), ConsistentRead: true }))).Item as { log: number[]; answered: number[]; ahead: number[] };

/** Two processes on one key: `mine` with its DynamoDB calls counted in `calls`, and `other`. */
function twoProcesses() {
  const key = `bot:int_${randomUUID()}`;
  const calls: string[] = [];
  const counted = { send: (command: { constructor: { name: string } }) => (calls.push(command.constructor.name), client.send(command as never)) } as unknown as DynamoDBDocumentClient;
  return { key, calls, mine: new DynamoRateLimitStore(counted, tableName), other: new DynamoRateLimitStore(client, tableName), now: Date.now() };
}

/** The 20 sends the window allows, taken 1 ms apart from `now`, and when each was logged. */
async function takeTwenty(store: DynamoRateLimitStore, key: string, now: number): Promise<number[]> {
  const taken: RateTake[] = [];
  for (let send = 0; send < 20; send += 1) taken.push(await store.take(key, windows, now + send));
  return taken.map((take) => (take.taken ? take.at : Number.NaN));
}

beforeAll(async () => {
  await ensureTable(raw, tableName);
});

describe('rate log on DynamoDB', () => {
  it('lets 20 of 30 sends racing for a 20-a-minute bot go, and gives the other 10 each its own place, a minute after its own one of the first 10', async () => {
    const key = `bot:int_${randomUUID()}`;
    const now = Date.now();
    // Two stores: two processes (Lambda instances) racing for one item, besides the takes each process writes together.
    const stores = [new DynamoRateLimitStore(client, tableName), new DynamoRateLimitStore(client, tableName)];
    const takes: RateTake[] = await Promise.all(Array.from({ length: 30 }, (_, index) => stores[index % 2]!.take(key, windows, now, { queue: true })));
    const item = await stored(key);
    const taken = takes.filter((take) => take.taken).length;
    const places = takes.flatMap((take) => (take.taken ? [] : [take.retryAt]));
    // Too contended to write, a take says so with a retry a moment away and logs nothing: each is counted where it landed.
    expect(item.log).toHaveLength(taken);
    expect(taken).toBe(20);
    expect(item.ahead.sort((a, b) => a - b)).toEqual([...places].sort((a, b) => a - b));
    const log = [...item.log].sort((a, b) => a - b);
    // Each waiting send is woken at its own opening: a minute after its own one of the first 10 of the 20 (counted as if answered when it left, plus 300 ms)
    expect([...places].sort((a, b) => a - b)).toEqual(log.slice(0, 10).map((time) => time + 60_300));
  });

  it('logs nothing for a take that will not wait (a verify) while the window is full', async () => {
    const key = `bot:int_${randomUUID()}`;
    const store = new DynamoRateLimitStore(client, tableName);
    const now = Date.now();
    for (let send = 0; send < 20; send += 1) expect(await store.take(key, windows, now + send)).toMatchObject({ taken: true });
    const refused = await store.take(key, windows, now + 100);
    expect(refused.taken).toBe(false);
    expect(!refused.taken && refused.retryAt).toBeGreaterThanOrEqual(now + 60_000);
    expect(await stored(key)).toMatchObject({ log: expect.any(Array), ahead: [] });
    expect((await stored(key)).log).toHaveLength(20);
  });

  it('writes the next take of a process without reading the item again, and reads it afresh when another process wrote since', async () => {
    const { key, calls, mine, other, now } = twoProcesses();
    expect(await mine.take(key, windows, now)).toMatchObject({ taken: true });
    expect(calls).toEqual(['GetCommand', 'PutCommand']);
    calls.length = 0;
    expect(await mine.take(key, windows, now + 1)).toMatchObject({ taken: true });
    expect(calls).toEqual(['PutCommand']);
    // Another process logs a send: this one's next write finds the item changed, reads it, and keeps both
    expect(await other.take(key, windows, now + 2)).toMatchObject({ taken: true });
    calls.length = 0;
    expect(await mine.take(key, windows, now + 3)).toMatchObject({ taken: true });
    expect(calls).toEqual(['PutCommand', 'GetCommand', 'PutCommand']);
    expect((await stored(key)).log).toHaveLength(4);
  });

  it('writes an answer with the key’s next write, not on its own, and another process then counts the send from its answer', async () => {
    const { key, calls, mine, other, now } = twoProcesses();
    const taken = await takeTwenty(mine, key, now);
    calls.length = 0;
    // The first send's answer comes 2 s after it left (within its 3 s margin): nothing is written for it
    await mine.answered(key, windows, taken[0]!, now + 2000);
    expect(calls).toEqual([]);
    expect((await stored(key)).answered).toEqual([]);
    // The next write (a verify refused writes nothing, a send that waits does) carries it
    const waiting = await mine.take(key, windows, now + 3000, { queue: true });
    expect(calls).toEqual(['PutCommand']);
    expect(await stored(key)).toMatchObject({ answered: [now + 2000] });
    expect((await stored(key)).log).toHaveLength(19);
    // A first place counts every send as if answered when it left: a minute and 300 ms after the second
    expect(waiting).toEqual({ taken: false, retryAt: now + 1 + 300 + 60_000 });
    // Another process, reading the item, counts the 19 still unanswered from when they left plus 3 s,
    // and the first from its answer plus 300 ms: the window opens a minute after that
    const opening = await other.take(key, windows, now + 61_000, { reserveWithinMs: 2000 });
    expect(opening).toEqual({ taken: true, at: now + 2000 + 300 + 60_000 });
  });

  it('writes at once the answer to a send slower than its margin: another process never counts it from when it left', async () => {
    // One process (an API Lambda) sends the 20 and writes nothing more for the key
    const { key, calls, mine: sender, other, now } = twoProcesses();
    const taken = await takeTwenty(sender, key, now);
    calls.length = 0;
    // Where one send too many only gets a "too fast" (a chat's window), a late answer too waits for the next write (the first's, here)
    await sender.answered(key, windows, taken[0]!, now + 4500);
    expect(calls).toEqual([]);
    // A group bot: a cold start, the bot answers the others 4.5 s after they left, later than their 3 s margin: written at once
    // (an answer within its margin waits for the next write: the test before)
    await Promise.all(taken.slice(1).map((at, index) => sender.answered(key, windows, at, now + 4501 + index, { writeIfLate: true })));
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls)).toEqual(new Set(['PutCommand']));
    expect((await stored(key)).answered).toHaveLength(20);
    expect((await stored(key)).log).toEqual([]);
    // Another process opens the window a minute and 300 ms after the first answer, not a minute and 3 s after the first send
    // left: the bot may have counted all 20 as late as 4.5 s
    expect(await other.take(key, windows, now + 61_000, { reserveWithinMs: 5000 })).toEqual({ taken: true, at: now + 4500 + 300 + 60_000 });
  });
});
