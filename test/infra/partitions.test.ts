import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { stackFromContext } from '../../infra/context.ts';
import { ImhubStack, type ImhubStackProps } from '../../infra/imhub-stack.ts';

const newApp = (context: Record<string, unknown> = {}) =>
  new App({ outdir: mkdtempSync(join(tmpdir(), 'imhub-cdk-')), context: { 'aws:cdk:bundling-stacks': [], ...context } });

/** Synthesizes with cdk-nag's AwsSolutions pack, as infra/app.ts has it. */
function synthWithNag(props: ImhubStackProps) {
  const app = newApp();
  const stack = new ImhubStack(app, 'Imhub', props);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  let synthError: unknown;
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
  return { template: Template.fromStack(stack), synthError };
}

const functionsOf = (template: Template) => Object.values(template.findResources('AWS::Lambda::Function'));
const actionsOf = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((statement) => [statement.Action].flat()),
  );

describe('the China regions (aws-cn partition)', () => {
  // Beijing with the defaults, Ningxia with fixed egress: between them every ARN the stack can write.
  it.each([
    { region: 'cn-north-1', fixedEgress: false },
    { region: 'cn-northwest-1', fixedEgress: true },
  ])('$region (fixedEgress: $fixedEgress) synthesizes with no aws-partition ARN and nothing unacknowledged by cdk-nag', ({ region, fixedEgress }) => {
    const { template, synthError } = synthWithNag({ env: { account: '123456789012', region }, fixedEgress });
    expect(synthError).toBeUndefined();
    const json = JSON.stringify(template.toJSON());
    expect(json.match(/arn:aws[:-][^"]*/g) ?? []).toEqual([]);
    // ARNs the stack writes itself take the partition from the deployment.
    expect(json).toContain('"arn:",{"Ref":"AWS::Partition"}');
    template.resourceCountIs('AWS::EC2::VPC', fixedEgress ? 1 : 0);
  });

  it('turns active tracing off there, since Lambda offers no X-Ray integration in the China regions', () => {
    const china = Template.fromStack(new ImhubStack(newApp(), 'Imhub', { env: { account: '123456789012', region: 'cn-north-1' } }));
    for (const fn of functionsOf(china)) expect(fn.Properties.TracingConfig).toBeUndefined();
    expect(actionsOf(china).filter((action) => action.startsWith('xray:'))).toEqual([]);

    const global = Template.fromStack(new ImhubStack(newApp(), 'Imhub', { env: { account: '123456789012', region: 'us-east-1' } }));
    for (const fn of functionsOf(global)) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it('decides tracing at deploy time from AWS::Partition when the stack has no region', () => {
    const agnostic = Template.fromStack(new ImhubStack(newApp(), 'Imhub'));
    expect(agnostic.toJSON().Conditions).toEqual({
      LambdaActiveTracingAvailable: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AWS::Partition' }, 'aws-cn'] }] },
    });
    for (const fn of functionsOf(agnostic)) {
      expect(fn.Properties.TracingConfig).toEqual({ 'Fn::If': ['LambdaActiveTracingAvailable', { Mode: 'Active' }, { Ref: 'AWS::NoValue' }] });
    }
  });

  it('can run the functions on x86_64 where ARM64 is not offered', () => {
    const x86 = Template.fromStack(new ImhubStack(newApp(), 'Imhub', { architecture: Architecture.X86_64 }));
    for (const fn of functionsOf(x86)) expect(fn.Properties.Architectures).toEqual(['x86_64']);
  });
});

describe('the app context (cdk synth -c name=value)', () => {
  it('picks the region, fixed egress, NAT gateways and architecture', () => {
    const app = newApp({ region: 'cn-north-1', fixedEgress: 'true', natGateways: '2', architecture: 'x86_64', stackName: 'ImhubChina' });
    const { id, props } = stackFromContext(app.node, { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'us-east-1' });
    expect(id).toBe('ImhubChina');
    expect(props).toMatchObject({ fixedEgress: true, natGateways: 2, env: { account: '123456789012', region: 'cn-north-1' } });
    expect(props.architecture?.name).toBe('x86_64');
  });

  it("falls back to the CLI's region and leaves every option at the stack's default", () => {
    const { id, props } = stackFromContext(newApp().node, { CDK_DEFAULT_REGION: 'cn-northwest-1' });
    expect(id).toBe('Imhub');
    expect(props).toEqual({
      deletionProtection: undefined,
      fixedEgress: undefined,
      natGateways: undefined,
      architecture: undefined,
      env: { account: undefined, region: 'cn-northwest-1' },
    });
  });

  it('refuses a value it would otherwise misread', () => {
    expect(() => stackFromContext(newApp({ fixedEgress: 'yes' }).node, {})).toThrow('-c fixedEgress=yes: expected true or false');
    expect(() => stackFromContext(newApp({ architecture: 'arm' }).node, {})).toThrow('-c architecture=arm: expected arm64 or x86_64');
  });
});
