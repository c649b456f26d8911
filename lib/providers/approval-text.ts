import type { ApprovalSpec } from './port.ts';

/** The text shown in the platform's form: the title, then the content. */
export const approvalText = (spec: ApprovalSpec) => (spec.content ? `${spec.title}\n\n${spec.content}` : spec.title);

/** The stage an approver belongs to (platforms that do not say which node a task was in). */
export const stageOf = (spec: ApprovalSpec, approver: string) => Math.max(0, spec.stages.findIndex((stage) => stage.approvers.includes(approver)));
