import { describe, expect, it } from 'vitest';
import type { AuthorizedCall } from '../../../lib/providers/app-provider.ts';
import type { PlatformRequest } from '../../../lib/providers/http-client.ts';
import { wecomApprovals } from '../../../lib/providers/wecom/wecom-approvals.ts';

describe('WeCom applyevent summary', () => {
  it('is the title cut to 20 characters by code points, never half an emoji', async () => {
    const sent: PlatformRequest[] = [];
    const call = (async (request: PlatformRequest) => {
      sent.push(request);
      return { status: 200, headers: new Headers(), body: { sp_no: '202601010001' } };
    }) as AuthorizedCall;
    await wecomApprovals('https://qyapi.example').createInstance(call, 'tpl', { approvalId: 'apr_1', title: `${'发'.repeat(19)}🚀上线`, requester: 'ada', stages: [{ mode: 'any', approvers: ['bob'] }], locale: 'zh-CN' });
    const summary = (sent[0]!.body as { summary_list: { summary_info: { text: string }[] }[] }).summary_list[0]!.summary_info[0]!.text;
    expect(summary).toBe(`${'发'.repeat(19)}🚀`);
  });
});
