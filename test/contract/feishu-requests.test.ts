import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Integration } from '../../lib/domain/integration.ts';
import type { RenderableMessage } from '../../lib/domain/message.ts';
import type { ApprovalSpec, ImProvider } from '../../lib/providers/port.ts';
import { providerFor } from '../../lib/providers/provider-factory.ts';
import { TokenCache } from '../../lib/providers/token-cache.ts';
import { validCredentials } from '../support/fixtures.ts';
import { memoryTokenStore } from '../support/memory-token-store.ts';
import { contractMessage, contractSpec, type Recorded, requestShape, startRecordingServer } from '../support/request-shape.ts';

/*
 * Every Feishu/Lark request imhub makes, next to the request @larksuiteoapi/node-sdk sends for the
 * same operation with the same values: same method, path, query names and values, and body field
 * names at every depth with the JSON type of each leaf (JSON-string fields are parsed and compared
 * too). The SDK calls are object literals against the SDK's own types, so a misspelled field fails
 * `tsc`.
 * The custom bot webhook (bot/v2/hook) is not here: the SDK has no method for it.
 */

const { appId, appSecret } = validCredentials['feishu/app'];
const tokenPath = '/open-apis/auth/v3/tenant_access_token/internal';
const approvalCode = '7C468A54-8745-2245-9675-08B7C63E7A85';
const instanceCode = '81D31358-93AF-92D6-7425-01A5D67C4E71';
const spec: ApprovalSpec = contractSpec('ou_');
const message: RenderableMessage = contractMessage('ou_');
// The SDK has no type for card JSON 2.0 (its InteractiveCard is 1.0): this is the documented 2.0
// structure (schema, config, header, body.elements; buttons with behaviors) with the same content.
const card = {
  schema: '2.0',
  config: { update_multi: true, summary: { content: 'Deploy finished' } },
  header: { template: 'green', title: { tag: 'plain_text', content: 'Deploy finished' } },
  body: {
    elements: [
      { tag: 'markdown', content: 'build 42 is live\n\n<at id=ou_ada></at>' },
      { tag: 'button', type: 'default', text: { tag: 'plain_text', content: 'Open' }, behaviors: [{ type: 'open_url', default_url: 'https://ci.example.com/42' }] },
    ],
  },
};

/** A uuid Feishu has seen: creating with it again fails with 60012, as after a lost answer. */
const repeatedUuid = 'apr_01JZ8Q3V7W2X9Y4Z5A6B7C8REP';
const success = (data: object) => ({ code: 0, msg: 'success', data });

/** What Feishu answers, by method, path and body: enough for imhub's adapter and the SDK to carry on. */
const answers: { method: string; path: RegExp; when?: (body: { uuid?: unknown }) => boolean; answer: object }[] = [
  { method: 'POST', path: /^\/open-apis\/auth\/v3\/tenant_access_token\/internal$/, answer: { code: 0, msg: 'ok', tenant_access_token: 't-x', expire: 7200 } },
  { method: 'POST', path: /^\/open-apis\/contact\/v3\/users\/batch_get_id$/, answer: success({ user_list: [{ user_id: 'ou_ada', email: 'ada@example.com' }, { user_id: 'ou_bob', mobile: '+8613800000002' }] }) },
  { method: 'POST', path: /^\/open-apis\/approval\/v4\/approvals$/, answer: success({ approval_code: approvalCode, approval_id: '7090754740375519252' }) },
  { method: 'POST', path: /^\/open-apis\/approval\/v4\/approvals\/[^/]+\/subscribe$/, answer: success({}) },
  { method: 'POST', path: /^\/open-apis\/approval\/v4\/instances$/, when: (body) => body.uuid === repeatedUuid, answer: { code: 60012, msg: 'uuid already exists' } },
  { method: 'POST', path: /^\/open-apis\/approval\/v4\/instances$/, answer: success({ instance_code: instanceCode }) },
  { method: 'POST', path: /^\/open-apis\/approval\/v4\/instances\/cancel$/, answer: success({}) },
  { method: 'GET', path: /^\/open-apis\/approval\/v4\/instances\/[^/]+$/, answer: success({ approval_code: approvalCode, instance_code: instanceCode, status: 'PENDING', task_list: [], timeline: [] }) },
  { method: 'POST', path: /^\/open-apis\/im\/v1\/messages$/, answer: success({ message_id: 'om_dc13264520392913993dd051dba21dcf' }) },
];


/** The answer of the table for a request, or undefined. */
function answerFor(request: Recorded): unknown {
  const body = request.text ? (JSON.parse(request.text) as { uuid?: unknown }) : {};
  return answers.find((candidate) => candidate.method === request.method && candidate.path.test(request.url.pathname) && (candidate.when?.(body) ?? true))?.answer;
}

let platform: Awaited<ReturnType<typeof startRecordingServer>>;
const sentTo = (path: string, act: () => Promise<unknown>) => platform.sentTo(path, act);

/** Body fields (at their path from the body's root) whose value is JSON in a string. */
const jsonStringFields = new Set(['form', 'form.form_content', 'content']);

