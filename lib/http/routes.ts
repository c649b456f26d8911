import * as z from 'zod';
import { createApiKeyBody, scopes } from '../domain/api-key.ts';
import { approvalStatuses, createApprovalBody } from '../domain/approval.ts';
import { personSchema } from '../domain/person.ts';
import { createNotificationBody, messageSchema, notificationTargets } from '../domain/message.ts';
import { createIntegrationBody, credentialSpec, integrationKinds, providers, updateIntegrationBody } from '../domain/integration.ts';
import { integrationSetupSchema } from '../domain/integration-setup.ts';
import { localeSchema, timeZoneSchema } from '../domain/locale.ts';
import { defineRoute, describeFields, idParams, named, pageOf, pageQuery, type RouteContract, type RouteError } from './contract.ts';
import type { OutboundWebhook } from './openapi.ts';
import { approvalWebhookExample } from './openapi-examples.ts';

/** Schemas of responses, for the OpenAPI document. */
const integrationView = named(z.object({
  id: z.string(),
  provider: z.enum(providers),
  kind: z.enum(integrationKinds),
  name: z.string(),
  apiBaseUrl: z.string().nullable(),
  callbackUrl: z.string().nullable().describe('Where the platform must send events (apps only)'),
  locale: localeSchema.describe('The language of what imhub writes on the platform (zh-CN by default; en-US for lark)'),
  timeZone: z.string().describe('The IANA zone of the times imhub writes there (Asia/Shanghai by default)'),
  credentials: z.record(z.string(), z.string()).describe('Non-secret fields as stored; each secret only as "(secret, …last4)"'),
  credentialVersion: z.int(),
  version: z.int(),
  platformQuota: z
    .object({ exhausted: z.literal(true), platformCode: z.union([z.string(), z.number()]), since: z.string(), resetsAt: z.string() })
    .nullable()
    .describe('Set while the platform says the app’s call quota is used up (DingTalk 90020): imhub does not poll the platform until resetsAt'),
  createdAt: z.string(),
  updatedAt: z.string(),
}), 'Integration', 'An app or group bot registered with imhub; secrets are never returned');
const apiKeyView = named(z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(scopes)),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
}), 'ApiKey', 'An API key, without the key itself');

/** Every provider × kind as its own variant, so the document shows each credential shape. */
const createIntegrationDoc = named(z.union(
  providers.flatMap((provider) =>
    integrationKinds.map((kind) =>
      z.strictObject({
        provider: z.literal(provider),
        kind: kind === 'app' ? z.literal(kind).default('app') : z.literal(kind),
        name: z.string().min(1).max(100),
        credentials: credentialSpec(provider, kind).schema,
        ...(kind === 'app' ? { apiBaseUrl: z.string().optional() } : {}),
        locale: localeSchema.optional(),
        timeZone: timeZoneSchema.optional(),
      }),
    ),
  ),
), 'IntegrationCreate', 'An app or group bot to register: one variant per provider and kind, each with its credential fields');

