import type { Decision, PlatformStatus } from '../../domain/approval.ts';
import type { ApprovalAdapter } from '../app-provider.ts';
import { type Locale, locales } from '../../domain/locale.ts';
import { textsFor } from '../../domain/texts.ts';
import { approvalText } from '../approval-text.ts';

const nodeId = (index: number) => `stage_${index + 1}`;
const statusOf: Record<string, PlatformStatus> = { PENDING: 'pending', APPROVED: 'approved', REJECTED: 'rejected', CANCELED: 'canceled', DELETED: 'deleted' };
const msToIso = (ms: unknown) => new Date(Number(ms)).toISOString();
const stageOf = (customNodeId: string | undefined) => {
  const match = /^stage_(\d+)$/.exec(customNodeId ?? '');
  return match ? Number(match[1]) - 1 : undefined;
};

/** `task_list` items of `GET instances/:id` (official Node SDK types). */
interface FeishuTask {
  id?: string;
  open_id?: string;
  status: string;
  node_id?: string;
  custom_node_id?: string;
  end_time?: string;
}

/** `timeline` items: PASS/REJECT name the task they decided (`task_id`) and carry its comment. */
interface FeishuTimelineEntry {
  type: string;
  open_id?: string;
  task_id?: string;
  comment?: string;
  create_time?: string;
}

/**
 * Feishu/Lark Approval v4. One definition per shape of stages (OR/AND nodes with free approvers,
 * as Zadig does), subscribed to events once; instances carry our approval id as `uuid`, so a
 * retried create never makes a second instance.
 */