/**
 * What must agree between two requests for the same operation. Headers differ legitimately
 * (casing, user-agent, charset): only a bearer token and a JSON content type are compared.
 */
function contractOf(request: Recorded) {
  return { ...requestShape(request, jsonStringFields), bearerToken: /^Bearer \S+$/.test(request.headers.authorization ?? '') };
}

let imhub: ImProvider;
let sdk: lark.Client;

beforeAll(async () => {
  platform = await startRecordingServer(answerFor, { code: 404, msg: 'not found' });
  const apiBaseUrl = platform.url;
  const integration: Integration = {
    id: 'int_feishu_contract',
    provider: 'feishu',
    kind: 'app',
    name: 'contract',
    apiBaseUrl,
    publicCredentials: { appId },
    secretHints: {},
    sealedSecrets: '',
    credentialVersion: 1,
    version: 1,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
  };
  imhub = providerFor(integration, { appId, appSecret }, { tokens: new TokenCache({ store: memoryTokenStore() }), http: { maxAttempts: 1 } });
  // Its own cache, so no token is shared through the SDK's module-wide default cache.
  sdk = new lark.Client({ appId, appSecret, domain: apiBaseUrl, disableTokenCache: false, loggerLevel: lark.LoggerLevel.error, cache: new lark.DefaultCache() });
});

afterAll(async () => {
  await platform.stop();
});

