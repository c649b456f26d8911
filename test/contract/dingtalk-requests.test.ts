// The package's own `@alicloud/dingtalk/workflow_1_0` entry (workflow_1_0.js) has no type
// declarations, so `tsc` cannot resolve it; these are the generated clients it re-exports, with
// theirs (the package has no `exports` map, so Node and `tsc` both resolve the path).
import * as $oauth2 from '@alicloud/dingtalk/dist/oauth2_1_0/client.js';
import * as $robot from '@alicloud/dingtalk/dist/robot_1_0/client.js';
import * as $workflow from '@alicloud/dingtalk/dist/workflow_1_0/client.js';
// The SDK's config and runtime options, from the packages its generated clients import (both are
// dependencies of @alicloud/dingtalk, pinned by the lock file).
import * as $OpenApi from '@alicloud/openapi-client';
import * as $Util from '@alicloud/tea-util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Integration } from '../../lib/domain/integration.ts';
import type { RenderableMessage } from '../../lib/domain/message.ts';
import type { ApprovalSpec, ImProvider } from '../../lib/providers/port.ts';
import { providerFor } from '../../lib/providers/provider-factory.ts';
import { TokenCache } from '../../lib/providers/token-cache.ts';
import { validCredentials } from '../support/fixtures.ts';
import { memoryTokenStore } from '../support/memory-token-store.ts';
import { contractMessage, contractSpec, type Recorded, requestShape, startRecordingServer, type Shape } from '../support/request-shape.ts';

/*
 * Every DingTalk request imhub makes, next to the request @alicloud/dingtalk sends for the same
 * operation with the same values: same method, path, query names and values, and body field names
 * at every depth with the JSON type of each leaf (msgParam, JSON in a string, is parsed and
 * compared too). The SDK requests are built from its typed models through `model()`, which takes
 * only the fields a model declares, with their types: a misspelled field fails `tsc`.
 * imhub points both of its DingTalk bases (api.dingtalk.com and oapi.dingtalk.com) at the one
 * apiBaseUrl of the integration, so both go to the recording server here.
 * The two legacy oapi calls (topapi/v2/user/getbymobile, topapi/message/corpconversation/asyncsend_v2)
 * have no method in the SDK (it models only the v1.0 API; no path of 2.2.27 starts with /topapi):
 * they are compared with the request documented by DingTalk instead, written out below.
 */

const { appKey, appSecret, agentId } = validCredentials['dingtalk/app'];
const accessToken = 'dt-0123456789abcdef';
const processCode = 'PROC-FF6Y4BE1N2-7D6VDOQ44N11-HT3IWQ3J-1';
const instanceId = 'a171de6c-8bd1-4e5e-9d0d-1f7c3a7b4a11';
const spec: ApprovalSpec = contractSpec('ding_');
const message: RenderableMessage = contractMessage('ding_');
const openConversationId = 'cidXkA3hsPnyRV4BQdCHkhTUw==';

/** What DingTalk answers, by method and path: enough for imhub's adapter and the SDK to carry on. */
const answers: { method: string; path: string; answer: object }[] = [
  { method: 'POST', path: '/v1.0/oauth2/accessToken', answer: { accessToken, expireIn: 7200 } },
  { method: 'POST', path: '/v1.0/workflow/forms', answer: { result: { processCode } } },
  { method: 'POST', path: '/v1.0/workflow/processInstances', answer: { instanceId } },
  { method: 'GET', path: '/v1.0/workflow/processInstances', answer: { result: { status: 'RUNNING', operationRecords: [] } } },
  { method: 'POST', path: '/v1.0/workflow/processInstances/terminate', answer: { result: true, success: true } },
  { method: 'POST', path: '/v1.0/workflow/processes/instanceIds/query', answer: { result: { list: [] }, success: true } },
  { method: 'POST', path: '/v1.0/robot/groupMessages/send', answer: { processQueryKey: 'pqk-0123456789' } },
  { method: 'POST', path: '/topapi/v2/user/getbymobile', answer: { errcode: 0, errmsg: 'ok', result: { userid: 'ding_ada' }, request_id: 'req-1' } },
  { method: 'POST', path: '/topapi/message/corpconversation/asyncsend_v2', answer: { errcode: 0, errmsg: 'ok', task_id: 256271667526, request_id: 'req-2' } },
];


