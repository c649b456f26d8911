import { describe, expect, it } from 'vitest';
import type { AuthorizedCall } from '../../../lib/providers/app-provider.ts';
import { dingtalkApprovals } from '../../../lib/providers/dingtalk/dingtalk-approvals.ts';
import type { PlatformRequest } from '../../../lib/providers/http-client.ts';
import type { ApprovalSpec } from '../../../lib/providers/port.ts';
import { wecomApprovals } from '../../../lib/providers/wecom/wecom-approvals.ts';

/** A platform that records each request and answers what the adapter reads. */
function recording(answer: Record<string, unknown>) {
  const sent: PlatformRequest[] = [];
  const call = (async (request: PlatformRequest) => {
    sent.push(request);
    return { status: 200, headers: new Headers(), body: answer };
  }) as AuthorizedCall;
  return { sent, call };
}
const spec = (locale: ApprovalSpec['locale']): ApprovalSpec => ({ approvalId: 'apr_1', title: 'Deploy', requester: 'ada', stages: [{ mode: 'any', approvers: ['bob'] }], locale });

describe('DingTalk forms in the approval’s locale', () => {
  it('label the field 详情 in zh-CN and Details in en-US, one form per locale, and fill it by that label', async () => {
    const adapter = dingtalkApprovals('https://api.example');
    expect(adapter.definitionKey(spec('zh-CN'))).not.toBe(adapter.definitionKey(spec('en-US')));
    for (const [locale, label, description] of [
      ['zh-CN', '详情', '由 imhub 发起的审批'],
      ['en-US', 'Details', 'Approvals started by imhub'],
    ] as const) {
      const { sent, call } = recording({ result: { processCode: 'PROC-1' }, instanceId: 'inst-1' });
      await adapter.provision(call, spec(locale), 'imhub ops 111111');
      await adapter.createInstance(call, 'PROC-1', spec(locale));
      const form = sent[0]!.body as { description: string; formComponents: { props: { label: string } }[] };
      expect(form.description).toBe(description);
      expect(form.formComponents[0]!.props.label).toBe(label);
      expect((sent[1]!.body as { formComponentValues: { name: string }[] }).formComponentValues[0]!.name).toBe(label);
    }
  });
});

describe('WeCom templates in the approval’s locale', () => {
  it('title the control in the locale, under the zh_CN entry WeCom requires, one template per locale', async () => {
    const adapter = wecomApprovals('https://qyapi.example');
    expect(adapter.definitionKey(spec('zh-CN'))).not.toBe(adapter.definitionKey(spec('en-US')));
    for (const [locale, title] of [
      ['zh-CN', '详情'],
      ['en-US', 'Details'],
    ] as const) {
      const { sent, call } = recording({ template_id: 'tpl-1' });
      await adapter.provision(call, spec(locale), 'imhub 审批 ops 111111');
      const body = sent[0]!.body as { template_name: { text: string; lang: string }[]; template_content: { controls: { property: { title: { text: string; lang: string }[] } }[] } };
      expect(body.template_name).toEqual([{ text: 'imhub 审批 ops 111111', lang: 'zh_CN' }]);
      expect(body.template_content.controls[0]!.property.title).toEqual([{ text: title, lang: 'zh_CN' }]);
    }
  });
});
