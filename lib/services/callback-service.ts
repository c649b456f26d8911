import { createHash } from 'node:crypto';
import type { Credentials, Integration } from '../domain/integration.ts';
import { integrationLocale } from '../domain/locale.ts';
import { textsFor } from '../domain/texts.ts';
import { NotFoundError, PayloadTooLargeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { newJob } from '../domain/job.ts';
import type { CallbackOutcome, CallbackRequest, CallbackResponse, CardClick, CardReply, PlatformEvent } from '../providers/callbacks/callback-types.ts';
import { dingtalkCallbackMaxBytes, verifyDingtalkCallback } from '../providers/callbacks/dingtalk-callback.ts';
import { feishuCallbackMaxBytes, verifyFeishuCallback } from '../providers/callbacks/feishu-callback.ts';
import { verifyWecomCallback, wecomCallbackMaxBytes } from '../providers/callbacks/wecom-callback.ts';
import type { CallbackEventRepository, IntegrationActivityRepository } from '../store/repository.ts';
import type { CallbackEventPayload } from './approvals/job-handlers.ts';

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
  /** Logs each event handed on (type and ids, never the payload). */
  logger?: Logger;
  /** Card clicks (`via: "card"`), decided and answered at once from the store. */
  cards?: { click(integration: Integration, click: CardClick, duplicate: boolean): Promise<CardReply> };
  /**
   * Notes for the setup check that a handshake was answered. Not on an event's path (an event's
   * note is written by its job), and never for a refused request: a forgery stores nothing.
   */
  activity?: Pick<IntegrationActivityRepository, 'noteHandshake'>;
}

/**
 * The callback path: find the integration, verify and decrypt on the raw body, then claim the event
 * id and write its job in one transaction (duplicates and concurrent retries take effect once),
 * and answer. No platform is called before the answer: the job re-reads the instance, so the
 * platform's deadline (Feishu 3 s) is met whatever the platform's own speed. Nothing is stored
 * before the request is verified.
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
    if (outcome.kind === 'handshake') {
      // The platform checked the request URL: the setup check's "handshake received". Rare (a console save), so written each time.
      await this.options.activity?.noteHandshake(integrationId, request.now).catch(() => undefined);
      return outcome.response;
    }
    if (outcome.kind === 'card') {
      // A click is claimed by its platform id first: a retry (WeCom after 5 s) or a replay of one
      // already taken changes nothing, however the approval moved since. It says nothing about the
      // approval-event subscription, so it does not count as a callback seen (DingTalk's card
      // route is imhub's own registration).
      const claimed = await this.options.events.claim({ integrationId, eventId: eventKeyOf(`click:${outcome.click.id}`), eventType: 'card.click', now: request.now });
      const reply = this.options.cards ? await this.options.cards.click(integration, outcome.click, !claimed) : { toast: { type: 'error' as const, text: textsFor(integrationLocale(integration).locale).cardsNotHandled } };
      this.options.logger?.info('card click', { integrationId, decision: outcome.click.choice.decision, approvalId: outcome.click.choice.approvalId, answer: reply.toast.type, repeat: !claimed });
      return outcome.answer(reply);
    }

    const event = bounded(outcome.event);
    // The callback path works: checks may then poll sparingly (DingTalk's call quota). Written at most hourly.
    await this.options.integrations.noteCallbackSeen?.(integration).catch(() => undefined);
    // The job keeps what names the work, never the decrypted body.
    const payload: CallbackEventPayload = { integrationId, event: { id: event.id, type: event.type, ...(event.instanceId ? { instanceId: event.instanceId } : {}) } };
    // Only an event that names an instance has work; the others are claimed so their repeats are known.
    const job = event.instanceId ? newJob('callback.event', `${integrationId}#${event.id}`, request.now, request.now, payload as unknown as Record<string, unknown>) : undefined;
    const claimed = await this.options.events.claim({ integrationId, eventId: event.id, eventType: event.type, now: request.now, ...(job ? { job } : {}) });
    if (claimed) this.options.logger?.info('callback event', { integrationId, eventType: event.type, eventId: event.id, instanceId: event.instanceId });
    return outcome.response;
  }
}