let platform: Awaited<ReturnType<typeof startRecordingServer>>;
/** The requests `act` made, to `method path` only (imhub fetches a token first when it has none). */
const sentTo = (method: string, path: string, act: () => Promise<unknown>) => platform.sentTo(path, act, method);

/**
 * The fields a model of the SDK declares, with their types. Every model extends `$tea.Model`,
 * which has an index signature and a constructor taking any map: without this, a misspelled field
 * would pass `tsc` and simply be left out of the request.
 */
type Declared<M> = { [K in keyof M as string extends K ? never : number extends K ? never : M[K] extends (...args: never[]) => unknown ? never : K]?: M[K] };
const model = <M extends object>(Model: new (map?: { [key: string]: unknown }) => M, fields: Declared<M>): M => new Model(fields);

/** A string imhub chose (a form's description, a label): the SDK sends the same; anything else stays a string there, so the type differs. */
const text = (value: unknown) => (typeof value === 'string' ? value : `not a string: ${JSON.stringify(value)}`);
/** A boolean imhub chose: the SDK sends the same; anything else stays a boolean there, so the type differs. */
const flag = (value: unknown) => (typeof value === 'boolean' ? value : true);
/** The value at a path of a JSON text, or undefined. */
function at(json: string, ...path: (string | number)[]): unknown {
  return path.reduce<unknown>((value, step) => (value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[step] : undefined), JSON.parse(json));
}
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Body fields (at their path from the body's root) whose value is JSON in a string. */
const jsonStringFields = new Set(['msgParam']);

/**
 * What must agree between two requests for the same operation. Headers differ legitimately
 * (casing, user-agent, host, charset): only the token header and a JSON content type are compared.
 * The token imhub also puts in `?access_token=` is left out of `query`: see the token test.
 */
function contractOf(request: Recorded) {
  return { ...requestShape(request, jsonStringFields, ['access_token']), tokenHeader: request.headers['x-acs-dingtalk-access-token'] === accessToken };
}

/**
 * A generated client class: the `default` of the module's CommonJS exports. Node hands an ES module
 * those exports as the namespace's `default` (so the class is `default.default`, as `tsc` types it);
 * vitest's interop unwraps them once more (the class is `default`). Either way, the class.
 */
function clientClass<C>(module: { default: { default: C } }): C {
  const exported: unknown = module.default;
  return typeof exported === 'function' ? (exported as C) : (exported as { default: C }).default;
}
const Workflow = clientClass($workflow);
const Robot = clientClass($robot);
const OAuth2 = clientClass($oauth2);

let imhub: ImProvider;
let workflow: InstanceType<typeof Workflow>;
let robot: InstanceType<typeof Robot>;
let oauth2: InstanceType<typeof OAuth2>;
const runtime = new $Util.RuntimeOptions({});

beforeAll(async () => {
  platform = await startRecordingServer(
    (request) => answers.find((candidate) => candidate.method === request.method && candidate.path === request.url.pathname)?.answer,
    { code: 'NotFound', message: 'not found' },
  );
  const { port } = new URL(platform.url);
  const integration: Integration = {
    id: 'int_dingtalk_contract',
    provider: 'dingtalk',
    kind: 'app',
    name: 'contract',
    // imhub derives both bases from it: api (v1.0) and oapi (topapi) are then this one server.
    apiBaseUrl: `http://127.0.0.1:${port}`,
    publicCredentials: { appKey, corpId: validCredentials['dingtalk/app'].corpId, agentId },
    secretHints: {},
    sealedSecrets: '',
    credentialVersion: 1,
    version: 1,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
  };
  imhub = providerFor(integration, { ...validCredentials['dingtalk/app'] }, { tokens: new TokenCache({ store: memoryTokenStore() }), http: { maxAttempts: 1 } });
  // The SDK builds `${protocol}://${endpoint}${pathname}`; no retries, so one call is one request.
  const config = model($OpenApi.Config, { endpoint: `127.0.0.1:${port}`, protocol: 'http' });
  workflow = new Workflow(config);
  robot = new Robot(config);
  oauth2 = new OAuth2(config);
});

afterAll(async () => {
  await platform.stop();
});

describe('imhub sends DingTalk the requests @alicloud/dingtalk sends', () => {
  it('access token: same path and body fields as the SDK\'s oauth2_1_0 getAccessToken, with no token of its own', async () => {
    const path = '/v1.0/oauth2/accessToken';
    const ours = await sentTo('POST', path, () => imhub.verify());
    const theirs = await sentTo('POST', path, () => oauth2.getAccessToken(model($oauth2.GetAccessTokenRequest, { appKey, appSecret })));
    expect(ours).toHaveLength(1);
    expect(theirs).toHaveLength(1);
    expect(contractOf(ours[0]!)).toEqual(contractOf(theirs[0]!));
    expect(ours[0]!.url.searchParams.has('access_token')).toBe(false);
  });

  it('approval form create: same path, query and body fields (a required textarea) as the SDK\'s workflow_1_0 formCreate', async () => {
    const path = '/v1.0/workflow/forms';
    const ours = await sentTo('POST', path, () => imhub.approvals!.provision(spec, 'imhub approvals'));
    expect(ours).toHaveLength(1);
    // The description and the components' names and labels are imhub's choice: the SDK sends the same.
    const sent = ours[0]!.text;
    const theirs = await sentTo('POST', path, () =>
      workflow.formCreateWithOptions(
        model($workflow.FormCreateRequest, {
          name: 'imhub approvals',
          description: text(at(sent, 'description')),
          formComponents: list(at(sent, 'formComponents')).map((_, index) =>
            model($workflow.FormComponent, {
              componentType: text(at(sent, 'formComponents', index, 'componentType')),
              props: model($workflow.FormComponentProps, {
                componentId: text(at(sent, 'formComponents', index, 'props', 'componentId')),
                label: text(at(sent, 'formComponents', index, 'props', 'label')),
                required: flag(at(sent, 'formComponents', index, 'props', 'required')),
              }),
            }),
          ),
        }),
        model($workflow.FormCreateHeaders, { xAcsDingtalkAccessToken: accessToken }),
        runtime,
      ),
    );
    expect(theirs).toHaveLength(1);
    expect(contractOf(ours[0]!)).toEqual(contractOf(theirs[0]!));
  });

  it('approval instance start: same path, query and body fields (approvers per stage, the form\'s value) as the SDK\'s workflow_1_0 startProcessInstance', async () => {
    const path = '/v1.0/workflow/processInstances';
    const ours = await sentTo('POST', path, () => imhub.approvals!.createInstance(processCode, spec));
    expect(ours).toHaveLength(1);
    const sent = ours[0]!.text;
    const theirs = await sentTo('POST', path, () =>
      workflow.startProcessInstanceWithOptions(
        model($workflow.StartProcessInstanceRequest, {
          processCode,
          originatorUserId: 'ding_requester',
          approvers: [
            model($workflow.StartProcessInstanceRequestApprovers, { actionType: 'NONE', userIds: ['ding_ada'] }),
            model($workflow.StartProcessInstanceRequestApprovers, { actionType: 'AND', userIds: ['ding_ada', 'ding_bob'] }),
          ],
          // Each value names the form component it fills (by its label, imhub's choice).
          formComponentValues: list(at(sent, 'formComponentValues')).map((_, index) =>
            model($workflow.StartProcessInstanceRequestFormComponentValues, {
              name: text(at(sent, 'formComponentValues', index, 'name')),
              value: 'Deploy v42 to production\n\nChange 1234',
            }),
          ),
        }),
        model($workflow.StartProcessInstanceHeaders, { xAcsDingtalkAccessToken: accessToken }),
        runtime,
      ),
    );
    expect(theirs).toHaveLength(1);
    expect(contractOf(ours[0]!)).toEqual(contractOf(theirs[0]!));
  });

  it('approval instance read: same method, path and query (processInstanceId) as the SDK\'s workflow_1_0 getProcessInstance', async () => {
    const path = '/v1.0/workflow/processInstances';
    const ours = await sentTo('GET', path, () => imhub.approvals!.getInstance(processCode, instanceId, spec));
    const theirs = await sentTo('GET', path, () =>
      workflow.getProcessInstanceWithOptions(
        model($workflow.GetProcessInstanceRequest, { processInstanceId: instanceId }),
        model($workflow.GetProcessInstanceHeaders, { xAcsDingtalkAccessToken: accessToken }),
        runtime,
      ),
    );
    expect(ours).toHaveLength(1);
    expect(theirs).toHaveLength(1);
    expect(contractOf(ours[0]!)).toEqual(contractOf(theirs[0]!));
  });

  it('approval instance withdraw: same path, query and body fields (as the system, with a remark) as the SDK\'s workflow_1_0 terminateProcessInstance', async () => {
    const path = '/v1.0/workflow/processInstances/terminate';
    const ours = await sentTo('POST', path, () => imhub.approvals!.withdraw(processCode, instanceId, spec));
    expect(ours).toHaveLength(1);
    const theirs = await sentTo('POST', path, () =>
      workflow.terminateProcessInstanceWithOptions(
        model($workflow.TerminateProcessInstanceRequest, { processInstanceId: instanceId, isSystem: true, remark: text(at(ours[0]!.text, 'remark')) }),
        model($workflow.TerminateProcessInstanceHeaders, { xAcsDingtalkAccessToken: accessToken }),
        runtime,
      ),
    );
    expect(theirs).toHaveLength(1);
    expect(contractOf(ours[0]!)).toEqual(contractOf(theirs[0]!));
  });

  it('approval instance list (a resumed start looking for what a lost create made): same path, query and body fields (the form, the requester, from when, a page) as the SDK\'s workflow_1_0 listProcessInstanceIds', async () => {
    const path = '/v1.0/workflow/processes/instanceIds/query';
    const since = new Date('2025-06-01T08:00:00.000Z');
    const ours = await sentTo('POST', path, () => imhub.approvals!.findInstances!(processCode, spec, since));
    expect(ours).toHaveLength(1);
    const theirs = await sentTo('POST', path, () =>
      workflow.listProcessInstanceIdsWithOptions(
        model($workflow.ListProcessInstanceIdsRequest, { processCode, startTime: since.getTime(), userIds: ['ding_requester'], maxResults: 20, nextToken: 0 }),
        model($workflow.ListProcessInstanceIdsHeaders, { xAcsDingtalkAccessToken: accessToken }),
        runtime,
      ),
    );
    expect(theirs).toHaveLength(1);
    expect(contractOf(ours[0]!)).toEqual(contractOf(theirs[0]!));
    expect(at(ours[0]!.text, 'startTime')).toBe(since.getTime());
  });

  it('app robot message to a group: same path, query and body fields (msgParam\'s JSON included) as the SDK\'s robot_1_0 orgGroupSend', async () => {
    const path = '/v1.0/robot/groupMessages/send';
    const ours = await sentTo('POST', path, () => imhub.messages.send({ chatId: openConversationId }, message, 'ntf_01JZ8Q3V7W-chat'));
    expect(ours).toHaveLength(1);
    // sampleMarkdown's parameters are title and text; the values are imhub's rendering of the message.
    const param = text(at(ours[0]!.text, 'msgParam'));
    const theirs = await sentTo('POST', path, () =>
      robot.orgGroupSendWithOptions(
        model($robot.OrgGroupSendRequest, {
          // The app's robot: imhub's credential for it (the app key unless set otherwise).
          robotCode: text(at(ours[0]!.text, 'robotCode')),
          openConversationId,
          msgKey: 'sampleMarkdown',
          msgParam: JSON.stringify({ title: text(at(param, 'title')), text: text(at(param, 'text')) }),
        }),
        model($robot.OrgGroupSendHeaders, { xAcsDingtalkAccessToken: accessToken }),
        runtime,
      ),
    );
    expect(theirs).toHaveLength(1);
    expect(contractOf(ours[0]!)).toEqual(contractOf(theirs[0]!));
  });

  it('token on api.dingtalk.com: only in the x-acs-dingtalk-access-token header, as the SDK sends it (never in the URL)', async () => {
    // Every v1.0 call goes through the same authorize(); the instance read stands for them all.
    const path = '/v1.0/workflow/processInstances';
    const [ours] = await sentTo('GET', path, () => imhub.approvals!.getInstance(processCode, instanceId, spec));
    const [theirs] = await sentTo('GET', path, () =>
      workflow.getProcessInstanceWithOptions(
        model($workflow.GetProcessInstanceRequest, { processInstanceId: instanceId }),
        model($workflow.GetProcessInstanceHeaders, { xAcsDingtalkAccessToken: accessToken }),
        runtime,
      ),
    );
    const tokens = (request: Recorded | undefined) => ({ header: request?.headers['x-acs-dingtalk-access-token'], query: request?.url.searchParams.get('access_token') });
    expect(tokens(theirs)).toEqual({ header: accessToken, query: null });
    expect(tokens(ours)).toEqual(tokens(theirs));
  });
});

describe('imhub sends DingTalk\'s legacy oapi the documented requests (no SDK comparison: @alicloud/dingtalk has no method for them)', () => {
  /** What the documentation shows for an oapi call: POST, `?access_token=` as the only query, a JSON body. */
  const documented = (path: string, body: Shape) => ({ method: 'POST', path, query: [`access_token=${accessToken}`], body, json: true });
  const legacyContractOf = (request: Recorded) => {
    const { method, path, body, json } = contractOf(request);
    return { method, path, query: [...request.url.searchParams].map(([name, value]) => `${name}=${value}`).sort(), body, json };
  };

  it('person lookup by mobile: the documented topapi/v2/user/getbymobile request (mobile, a string)', async () => {
    // https://open.dingtalk.com/document/orgapp/query-users-by-phone-number (help.dingtalk.io
    // …/query-users-by-phone-number): POST https://oapi.dingtalk.com/topapi/v2/user/getbymobile?access_token=…
    // body { "mobile": String (required) }. A later revision of the page adds
    // `support_exclusive_account_search` (Boolean, for Enterprise Accounts only), which imhub leaves out.
    const path = '/topapi/v2/user/getbymobile';
    const ours = await sentTo('POST', path, () => imhub.resolveUsers([{ mobile: '13800000001' }]));
    expect(ours).toHaveLength(1);
    expect(legacyContractOf(ours[0]!)).toEqual(documented(path, { mobile: 'string' }));
  });

  it('work notification to a user: the documented topapi/message/corpconversation/asyncsend_v2 request (agent_id a number, userid_list a string, a markdown msg)', async () => {
    // https://open.dingtalk.com/document/orgapp/asynchronous-sending-of-enterprise-session-messages:
    // POST https://oapi.dingtalk.com/topapi/message/corpconversation/asyncsend_v2?access_token=…
    // body { "agent_id": Number (required), "userid_list": String (comma-separated userids),
    // "dept_id_list": String, "to_all_user": Boolean, "msg": Object (required) }, a markdown msg being
    // { "msgtype": "markdown", "markdown": { "title": String, "text": String } }.
    const path = '/topapi/message/corpconversation/asyncsend_v2';
    const ours = await sentTo('POST', path, () => imhub.messages.send({ userId: 'ding_ada' }, message, 'ntf_01JZ8Q3V7W-user'));
    expect(ours).toHaveLength(1);
    expect(legacyContractOf(ours[0]!)).toEqual(
      documented(path, { agent_id: 'number', msg: { markdown: { text: 'string', title: 'string' }, msgtype: 'string' }, userid_list: 'string' }),
    );
  });
});
