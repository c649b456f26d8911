import * as z from 'zod';
import { createApiKeyBody, scopes } from '../domain/api-key.ts';
import { approvalStatuses, createApprovalBody } from '../domain/approval.ts';
import { createNotificationBody, messageSchema } from '../domain/message.ts';
import { createIntegrationBody, credentialSpec, integrationKinds, providers, updateIntegrationBody } from '../domain/integration.ts';
import { localeSchema, timeZoneSchema } from '../domain/locale.ts';
import { defineRoute, idParams, pageOf, pageQuery, type RouteContract } from './contract.ts';

/** Schemas of responses, for the OpenAPI document. */
const integrationView = z.object({
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
});
const apiKeyView = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(scopes)),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

/** Every provider × kind as its own variant, so the document shows each credential shape. */
const createIntegrationDoc = z.union(
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
);

const read = ['read', 'integrations:write'] as const;
const notificationView = z.object({
  id: z.string(),
  integrationId: z.string(),
  status: z.enum(['pending', 'sent', 'partial', 'failed']),
  message: messageSchema,
  locale: localeSchema,
  timeZone: z.string(),
  deliveries: z.array(
    z.object({
      target: z.string(),
      status: z.enum(['queued', 'sent', 'failed']),
      messageId: z.string().nullable(),
      error: z.object({ code: z.union([z.string(), z.number()]), message: z.string() }).nullable(),
      truncated: z.boolean().describe('The text was cut, marked "…", to fit the platform’s size limit (links and mentions kept)'),
      attempts: z.int(),
    }),
  ),
  idempotencyKey: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const approvalsRead = ['read', 'approvals:write'] as const;
const personView = z.union([z.object({ userId: z.string() }), z.object({ email: z.string() }), z.object({ mobile: z.string() })]);
const approvalView = z.object({
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
    z.object({
      stage: z.int(),
      approver: z.string().describe('the platform user id'),
      person: personView.nullable(),
      decision: z.enum(['approve', 'reject']),
      at: z.string(),
      comment: z.string().optional().describe('at most 600 bytes as stored; the platform keeps the whole text'),
      commentTruncated: z.boolean().optional(),
    }),
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
});
const callbackParams = z.strictObject({ integrationId: z.string().min(1).max(128) });

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
    success: { status: 200, description: 'The document' },
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
    success: { status: 200, description: 'One page', schema: pageOf(integrationView) },
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
      schema: z.object({ verified: z.literal(true), integrationId: z.string(), provider: z.enum(providers), kind: z.enum(integrationKinds), detail: z.string(), checkedAt: z.string() }),
    },
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
    success: { status: 200, description: 'One page', schema: pageOf(apiKeyView) },
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
    success: { status: 201, description: 'Started (200 when an idempotencyKey was seen before)', schema: approvalView },
  }),
  listApprovals: defineRoute({
    operationId: 'listApprovals',
    method: 'GET',
    path: '/v1/approvals',
    group: 'approvals',
    auth: approvalsRead,
    tag: 'approvals',
    summary: 'List approvals, oldest first, optionally by status and integration',
    query: pageQuery.extend({
      status: z.enum(approvalStatuses, { error: `status must be one of ${approvalStatuses.join(', ')}` }).optional(),
      integrationId: z.string().max(128).optional(),
    }),
    success: { status: 200, description: 'One page (a filtered page may hold fewer than limit items and still have a nextCursor)', schema: pageOf(approvalView) },
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
    success: { status: 201, description: 'Accepted, with each delivery sent, queued or failed (200 when an idempotencyKey was seen before)', schema: notificationView },
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
    success: { status: 200, description: 'The plaintext echostr' },
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
  }),
} satisfies Record<string, RouteContract>;

export const allRoutes: readonly RouteContract[] = Object.values(routes);
