import { type ApprovalEvent, type ApprovalRecord, isTerminal, transition } from '../../domain/approval.ts';
import { approvalJobs } from '../../domain/approval-jobs.ts';
import type { ApprovalContext } from './context.ts';

/**
 * Every change of an approval goes through here: a conditional write of the record together with
 * the jobs the change sets off (`approvalJobs`), in one transaction. Of racing writers one wins;
 * the others re-read and apply their change to what won.
 */
export class ApprovalWriter {
  constructor(private readonly context: ApprovalContext) {}

  /** Writes `next` over `previous` while pending (`anyStatus`: whatever the status), with its jobs; false for a lost race. */
  save(next: ApprovalRecord, previous: ApprovalRecord, anyStatus = false): Promise<boolean> {
    const jobs = approvalJobs(previous, next, this.context.now());
    const approvals = this.context.options.approvals;
    return anyStatus ? approvals.updateAnyStatus(next, previous, jobs) : approvals.update(next, previous, jobs);
  }

  /** Applies an event under the pending-and-version condition, re-reading on a lost race. */
  async apply(id: string, event: ApprovalEvent): Promise<ApprovalRecord | undefined> {
    const approvals = this.context.options.approvals;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const current = await approvals.get(id);
      if (!current || isTerminal(current.status)) return current;
      const next = transition(current, event) as ApprovalRecord;
      // Decisions are only ever added (the domain keeps the first ones and counts the rest), so their number says whether anything changed.
      if (next === current || (next.status === current.status && next.decisions.length === current.decisions.length && next.moreDecisions === current.moreDecisions)) return current;
      const written: ApprovalRecord = { ...next, version: current.version + 1, updatedAt: this.context.now().toISOString() };
      if (isTerminal(written.status) && written.webhook) written.webhook = { ...written.webhook, state: 'pending' };
      if (await this.save(written, current)) return written;
    }
    return approvals.get(id);
  }

  /** Changes a pending approval, re-reading on a lost race; returns what is stored after. */
  async write(approval: ApprovalRecord, change: (current: ApprovalRecord) => ApprovalRecord): Promise<ApprovalRecord | undefined> {
    let current: ApprovalRecord | undefined = approval;
    for (let attempt = 0; attempt < 5 && current && !isTerminal(current.status); attempt += 1) {
      const written = { ...change(current), version: current.version + 1, updatedAt: this.context.now().toISOString() };
      if (await this.save(written, current)) return written;
      current = await this.context.options.approvals.get(approval.id);
    }
    return current;
  }
}
