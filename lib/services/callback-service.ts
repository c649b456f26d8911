import { createHash } from 'node:crypto';
import type { Credentials, Integration } from '../domain/integration.ts';
import { NotFoundError, PayloadTooLargeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { CallbackOutcome, CallbackRequest, CallbackResponse, PlatformEvent } from '../providers/callbacks/callback-types.ts';
import { dingtalkCallbackMaxBytes, verifyDingtalkCallback } from '../providers/callbacks/dingtalk-callback.ts';
import { feishuCallbackMaxBytes, verifyFeishuCallback } from '../providers/callbacks/feishu-callback.ts';
import { verifyWecomCallback, wecomCallbackMaxBytes } from '../providers/callbacks/wecom-callback.ts';
import type { CallbackEventRepository } from '../store/repository.ts';

/**
 * Where verified, first-seen events go: the approval layer. It may answer the platform itself
 * (a card action's toast); otherwise the receiver's acknowledgement is sent.
 */
export interface CallbackEventSink {
  handle(integration: Integration, event: PlatformEvent): Promise<CallbackResponse | undefined>;
  /** Leaves an event's work to the reconciler, due now, when handling it failed. */
  defer(integration: Integration, event: PlatformEvent): Promise<void>;
}

/** Each platform's verifier, and the largest body it ever sends (refused with 413 before any crypto). */
const receivers: Record<Integration['provider'], { verify: (request: CallbackRequest, credentials: Credentials) => CallbackOutcome; maxBodyBytes: number }> = {
  feishu: { verify: (request, credentials) => verifyFeishuCallback(request, credentials as never), maxBodyBytes: feishuCallbackMaxBytes },
  lark: { verify: (request, credentials) => verifyFeishuCallback(request, credentials as never), maxBodyBytes: feishuCallbackMaxBytes },
  dingtalk: { verify: (request, credentials) => verifyDingtalkCallback(request, credentials as never), maxBodyBytes: dingtalkCallbackMaxBytes },
  wecom: { verify: (request, credentials) => verifyWecomCallback(request, credentials as never), maxBodyBytes: wecomCallbackMaxBytes },
};

/** Event ids up to this length are stored as sent, readable in the table and the logs. */
const readableEventIdLength = 128;
/** No platform issues instance ids near this long (UUIDs, 20-digit numbers): a longer one is none of imhub's. */
const maxInstanceIdLength = 256;

/**
 * A signature vouches for who sent an id, not for its size, and the id becomes part of a DynamoDB
 * key (at most 2048 bytes): a long one is replaced by its SHA-256, the same for every repeat.
 */
const eventKeyOf = (id: string) => (id.length <= readableEventIdLength ? id : `sha256:${createHash('sha256').update(id, 'utf8').digest('hex')}`);

/** The event as it may be stored and looked up: a bounded id, and no instance id that could not be one. */
function bounded(event: PlatformEvent): PlatformEvent {
  const { instanceId, ...rest } = event;
  return { ...rest, id: eventKeyOf(event.id), ...(instanceId !== undefined && instanceId.length <= maxInstanceIdLength ? { instanceId } : {}) };
}

export interface CallbackServiceOptions {
  integrations: { require(id: string): Promise<Integration>; credentials(integration: Integration): Promise<Credentials>; noteCallbackSeen?(integration: Integration): Promise<void> };
  events: CallbackEventRepository;
  sink: CallbackEventSink;
  /** Logs each event handed on (type and ids, never the payload). */
  logger?: Logger;
}

/**
 * The callback path: find the integration, verify and decrypt on the raw body, claim the event
 * id (duplicates and concurrent retries take effect once), hand it on, answer the platform.
 * Nothing is stored before the request is verified.
 */
export class CallbackService {
  constructor(private readonly options: CallbackServiceOptions) {}

  async handle(integrationId: string, request: CallbackRequest): Promise<CallbackResponse> {
    const integration = await this.options.integrations.require(integrationId).catch((error: unknown) => {
      if (error instanceof NotFoundError) throw new NotFoundError('no integration receives callbacks at this URL');
      throw error;
    });
    if (integration.kind !== 'app') throw new NotFoundError('no integration receives callbacks at this URL');

    const receiver = receivers[integration.provider];
    if (request.rawBody.length > receiver.maxBodyBytes) {
      throw new PayloadTooLargeError(`the body is ${request.rawBody.length} bytes; ${integration.provider} callbacks are at most ${receiver.maxBodyBytes} bytes`);
    }
    const outcome = receiver.verify(request, await this.options.integrations.credentials(integration));
    if (outcome.kind === 'handshake') return outcome.response;

    const event = bounded(outcome.event);
    // The callback path works: the reconciler may then poll sparingly (DingTalk's call quota).
    await this.options.integrations.noteCallbackSeen?.(integration).catch(() => undefined);
    const claimed = await this.options.events.claim({ integrationId, eventId: event.id, eventType: event.type, now: request.now });
    if (!claimed) return outcome.response;
    this.options.logger?.info('callback event', { integrationId, eventType: event.type, eventId: event.id, instanceId: event.instanceId });
    try {
      const answer = await this.options.sink.handle(integration, event);
      await this.options.events.complete(integrationId, event.id);
      return answer ?? outcome.response;
    } catch (error) {
      // An authentic event is answered with success even when its work failed (the platform read
      // timed out, say): WeCom never retries a non-200 answer and may stop calling an endpoint that
      // often fails, and Feishu holds an instance's later events back behind an unanswered one. The
      // work goes to the reconciler, due now. Only when even that cannot be recorded is the event
      // given back for the platform's retry.
      try {
        await this.options.sink.defer(integration, event);
        await this.options.events.complete(integrationId, event.id);
        this.options.logger?.warn('callback event deferred to the reconciler', { integrationId, eventType: event.type, eventId: event.id, error });
        return outcome.response;
      } catch {
        await this.options.events.release(integrationId, event.id).catch(() => undefined);
        throw error;
      }
    }
  }
}
