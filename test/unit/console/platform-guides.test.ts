import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { platformGuides } from '../../../lib/console/platform-guides.ts';
import { consoleTexts } from '../../../lib/console/texts.ts';
import { credentialSpec, integrationKinds, providers } from '../../../lib/domain/integration.ts';

describe('the console’s platform guides', () => {
  it('has a guide for every platform and kind, asking for every required credential field and only fields the API takes', () => {
    for (const provider of providers) {
      for (const kind of integrationKinds) {
        const guide = platformGuides[`${provider}-${kind}`];
        expect(guide, `${provider}-${kind}`).toBeDefined();
        const spec = credentialSpec(provider, kind);
        const shape = (spec.schema as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
        const asked = guide!.fields.map((field) => field.name);
        expect(Object.keys(shape), `${provider}-${kind}`).toEqual(expect.arrayContaining(asked));
        const required = Object.keys(shape).filter((name) => !shape[name]!.safeParse(undefined).success);
        expect(asked, `${provider}-${kind}`).toEqual(expect.arrayContaining(required));
        for (const field of guide!.fields) {
          expect(field.secret, `${provider}-${kind} ${field.name}`).toBe(spec.secretFields.includes(field.name));
          expect(field.required, `${provider}-${kind} ${field.name}`).toBe(!shape[field.name]!.safeParse(undefined).success);
        }
      }
    }
  });

  it('shows each app the request URL to copy, and WeCom its trusted IPs', () => {
    for (const provider of providers) expect(platformGuides[`${provider}-app`]!.after.some((step) => step['en-US'].includes('{callbackUrl}') && step['zh-CN'].includes('{callbackUrl}'))).toBe(true);
    expect(platformGuides['wecom-app']!.after.some((step) => step['zh-CN'].includes('企业可信IP') && step['en-US'].includes('EgressIps'))).toBe(true);
    expect(platformGuides['feishu-app']!.after.some((step) => step['en-US'].includes('approval_instance') && step['en-US'].includes('approval_task'))).toBe(true);
    expect(platformGuides['dingtalk-app']!.after.some((step) => step['en-US'].includes('bpms_task_change') && step['en-US'].includes('bpms_instance_change'))).toBe(true);
  });

  it('has every text of the console in Chinese and English', () => {
    expect(Object.keys(consoleTexts['en-US']).sort()).toEqual(Object.keys(consoleTexts['zh-CN']).sort());
    for (const guide of Object.values(platformGuides)) {
      for (const text of [guide.title, ...guide.before, ...guide.after]) expect(text['zh-CN']).toMatch(/[\u4e00-\u9fff]/);
      for (const text of guide.fields.map((field) => field.help)) expect(text['zh-CN'].length * text['en-US'].length).toBeGreaterThan(0);
    }
  });
});

describe('the console’s Chinese', () => {
  it('writes a platform and its kind of app as one word (a Latin name keeps its space)', () => {
    const titles = Object.values(platformGuides).map((guide) => guide.title['zh-CN']);
    expect(titles).toEqual(expect.arrayContaining(['飞书企业自建应用', 'Lark 企业自建应用', '钉钉企业内部应用', '企业微信自建应用', '飞书群机器人', 'Lark 群机器人', '钉钉群机器人', '企业微信群机器人']));
    for (const title of titles) expect(title).not.toMatch(/[\u4e00-\u9fff] [\u4e00-\u9fff]/);
    expect(consoleTexts['zh-CN']['approvals.moreDecisions'].replace('{n}', '3')).toBe('另有 3 条审批记录未保存');
    expect(consoleTexts['en-US']['approvals.moreDecisions']).toContain('{n}');
  });
});