const read = ['read', 'integrations:write'] as const;
const notificationView = named(z.object({
  id: z.string(),
  integrationId: z.string(),
  status: z.enum(['pending', 'sent', 'partial', 'failed']),
  message: messageSchema,
  locale: localeSchema,
  timeZone: z.string(),
  deliveries: z.array(
    named(z.object({
      target: z.string().describe('How the request named the target: chat:<chatId>, user:<userId>, email:<email>, mobile:<mobile>, or group (a bot)'),
      status: z.enum(['queued', 'sent', 'failed']),
      messageId: z.string().nullable().describe('The platform’s message id once sent'),
      error: z.object({ code: z.union([z.string(), z.number()]), message: z.string() }).nullable().describe('The platform’s error code and message when it failed'),
      truncated: z.boolean().describe('The text was cut, marked "…", to fit the platform’s size limit (links and mentions kept)'),
      attempts: z.int(),
    }), 'Delivery', 'The message to one target: queued, sent or failed'),
  ),
  idempotencyKey: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
}), 'Notification', 'One message sent to one or more targets, with a delivery per target');
const approvalsRead = ['read', 'approvals:write'] as const;
const personView = named(
  z.union([z.object({ userId: z.string() }), z.object({ email: z.string() }), z.object({ mobile: z.string() })]),
  'Person',
  'A person named by exactly one of the platform user id, email or mobile',
);
const approvalView = named(z.object({
  id: z.string(),
  integrationId: z.string(),
  title: z.string(),
  content: z.string().nullable(),
  locale: localeSchema.describe('The language of its texts on the platform (the integration’s unless the request gave one)'),
  timeZone: z.string().describe('The IANA zone of its times on the platform'),
  status: z.enum(approvalStatuses),
  requester: personView,
  stages: z.array(z.object({ mode: z.enum(['any', 'all']), approvers: z.array(personView) })),
  decisions: z.array(
    named(z.object({
      stage: z.int().describe('the stage, from 0'),
      approver: z.string().describe('the platform user id'),
      person: personView.nullable(),
      decision: z.enum(['approve', 'reject']),
      at: z.string(),
      comment: z.string().optional().describe('at most 600 bytes as stored; the platform keeps the whole text'),
      commentTruncated: z.boolean().optional(),
    }), 'Decision', 'One approver’s approve or reject'),
  ),
  moreDecisions: z.int().describe('decisions beyond the first 100, which are not stored (the platform has them all)'),
  platformInstanceId: z.string().nullable(),
  via: z.enum(['app', 'card']).describe('where approvers decide: the platform’s approval app, or cards in the chat'),
  cards: z
    .array(z.object({ to: z.union([z.object({ userId: z.string() }), z.object({ chatId: z.string() })]), state: z.enum(['pending', 'sent', 'failed']), error: z.string().optional() }))
    .describe('with via "card": one card per approver reached and per chat of cardTo, updated in place'),
  timeoutAt: z.string(),
  onTimeout: z.enum(['expire', 'approve']),
  endedAt: z.string().nullable(),
  endReason: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
  webhook: z
    .object({
      url: z.string(),
      state: z.enum(['waiting', 'pending', 'delivered', 'failed']),
      attempts: z.array(z.object({ at: z.string(), status: z.int(), durationMs: z.number(), error: z.string().optional() })),
    })
    .nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
}), 'Approval', 'An approval: its stages, the decisions so far, its status and the webhook’s deliveries');
/** Listings the console pages through: newest first reads the latest without walking every page. */
const orderQuery = z.enum(['oldest', 'newest'], { error: 'order must be oldest or newest' }).default('oldest');
const callbackParams = z.strictObject({ integrationId: z.string().min(1).max(128) });

// Request bodies the document names (registered in place: the handlers validate with these very objects).
named(personSchema, 'PersonInput', 'A person, named by exactly one of userId (the platform’s user id), email or mobile');
named(notificationTargets, 'Targets', 'Chats and people of an app to send to');
named(messageSchema, 'Message', 'One message, rendered in each platform’s own rich format');
named(createApprovalBody, 'ApprovalCreate', 'An approval to start');
named(createNotificationBody, 'NotificationCreate', 'A message to send');
named(updateIntegrationBody, 'IntegrationUpdate', 'Fields to change; fields left out keep their value');
named(createApiKeyBody, 'ApiKeyCreate', 'A key to create');
describeFields(createApprovalBody, {
  integrationId: 'The app integration whose platform runs the approval',
  title: 'Shown as the approval’s name on the platform',
  content: 'The details approvers read (links allowed)',
  stages: 'Approvers stage by stage: "any" passes on one approval, "all" needs everyone; a rejection ends it',
  timeoutSeconds: 'How long it may stay pending (at most 30 days)',
  onTimeout: 'What a timeout means: expire (the default) or approve',
  webhook: 'Where imhub POSTs the approval when it ends, signed with secret (see webhooks.approvalEnded)',
  notify: 'Post a message when the approval starts and when it ends (another integration, e.g. a group bot, may carry it); needs notifications:send',
  idempotencyKey: 'Repeat the request with the same key and body to get the same approval (200) instead of a second one',
  remind: 'Remind the approvers still pending in the current stage every everySeconds, at most times times',
  escalate: 'Tell other people (a lead, an on-call) if it is still pending afterSeconds after the start; on cards they join the current stage',
  allowSelfApproval: 'Let the requester be one of the approvers',
  via: 'Where approvers decide: app, the platform’s approval app, or card, an interactive card in the chat',
  cardTo: 'With via "card": chats that get the card too, besides each approver of the current stage',
});
describeFields(createNotificationBody, {
  integrationId: 'The app or group bot that sends it',
  to: 'For an app: the chats and people to send to (emails and mobiles are looked up); leave out for a group bot',
  idempotencyKey: 'Repeat the request with the same key and body to get the same notification (200) instead of sending again',
});
describeFields(messageSchema, {
  title: 'A heading, where the platform shows one',
  text: 'The text (at most 4000 characters; cut, marked "…", where a platform takes less)',
  level: 'How the message is marked: info, success, warning or error',
  links: 'Buttons or links under the text (at most 5)',
  mentions: 'People to @-mention, or {"all": true}',
});
describeFields(updateIntegrationBody, {
  apiBaseUrl: 'null goes back to the platform’s default base',
  credentials: 'Fields given replace the stored ones; fields left out keep their value; null removes an optional field',
});
describeFields(createApiKeyBody, {
  scopes: 'read, integrations:write, approvals:write, notifications:send or admin',
  expiresAt: 'When the key stops working; none by default',
});

