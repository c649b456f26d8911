import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlatformSimulator } from '../../lib/sandbox/platform-simulator.ts';
import { sandboxPages } from '../../lib/sandbox/sandbox-page.ts';
import type { TestApi } from '../support/local-api.ts';
import { startSimulatedPlatforms } from '../support/sim-app.ts';

/**
 * The sandbox's approver page, read as HTML: one pane per platform, an approval in its platform's
 * pane (a Lark app's in Lark's, not Feishu's), decided with the page's form through the real
 * callback path, and kept in the pane's history with its outcome, approver and comment.
 */
let api: TestApi;
let sim: PlatformSimulator;
let ids: Record<'dingtalk' | 'lark', string>;
const aesKey = 'g'.repeat(43);

beforeAll(async () => {
  ({ sim, api, integrationIds: ids } = await startSimulatedPlatforms(
    {
      dingtalk: { sim: 'dingtalk', appId: 'dingpagekey0001', credentials: { appKey: 'dingpagekey0001', appSecret: 'page-dingtalk-secret-1', aesKey, token: 'tok' } as never },
      lark: { sim: 'feishu', appId: 'cli_pagelark00001', credentials: { appId: 'cli_pagelark00001', appSecret: 'page-lark-secret-0001', encryptKey: 'page-encrypt-key', verificationToken: 'page-vt' } as never },
    },
    'page',
    ['requester', 'dev', 'lead'],
  ));
  sim.pages = sandboxPages(sim, { lark: { apps: ['cli_pagelark00001'] }, consoleUrl: 'http://127.0.0.1:1/console' });
});
afterAll(async () => {
  await api?.stop();
  await sim?.stop();
});

/** The HTML of one platform's pane. */
const pane = (page: string, id: string) => {
  const start = page.indexOf(`data-pane="${id}"`);
  expect(start, `no ${id} pane`).toBeGreaterThan(0);
  return page.slice(start, page.indexOf('</section>', start));
};
/** The article of one approval task in some HTML. */
const task = (html: string, instance: string) => {
  const at = html.indexOf(`data-instance="${instance}"`);
  if (at < 0) return undefined;
  const start = html.lastIndexOf('<article class="task', at);
  return html.slice(start, html.indexOf('</article>', at));
};
const read = async () => {
  const response = await fetch(`${sim.url}/sandbox`);
  return { csp: response.headers.get('content-security-policy') ?? '', html: await response.text() };
};

describe('the sandbox approver page', () => {
  it('shows four panes, styled inline, loading nothing from elsewhere, with the console linked', async () => {
    const { csp, html } = await read();
    expect([...html.matchAll(/<section class="pane (\w+)"/g)].map((match) => match[1])).toEqual(['feishu', 'lark', 'dingtalk', 'wecom']);
    expect(pane(html, 'lark')).toContain('<span class="pane-name">Lark</span>');
    expect(html).not.toMatch(/<link|<img|src=/);
    expect(csp).toContain("img-src 'none'");
    expect(html).toContain('<a href="http://127.0.0.1:1/console">');
  });

  it('lists a pending approval in its pane, and approving it there ends it approved and keeps it in the history with the approver and comment', async () => {
    // Prepare: a DingTalk approval, whose title would be markup if the page did not escape it
    const started = await api.call('POST', '/v1/approvals', {
      body: { integrationId: ids.dingtalk, title: 'Deploy <b>v2</b>', content: 'notes', requester: { mobile: '13800000000' }, stages: [{ approvers: [{ mobile: '13800000002' }] }] },
    });
    expect(started.status, started.text).toBe(201);
    const instance = started.body.platformInstanceId as string;
    const before = pane((await read()).html, 'dingtalk');
    const pending = task(before, instance)!;
    expect(pending).toContain('<span class="task-title">Deploy &lt;b&gt;v2&lt;/b&gt;</span>');
    expect(pending).toContain('data-status="pending"');
    expect(pending).toContain('<option value="ding_lead">lead</option>');

    // Act: submit its form as a person would
    const submitted = await fetch(`${sim.url}/sandbox/act`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ instance, user: 'ding_lead', comment: 'ship <it>', decision: 'approve' }),
      redirect: 'manual',
    });
    expect(submitted.status).toBe(303);

    // Assess: imhub learned it from the signed callback; the page keeps the task, decided, with who and why
    const approval = await api.call('GET', `/v1/approvals/${started.body.id}`);
    expect(approval.body).toMatchObject({ status: 'approved', decisions: [{ approver: 'ding_lead', comment: 'ship <it>' }] });
    const after = pane((await read()).html, 'dingtalk');
    const done = task(after.slice(after.indexOf('class="tasks history"')), instance)!;
    expect(done).toContain('data-status="approved"');
    expect(done).toMatch(/<li class="act approved">.*<span class="who">lead<\/span>.*<blockquote class="comment">ship &lt;it&gt;<\/blockquote>/s);
    expect(done).not.toContain('<form');
  });

  it('shows a Lark app’s approval in the Lark pane, not in Feishu’s', async () => {
    const started = await api.call('POST', '/v1/approvals', {
      body: { integrationId: ids.lark, title: 'Lark deploy', requester: { email: 'requester@example.com' }, stages: [{ approvers: [{ email: 'dev@example.com' }] }] },
    });
    expect(started.status, started.text).toBe(201);
    const { html } = await read();
    expect(task(pane(html, 'lark'), started.body.platformInstanceId)).toContain('<span class="task-title">Lark deploy</span>');
    expect(task(pane(html, 'feishu'), started.body.platformInstanceId)).toBeUndefined();
  });

  it('reports an act the platform refuses on the page, and answers 404 for what it does not serve', async () => {
    const refused = await fetch(`${sim.url}/sandbox/act`, { method: 'POST', body: new URLSearchParams({ instance: 'nope', user: 'x', decision: 'approve' }), redirect: 'manual' });
    expect(refused.status).toBe(303);
    expect(decodeURIComponent(refused.headers.get('location') ?? '')).toBe('/sandbox?error=instance nope is not pending');
    expect((await fetch(`${sim.url}/sandbox/nothing`)).status).toBe(404);
  });
});
