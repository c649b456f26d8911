import type { Decision, PlatformStatus, StageMode } from '../domain/approval.ts';
import type { IntegrationKind, Provider } from '../domain/integration.ts';
import type { Locale } from '../domain/locale.ts';
import type { RenderableMessage } from '../domain/message.ts';
import type { CardTarget } from '../domain/approval.ts';
import type { CardContent } from '../domain/approval-cards.ts';

/** A person as callers name them; each platform resolves them to its own user id. */
export type Person = { userId: string } | { email: string } | { mobile: string };

export interface VerifyResult {
  verified: true;
  provider: Provider;
  kind: IntegrationKind;
  /** What was proven, in words, e.g. "fetched a tenant_access_token (valid 7200 s)". */
  detail: string;
}

/** An approval as the platform is asked to run it: people already resolved to platform ids. */
export interface ApprovalSpec {
  approvalId: string;
  title: string;
  content?: string;
  requester: string;
  stages: { mode: StageMode; approvers: string[] }[];
  /** The language of the definition's texts (its default locale on Feishu) and the form's label. */
  locale: Locale;
}

/** The platform's instance, read back: the source of truth. */
export interface InstanceSnapshot {
  status: PlatformStatus;
  decisions: Decision[];
}

/** An instance found on the platform, and when the platform made it (ISO). */
export interface FoundInstance {
  instanceId: string;
  createdAt: string;
}

/** Native approvals in the platform's own approval app. */
export interface ApprovalOperations {
  /** What the platform definition depends on (Feishu: the stage modes; others: nothing). */
  definitionKey(spec: ApprovalSpec): string;
  /** Creates the definition (Feishu), form (DingTalk) or template (WeCom) once; returns its code. */
  provision(spec: ApprovalSpec, name: string): Promise<string>;
  /** What a new definition needs once its code is stored (Feishu: the event subscription); repeatable. */
  activate(definition: string): Promise<void>;
  createInstance(definition: string, spec: ApprovalSpec): Promise<{ instanceId: string; url?: string }>;
  getInstance(definition: string, instanceId: string, spec: ApprovalSpec): Promise<InstanceSnapshot>;
  /** Withdraws a pending instance where the platform has an API for it. */
  withdraw(definition: string, instanceId: string, spec: ApprovalSpec): Promise<'withdrawn' | 'unsupported'>;
  /**
   * The instances of `definition` made for `spec` since `since` (its requester the originator, its
   * title in the form text imhub wrote), oldest first: what a create whose answer was lost may have
   * made. Present where the create has no idempotency key (DingTalk, WeCom; Feishu's uuid dedupes).
   */
  findInstances?(definition: string, spec: ApprovalSpec, since: Date): Promise<FoundInstance[]>;
}

/** Where one message goes: a chat or a user, by platform id (a group bot has only its own group). */
export type MessageTarget = { chatId: string } | { userId: string } | { group: true };

export interface MessageOperations {
  /**
   * Sends one message, rendered in the platform's rich format. `dedupeKey` is passed where the
   * platform deduplicates (Feishu `uuid`, WeCom duplicate check), so a retry never shows twice.
   */
  send(target: MessageTarget, message: RenderableMessage, dedupeKey: string): Promise<SentMessage>;
  /**
   * Makes a message the app sent urgent for these people (Feishu/Lark 消息加急 in the app: a buzz
   * until they read it), where the platform has that; `userIds` must be in the message's chat.
   */
  urgent?(messageId: string, userIds: readonly string[]): Promise<void>;
  /** Sends these people an urgent nudge of its own, where that is the platform's urgent message (DingTalk's in-app DING). */
  remindUrgently?(userIds: readonly string[], text: string): Promise<void>;
}

export interface SentMessage {
  /** The platform's id of the message, where it gives one. */
  messageId?: string;
  /** The text was cut (marked "…") to fit the platform's size limit. */
  truncated?: boolean;
}

/**
 * Interactive approval cards (`via: "card"`): sent by the app's bot to an approver or a chat, and
 * updated in place. The clicks come back through the callback receivers.
 */
export interface CardOperations {
  /**
   * Sends the card; `dedupeKey` makes a repeat send it once. Returns what updates it later (none
   * when a repeat found it sent and the platform gave no new handle), and `repeated` when the
   * platform said it was already sent (what it shows is then not known: it is updated).
   */
  send(target: CardTarget, card: CardContent, dedupeKey: string): Promise<{ handle?: string; ref?: string; repeated?: boolean }>;
  /** Shows `card` on the card `handle` updates. */
  update(handle: string, target: CardTarget, card: CardContent): Promise<void>;
  /** Each handle updates the card once (WeCom's response_code). */
  readonly singleUseHandles?: boolean;
  /** Cards can go to chats (not WeCom's: its button cards go to people only). */
  readonly chats: boolean;
  /** How long after it is sent a card can still be clicked and updated (Feishu card JSON 2.0: 14 days). */
  readonly maxAgeSeconds?: number;
  /** Sets up what clicks need on the platform (DingTalk: the callback route), again after credentials change. */
  prepare?(): Promise<void>;
}

/**
 * The one port between imhub and an IM platform. Feishu and Lark share an implementation (two
 * bases); DingTalk and WeCom have theirs; the four group bots share one.
 */
export interface ImProvider {
  readonly provider: Provider;
  readonly kind: IntegrationKind;
  /** Proves the credentials now: a fresh token for apps, a test message for bots. Throws ProviderError when refused. */
  verify(): Promise<VerifyResult>;
  /** The platform user ids of these people, in order. Unknown people are a 422 naming them. */
  resolveUsers(people: readonly Person[]): Promise<string[]>;
  /** Present for apps; group bots cannot run approvals. */
  readonly approvals?: ApprovalOperations;
  /** Present for apps whose platform has interactive cards imhub can render. */
  readonly cards?: CardOperations;
  readonly messages: MessageOperations;
}