export function feishuApprovals(base: string): ApprovalAdapter {
  return {
    // v2: definitions made with revert_interval 0 and approver_chosen_multi; those made before
    // (which allow revoking a grant for 31 days) are no longer used for new approvals. v3: in both
    // locales, one definition per default locale.
    definitionKey: (spec) => `v3:${spec.locale}:${spec.stages.map((stage) => stage.mode).join('-')}`,

    async provision(call, spec, name) {
      // Every locale holds every key ("默认语言需要包含所有 key", 创建审批定义); the approval's is the default, the other beside it.
      const textsIn = (locale: Locale) => {
        const texts = textsFor(locale);
        return [
          { key: '@i18n@approval_name', value: name },
          { key: '@i18n@content', value: texts.details },
          ...spec.stages.map((_, index) => ({ key: `@i18n@${nodeId(index)}`, value: texts.stageName(index + 1) })),
        ];
      };
      const ordered = [spec.locale, ...locales.filter((locale) => locale !== spec.locale)];
      const { body } = await call<{ data: { approval_code: string } }>({
        method: 'POST',
        url: `${base}/open-apis/approval/v4/approvals`,
        query: { user_id_type: 'open_id' },
        body: {
          approval_name: '@i18n@approval_name',
          viewers: [{ viewer_type: 'NONE' }],
          form: { form_content: JSON.stringify([{ id: 'content', name: '@i18n@content', type: 'textarea', required: false }]) },
          node_list: [
            { id: 'START' },
            // The requester picks each node's approvers (Free); without approver_chosen_multi a node
            // takes one approver (larksuite/cli lark-approval reference), and no default is documented.
            ...spec.stages.map((stage, index) => ({ id: nodeId(index), name: `@i18n@${nodeId(index)}`, node_type: stage.mode === 'all' ? 'AND' : 'OR', approver: [{ type: 'Free' }], approver_chosen_multi: true })),
            { id: 'END' },
          ],
          // A withdrawal must never put a granted instance back under review: "revert_interval …
          // 默认 31 天，取值 0 为不可撤回" (0: an approved instance cannot be revoked). revert_option
          // stays at its default 1, so a multi-stage instance can be withdrawn after its first node.
          settings: { revert_interval: 0 },
          i18n_resources: ordered.map((locale) => ({ locale, is_default: locale === spec.locale, texts: textsIn(locale) })),
        },
        // Definitions cannot be deleted: never sent twice (a lost answer is not repeated).
        idempotent: false,
      });
      return body.data.approval_code;
    },

    async activate(call, code) {
      // Without the subscription no approval events arrive; 1390007 means it already exists.
      await call({ method: 'POST', url: `${base}/open-apis/approval/v4/approvals/${code}/subscribe`, idempotent: true }).catch((error: { platformCode?: unknown }) => {
        if (error.platformCode !== 1390007) throw error;
      });
    },

    async createInstance(call, definition, spec) {
      const uuid = spec.approvalId.slice(0, 64);
      try {
        const { body } = await call<{ data: { instance_code: string } }>({
          method: 'POST',
          url: `${base}/open-apis/approval/v4/instances`,
          body: {
            approval_code: definition,
            open_id: spec.requester,
            form: JSON.stringify([{ id: 'content', type: 'textarea', value: approvalText(spec) }]),
            node_approver_open_id_list: spec.stages.map((stage, index) => ({ key: nodeId(index), value: stage.approvers })),
            uuid,
          },
          // The uuid makes a repeat fail (60012) instead of creating a second instance.
          idempotent: true,
        });
        return { instanceId: body.data.instance_code };
      } catch (error) {
        if ((error as { platformCode?: unknown }).platformCode !== 60012) throw error;
        // An earlier attempt (a timed-out retry, or a start a crash interrupted) made it: the
        // instance can be read by the uuid it was created with, which tells its code.
        const { body } = await call<{ data: { instance_code: string } }>({ method: 'GET', url: `${base}/open-apis/approval/v4/instances/${encodeURIComponent(uuid)}`, idempotent: true });
        return { instanceId: body.data.instance_code };
      }
    },

    async getInstance(call, _definition, instanceId) {
      const { body } = await call<{ data: { status: string; task_list?: FeishuTask[]; timeline?: FeishuTimelineEntry[] } }>({
        method: 'GET',
        url: `${base}/open-apis/approval/v4/instances/${encodeURIComponent(instanceId)}`,
        query: { user_id_type: 'open_id' },
        idempotent: true,
      });
      const tasks = body.data.task_list ?? [];
      const timeline = body.data.timeline ?? [];
      // A node's stage comes from the custom_node_id we gave it; a task without one (one made by a
      // transfer or an added approver, if Feishu leaves it out: UNCONFIRMED) takes that of a task on the same node.
      const stageOfNode = new Map<string, number>();
      for (const task of tasks) {
        const stage = stageOf(task.custom_node_id);
        if (stage !== undefined && task.node_id) stageOfNode.set(task.node_id, stage);
      }
      const decisions: Decision[] = [];
      for (const task of tasks) {
        if ((task.status !== 'APPROVED' && task.status !== 'REJECTED') || !task.open_id) continue;
        // The comment of this task, not of the person: one person may decide in two stages, or
        // twice in one after a send-back.
        const entry = timeline.find((candidate) => candidate.task_id === task.id && (candidate.type === 'PASS' || candidate.type === 'REJECT'));
        const comment = entry?.comment;
        decisions.push({
          stage: stageOf(task.custom_node_id) ?? (task.node_id ? stageOfNode.get(task.node_id) : undefined) ?? 0,
          approver: task.open_id,
          decision: task.status === 'APPROVED' ? 'approve' : 'reject',
          at: msToIso(task.end_time && task.end_time !== '0' ? task.end_time : (entry?.create_time ?? Date.now())),
          ...(comment ? { comment } : {}),
        });
      }
      return { status: statusOf[body.data.status] ?? 'pending', decisions };
    },

    async withdraw(call, definition, instanceId, spec) {
      await call({
        method: 'POST',
        url: `${base}/open-apis/approval/v4/instances/cancel`,
        query: { user_id_type: 'open_id' },
        body: { approval_code: definition, instance_code: instanceId, user_id: spec.requester },
        idempotent: true,
      });
      return 'withdrawn';
    },
  };
}
