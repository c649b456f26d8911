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
