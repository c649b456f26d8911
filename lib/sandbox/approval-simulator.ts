import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimPlatform } from './platform-simulator.ts';
import { dingtalkSigned, feishuPlain, feishuSigned, type SignedRequest, wecomApprovalXml, wecomSigned, wecomUrlCheck } from './platform-signing.ts';

/**
 * The approval apps of the three platforms, as far as imhub uses them: definitions/forms/
 * templates, instances whose nodes follow AND/OR rules, withdrawal where the platform has it,
 * and signed callbacks to the subscribed URL when someone acts.
 */
export interface SimNode {
  mode: 'any' | 'all';
  approvers: string[];
  acts: { user: string; decision: 'approve' | 'reject'; at: number; comment?: string }[];
}

/** A Feishu task as `instances/:id` lists it: one per approver per round of a node. */
export interface FeishuTask {
  id: string;
  open_id: string;
  status: 'PENDING' | 'APPROVED' | 'REJECTED' | 'TRANSFERRED' | 'DONE';
  node_id: string;
  custom_node_id: string;
  start_time: string;
  end_time: string;
}

/** A Feishu timeline entry (PASS, REJECT, TRANSFER, ADD_APPROVER, ROLLBACK_SELECTED, CANCEL …). */
export interface FeishuTimelineEntry {
  type: string;
  create_time: string;
  open_id: string;
  task_id?: string;
  node_key?: string;
  comment?: string;
  ext: string;
}

export interface SimInstance {
  platform: SimPlatform;
  appId: string;
  id: string;
  definition: string;
  requester: string;
  text: string;
  nodes: SimNode[];
  current: number;
  status: 'pending' | 'approved' | 'rejected' | 'canceled';
  /** When the platform made it (ms): what DingTalk's and WeCom's instance lists filter by. */
  createdAt: number;
  uuid?: string;
  /** Feishu: every task and timeline entry, as the instance read returns them. */
  feishu?: { tasks: FeishuTask[]; timeline: FeishuTimelineEntry[]; revertIntervalSeconds: number; approvedAt?: number };
}

/** Where and how the platform signs callbacks for one app. */
export interface CallbackSubscription {
  url: string;
  encryptKey?: string;
  verificationToken?: string;
  token?: string;
  aesKey?: string;
  receiverId?: string;
  agentId?: string;
  /** Feishu: which event names the console subscribed, v1 (`approval_task`, …) or v2 (`approval.task.status_changed_v4`, …). @default 'v1' */
  eventVersion?: 'v1' | 'v2';
}

/** What Feishu keeps of a definition: its nodes' modes and whether each takes several approvers, and how long a grant may be revoked. */
interface SimDefinition {
  platform: SimPlatform;
  name?: string;
  modes?: string[];
  multi?: boolean[];
  revertIntervalSeconds?: number;
  /** The create request's body as received (its names, labels and i18n_resources), for tests and the sandbox to read. */
  request?: Record<string, unknown>;
}

/**
 * Feishu's rule for `i18n_resources` (创建审批定义): one locale is the default (`is_default`), and
 * "默认语言需要包含所有 key". Returns what breaks it, or undefined. That Feishu refuses it with its
 * documented 1390001 "param is invalid" is UNCONFIRMED.
 */
function feishuI18nProblem(body: Record<string, unknown>): string | undefined {
  const resources = (body.i18n_resources as { locale: string; is_default?: boolean; texts: { key: string }[] }[] | undefined) ?? [];
  const defaults = resources.filter((resource) => resource.is_default);
  if (defaults.length !== 1) return 'i18n_resources needs exactly one is_default locale';
  const used = new Set(JSON.stringify(body).match(/@i18n@[A-Za-z0-9_]+/g) ?? []);
  const missing = [...used].filter((key) => !defaults[0]!.texts.some((text) => text.key === key));
  return missing.length ? `the default locale lacks ${missing.join(', ')}` : undefined;
}

/** Feishu's default for `settings.revert_interval`: "默认 31 天" (an approved instance may be revoked for 31 days). */
const feishuDefaultRevertSeconds = 31 * 24 * 3600;

type Send = (status: number, payload: unknown) => void;

/**
 * Callback delivery as an unreliable network and a platform's retry queue make it: each callback
 * may be lost, delivered twice, or held back (so callbacks arrive out of order, across and
 * within actions).
 */
