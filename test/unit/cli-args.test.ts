import { describe, expect, it } from 'vitest';
import { parseApprovalStart, parsePerson, UsageError } from '../../lib/cli/args.ts';

describe('imhub approval start flags', () => {
  it('groups approvers into stages by flag order, each with its mode', () => {
    const options = parseApprovalStart([
      '--integration', 'prod', '--title', 'Deploy', '--requester', 'dev@example.com',
      '--approver', 'lead@example.com', '--approver', '+8613800000000',
      '--stage', '--mode', 'all', '--approver', 'ou_sre1', '--approver', 'userId:42',
      '--timeout', '2h', '--wait',
    ]);
    expect(options.stages).toEqual([
      { mode: 'any', approvers: [{ email: 'lead@example.com' }, { mobile: '+8613800000000' }] },
      { mode: 'all', approvers: [{ userId: 'ou_sre1' }, { userId: '42' }] },
    ]);
    expect(options).toMatchObject({ timeoutSeconds: 7200, wait: true, requester: { email: 'dev@example.com' }, allowSelfApproval: false });
  });

  it('reads reminders and an escalation, and says what to write when half of one is given', () => {
    const argv = ['--integration', 'prod', '--title', 'Deploy', '--requester', 'dev@example.com', '--approver', 'lead@example.com'];
    expect(parseApprovalStart([...argv, '--remind-every', '30m', '--escalate-after', '2h', '--escalate-to', 'cto@example.com', '--escalate-to', 'ou_oncall'])).toMatchObject({
      remind: { everySeconds: 1800, times: 3 },
      escalate: { afterSeconds: 7200, approvers: [{ email: 'cto@example.com' }, { userId: 'ou_oncall' }] },
    });
    expect(parseApprovalStart([...argv, '--remind-every', '1h', '--remind-times', '5']).remind).toEqual({ everySeconds: 3600, times: 5 });
    expect(parseApprovalStart(argv)).not.toHaveProperty('remind');
    expect(() => parseApprovalStart([...argv, '--remind-times', '2'])).toThrow('--remind-every takes a duration');
    expect(() => parseApprovalStart([...argv, '--escalate-after', '2h'])).toThrow('--escalate-after <duration> and --escalate-to <person> go together');
  });

  it('reads --via card and the chats the card also goes to; --card-chat without --via card is a usage error', () => {
    const argv = ['--integration', 'prod', '--title', 'Deploy', '--requester', 'dev@example.com', '--approver', 'lead@example.com'];
    expect(parseApprovalStart([...argv, '--via', 'card', '--card-chat', 'oc_release', '--card-chat', 'oc_ops'])).toMatchObject({ via: 'card', cardChats: ['oc_release', 'oc_ops'] });
    expect(parseApprovalStart(argv)).not.toHaveProperty('via');
    expect(() => parseApprovalStart([...argv, '--via', 'chat'])).toThrow('--via must be app or card');
    expect(() => parseApprovalStart([...argv, '--card-chat', 'oc_x'])).toThrow('--card-chat goes with --via card');
  });

  it('reads --locale and --time-zone (the integration’s when left out); a locale imhub does not write is a usage error', () => {
    const argv = ['--integration', 'prod', '--title', 'Deploy', '--requester', 'dev@example.com', '--approver', 'lead@example.com'];
    expect(parseApprovalStart([...argv, '--locale', 'en-US', '--time-zone', 'Europe/Berlin'])).toMatchObject({ locale: 'en-US', timeZone: 'Europe/Berlin' });
    expect(parseApprovalStart(argv)).not.toHaveProperty('locale');
    expect(parseApprovalStart(argv)).not.toHaveProperty('timeZone');
    expect(() => parseApprovalStart([...argv, '--locale', 'zh'])).toThrow('--locale must be zh-CN or en-US');
  });

  it('lets the requester be an approver only with --allow-self-approval', () => {
    const argv = ['--integration', 'prod', '--title', 'Deploy', '--requester', 'dev@example.com', '--approver', 'dev@example.com'];
    expect(parseApprovalStart(argv).allowSelfApproval).toBe(false);
    expect(parseApprovalStart([...argv, '--allow-self-approval']).allowSelfApproval).toBe(true);
  });

  it.each([
    [['--title', 't', '--requester', 'r', '--approver', 'a'], '--integration'],
    [['--integration', 'i', '--title', 't', '--requester', 'r'], 'at least one --approver'],
    [['--integration', 'i', '--title', 't', '--requester', 'r', '--approver', 'a', '--mode', 'most'], '--mode must be any or all'],
    [['--integration', 'i', '--title', 't', '--requester', 'r', '--approver', 'a', '--timeout', 'soon'], '--timeout'],
    [['--integration', 'i', '--colour', 'red'], "Unknown option '--colour'"],
  ])('refuses %j with a usage error naming the problem', (argv, message) => {
    expect(() => parseApprovalStart(argv)).toThrow(UsageError);
    expect(() => parseApprovalStart(argv)).toThrow(message);
  });

  it('reads a person as email, mobile or user id', () => {
    expect(parsePerson('a@b.co')).toEqual({ email: 'a@b.co' });
    expect(parsePerson('13800000000')).toEqual({ mobile: '13800000000' });
    expect(parsePerson('ou_123')).toEqual({ userId: 'ou_123' });
    expect(parsePerson('mobile:+1 555 0100')).toEqual({ mobile: '+1 555 0100' });
  });
});