describe('imhub sends Feishu/Lark the requests @larksuiteoapi/node-sdk sends', () => {
  it('tenant token: same path, query and body fields as the SDK fetching its own token and as auth.tenantAccessToken.internal', async () => {
    // Prepare: a client with an empty cache, so it fetches its token before the typed call
    const fresh = new lark.Client({ appId, appSecret, domain: sdk.domain, disableTokenCache: false, loggerLevel: lark.LoggerLevel.error, cache: new lark.DefaultCache() });
    // Act
    const ours = await sentTo(tokenPath, () => imhub.verify());
    const theirs = await sentTo(tokenPath, () => fresh.auth.tenantAccessToken.internal({ data: { app_id: appId, app_secret: appSecret } }));
    // Assess: the SDK's own fetch is the reference; the typed call carries a token only because
    // the SDK adds one to every call
    expect(ours).toHaveLength(1);
    expect(theirs).toHaveLength(2);
    expect(contractOf(ours[0]!)).toEqual(contractOf(theirs[0]!));
    expect({ ...contractOf(ours[0]!), bearerToken: 'not compared' }).toEqual({ ...contractOf(theirs[1]!), bearerToken: 'not compared' });
  });

  it('people lookup by email and mobile: same path, query and body fields as the SDK\'s contact.user.batchGetId', async () => {
    const path = '/open-apis/contact/v3/users/batch_get_id';
    const ours = await sentTo(path, () => imhub.resolveUsers([{ email: 'ada@example.com' }, { mobile: '+8613800000002' }]));
    const theirs = await sentTo(path, () =>
      sdk.contact.user.batchGetId({ params: { user_id_type: 'open_id' }, data: { emails: ['ada@example.com'], mobiles: ['+8613800000002'], include_resigned: false } }),
    );
    expect(ours).toHaveLength(1);
    expect(contractOf(ours[0]!)).toEqual(contractOf(theirs[0]!));
  });

  it('approval definition create: same path, query and body fields as the SDK\'s approval.approval.create, with settings and multi-approver Free nodes', async () => {
    const path = '/open-apis/approval/v4/approvals';
    const ours = await sentTo(path, () => imhub.approvals!.provision(spec, 'imhub approvals'));
    const theirs = await sentTo(path, () =>
      sdk.approval.approval.create({
        params: { user_id_type: 'open_id' },
        data: {
          approval_name: '@i18n@approval_name',
          viewers: [{ viewer_type: 'NONE' }],
          form: { form_content: JSON.stringify([{ id: 'content', name: '@i18n@content', type: 'textarea', required: false }]) },
          node_list: [
            { id: 'START' },
            { id: 'stage_1', name: '@i18n@stage_1', node_type: 'OR', approver: [{ type: 'Free' }], approver_chosen_multi: true },
            { id: 'stage_2', name: '@i18n@stage_2', node_type: 'AND', approver: [{ type: 'Free' }], approver_chosen_multi: true },
            { id: 'END' },
          ],
          // 0: an approved instance can never be revoked (back to pending) by a cancel.
          settings: { revert_interval: 0 },
          // The approval's locale (zh-CN) is the default and holds every key; en-US beside it.
          i18n_resources: [
            {
              locale: 'zh-CN',
              is_default: true,
              texts: [
                { key: '@i18n@approval_name', value: 'imhub approvals' },
                { key: '@i18n@content', value: '详情' },
                { key: '@i18n@stage_1', value: '第 1 级审批' },
                { key: '@i18n@stage_2', value: '第 2 级审批' },
              ],
            },
            {
              locale: 'en-US',
              is_default: false,
              texts: [
                { key: '@i18n@approval_name', value: 'imhub approvals' },
                { key: '@i18n@content', value: 'Details' },
                { key: '@i18n@stage_1', value: 'Stage 1' },
                { key: '@i18n@stage_2', value: 'Stage 2' },
              ],
            },
          ],
        },
      }),
    );
    expect(ours).toHaveLength(1);
    expect(contractOf(ours[0]!)).toEqual(contractOf(theirs[0]!));
  });

  it('approval event subscription: same path, query and (empty) body as the SDK\'s approval.approval.subscribe', async () => {
    const path = `/open-apis/approval/v4/approvals/${approvalCode}/subscribe`;
    const ours = await sentTo(path, () => imhub.approvals!.activate(approvalCode));
    const theirs = await sentTo(path, () => sdk.approval.approval.subscribe({ path: { approval_code: approvalCode } }));
    expect(ours).toHaveLength(1);
    expect(contractOf(ours[0]!)).toEqual(contractOf(theirs[0]!));
  });

  it('instance create: same path, query and body fields as the SDK\'s approval.instance.create', async () => {
    const path = '/open-apis/approval/v4/instances';
    const ours = await sentTo(path, () => imhub.approvals!.createInstance(approvalCode, spec));
    const theirs = await sentTo(path, () =>
      sdk.approval.instance.create({
        data: {
          approval_code: approvalCode,
          open_id: 'ou_requester',
          form: JSON.stringify([{ id: 'content', type: 'textarea', value: 'Deploy v42 to production\n\nChange 1234' }]),
          node_approver_open_id_list: [
            { key: 'stage_1', value: ['ou_ada'] },
            { key: 'stage_2', value: ['ou_ada', 'ou_bob'] },
          ],
          uuid: 'apr_01JZ8Q3V7W2X9Y4Z5A6B7C8D9E',
        },
      }),
    );
    expect(ours).toHaveLength(1);
    expect(contractOf(ours[0]!)).toEqual(contractOf(theirs[0]!));
  });

  it('instance create repeated after a lost answer (60012): reads the instance by its uuid as the SDK\'s approval.instance.get does', async () => {
    const path = `/open-apis/approval/v4/instances/${repeatedUuid}`;
    const ours = await sentTo(path, () => imhub.approvals!.createInstance(approvalCode, { ...spec, approvalId: repeatedUuid }));
    const theirs = await sentTo(path, () => sdk.approval.instance.get({ path: { instance_id: repeatedUuid } }));
    expect(ours).toHaveLength(1);
    expect(contractOf(ours[0]!)).toEqual(contractOf(theirs[0]!));
  });

  it('instance get: same path and query as the SDK\'s approval.instance.get', async () => {
    const path = `/open-apis/approval/v4/instances/${instanceCode}`;
    const ours = await sentTo(path, () => imhub.approvals!.getInstance(approvalCode, instanceCode, spec));
    const theirs = await sentTo(path, () => sdk.approval.instance.get({ params: { user_id_type: 'open_id' }, path: { instance_id: instanceCode } }));
    expect(ours).toHaveLength(1);
    expect(contractOf(ours[0]!)).toEqual(contractOf(theirs[0]!));
  });

  it('instance withdraw: same path, query and body fields as the SDK\'s approval.instance.cancel', async () => {
    const path = '/open-apis/approval/v4/instances/cancel';
    const ours = await sentTo(path, () => imhub.approvals!.withdraw(approvalCode, instanceCode, spec));
    const theirs = await sentTo(path, () =>
      sdk.approval.instance.cancel({ params: { user_id_type: 'open_id' }, data: { approval_code: approvalCode, instance_code: instanceCode, user_id: 'ou_requester' } }),
    );
    expect(ours).toHaveLength(1);
    expect(contractOf(ours[0]!)).toEqual(contractOf(theirs[0]!));
  });

  it('card message to a chat: same path, query and body fields (card JSON included) as the SDK\'s im.message.create', async () => {
    const path = '/open-apis/im/v1/messages';
    const ours = await sentTo(path, () => imhub.messages.send({ chatId: 'oc_a0553eda9014c201e6969b478895c230' }, message, 'ntf_01JZ8Q3V7W-chat'));
    const theirs = await sentTo(path, () =>
      sdk.im.message.create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: 'oc_a0553eda9014c201e6969b478895c230', msg_type: 'interactive', content: JSON.stringify(card), uuid: 'ntf_01JZ8Q3V7W-chat' },
      }),
    );
    expect(ours).toHaveLength(1);
    expect(contractOf(ours[0]!)).toEqual(contractOf(theirs[0]!));
  });

  it('card message to a user: same path, query and body fields (card JSON included) as the SDK\'s im.message.create', async () => {
    const path = '/open-apis/im/v1/messages';
    const ours = await sentTo(path, () => imhub.messages.send({ userId: 'ou_ada' }, message, 'ntf_01JZ8Q3V7W-user'));
    const theirs = await sentTo(path, () =>
      sdk.im.message.create({
        params: { receive_id_type: 'open_id' },
        data: { receive_id: 'ou_ada', msg_type: 'interactive', content: JSON.stringify(card), uuid: 'ntf_01JZ8Q3V7W-user' },
      }),
    );
    expect(ours).toHaveLength(1);
    expect(contractOf(ours[0]!)).toEqual(contractOf(theirs[0]!));
  });
});