export interface CallbackChaos {
  random: () => number;
  /** Share of callbacks that never arrive. */
  drop: number;
  /** Share of callbacks delivered a second time, later. */
  duplicate: number;
  /** Each delivery waits a random time up to this. */
  maxDelayMs: number;
}

export class ApprovalSimulator {
  readonly instances = new Map<string, SimInstance>();
  readonly definitions = new Map<string, SimDefinition>();
  readonly subscriptions = new Map<string, CallbackSubscription>();
  /** While true, actions change instances but no callback reaches imhub (a lost callback). */
  dropCallbacks = false;
  readonly deliveries: { instanceId: string; status: number }[] = [];
  /** How often each instance was read through the API. */
  readonly reads = new Map<string, number>();
  /** The requests of the last action, to deliver again as a platform retry would (same ids, same bytes). */
  lastRequests: { url: string; requests: SignedRequest[]; platform: SimPlatform } | undefined;
  /** When set, callbacks are dropped, duplicated and reordered, and `act` does not wait for them. */
  chaos: CallbackChaos | undefined;
  /** What chaos did: callbacks dropped and extra copies sent. */
  readonly chaosCounts = { dropped: 0, duplicated: 0 };
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly deliver: (url: string, build: () => SignedRequest, platform: SimPlatform) => Promise<{ status: number }[]>) {}

  subscribe(platform: SimPlatform, appId: string, subscription: CallbackSubscription) {
    this.subscriptions.set(`${platform}:${appId}`, subscription);
  }

  /**
   * Subscribes an app integration as its console would be set up: callbacks to `url`, signed and
   * encrypted with the keys in its credentials (Feishu/Lark encryptKey; DingTalk aesKey and
   * appKey; WeCom encodingAesKey and corpId).
   */
  subscribeIntegration(platform: SimPlatform, appId: string, url: string, credentials: Record<string, string | undefined>) {
    const c = credentials;
    this.subscribe(platform, appId, {
      url,
      ...(c.encryptKey ? { encryptKey: c.encryptKey, verificationToken: c.verificationToken ?? '' } : {}),
      ...(c.aesKey ? { token: c.token ?? '', aesKey: c.aesKey, receiverId: c.appKey ?? '' } : {}),
      ...(c.encodingAesKey ? { token: c.token ?? '', aesKey: c.encodingAesKey, receiverId: c.corpId ?? '', agentId: c.agentId ?? '1' } : {}),
    });
  }

  /**
   * What the platform's console does when the request URL is saved: Feishu's challenge (encrypted
   * once there is an Encrypt Key), DingTalk's encrypted `check_url`, WeCom's signed GET with
   * `echostr`. Returns the status of each delivery.
   */
  checkUrl(platform: SimPlatform, appId: string): Promise<{ status: number }[]> {
    const subscription = this.subscriptions.get(`${platform}:${appId}`);
    if (!subscription) throw new Error(`${platform} app ${appId} has no callback subscription`);
    const s = subscription;
    const build = (): SignedRequest => {
      if (platform === 'feishu') {
        const payload = { challenge: randomUUID(), token: s.verificationToken ?? '', type: 'url_verification' };
        return s.encryptKey ? feishuSigned({ encryptKey: s.encryptKey, signed: false, payload }) : feishuPlain(payload);
      }
      if (platform === 'dingtalk') return dingtalkSigned({ token: s.token!, aesKey: s.aesKey!, receiverId: s.receiverId!, payload: { EventType: 'check_url' } });
      return wecomUrlCheck({ token: s.token!, encodingAesKey: s.aesKey!, corpId: s.receiverId!, echo: randomBytes(8).toString('hex') });
    };
    return this.deliver(s.url, build, platform);
  }

  handle(route: string, appId: string, url: URL, body: Record<string, unknown>, send: Send): void {
    switch (route) {
      case 'feishu.approval.create': {
        const i18nProblem = feishuI18nProblem(body);
        if (i18nProblem) return send(400, { code: 1390001, msg: `param is invalid: ${i18nProblem}` });
        const code = `APPROVAL-${randomUUID()}`;
        const nodes = (body.node_list as { id: string; node_type?: string; approver_chosen_multi?: boolean }[]).filter((node) => node.id !== 'START' && node.id !== 'END');
        const settings = body.settings as { revert_interval?: number } | undefined;
        this.definitions.set(code, {
          platform: 'feishu',
          modes: nodes.map((node) => (node.node_type === 'AND' ? 'all' : 'any')),
          // "发起人自选审批人时，是否允许多选": no default is documented; the official CLI reference
          // says a node without it takes one approver, so the simulator holds imhub to that.
          multi: nodes.map((node) => node.approver_chosen_multi === true),
          revertIntervalSeconds: settings?.revert_interval ?? feishuDefaultRevertSeconds,
          request: body,
        });
        return send(200, { code: 0, msg: 'success', data: { approval_code: code, approval_id: randomUUID() } });
      }
      case 'feishu.approval.subscribe':
        return send(200, { code: 0, msg: 'success', data: {} });
      case 'feishu.instance.create': {
        const definition = this.definitions.get(String(body.approval_code));
        if (!definition) return send(400, { code: 1390002, msg: 'approval code not found' });
        const uuid = body.uuid as string | undefined;
        if (uuid && [...this.instances.values()].some((instance) => instance.uuid === uuid)) return send(200, { code: 60012, msg: 'uuid conflict' });
        const lists = body.node_approver_open_id_list as { key: string; value: string[] }[];
        const approversOf = (index: number) => lists.find((list) => list.key === `stage_${index + 1}`)?.value ?? [];
        // UNCONFIRMED code: the page lists 1390001 "param is invalid" for wrong parameters.
        const crowded = definition.modes!.findIndex((_, index) => approversOf(index).length > 1 && !definition.multi?.[index]);
        if (crowded >= 0) return send(400, { code: 1390001, msg: `param is invalid: node stage_${crowded + 1} allows one approver (approver_chosen_multi is not set)` });
        const instance = this.open('feishu', appId, String(body.approval_code), String(body.open_id), JSON.parse(String(body.form))[0].value, definition.modes!.map((mode, index) => ({ mode: mode as 'any' | 'all', approvers: approversOf(index), acts: [] })));
        if (uuid) instance.uuid = uuid;
        instance.feishu = { tasks: [], timeline: [{ type: 'START', create_time: String(Date.now()), open_id: instance.requester, ext: '{}' }], revertIntervalSeconds: definition.revertIntervalSeconds ?? feishuDefaultRevertSeconds };
        this.openFeishuTasks(instance);
        return send(200, { code: 0, msg: 'success', data: { instance_code: instance.id } });
      }
      case 'feishu.instance.get': {
        // Feishu finds an instance by its code, or by the uuid it was created with.
        const key = decodeURIComponent(url.pathname.split('/').pop()!);
        const instance = this.read(this.instances.get(key) ?? [...this.instances.values()].find((candidate) => candidate.platform === 'feishu' && candidate.uuid === key));
        if (!instance) return send(400, { code: 1390003, msg: 'instance code not found' });
        const status = { pending: 'PENDING', approved: 'APPROVED', rejected: 'REJECTED', canceled: 'CANCELED' }[instance.status];
        const { tasks, timeline } = instance.feishu!;
        return send(200, { code: 0, msg: 'success', data: { approval_code: instance.definition, instance_code: instance.id, status, task_list: tasks, timeline } });
      }
      case 'feishu.instance.cancel': {
        const instance = this.instances.get(String(body.instance_code));
        if (!instance) return send(400, { code: 1390003, msg: 'instance code not found' });
        if (instance.requester !== body.user_id) return send(403, { code: 1390009, msg: 'no operation permission' });
        const feishu = instance.feishu!;
        if (instance.status === 'pending') {
          instance.status = 'canceled';
          feishu.timeline.push({ type: 'CANCEL', create_time: String(Date.now()), open_id: instance.requester, ext: '{}' });
          return send(200, { code: 0, msg: 'success', data: {} });
        }
        // "如果撤回的是已通过的实例，则审批实例会变更为 审批中 的状态": revoking an approved instance puts it
        // back under review, while the definition's revert_interval allows it. What Feishu answers
        // when it does not allow it (or the instance ended otherwise) is UNCONFIRMED: 1390009 here.
        if (instance.status === 'approved' && Date.now() - (feishu.approvedAt ?? 0) < feishu.revertIntervalSeconds * 1000) {
          instance.status = 'pending';
          feishu.timeline.push({ type: 'CANCEL', create_time: String(Date.now()), open_id: instance.requester, ext: '{}' });
          return send(200, { code: 0, msg: 'success', data: {} });
        }
        return send(403, { code: 1390009, msg: 'no operation permission' });
      }
      case 'dingtalk.form.create': {
        // Form names are unique in a tenant (Zadig handles "已有相同名称表单"); the code is UNCONFIRMED.
        if (this.nameTaken('dingtalk', String(body.name))) return send(400, { code: 'invalidParameter.name.duplicate', message: '已有相同名称表单' });
        const code = `PROC-${randomBytes(8).toString('hex').toUpperCase()}`;
        this.definitions.set(code, { platform: 'dingtalk', name: String(body.name), request: body });
        return send(200, { result: { processCode: code } });
      }
      case 'dingtalk.instance.create': {
        if (!this.definitions.has(String(body.processCode))) return send(400, { code: 'processCodeNotFound', message: 'process code not found' });
        const approvers = body.approvers as { actionType: string; userIds: string[] }[];
        const instance = this.open('dingtalk', appId, String(body.processCode), String(body.originatorUserId), (body.formComponentValues as { value: string }[])[0]!.value, approvers.map((node) => ({ mode: node.actionType === 'AND' ? 'all' : 'any', approvers: node.userIds, acts: [] })));
        return send(200, { instanceId: instance.id });
      }
      case 'dingtalk.instance.get': {
        const instance = this.read(this.instances.get(url.searchParams.get('processInstanceId') ?? ''));
        if (!instance) return send(400, { code: 'instanceNotFound', message: 'instance not found' });
        const status = instance.status === 'pending' ? 'RUNNING' : instance.status === 'canceled' ? 'TERMINATED' : 'COMPLETED';
        const result = instance.status === 'approved' ? 'agree' : instance.status === 'rejected' ? 'refuse' : undefined;
        const operationRecords = instance.nodes.flatMap((node) =>
          node.acts.map((act) => ({ userId: act.user, date: new Date(act.at).toISOString().slice(0, 16) + 'Z', type: 'EXECUTE_TASK_NORMAL', result: act.decision === 'approve' ? 'AGREE' : 'REFUSE', remark: act.comment })),
        );
        // createTime in the SDK's documented form ("2022-08-31T11:52Z": UTC, to the minute).
        const createTime = new Date(instance.createdAt).toISOString().slice(0, 16) + 'Z';
        const formComponentValues = [{ componentType: 'TextareaField', value: instance.text }];
        return send(200, { success: true, result: { status, ...(result ? { result } : {}), operationRecords, originatorUserId: instance.requester, createTime, formComponentValues } });
      }
      case 'dingtalk.instance.list': {
        // ListProcessInstanceIds (@alicloud/dingtalk workflow_1_0): processCode, startTime and
        // endTime (ms, by 发起时间), userIds (originators), statuses, maxResults, nextToken; answers
        // result.list and result.nextToken (a string), absent on the last page. The cap of 20 per
        // page is from a 3rd-party copy of the doc; its refusal code is UNCONFIRMED.
        if (Number(body.maxResults) > 20) return send(400, { code: 'InvalidParameter', message: 'maxResults must not exceed 20' });
        const { processCode, startTime, endTime, userIds, statuses } = body as { processCode: string; startTime: number; endTime?: number; userIds?: string[]; statuses?: string[] };
        const statusOf = (instance: SimInstance) => (instance.status === 'pending' ? 'RUNNING' : instance.status === 'canceled' ? 'TERMINATED' : 'COMPLETED');
        const matching = [...this.instances.values()]
          .filter((instance) => instance.platform === 'dingtalk' && instance.definition === processCode && instance.createdAt >= startTime && instance.createdAt <= (endTime ?? Date.now()))
          .filter((instance) => (!userIds?.length || userIds.includes(instance.requester)) && (!statuses?.length || statuses.includes(statusOf(instance))))
          .sort((a, b) => a.createdAt - b.createdAt);
        const from = Number(body.nextToken ?? 0);
        const to = from + Number(body.maxResults ?? 20);
        return send(200, { success: true, result: { list: matching.slice(from, to).map((instance) => instance.id), ...(to < matching.length ? { nextToken: String(to) } : {}) } });
      }
      case 'dingtalk.instance.terminate': {
        const instance = this.instances.get(String(body.processInstanceId));
        if (!instance) return send(400, { code: 'instanceNotFound', message: 'instance not found' });
        if (instance.status === 'pending') instance.status = 'canceled';
        return send(200, { success: true, result: true });
      }
      case 'wecom.template.create': {
        // "模版名称不得和现有模版名称重复；长度不得超过40个字符" (创建审批模板); the errcode is UNCONFIRMED.
        const name = String((body.template_name as { text: string }[] | undefined)?.[0]?.text ?? '');
        if (this.nameTaken('wecom', name) || [...name].length > 40) return send(200, { errcode: 301086, errmsg: `模版名称不得和现有模版名称重复，长度不得超过40个字符: ${name}` });
        const id = `C4${randomBytes(10).toString('hex')}`;
        this.definitions.set(id, { platform: 'wecom', name, request: body });
        return send(200, { errcode: 0, errmsg: 'ok', template_id: id });
      }
      case 'wecom.instance.create': {
        if (!this.definitions.has(String(body.template_id))) return send(200, { errcode: 301025, errmsg: 'template not found' });
        const nodes = (body.process as { node_list: { apv_rel: number; userid: string[] }[] }).node_list;
        const text = ((body.apply_data as { contents: { value: { text: string } }[] }).contents[0]!.value.text);
        const instance = this.open('wecom', appId, String(body.template_id), String(body.creator_userid), text, nodes.map((node) => ({ mode: node.apv_rel === 1 ? 'all' : 'any', approvers: node.userid, acts: [] })));
        return send(200, { errcode: 0, errmsg: 'ok', sp_no: instance.id });
      }
      case 'wecom.instance.get': {
        const instance = this.read(this.instances.get(String(body.sp_no)));
        if (!instance) return send(200, { errcode: 301025, errmsg: 'sp_no not found' });
        const sp_status = { pending: 1, approved: 2, rejected: 3, canceled: 4 }[instance.status];
        const sp_record = instance.nodes.map((node) => ({
          sp_status: 1,
          approverattr: node.mode === 'all' ? 2 : 1,
          details: node.approvers.map((user) => {
            const act = node.acts.find((candidate) => candidate.user === user);
            return { approver: { userid: user }, speech: act?.comment ?? '', sp_status: act ? (act.decision === 'approve' ? 2 : 3) : 1, sptime: act ? Math.floor(act.at / 1000) : 0 };
          }),
        }));
        const apply = { template_id: instance.definition, apply_time: Math.floor(instance.createdAt / 1000), applyer: { userid: instance.requester, partyid: '1' }, apply_data: { contents: [{ control: 'Textarea', value: { text: instance.text } }] } };
        return send(200, { errcode: 0, errmsg: 'ok', info: { sp_no: instance.id, sp_status, ...apply, sp_record } });
      }
      case 'wecom.instance.list': {
        // 批量获取审批单号 (91816): starttime/endtime (Unix s, by submission time; endtime after
        // starttime, at most 31 days apart), size ≤ 100, new_cursor ("" first, then new_next_cursor,
        // absent on the last page), filters ANDed across keys and ORed within one; 301025 for a bad parameter.
        const start = Number(body.starttime);
        const end = Number(body.endtime);
        if (!(end > start) || end - start > 31 * 86_400 || Number(body.size) > 100) return send(200, { errcode: 301025, errmsg: 'invalid parameter: starttime, endtime or size' });
        const filters = (body.filters as { key: string; value: string }[] | undefined) ?? [];
        const allows = (key: string, value: string) => !filters.some((filter) => filter.key === key) || filters.some((filter) => filter.key === key && filter.value === value);
        const matching = [...this.instances.values()]
          .filter((instance) => instance.platform === 'wecom' && Math.floor(instance.createdAt / 1000) >= start && Math.floor(instance.createdAt / 1000) <= end)
          .filter((instance) => allows('template_id', instance.definition) && allows('creator', instance.requester) && allows('sp_status', String({ pending: 1, approved: 2, rejected: 3, canceled: 4 }[instance.status])))
          .sort((a, b) => a.createdAt - b.createdAt);
        const from = Number(body.new_cursor || 0);
        const to = from + Number(body.size ?? 100);
        return send(200, { errcode: 0, errmsg: 'ok', sp_no_list: matching.slice(from, to).map((instance) => instance.id), ...(to < matching.length ? { new_next_cursor: String(to) } : {}) });
      }
      default:
        return send(404, { error: `unhandled ${route}` });
    }
  }

  /** One tenant per platform here: a form or template name already used on it. */
  private nameTaken(platform: SimPlatform, name: string) {
    return [...this.definitions.values()].some((definition) => definition.platform === platform && definition.name === name);
  }

  private read(instance: SimInstance | undefined) {
    if (instance) this.reads.set(instance.id, (this.reads.get(instance.id) ?? 0) + 1);
    return instance;
  }

  private open(platform: SimPlatform, appId: string, definition: string, requester: string, text: string, nodes: SimNode[]): SimInstance {
    const id = platform === 'wecom' ? `2026${String(Date.now()).slice(-8)}${randomBytes(2).readUInt16BE()}` : platform === 'dingtalk' ? randomUUID() : randomUUID().toUpperCase();
    const instance: SimInstance = { platform, appId, id, definition, requester, text, nodes, current: 0, status: 'pending', createdAt: Date.now() };
    this.instances.set(id, instance);
    return instance;
  }

  /** Feishu: a PENDING task for every approver of the current node (its node id, and our `stage_N` as custom_node_id). */
  private openFeishuTasks(instance: SimInstance) {
    const node = instance.nodes[instance.current]!;
    for (const approver of node.approvers) this.openFeishuTask(instance, approver);
  }

  private openFeishuTask(instance: SimInstance, approver: string) {
    const task: FeishuTask = { id: String(7_000_000_000 + Math.floor(Math.random() * 1e9)), open_id: approver, status: 'PENDING', node_id: `node-${instance.current}-${instance.id.slice(0, 6)}`, custom_node_id: `stage_${instance.current + 1}`, start_time: String(Date.now()), end_time: '0' };
    instance.feishu!.tasks.push(task);
    return task;
  }

  private pendingTask(instance: SimInstance, user: string) {
    const task = instance.feishu?.tasks.find((candidate) => candidate.status === 'PENDING' && candidate.open_id === user);
    if (!task) throw new Error(`${user} has no pending Feishu task on ${instance.id}`);
    return task;
  }

  private pendingInstance(instanceId: string) {
    const instance = this.instances.get(instanceId);
    if (!instance || instance.status !== 'pending') throw new Error(`instance ${instanceId} is not pending`);
    return instance;
  }

  /** Someone acts in the platform's app: the instance moves on, and the platform calls imhub back. */
  async act(instanceId: string, user: string, decision: 'approve' | 'reject', comment?: string) {
    const instance = this.pendingInstance(instanceId);
    const node = instance.nodes[instance.current]!;
    if (!node.approvers.includes(user)) throw new Error(`${user} is not an approver of the current node`);
    if (node.acts.some((act) => act.user === user)) throw new Error(`${user} already acted`);
    const at = Date.now();
    node.acts.push({ user, decision, at, ...(comment ? { comment } : {}) });
    const task = instance.feishu && this.pendingTask(instance, user);
    if (task) {
      Object.assign(task, { status: decision === 'approve' ? 'APPROVED' : 'REJECTED', end_time: String(at) });
      instance.feishu!.timeline.push({ type: decision === 'approve' ? 'PASS' : 'REJECT', create_time: String(at), open_id: user, task_id: task.id, node_key: task.node_id, ...(comment ? { comment } : {}), ext: '{}' });
    }
    const closeNode = () => instance.feishu?.tasks.filter((other) => other.status === 'PENDING').forEach((other) => Object.assign(other, { status: 'DONE', end_time: String(at) }));
    if (decision === 'reject') {
      instance.status = 'rejected';
      closeNode();
    } else if (node.mode === 'any' || node.approvers.every((approver) => node.acts.some((act) => act.user === approver && act.decision === 'approve'))) {
      closeNode();
      instance.current += 1;
      if (instance.current >= instance.nodes.length) {
        instance.status = 'approved';
        if (instance.feishu) instance.feishu.approvedAt = at;
      } else if (instance.feishu) this.openFeishuTasks(instance);
    }
    return this.notify(instance, user, decision === 'approve' ? 'APPROVED' : 'REJECTED', task?.id);
  }

  /**
   * Feishu 转交: `from` hands their task to `to`. Their task becomes TRANSFERRED and `to` gets a
   * PENDING task on the same node (the task event pushes "TRANSFERRED" and "被转交人任务的 PENDING").
   */
  async transfer(instanceId: string, from: string, to: string, comment?: string) {
    const instance = this.pendingInstance(instanceId);
    const task = this.pendingTask(instance, from);
    const at = Date.now();
    Object.assign(task, { status: 'TRANSFERRED', end_time: String(at) });
    const node = instance.nodes[instance.current]!;
    node.approvers = node.approvers.map((approver) => (approver === from ? to : approver));
    this.openFeishuTask(instance, to);
    instance.feishu!.timeline.push({ type: 'TRANSFER', create_time: String(at), open_id: from, task_id: task.id, node_key: task.node_id, ...(comment ? { comment } : {}), ext: JSON.stringify({ open_id_list: [to] }) });
    return this.notify(instance, from, 'TRANSFERRED', task.id);
  }

  /** Feishu 加签 (in parallel): `by` adds `added` as another approver of the current node. */
  async addApprover(instanceId: string, by: string, added: string) {
    const instance = this.pendingInstance(instanceId);
    const task = this.pendingTask(instance, by);
    instance.nodes[instance.current]!.approvers.push(added);
    this.openFeishuTask(instance, added);
    instance.feishu!.timeline.push({ type: 'ADD_APPROVER', create_time: String(Date.now()), open_id: by, task_id: task.id, node_key: task.node_id, ext: JSON.stringify({ open_id_list: [added] }) });
    return this.notify(instance, by, 'PENDING', task.id);
  }

  /**
   * Feishu 退回: `by` sends the instance back to an earlier stage, whose approvers decide again
   * (new PENDING tasks; the earlier ones keep their APPROVED status in the list).
   */
  async sendBack(instanceId: string, by: string, toStage: number, comment?: string) {
    const instance = this.pendingInstance(instanceId);
    const task = this.pendingTask(instance, by);
    const at = Date.now();
    instance.feishu!.tasks.filter((other) => other.status === 'PENDING').forEach((other) => Object.assign(other, { status: 'DONE', end_time: String(at) }));
    instance.feishu!.timeline.push({ type: 'ROLLBACK_SELECTED', create_time: String(at), open_id: by, task_id: task.id, node_key: task.node_id, ...(comment ? { comment } : {}), ext: '{}' });
    for (let index = toStage; index <= instance.current; index += 1) instance.nodes[index]!.acts = [];
    instance.current = toStage;
    this.openFeishuTasks(instance);
    return this.notify(instance, by, 'ROLLBACK', task.id);
  }

  /** The callbacks the platform sends for one action (a task event, and an instance event when it ended). */
  private async notify(instance: SimInstance, user: string, taskStatus: string, taskId?: string) {
    const subscription = this.subscriptions.get(`${instance.platform}:${instance.appId}`);
    if (!subscription || this.dropCallbacks) return [];
    const builds: (() => SignedRequest)[] = [];
    const decision = taskStatus === 'REJECTED' ? 'reject' : 'approve';
    if (instance.platform === 'feishu') {
      const payloads =
        subscription.eventVersion === 'v2'
          ? this.feishuV2Events(instance, subscription, user, taskStatus, taskId)
          : this.feishuV1Events(instance, subscription, user, taskStatus, taskId);
      for (const payload of payloads) builds.push(() => feishuSigned({ encryptKey: subscription.encryptKey!, payload }));
    } else if (instance.platform === 'dingtalk') {
      const base = { token: subscription.token!, aesKey: subscription.aesKey!, receiverId: subscription.receiverId! };
      const task = { EventType: 'bpms_task_change', eventId: randomUUID(), processInstanceId: instance.id, type: 'finish', result: decision === 'approve' ? 'agree' : 'refuse', staffId: user, taskId: Date.now() };
      builds.push(() => dingtalkSigned({ ...base, payload: task }));
      if (instance.status !== 'pending') {
        const ended = { EventType: 'bpms_instance_change', eventId: randomUUID(), processInstanceId: instance.id, type: 'finish', result: instance.status === 'approved' ? 'agree' : 'refuse', staffId: instance.requester };
        builds.push(() => dingtalkSigned({ ...base, payload: ended }));
      }
    } else {
      const status = { pending: 1, approved: 2, rejected: 3, canceled: 4 }[instance.status];
      const xml = wecomApprovalXml({ corpId: subscription.receiverId!, agentId: subscription.agentId ?? '1', spNo: instance.id, status, change: decision === 'approve' ? 2 : 3, createTime: Math.floor(Date.now() / 1000) + this.deliveries.length });
      builds.push(() => wecomSigned({ token: subscription.token!, encodingAesKey: subscription.aesKey!, corpId: subscription.receiverId!, agentId: subscription.agentId ?? '1', xml }));
    }
    const answers = [];
    const requests = builds.map((build) => build());
    this.lastRequests = { url: subscription.url, requests, platform: instance.platform };
    if (this.chaos) {
      for (const request of requests) this.deliverChaotically(instance.id, instance.platform, subscription.url, request, this.chaos);
      return [];
    }
    for (const request of requests) {
      const delivered = await this.deliver(subscription.url, () => request, instance.platform);
      this.deliveries.push({ instanceId: instance.id, status: delivered.at(-1)?.status ?? 0 });
      answers.push(...delivered);
    }
    return answers;
  }

  /** v1 approval events: `{uuid, token, ts, type: "event_callback", event: {type: "approval_task" | "approval_instance", …}}`. */
  private feishuV1Events(instance: SimInstance, subscription: CallbackSubscription, user: string, taskStatus: string, taskId?: string) {
    const event = (type: string, extra: Record<string, unknown>) => ({ uuid: randomUUID(), token: subscription.verificationToken, ts: String(Date.now() / 1000), type: 'event_callback', event: { app_id: instance.appId, tenant_key: 'tenant', type, approval_code: instance.definition, instance_code: instance.id, operate_time: String(Date.now()), ...extra } });
    const payloads = [event('approval_task', { open_id: user, status: taskStatus, task_id: taskId ?? randomUUID() })];
    if (instance.status !== 'pending') payloads.push(event('approval_instance', { status: instance.status.toUpperCase() }));
    return payloads;
  }

  /**
   * v2 names of the same events (`approval.task.status_changed_v4`, `approval.instance.status_changed_v4`),
   * shaped as the official Node SDK types them: `{schema: "2.0", header: {event_id, event_type, …}, event: {approval_code, instance_code, …}}`.
   */
  private feishuV2Events(instance: SimInstance, subscription: CallbackSubscription, user: string, taskStatus: string, taskId?: string) {
    const envelope = (eventType: string, event: Record<string, unknown>) => ({
      schema: '2.0',
      header: { event_id: randomUUID(), token: subscription.verificationToken, create_time: String(Date.now()), event_type: eventType, tenant_key: 'tenant', app_id: instance.appId },
      event: { approval_code: instance.definition, instance_code: instance.id, operate_time: String(Date.now()), ...event },
    });
    const payloads = [envelope('approval.task.status_changed_v4', { task_id: taskId ?? randomUUID(), assigned_user: { open_id: user }, status: taskStatus })];
    if (instance.status !== 'pending') payloads.push(envelope('approval.instance.status_changed_v4', { status: instance.status.toUpperCase(), start_user: { open_id: instance.requester } }));
    return payloads;
  }

  private deliverChaotically(instanceId: string, platform: SimPlatform, url: string, request: SignedRequest, chaos: CallbackChaos) {
    if (chaos.random() < chaos.drop) {
      this.chaosCounts.dropped += 1;
      return;
    }
    const copies = chaos.random() < chaos.duplicate ? 2 : 1;
    this.chaosCounts.duplicated += copies - 1;
    for (let copy = 0; copy < copies; copy += 1) {
      const delivery = sleep(chaos.random() * chaos.maxDelayMs * (copy + 1))
        .then(() => this.deliver(url, () => request, platform))
        .then((delivered) => this.deliveries.push({ instanceId, status: delivered.at(-1)?.status ?? 0 }));
      this.inFlight.add(delivery);
      void delivery.finally(() => this.inFlight.delete(delivery));
    }
  }

  /** Waits for every callback that chaos still holds back. */
  async settled() {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Sends the last action's callbacks again, unchanged. */
  async redeliverLast() {
    const last = this.lastRequests;
    if (!last) throw new Error('nothing was delivered yet');
    const answers = [];
    for (const request of last.requests) answers.push(...(await this.deliver(last.url, () => request, last.platform)));
    return answers;
  }
}
