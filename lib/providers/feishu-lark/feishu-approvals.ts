import type { Decision, PlatformStatus } from '../../domain/approval.ts';
import type { ApprovalAdapter } from '../app-provider.ts';
import { approvalText } from '../approval-text.ts';

const nodeId = (index: number) => `stage_${index + 1}`;
const statusOf: Record<string, PlatformStatus> = { PENDING: 'pending', APPROVED: 'approved', REJECTED: 'rejected', CANCELED: 'canceled', DELETED: 'deleted' };
const msToIso = (ms: unknown) => new Date(Number(ms)).toISOString();

/**
 * Feishu/Lark Approval v4. One definition per shape of stages (OR/AND nodes with free approvers,
 * as Zadig does), subscribed to events once; instances carry our approval id as `uuid`, so a
 * retried create never makes a second instance.
 */
export function feishuApprovals(base: string): ApprovalAdapter {
  return {
    definitionKey: (spec) => spec.stages.map((stage) => stage.mode).join('-'),

    async provision(call, spec, name) {
      const texts = [
        { key: '@i18n@approval_name', value: name },
        { key: '@i18n@content', value: 'Details' },
        ...spec.stages.map((_, index) => ({ key: `@i18n@${nodeId(index)}`, value: `Stage ${index + 1}` })),
      ];
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
            ...spec.stages.map((stage, index) => ({ id: nodeId(index), name: `@i18n@${nodeId(index)}`, node_type: stage.mode === 'all' ? 'AND' : 'OR', approver: [{ type: 'Free' }] })),
            { id: 'END' },
          ],
          i18n_resources: [{ locale: 'en-US', is_default: true, texts }],
        },
        idempotent: false,
      });
      const code = body.data.approval_code;
      // Without the subscription no approval events arrive; 1390007 means it already exists.
      await call({ method: 'POST', url: `${base}/open-apis/approval/v4/approvals/${code}/subscribe`, idempotent: true }).catch((error: { platformCode?: unknown }) => {
        if (error.platformCode !== 1390007) throw error;
      });
      return code;
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
      const { body } = await call<{ data: { status: string; task_list?: { open_id?: string; status: string; custom_node_id?: string; end_time?: string }[]; timeline?: { type: string; open_id?: string; comment?: string; create_time?: string }[] } }>({
        method: 'GET',
        url: `${base}/open-apis/approval/v4/instances/${encodeURIComponent(instanceId)}`,
        query: { user_id_type: 'open_id' },
        idempotent: true,
      });
      const decisions: Decision[] = [];
      for (const task of body.data.task_list ?? []) {
        if ((task.status !== 'APPROVED' && task.status !== 'REJECTED') || !task.open_id) continue;
        const stage = Number(/^stage_(\d+)$/.exec(task.custom_node_id ?? '')?.[1] ?? 0) - 1;
        const comment = body.data.timeline?.find((entry) => entry.open_id === task.open_id && (entry.type === 'PASS' || entry.type === 'REJECT'))?.comment;
        decisions.push({
          stage: Math.max(stage, 0),
          approver: task.open_id,
          decision: task.status === 'APPROVED' ? 'approve' : 'reject',
          at: msToIso(task.end_time ?? Date.now()),
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