/** What a route that calls a platform while the request waits can answer when the platform fails. */
const platformErrors = {
  422: {
    description: 'The platform refused what the request names (a person it does not know, a recipient out of the app’s reach); details carry the platform’s code',
    codes: ['provider_error'],
  },
  429: { description: 'The platform kept saying "too fast", or the app’s call quota there is used up; details carry the platform’s code', codes: ['provider_error'] },
  502: { description: 'The platform failed, refused the integration’s credentials or rights, or could not be reached; details carry the platform’s code', codes: ['provider_error'] },
  504: { description: 'The platform did not answer in time (details.platformCode "timeout")', codes: ['provider_error'] },
} satisfies Record<number, RouteError>;
const idempotencyConflict: RouteError = {
  description: 'The idempotencyKey was used with a different request (idempotency_conflict), or its first request is still running (idempotency_in_progress)',
  codes: ['idempotency_conflict', 'idempotency_in_progress'],
};
const unknownIntegration: RouteError = { description: 'integrationId names no integration', codes: ['unknown_integration'] };

export const routes = {
  healthz: defineRoute({
    operationId: 'getHealth',
    method: 'GET',
    path: '/healthz',
    group: 'meta',
    auth: 'public',
    tag: 'meta',
    summary: 'Liveness',
    success: { status: 200, description: 'The service answers', schema: z.object({ status: z.literal('ok') }) },
  }),
  openapi: defineRoute({
    operationId: 'getOpenApi',
    method: 'GET',
    path: '/v1/openapi.json',
    group: 'meta',
    auth: 'public',
    tag: 'meta',
    summary: 'This OpenAPI 3.1 document',
    success: {
      status: 200,
      description: 'The document',
      schema: z.looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) }).describe('An OpenAPI 3.1 document'),
    },
  }),
  console: defineRoute({
    operationId: 'getConsole',
    method: 'GET',
    path: '/console',
    group: 'meta',
    auth: 'public',
    tag: 'console',
    summary: 'The console: a page to sign in with an API key and set up integrations, follow approvals and notifications, and manage API keys. The page holds no data; everything it shows comes from this API with the key.',
    success: { status: 200, contentType: 'text/html', description: 'The page, with a Content-Security-Policy that allows only this origin' },
  }),
  consoleScript: defineRoute({
    operationId: 'getConsoleScript',
    method: 'GET',
    path: '/console/app.js',
    group: 'meta',
    auth: 'public',
    tag: 'console',
    summary: 'The console’s script',
    success: { status: 200, contentType: 'text/javascript', description: 'The script' },
  }),
  consoleStyle: defineRoute({
    operationId: 'getConsoleStyle',
    method: 'GET',
    path: '/console/app.css',
    group: 'meta',
    auth: 'public',
    tag: 'console',
    summary: 'The console’s style sheet',
    success: { status: 200, contentType: 'text/css', description: 'The style sheet' },
  }),
  createIntegration: defineRoute({
    operationId: 'createIntegration',
    method: 'POST',
    path: '/v1/integrations',
    group: 'integrations',
    auth: ['integrations:write'],
    tag: 'integrations',
    summary: 'Register an app or group bot of Feishu, Lark, DingTalk or WeCom',
    body: createIntegrationBody,
    bodyDoc: createIntegrationDoc,
    success: { status: 201, description: 'Created; secrets are sealed and never returned', schema: integrationView },
    errors: { 409: { description: 'An integration with this name exists', codes: ['name_taken'] } },
  }),
  listIntegrations: defineRoute({
    operationId: 'listIntegrations',
    method: 'GET',
    path: '/v1/integrations',
    group: 'integrations',
    auth: read,
    tag: 'integrations',
    summary: 'List integrations, oldest first',
    query: pageQuery,
    success: { status: 200, description: 'One page', schema: named(pageOf(integrationView), 'IntegrationPage', 'One page of integrations') },
  }),
  getIntegration: defineRoute({
    operationId: 'getIntegration',
    method: 'GET',
    path: '/v1/integrations/{id}',
    group: 'integrations',
    auth: read,
    tag: 'integrations',
    summary: 'Read one integration',
    params: idParams,
    success: { status: 200, description: 'The integration', schema: integrationView },
  }),
  updateIntegration: defineRoute({
    operationId: 'updateIntegration',
    method: 'PATCH',
    path: '/v1/integrations/{id}',
    group: 'integrations',
    auth: ['integrations:write'],
    tag: 'integrations',
    summary:
      'Rename, change apiBaseUrl, or replace credential fields (a secret can be replaced, never read). Moving an app to another apiBaseUrl needs the admin scope or every stored secret in the same request (403 otherwise), since the next token fetch sends them there; in AWS the base must be the platform’s official host or one the operator allowed (400 otherwise).',
    params: idParams,
    body: updateIntegrationBody,
    success: { status: 200, description: 'The updated integration', schema: integrationView },
    errors: {
      403: { description: 'A move to another apiBaseUrl without the admin scope or every stored secret', codes: ['forbidden'] },
      409: { description: 'The name is taken, or another request changed the integration meanwhile', codes: ['name_taken', 'version_conflict'] },
    },
  }),
  deleteIntegration: defineRoute({
    operationId: 'deleteIntegration',
    method: 'DELETE',
    path: '/v1/integrations/{id}',
    group: 'integrations',
    auth: ['integrations:write'],
    tag: 'integrations',
    summary: 'Delete an integration and its sealed secrets',
    params: idParams,
    success: { status: 204, description: 'Deleted' },
    errors: { 409: { description: 'The integration kept changing while it was being deleted: repeat the delete', codes: ['version_conflict'] } },
  }),
  verifyIntegration: defineRoute({
    operationId: 'verifyIntegration',
    method: 'POST',
    path: '/v1/integrations/{id}/verify',
    group: 'integrations',
    auth: ['integrations:write'],
    tag: 'integrations',
    summary:
      'Prove the credentials work now: an app fetches a fresh token; a group bot sends a test message to its group, which takes a slot of the bot’s rate window like any message (a full window is a 429 with Retry-After, and the platform is not called)',
    params: idParams,
    success: {
      status: 200,
      description: 'Verified. A platform refusal is a 422 with its code; an unreachable platform a 502 or 504.',
      schema: named(
        z.object({ verified: z.literal(true), integrationId: z.string(), provider: z.enum(providers), kind: z.enum(integrationKinds), detail: z.string(), checkedAt: z.string() }),
        'Verification',
        'The credentials worked just now',
      ),
    },
    errors: {
      422: { description: 'The platform refused the credentials; details carry its code', codes: ['verification_failed'] },
      429: { description: 'The group bot’s rate window is full (the platform was not called), or the platform throttled', codes: ['too_many_requests', 'provider_error'] },
      502: platformErrors[502],
      504: platformErrors[504],
    },
  }),
  getIntegrationSetup: defineRoute({
    operationId: 'getIntegrationSetup',
    method: 'GET',
    path: '/v1/integrations/{id}/setup',
    group: 'integrations',
    auth: read,
    tag: 'integrations',
    summary:
      'The setup check: credentials (an app fetches a fresh token now, except while its call quota is used up; a bot is checked only by verify, which sends a test message), permissions (imhub cannot read them: says what to enable), handshake (the platform checked the request URL), last event seen, the last call the platform refused (or its used-up call quota). A platform refusal is a failed check with its platformCode, not an error status.',
    params: idParams,
    success: { status: 200, description: 'One line per check', schema: named(integrationSetupSchema, 'IntegrationSetup', 'The setup check of an integration, one line per check') },
  }),
  createApiKey: defineRoute({
    operationId: 'createApiKey',
    method: 'POST',
    path: '/v1/api-keys',
    group: 'integrations',
    auth: ['admin'],
    tag: 'api-keys',
    summary: 'Create an API key; the key is shown in this response only',
    body: createApiKeyBody,
    success: { status: 201, description: 'Created', schema: apiKeyView.extend({ key: z.string() }) },
  }),
  listApiKeys: defineRoute({
    operationId: 'listApiKeys',
    method: 'GET',
    path: '/v1/api-keys',
    group: 'integrations',
    auth: ['admin'],
    tag: 'api-keys',
    summary: 'List API keys (never the keys themselves)',
    query: pageQuery,
    success: { status: 200, description: 'One page', schema: named(pageOf(apiKeyView), 'ApiKeyPage', 'One page of API keys') },
  }),
  revokeApiKey: defineRoute({
    operationId: 'revokeApiKey',
    method: 'DELETE',
    path: '/v1/api-keys/{id}',
    group: 'integrations',
    auth: ['admin'],
    tag: 'api-keys',
    summary: 'Revoke an API key; it stops working at once',
    params: idParams,
    success: { status: 200, description: 'The revoked key', schema: apiKeyView },
  }),
  createApproval: defineRoute({
    operationId: 'createApproval',
    method: 'POST',
    path: '/v1/approvals',
    group: 'approvals',
    auth: ['approvals:write'],
    tag: 'approvals',
    summary:
      'Start an approval in the platform’s own approval app. A request with notify sends messages, so its key also needs notifications:send (or admin), else 403. The same idempotencyKey with the same body returns the same approval (200) and never makes a second instance; with a different body it is a 409 idempotency_conflict.',
    body: createApprovalBody,
    success: {
      status: 201,
      description: 'Started (or kept pending, to be started by its check, while the platform throttles or is down)',
      schema: approvalView,
      replay: 'The same idempotencyKey with the same body: the approval the first request made, as it is now (no second instance)',
    },
    errors: {
      400: {
        description: 'A request the integration cannot run: a group bot, cards it cannot send, the requester among the approvers, an unknown integration',
        codes: ['not_an_app', 'cards_unsupported', 'cards_need_encrypt_key', 'self_approval', unknownIntegration.codes[0]!],
      },
      403: { description: 'notify without the notifications:send scope (details.requiredScopes)', codes: ['forbidden'] },
      409: idempotencyConflict,
      422: platformErrors[422],
      429: {
        description: 'The app’s call quota at the platform is used up (DingTalk 90020). A platform that only says "too fast" does not fail the request: the approval stays pending and its check starts it',
        codes: ['provider_error'],
      },
      502: {
        description: 'The platform failed in a way that is not safe to repeat: nothing was stored (a people lookup), or the approval ended failed (the instance create); details carry its code',
        codes: ['provider_error'],
      },
      504: platformErrors[504],
    },
  }),
  listApprovals: defineRoute({
    operationId: 'listApprovals',
    method: 'GET',
    path: '/v1/approvals',
    group: 'approvals',
    auth: approvalsRead,
    tag: 'approvals',
    summary: 'List approvals, oldest first (or newest with order=newest), optionally by status and integration',
    query: pageQuery.extend({
      status: z.enum(approvalStatuses, { error: `status must be one of ${approvalStatuses.join(', ')}` }).optional(),
      integrationId: z.string().max(128).optional(),
      order: orderQuery,
    }),
    success: { status: 200, description: 'One page (a filtered page may hold fewer than limit items and still have a nextCursor)', schema: named(pageOf(approvalView), 'ApprovalPage', 'One page of approvals') },
  }),
  getApproval: defineRoute({
    operationId: 'getApproval',
    method: 'GET',
    path: '/v1/approvals/{id}',
    group: 'approvals',
    auth: approvalsRead,
    tag: 'approvals',
    summary: 'Read an approval; with waitSeconds (at most 25) wait until it leaves pending',
    params: idParams,
    query: z.strictObject({
      waitSeconds: z.coerce.number({ error: 'waitSeconds must be a number from 0 to 25' }).int('waitSeconds must be a whole number').min(0).max(25, 'waitSeconds must be at most 25').default(0),
    }),
    success: { status: 200, description: 'The approval', schema: approvalView },
  }),
  cancelApproval: defineRoute({
    operationId: 'cancelApproval',
    method: 'POST',
    path: '/v1/approvals/{id}/cancel',
    group: 'approvals',
    auth: ['approvals:write'],
    tag: 'approvals',
    summary:
      'Cancel a pending approval and withdraw the platform instance (Feishu/Lark cancel, DingTalk terminate; WeCom has no withdraw API). The platform is read first: an approval it already decided is not canceled and answers 409 already_decided with the approval in error.details.approval.',
    params: idParams,
    success: { status: 200, description: 'The canceled approval (also when it had been canceled before)', schema: approvalView },
    errors: {
      409: { description: 'The platform had already decided it: nothing was canceled; error.details.approval is the approval as it ended', codes: ['already_decided'] },
      429: platformErrors[429],
      502: platformErrors[502],
      504: platformErrors[504],
    },
  }),
  createNotification: defineRoute({
    operationId: 'createNotification',
    method: 'POST',
    path: '/v1/notifications',
    group: 'notifications',
    auth: ['notifications:send'],
    tag: 'notifications',
    summary:
      'Send one message to chats and users of an app, or to a group bot. One delivery per target; sends beyond a platform rate limit are queued and go out as the limit allows. The same idempotencyKey with a different body is a 409 idempotency_conflict.',
    body: createNotificationBody,
    success: {
      status: 201,
      description: 'Accepted, with each delivery sent, queued or failed (a failed delivery carries the platform’s code; the request still succeeds)',
      schema: notificationView,
      replay: 'The same idempotencyKey with the same body: the notification the first request made, as it is now (nothing sent again)',
    },
    errors: {
      400: { description: 'No targets for an app, targets or lookups for a group bot, or an unknown integration', codes: ['no_targets', 'bot_has_no_targets', 'bot_cannot_resolve', unknownIntegration.codes[0]!] },
      409: idempotencyConflict,
      422: { description: 'An email or mobile the platform does not know; details carry the platform’s code', codes: ['provider_error'] },
      429: platformErrors[429],
      502: { description: 'Looking up an email or mobile failed at the platform; details carry its code', codes: ['provider_error'] },
      504: platformErrors[504],
    },
  }),
  listNotifications: defineRoute({
    operationId: 'listNotifications',
    method: 'GET',
    path: '/v1/notifications',
    group: 'notifications',
    auth: ['read', 'notifications:send'],
    tag: 'notifications',
    summary: 'List notifications with each delivery, oldest first (or newest with order=newest), optionally by integration',
    query: pageQuery.extend({ integrationId: z.string().max(128).optional(), order: orderQuery }),
    success: { status: 200, description: 'One page (a filtered page may hold fewer than limit items and still have a nextCursor)', schema: named(pageOf(notificationView), 'NotificationPage', 'One page of notifications') },
  }),
  getNotification: defineRoute({
    operationId: 'getNotification',
    method: 'GET',
    path: '/v1/notifications/{id}',
    group: 'notifications',
    auth: ['read', 'notifications:send'],
    tag: 'notifications',
    summary: 'Each delivery’s outcome: platform message id, or the platform’s error code',
    params: idParams,
    success: { status: 200, description: 'The notification', schema: notificationView },
  }),
  callbackCheck: defineRoute({
    operationId: 'receiveCallbackCheck',
    method: 'GET',
    path: '/v1/callbacks/{integrationId}',
    group: 'callbacks',
    auth: 'public',
    tag: 'callbacks',
    summary: 'WeCom URL check (msg_signature, timestamp, nonce, echostr); answers the decrypted echostr. Verified by signature, not by API key.',
    params: callbackParams,
    success: { status: 200, description: 'The plaintext echostr', contentType: 'text/plain' },
    errors: {
      400: { description: 'A check that is not well formed', codes: ['bad_request'] },
      401: { description: 'The signature does not match, or echostr does not decrypt with this integration’s EncodingAESKey', codes: ['unauthorized'] },
    },
  }),
  callback: defineRoute({
    operationId: 'receiveCallback',
    method: 'POST',
    path: '/v1/callbacks/{integrationId}',
    group: 'callbacks',
    auth: 'public',
    tag: 'callbacks',
    summary:
      'Where Feishu, Lark, DingTalk and WeCom post events. Verified on the raw body by the platform’s signature; answers each platform’s handshake and acknowledgement exactly.',
    params: callbackParams,
    success: { status: 200, description: 'The platform’s expected answer (challenge, encrypted success, or empty)' },
    errors: {
      400: { description: 'A body that is not the platform’s event shape', codes: ['bad_request'] },
      401: { description: 'Not signed by the platform with this integration’s keys: nothing is stored', codes: ['unauthorized'] },
      413: { description: 'Over the platform’s own body limit', codes: ['payload_too_large'] },
    },
  }),
} satisfies Record<string, RouteContract>;

