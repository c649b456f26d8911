/**
 * Structured JSON logs, one line each. Values under keys that name a secret are replaced, as a
 * second line of defence: the first is that no code passes credentials, bodies or headers here.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';
const levels: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const sensitiveKey = /secret|token|password|authorization|credential|aeskey|encryptkey|signature|^key$|^url$/i;

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, sensitiveKey.test(key) ? '[redacted]' : redact(item, depth + 1)]),
  );
}

/** An error with its cause's name and message (a store error behind a 503, say), one level deep. */
const serializeError = (error: unknown) => {
  if (!(error instanceof Error)) return { message: String(error) };
  const cause = error.cause instanceof Error ? { cause: { name: error.cause.name, message: error.cause.message } } : {};
  return { name: error.name, message: error.message, stack: error.stack, ...cause };
};

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(options: { level?: string; write?: (line: string) => void } = {}): Logger {
  const threshold = levels[(options.level as Level) ?? 'info'] ?? levels.info;
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const emit = (level: Level) => (message: string, fields: Record<string, unknown> = {}) => {
    if (levels[level] < threshold) return;
    const { error, ...rest } = fields;
    write(
      JSON.stringify({
        level,
        time: new Date().toISOString(),
        message,
        ...(redact(rest) as Record<string, unknown>),
        ...(error === undefined ? {} : { error: serializeError(error) }),
      }),
    );
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const logger = createLogger({ level: process.env.LOG_LEVEL });
