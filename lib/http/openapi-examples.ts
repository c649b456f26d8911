import type { OperationExamples } from './openapi.ts';

/**
 * One request and one response example per operation of the OpenAPI document, keyed by
 * operationId. `test/contract/openapi.test.ts` parses each with the route's own schemas, so an
 * example cannot drift from what the API takes and answers. Ids are made up; no value is a real
 * secret (secrets read "EXAMPLE…").
 */

const integrationId = 'int_7Qk2mXw9cHv4bN1sLp8tRz3y';
const approvalId = 'apr_3Fh8wKq1zTn6vLc9xMb2pRd5';
const at = '2026-12-01T08:30:00.000Z';
const later = '2026-12-01T08:41:12.000Z';

const feishuIntegration = {
  id: integrationId,
  provider: 'feishu',
  kind: 'app',
  name: 'feishu prod',
  apiBaseUrl: null,
  callbackUrl: `https://api.example.com/v1/callbacks/${integrationId}`,
  credentials: { appId: 'cli_a5f3c2e1d0b9a8f7', appSecret: '(secret, …MPLE)', encryptKey: '(secret, …MPLE)' },
  credentialVersion: 1,
  version: 1,
  platformQuota: null,
  locale: 'zh-CN',
  timeZone: 'Asia/Shanghai',
  createdAt: at,
  updatedAt: at,
};

const apiKey = {
  id: 'Kx7Lm2Pq9Rs4Tv6W',
  name: 'ci pipeline',
  scopes: ['approvals:write', 'read'],
  createdAt: at,
  expiresAt: '2027-12-01T00:00:00.000Z',
  revokedAt: null,
};

const approvalRequest = {
  integrationId,
  title: 'Deploy web 2.14.0 to production',
  content: 'Changes: https://git.example.com/web/compare/2.13.2...2.14.0',
  requester: { email: 'li.lei@example.com' },
  stages: [{ mode: 'any', approvers: [{ email: 'han.meimei@example.com' }, { userId: 'ou_7d8a6e6df7621556ce0d21922b676706ccs' }] }],
  timeoutSeconds: 3600,
  webhook: { url: 'https://ci.example.com/hooks/imhub', secret: 'EXAMPLE-webhook-secret-0000' },
  idempotencyKey: 'deploy-web-2.14.0',
};

const approval = {
  id: approvalId,
  integrationId,
  title: approvalRequest.title,
  content: approvalRequest.content,
  status: 'approved',
  requester: { email: 'li.lei@example.com' },
  stages: approvalRequest.stages,
  decisions: [{ stage: 0, approver: 'ou_7d8a6e6df7621556ce0d21922b676706ccs', person: { email: 'han.meimei@example.com' }, decision: 'approve', at: later, comment: 'LGTM' }],
  moreDecisions: 0,
  platformInstanceId: '7A5E3C1B-9D2F-4E6A-8B0C-1D3F5A7C9E2B',
  via: 'app',
  cards: [],
  locale: 'zh-CN',
  timeZone: 'Asia/Shanghai',
  timeoutAt: '2026-12-01T09:30:00.000Z',
  onTimeout: 'expire',
  endedAt: later,
  endReason: null,
  idempotencyKey: approvalRequest.idempotencyKey,
  webhook: { url: 'https://ci.example.com/hooks/imhub', state: 'delivered', attempts: [{ at: '2026-12-01T08:41:13.000Z', status: 200, durationMs: 84 }] },
  createdAt: at,
  updatedAt: '2026-12-01T08:41:13.000Z',
};

const pendingApproval = {
  ...approval,
  status: 'pending',
  decisions: [],
  endedAt: null,
  webhook: { url: 'https://ci.example.com/hooks/imhub', state: 'waiting', attempts: [] },
  updatedAt: at,
};

const notificationRequest = {
  integrationId,
  to: { chatIds: ['oc_5ad11d72b830411d72b836c20'], emails: ['li.lei@example.com'] },
  message: {
    title: 'Deploy finished',
    text: 'web 2.14.0 is live in production.',
    level: 'success',
    links: [{ title: 'Release notes', url: 'https://git.example.com/web/releases/2.14.0' }],
  },
  idempotencyKey: 'deploy-web-2.14.0-done',
};

