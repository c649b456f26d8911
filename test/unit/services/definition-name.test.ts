import { describe, expect, it } from 'vitest';
import { definitionName } from '../../../lib/services/approvals/view.ts';

describe('definitionName', () => {
  it('differs per integration and per attempt, so a form or template name is never taken twice in a tenant', () => {
    const a = definitionName({ id: 'int_aaaaaaaaaaaa111111', name: 'ops' }, 1, 'zh-CN');
    const b = definitionName({ id: 'int_bbbbbbbbbbbb222222', name: 'ops' }, 1, 'zh-CN');
    expect(a).toBe('imhub 审批 ops 111111');
    expect(b).not.toBe(a);
    expect(definitionName({ id: 'int_aaaaaaaaaaaa111111', name: 'ops' }, 2, 'zh-CN')).toBe('imhub 审批 ops 111111-2');
  });

  it('differs per locale, so the form of each locale has its own name', () => {
    expect(definitionName({ id: 'int_aaaaaaaaaaaa111111', name: 'ops' }, 1, 'en-US')).toBe('imhub approvals ops 111111');
  });

  it('stays within the 40 characters WeCom allows, keeping its distinguishing suffix', () => {
    const name = definitionName({ id: 'int_cccccccccccc333333', name: '生产环境发布审批（华东区域，所有业务线共用的集成名称很长很长）' }, 12, 'zh-CN');
    expect([...name].length).toBeLessThanOrEqual(40);
    expect(name.endsWith(' 333333-12')).toBe(true);
  });
});
