import type { Decision, PlatformStatus } from '../../domain/approval.ts';
import type { ApprovalAdapter, AuthorizedCall } from '../app-provider.ts';
import { approvalText, madeFor, oldestFirst, stageOf } from '../approval-text.ts';
import type { FoundInstance } from '../port.ts';
import { textsFor } from '../../domain/texts.ts';

/** The form's one field, named in the form's locale; an instance fills it by that name. */
const labelOf = (spec: { locale: Parameters<typeof textsFor>[0] }) => textsFor(spec.locale).details;

/** ListProcessInstanceIds: at most 20 ids a page (a 3rd-party copy of the doc). */
const listPageSize = 20;
/** The most pages a resumed start reads (its requester's instances of one form since its first attempt: a few). */
const listMaxPages = 10;

/** GetProcessInstance's `result`, the fields imhub reads (@alicloud/dingtalk GetProcessInstanceResponseBodyResult). */
interface InstanceResult {
  status: string;
  result?: string;
  operationRecords?: { userId: string; date?: string; type: string; result?: string; remark?: string }[];
  originatorUserId?: string;
  createTime?: string;
  formComponentValues?: { name?: string; value?: string }[];
}

async function readInstance(call: AuthorizedCall, api: string, instanceId: string): Promise<InstanceResult> {
  const { body } = await call<{ result: InstanceResult }>({ method: 'GET', url: `${api}/v1.0/workflow/processInstances`, query: { processInstanceId: instanceId }, idempotent: true });
  return body.result;
}

/**
 * A record's date to ISO. The SDK documents "2022-08-31T11:52Z" (UTC, no seconds), which Date
 * does not parse; any other ISO form (seconds, milliseconds, an offset) is taken as written, and
 * a date that is none of these falls back to now rather than failing the whole read.
 */
export function dingtalkTime(value: string | undefined): string {
  if (!value) return new Date().toISOString();
  const withSeconds = /T\d{2}:\d{2}(Z|[+-]\d{2}:?\d{2})$/.test(value) ? value.replace(/(T\d{2}:\d{2})/, '$1:00') : value;
  const parsed = new Date(withSeconds);
  return Number.isNaN(parsed.getTime()) ? new Date().toISOString() : parsed.toISOString();
}

/**
 * DingTalk OA approval (v1.0 workflow API): one form per integration, approvers given per
 * instance as nodes (AND / OR; NONE for a single person), terminate to withdraw.
 */
export function dingtalkApprovals(api: string): ApprovalAdapter {
  return {
    // One form per locale: its label is the locale's.
    definitionKey: (spec) => `form:${spec.locale}`,

    async provision(call, spec, name) {
      const { body } = await call<{ result: { processCode: string } }>({
        method: 'POST',
        url: `${api}/v1.0/workflow/forms`,
        body: { name, description: textsFor(spec.locale).definitionDescription, formComponents: [{ componentType: 'TextareaField', props: { componentId: 'TextareaField-imhub', label: labelOf(spec), required: true } }] },
        idempotent: false,
      });
      return body.result.processCode;
    },

    async createInstance(call, definition, spec) {
      const { body } = await call<{ instanceId: string }>({
        method: 'POST',
        url: `${api}/v1.0/workflow/processInstances`,
        body: {
          processCode: definition,
          originatorUserId: spec.requester,
          approvers: spec.stages.map((stage) => ({ actionType: stage.approvers.length === 1 ? 'NONE' : stage.mode === 'all' ? 'AND' : 'OR', userIds: stage.approvers })),
          formComponentValues: [{ name: labelOf(spec), value: approvalText(spec) }],
        },
        // No idempotency key on this API: never resent after a timeout (a second instance could appear).
        idempotent: false,
      });
      return { instanceId: body.instanceId };
    },

    async getInstance(call, _definition, instanceId, spec) {
      const { status, result, operationRecords = [] } = await readInstance(call, api, instanceId);
      const platformStatus: PlatformStatus =
        status === 'COMPLETED' ? (result === 'agree' ? 'approved' : 'rejected') : status === 'TERMINATED' || status === 'CANCELED' ? 'canceled' : 'pending';
      const decisions: Decision[] = operationRecords
        .filter((record) => record.type.startsWith('EXECUTE_TASK') && (record.result === 'AGREE' || record.result === 'REFUSE'))
        .map((record) => ({
          stage: stageOf(spec, record.userId),
          approver: record.userId,
          decision: record.result === 'AGREE' ? ('approve' as const) : ('reject' as const),
          at: dingtalkTime(record.date),
          ...(record.remark ? { comment: record.remark } : {}),
        }));
      return { status: platformStatus, decisions };
    },

    async withdraw(call, _definition, instanceId, spec) {
      await call({
        method: 'POST',
        url: `${api}/v1.0/workflow/processInstances/terminate`,
        body: { processInstanceId: instanceId, isSystem: true, remark: textsFor(spec.locale).withdrawRemark },
        idempotent: true,
      });
      return 'withdrawn';
    },

    /**
     * ListProcessInstanceIds (`POST /v1.0/workflow/processes/instanceIds/query`): the form's
     * instances started by the requester since `since` (by 发起时间, in ms), a page of ids at a
     * time; then each one's detail, kept when it is the approval's (`madeFor`). The detail's
     * createTime is to the minute: the caller's `since` leaves room for that.
     */
    async findInstances(call, definition, spec, since) {
      const ids: string[] = [];
      let nextToken = 0;
      for (let page = 0; page < listMaxPages; page += 1) {
        const { body } = await call<{ result?: { list?: string[]; nextToken?: string | number } }>({
          method: 'POST',
          url: `${api}/v1.0/workflow/processes/instanceIds/query`,
          body: { processCode: definition, startTime: since.getTime(), userIds: [spec.requester], maxResults: listPageSize, nextToken },
          idempotent: true,
        });
        ids.push(...(body.result?.list ?? []));
        // The request's nextToken is a number and the answer's a string; absent (or not past this one) on the last page.
        const next = Number(body.result?.nextToken);
        if (!Number.isInteger(next) || next <= nextToken) break;
        nextToken = next;
      }
      const found: FoundInstance[] = [];
      for (const instanceId of new Set(ids)) {
        const detail = await readInstance(call, api, instanceId);
        const candidate = { originator: detail.originatorUserId, texts: (detail.formComponentValues ?? []).map((value) => value.value ?? ''), createdAt: dingtalkTime(detail.createTime) };
        if (madeFor(spec, since, candidate)) found.push({ instanceId, createdAt: candidate.createdAt });
      }
      return oldestFirst(found);
    },
  };
}
