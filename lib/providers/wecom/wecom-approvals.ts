import type { Decision, PlatformStatus } from '../../domain/approval.ts';
import type { ApprovalAdapter } from '../app-provider.ts';
import { approvalText } from '../approval-text.ts';

const controlId = 'Textarea-01';
/** sp_status of the whole application. */
const statusOf: Record<number, PlatformStatus> = { 1: 'pending', 2: 'approved', 3: 'rejected', 4: 'canceled', 6: 'canceled', 7: 'deleted' };

/**
 * WeCom OA approval: one template per integration, the flow given per application as
 * `process.node_list` (apv_rel 1 = AND, 2 = OR). WeCom has no API to withdraw an application:
 * on timeout or cancel imhub ends its approval and the WeCom application stays open (the
 * applicant can withdraw it in the app).
 */
export function wecomApprovals(base: string): ApprovalAdapter {
  return {
    definitionKey: () => 'template',

    async provision(call, _spec, name) {
      const { body } = await call<{ template_id: string }>({
        method: 'POST',
        url: `${base}/cgi-bin/oa/approval/create_template`,
        body: {
          template_name: [{ text: name.slice(0, 40), lang: 'zh_CN' }],
          template_content: { controls: [{ property: { control: 'Textarea', id: controlId, title: [{ text: 'Details', lang: 'zh_CN' }], require: 1, un_print: 0 } }] },
        },
        idempotent: false,
      });
      return body.template_id;
    },

    async createInstance(call, definition, spec) {
      const { body } = await call<{ sp_no: string }>({
        method: 'POST',
        url: `${base}/cgi-bin/oa/applyevent`,
        body: {
          creator_userid: spec.requester,
          template_id: definition,
          use_template_approver: 0,
          process: { node_list: spec.stages.map((stage) => ({ type: 1, apv_rel: stage.mode === 'all' ? 1 : 2, userid: stage.approvers })) },
          apply_data: { contents: [{ control: 'Textarea', id: controlId, value: { text: approvalText(spec) } }] },
          // "不要超过20个字符" (提交审批申请): counted by code points, so an emoji is never split.
          summary_list: [{ summary_info: [{ text: Array.from(spec.title).slice(0, 20).join(''), lang: 'zh_CN' }] }],
        },
        idempotent: false,
      });
      return { instanceId: body.sp_no };
    },

    async getInstance(call, _definition, instanceId) {
      const { body } = await call<{ info: { sp_status: number; sp_record?: { details?: { approver?: { userid?: string }; speech?: string; sp_status: number; sptime?: number }[] }[] } }>({
        method: 'POST',
        url: `${base}/cgi-bin/oa/getapprovaldetail`,
        body: { sp_no: instanceId },
        idempotent: true,
      });
      const decisions: Decision[] = [];
      (body.info.sp_record ?? []).forEach((record, stage) => {
        for (const detail of record.details ?? []) {
          if ((detail.sp_status !== 2 && detail.sp_status !== 3) || !detail.approver?.userid) continue;
          decisions.push({
            stage,
            approver: detail.approver.userid,
            decision: detail.sp_status === 2 ? 'approve' : 'reject',
            at: new Date((detail.sptime ?? Math.floor(Date.now() / 1000)) * 1000).toISOString(),
            ...(detail.speech ? { comment: detail.speech } : {}),
          });
        }
      });
      return { status: statusOf[body.info.sp_status] ?? 'pending', decisions };
    },

    async withdraw() {
      return 'unsupported';
    },
  };
}
