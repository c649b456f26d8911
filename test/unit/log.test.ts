import { describe, expect, it } from 'vitest';
import { createLogger, redact } from '../../lib/log.ts';

describe('logger', () => {
  it('writes one JSON line per entry, with the error serialised', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (line) => lines.push(line) });
    logger.error('failed', { requestId: 'r1', error: new Error('boom') });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', message: 'failed', requestId: 'r1', error: { name: 'Error', message: 'boom' } });
  });

  it('names the cause of an error (the store error behind a 503), so a "store busy" can be told apart', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (line) => lines.push(line) });
    const cause = Object.assign(new Error('Transaction cancelled'), { name: 'TransactionCanceledException' });
    logger.warn('upstream error', { error: new Error('the store is busy', { cause }) });
    expect(JSON.parse(lines[0]!).error).toMatchObject({ message: 'the store is busy', cause: { name: 'TransactionCanceledException', message: 'Transaction cancelled' } });
  });

  it('drops entries below its level', () => {
    const lines: string[] = [];
    createLogger({ level: 'warn', write: (line) => lines.push(line) }).info('quiet');
    expect(lines).toEqual([]);
  });

  it('redacts values under keys that name a secret, at any depth', () => {
    expect(
      redact({ appSecret: 'a', nested: { authorization: 'Bearer x', list: [{ encodingAesKey: 'k', url: 'https://bot' }] }, name: 'kept' }),
    ).toEqual({ appSecret: '[redacted]', nested: { authorization: '[redacted]', list: [{ encodingAesKey: '[redacted]', url: '[redacted]' }] }, name: 'kept' });
  });
});
