import * as lark from '@larksuiteoapi/node-sdk';

/** A callback as a receiver gets it: lower-case headers and the raw body. */
export interface RawCallback {
  headers: Record<string, string>;
  rawBody: Buffer;
}

type EventHandler = (event: Record<string, unknown>) => unknown;

/**
 * A Feishu/Lark event receiver built the way the SDK's own `adaptDefault` builds one: JSON.parse
 * the body, hand it with the headers (on its prototype, where the SDK looks) to `EventDispatcher`,
 * which checks `X-Lark-Signature` with the Encrypt Key, decrypts and calls the handler of the
 * event type; the answer is the handler's value as JSON, `undefined` for a refused request.
 * Without `autoChallenge`, the SDK's most favourable setting: with it the SDK decrypts each event
 * twice.
 */
export function sdkFeishuReceiver(credentials: { encryptKey: string; verificationToken: string }, onEvent: EventHandler) {
  const dispatcher = new lark.EventDispatcher({ ...credentials, loggerLevel: lark.LoggerLevel.error }).register<{ approval_instance: EventHandler; approval_task: EventHandler }>({
    approval_instance: onEvent,
    approval_task: onEvent,
  });
  return async (request: RawCallback): Promise<string | undefined> => {
    const data = Object.assign(Object.create({ headers: request.headers }) as object, JSON.parse(request.rawBody.toString('utf8')) as object);
    const value: unknown = await dispatcher.invoke(data);
    return value === undefined ? undefined : JSON.stringify(value);
  };
}
