import type { Decision, PlatformStatus } from '../../domain/approval.ts';
import type { ApprovalAdapter, AuthorizedCall } from '../app-provider.ts';
import { approvalText, madeFor, oldestFirst } from '../approval-text.ts';
import type { FoundInstance } from '../port.ts';
import { textsFor } from '../../domain/texts.ts';

const controlId = 'Textarea-01';

/** 批量获取审批单号: at most 100 a page, over a span of at most 31 days. */
const listPageSize = 100;
const listMaxSpanSeconds = 31 * 86_400;
/** The most pages a resumed start reads (its requester's applications of one template since its first attempt: a few). */
const listMaxPages = 10;

/** getapprovaldetail's `info`, the fields imhub reads (获取审批申请详情, 91983). */
interface ApplicationInfo {
  sp_status: number;
  template_id?: string;
  apply_time?: number;
  applyer?: { userid?: string };
  apply_data?: { contents?: { value?: { text?: string } }[] };
  sp_record?: { details?: { approver?: { userid?: string }; speech?: string; sp_status: number; sptime?: number }[] }[];
}

async function readApplication(call: AuthorizedCall, base: string, spNo: string): Promise<ApplicationInfo> {
  const { body } = await call<{ info: ApplicationInfo }>({ method: 'POST', url: `${base}/cgi-bin/oa/getapprovaldetail`, body: { sp_no: spNo }, idempotent: true });
  return body.info;
}

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
    // One template per locale: its name and control title are the locale's.
    definitionKey: (spec) => `template:${spec.locale}`,

    async provision(call, spec, name) {
      // The one language create_template documents is zh_CN ("显示语言，中文：zh_CN（注意不是zh-CN）", 97437),
      // and a template without it is refused (301086 "zh_CN's text can't be empty"): the text, in the
      // approval's locale, goes under zh_CN, the language WeCom shows it in.
      const { body } = await call<{ template_id: string }>({
        method: 'POST',
        url: `${base}/cgi-bin/oa/approval/create_template`,
        body: {
          template_name: [{ text: name.slice(0, 40), lang: 'zh_CN' }],
          template_content: { controls: [{ property: { control: 'Textarea', id: controlId, title: [{ text: textsFor(spec.locale).details, lang: 'zh_CN' }], require: 1, un_print: 0 } }] },
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
      const info = await readApplication(call, base, instanceId);
      const decisions: Decision[] = [];
      (info.sp_record ?? []).forEach((record, stage) => {
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
      return { status: statusOf[info.sp_status] ?? 'pending', decisions };
    },

    async withdraw() {
      return 'unsupported';
    },

    /**
     * 批量获取审批单号 (`POST /cgi-bin/oa/getapprovalinfo`, 91816): the template's applications by
     * the requester submitted since `since` (Unix seconds, as strings like the doc's example), a page
     * at a time (new_cursor, then new_next_cursor until it is absent); then each one's detail, kept
     * when it is the approval's (`madeFor`, and the template).
     */
    async findInstances(call, definition, spec, since) {
      const endtime = Math.ceil(Date.now() / 1000);
      const starttime = Math.min(Math.max(Math.floor(since.getTime() / 1000), endtime - listMaxSpanSeconds), endtime - 1);
      const filters = [
        { key: 'template_id', value: definition },
        { key: 'creator', value: spec.requester },
      ];
      const ids: string[] = [];
      let cursor = '';
      for (let page = 0; page < listMaxPages; page += 1) {
        const { body } = await call<{ sp_no_list?: string[]; new_next_cursor?: string }>({
          method: 'POST',
          url: `${base}/cgi-bin/oa/getapprovalinfo`,
          body: { starttime: String(starttime), endtime: String(endtime), new_cursor: cursor, size: listPageSize, filters },
          idempotent: true,
        });
        ids.push(...(body.sp_no_list ?? []));
        if (!body.new_next_cursor || body.new_next_cursor === cursor) break;
        cursor = body.new_next_cursor;
      }
      const found: FoundInstance[] = [];
      for (const spNo of new Set(ids)) {
        const info = await readApplication(call, base, spNo);
        const candidate = {
          originator: info.applyer?.userid,
          texts: (info.apply_data?.contents ?? []).map((content) => content.value?.text ?? ''),
          createdAt: new Date((info.apply_time ?? 0) * 1000).toISOString(),
        };
        if (info.template_id === definition && madeFor(spec, since, candidate)) found.push({ instanceId: spNo, createdAt: candidate.createdAt });
      }
      return oldestFirst(found);
    },
  };
}
