import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxStoredCommentBytes } from '../../lib/domain/approval.ts';
import { PlatformSimulator, simUserId } from '../../lib/sandbox/platform-simulator.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';
import { registerFeishuSimApp } from '../support/sim-app.ts';

// Red team, issue 15 item 7: 45 approvers each commenting 9.5 kB pushed the approval item past
// DynamoDB's 400 KB; every later callback answered 500 and the approval could not end.

let api: TestApi;
let sim: PlatformSimulator;
const credentials = { appId: 'cli_bounded0000001', appSecret: 'bounded-feishu-secret-01', encryptKey: 'bounded-encrypt-key', verificationToken: 'bounded-vt' };
const approvers = Array.from({ length: 45 }, (_, index) => `approver${String(index).padStart(2, '0')}`);
let integrationId = '';

beforeAll(async () => {
  sim = await new PlatformSimulator().start();
  api = await startTestApi();
  sim.afterCallback = () => api.runtime.idle();
  sim.addPeople(['requester', ...approvers]);
  integrationId = await registerFeishuSimApp(api, sim, 'bounded item', credentials);
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

/** About 9.5 kB of UTF-8, Chinese and Latin mixed, naming its author so each stored comment can be traced. */
const longComment = (name: string) => `${name}: ${'同意上线，已核对发布说明与回滚方案。'.repeat(170)} checked by ${name} ${'x'.repeat(200)}`;

describe('an approval whose decisions carry long comments', () => {
  it('45 approvers × 9.5 kB comments on Feishu: every callback answered, the approval ends approved, every decision recorded with its comment bounded', async () => {
    // Prepare
    const started = await api.call('POST', '/v1/approvals', {
      body: {
        integrationId,
        title: 'Deploy with a long review',
        requester: sim.personInput('feishu', 'requester'),
        stages: [{ mode: 'all', approvers: approvers.map((name) => sim.personInput('feishu', name)) }],
      },
    });
    expect(started.status, started.text).toBe(201);
    const { id, platformInstanceId } = started.body;
    expect(Buffer.byteLength(longComment(approvers[0]!))).toBeGreaterThan(9_000);

    // Act
    const answers: number[] = [];
    for (const name of approvers) {
      for (const answer of await sim.approvals.act(platformInstanceId, simUserId('feishu', name), 'approve', longComment(name))) answers.push(answer.status);
    }

    // Assess
    expect(answers.filter((status) => status >= 500)).toEqual([]);
    expect(sim.approvals.instances.get(platformInstanceId)!.status).toBe('approved');
    const approval = (await api.call('GET', `/v1/approvals/${id}`)).body;
    expect(approval).toMatchObject({ status: 'approved', endReason: 'approved on the platform' });
    expect(approval.decisions.map((decision: { approver: string }) => decision.approver).sort()).toEqual(approvers.map((name) => simUserId('feishu', name)).sort());
    for (const decision of approval.decisions as { approver: string; comment: string; commentTruncated?: boolean }[]) {
      const name = decision.approver.replace(/^ou_/, '');
      expect(decision.commentTruncated).toBe(true);
      expect(decision.comment.endsWith('…')).toBe(true);
      expect(longComment(name).startsWith(decision.comment.slice(0, -1))).toBe(true);
      expect(Buffer.byteLength(decision.comment)).toBeLessThanOrEqual(maxStoredCommentBytes);
    }
    const stored = (await api.scan()).find((item) => item.id === id);
    expect(Buffer.byteLength(JSON.stringify(stored))).toBeLessThan(350_000);
  }, 120_000);
});