const notification = {
  id: 'ntf_9Vb3nHx6qLw1cTz8mKp4sRf2',
  integrationId,
  status: 'sent',
  message: { ...notificationRequest.message, mentions: [] },
  deliveries: [
    { target: 'chat:oc_5ad11d72b830411d72b836c20', status: 'sent', messageId: 'om_dc13264520392913993dd051dba21dcf', error: null, truncated: false, attempts: 1 },
    { target: 'email:li.lei@example.com', status: 'sent', messageId: 'om_a8f2b1c09d7e6f5a4b3c2d1e0f9a8b7c', error: null, truncated: false, attempts: 1 },
  ],
  locale: 'zh-CN',
  timeZone: 'Asia/Shanghai',
  idempotencyKey: notificationRequest.idempotencyKey,
  createdAt: at,
  updatedAt: at,
};

export const operationExamples: Readonly<Record<string, OperationExamples>> = {
  getHealth: { response: { status: 'ok' } },
  getOpenApi: { response: { openapi: '3.1.0', info: { title: 'imhub', version: '1' }, paths: { '/healthz': { get: { operationId: 'getHealth', responses: { '200': { description: 'The service answers' } } } } } } },
  createIntegration: {
    body: { provider: 'feishu', kind: 'app', name: 'feishu prod', credentials: { appId: 'cli_a5f3c2e1d0b9a8f7', appSecret: 'EXAMPLE-app-secret-EXAMPLE', encryptKey: 'EXAMPLE-encrypt-key-EXAMPLE' } },
    response: feishuIntegration,
  },
  listIntegrations: { query: { limit: 20 }, response: { items: [feishuIntegration], nextCursor: 'eyJpZCI6ImludF83UWsyIn0' } },
  getIntegration: { params: { id: integrationId }, response: feishuIntegration },
  updateIntegration: {
    params: { id: integrationId },
    body: { name: 'feishu production', credentials: { appSecret: 'EXAMPLE-rotated-secret-EXAMPLE' } },
    response: { ...feishuIntegration, name: 'feishu production', credentialVersion: 2, version: 2, updatedAt: later },
  },
  deleteIntegration: { params: { id: integrationId } },
  verifyIntegration: {
    params: { id: integrationId },
    response: { verified: true, integrationId, provider: 'feishu', kind: 'app', detail: 'tenant access token fetched', checkedAt: at },
  },
  getConsole: { response: '<!doctype html><html lang="zh-CN"><head><title>imhub</title><link rel="stylesheet" href="/console/app.css"></head><body><script type="module" src="/console/app.js"></script></body></html>' },
  getConsoleScript: { response: '// the console’s script' },
  getConsoleStyle: { response: '/* the console’s style sheet */' },
  getIntegrationSetup: {
    params: { id: integrationId },
    response: {
      integrationId,
      ready: true,
      checks: [
        { name: 'credentials', status: 'ok', at: later, detail: 'tenant access token fetched' },
        { name: 'permissions', status: 'unknown', detail: 'imhub cannot read them: enable the ones the console lists for this platform' },
        { name: 'handshake', status: 'ok', at: at, detail: 'the platform checked the request URL' },
        { name: 'lastEvent', status: 'ok', at: later },
      ],
      checkedAt: later,
    },
  },
  createApiKey: {
    body: { name: 'ci pipeline', scopes: ['approvals:write', 'read'], expiresAt: '2027-12-01T00:00:00Z' },
    response: { ...apiKey, key: 'imh_Kx7Lm2Pq9Rs4Tv6W_EXAMPLE-shown-once-never-a-real-key-EXAMPLE' },
  },
  listApiKeys: { query: { limit: 20 }, response: { items: [apiKey] } },
  revokeApiKey: { params: { id: apiKey.id }, response: { ...apiKey, revokedAt: later } },
  createApproval: { body: approvalRequest, response: pendingApproval },
  listApprovals: { query: { status: 'approved', integrationId, limit: 20 }, response: { items: [approval] } },
  getApproval: { params: { id: approvalId }, query: { waitSeconds: 25 }, response: approval },
  cancelApproval: { params: { id: approvalId }, response: { ...pendingApproval, status: 'canceled', endedAt: later, endReason: 'canceled by the API', updatedAt: later } },
  createNotification: { body: notificationRequest, response: notification },
  listNotifications: { query: { integrationId, order: 'newest', limit: 20 }, response: { items: [notification] } },
  getNotification: { params: { id: notification.id }, response: notification },
  receiveCallbackCheck: { params: { integrationId: 'int_Wc4Ex9AmPle2IdX7Yz1Q0Rs5' }, response: '4927393721347802947' },
  receiveCallback: { params: { integrationId } },
};

/** The body imhub posts to an approval's webhook.url when it ends. */
export const approvalWebhookExample = { type: 'approval.approved', deliveryId: approvalId, approval };
