import type { ApprovalSpec, FoundInstance } from './port.ts';

/** The text shown in the platform's form: the title, then the content. */
export const approvalText = (spec: ApprovalSpec) => (spec.content ? `${spec.title}\n\n${spec.content}` : spec.title);

/** The stage an approver belongs to (platforms that do not say which node a task was in). */
export const stageOf = (spec: ApprovalSpec, approver: string) => Math.max(0, spec.stages.findIndex((stage) => stage.approvers.includes(approver)));

/**
 * Whether an instance read back from the platform is one imhub made for `spec` since `since`: the
 * requester started it, its form text (the approval text imhub wrote) carries the title, and the
 * platform made it no earlier than `since`.
 */
export const madeFor = (spec: ApprovalSpec, since: Date, instance: { originator: string | undefined; texts: readonly string[]; createdAt: string }) =>
  instance.originator === spec.requester && instance.texts.some((text) => text.includes(spec.title)) && instance.createdAt >= since.toISOString();

/** Found instances by the time the platform made them; a tie keeps the platform's order. */
export const oldestFirst = (found: FoundInstance[]) => [...found].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