export const allRoutes: readonly RouteContract[] = Object.values(routes);

const endedStatuses = approvalStatuses.filter((status) => status !== 'pending');

/** The body of the approval webhook, as the worker's `approval.webhook` job posts it. */
const approvalWebhookBody = named(
  z.object({
    type: z.enum(endedStatuses.map((status) => `approval.${status}` as const)).describe('approval.<status>: how it ended'),
    deliveryId: z.string().describe('The approval id, the same on every retry: use it to take a repeat once'),
    approval: approvalView,
  }),
  'ApprovalWebhook',
  'What imhub posts to webhook.url when the approval ends',
);

/** The requests imhub sends to the caller (OpenAPI `webhooks`). */
export const outboundWebhooks: readonly OutboundWebhook[] = [
  {
    name: 'approvalEnded',
    operationId: 'approvalEnded',
    summary: 'An approval with a webhook ended',
    description: [
      'When an approval created with `webhook: {url, secret}` ends (approved, rejected, canceled, expired or failed), imhub POSTs the approval as JSON to the url.',
      '',
      '**Verify it** before trusting it: compute HMAC-SHA256 with the webhook secret over `X-Imhub-Timestamp + "." + <raw body>`, hex-encode it, prefix `sha256=`, and compare it with `X-Imhub-Signature` in constant time; refuse a timestamp more than 300 s from your clock. In Node: `"sha256=" + createHmac("sha256", secret).update(timestamp + "." + rawBody).digest("hex")`. `verifyWebhookSignature` in lib/domain/webhook-signature.ts does exactly this.',
      '',
      '**Delivery:** any 2xx answer delivers it. Anything else (a redirect is not followed), no answer within 10 s, or no connection is retried after 30 s, doubling to at most an hour, until 26 hours after the approval ended; then the webhook is failed. Each attempt is listed in the approval’s `webhook.attempts`. A retry carries the same `deliveryId` (the approval id): take it once.',
    ].join('\n'),
    headers: [
      { name: 'X-Imhub-Signature', description: '`sha256=` and the hex HMAC-SHA256 of `<X-Imhub-Timestamp>.<raw body>` keyed with the webhook secret', example: 'sha256=3f1d2c9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e' },
      { name: 'X-Imhub-Timestamp', description: 'Unix seconds when this attempt was signed', example: '1764578473' },
      { name: 'X-Imhub-Delivery', description: 'The approval id, the same on every retry', example: 'apr_3Fh8wKq1zTn6vLc9xMb2pRd5' },
    ],
    body: approvalWebhookBody,
    example: approvalWebhookExample,
    responses: { '2XX': 'Any 2xx takes it: it is not sent again', default: 'Anything else is retried with backoff for 26 hours after the approval ended' },
  },
];
