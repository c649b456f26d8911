import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ImhubStack, type ImhubStackProps } from '../../infra/imhub-stack.ts';

const newApp = () => new App({ outdir: mkdtempSync(join(tmpdir(), 'imhub-cdk-')), context: { 'aws:cdk:bundling-stacks': [] } });
const env = { account: '123456789012', region: 'eu-west-1' };
const templateOf = (props: ImhubStackProps) => Template.fromStack(new ImhubStack(newApp(), 'Imhub', { env, ...props }));

const platformCallers = ['IntegrationsFunction', 'CallbacksFunction', 'ApprovalsFunction', 'NotificationsFunction', 'ReconcilerFunction', 'JobWorkerFunction'];

let template: Template;
let synthError: unknown;
beforeAll(() => {
  // One synth with the option on, with cdk-nag's AwsSolutions pack as infra/app.ts has it.
  const app = newApp();
  const stack = new ImhubStack(app, 'Imhub', { env, fixedEgress: true });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
  template = Template.fromStack(stack);
});

type Resource = { Type: string; Properties: Record<string, any> };
const resourcesOf = (type: string) => Object.entries(template.findResources(type) as Record<string, Resource>);
const functionNamed = (prefix: string) => resourcesOf('AWS::Lambda::Function').find(([id]) => id.startsWith(prefix))![1];
const subnetsTagged = (subnetType: 'Public' | 'Private') =>
  resourcesOf('AWS::EC2::Subnet')
    .filter(([, subnet]) => subnet.Properties.Tags.some((tag: { Key: string; Value: string }) => tag.Key === 'aws-cdk:subnet-type' && tag.Value === subnetType))
    .map(([id]) => id);

describe('fixed egress (fixedEgress: true)', () => {
  it('leaves cdk-nag with nothing unacknowledged', () => {
    expect(synthError).toBeUndefined();
  });

  it('creates a VPC whose traffic leaves through one NAT gateway on an Elastic IP the stack allocates', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    const eips = resourcesOf('AWS::EC2::EIP');
    expect(eips).toHaveLength(1);
    expect(eips[0]![1].Properties.Domain).toBe('vpc');
    const nats = resourcesOf('AWS::EC2::NatGateway');
    expect(nats).toHaveLength(1);
    expect(nats[0]![1].Properties.AllocationId).toEqual({ 'Fn::GetAtt': [eips[0]![0], 'AllocationId'] });
    expect(subnetsTagged('Public')).toContain(nats[0]![1].Properties.SubnetId.Ref);
    // Every private subnet's default route goes to that NAT gateway.
    const natRoutes = resourcesOf('AWS::EC2::Route').filter(([, route]) => route.Properties.NatGatewayId);
    expect(natRoutes).toHaveLength(2);
    for (const [, route] of natRoutes) {
      expect(route.Properties).toMatchObject({ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: { Ref: nats[0]![0] } });
    }
  });

  it('runs the functions that call platforms in the private subnets, and the meta function outside the VPC', () => {
    const privateSubnets = subnetsTagged('Private');
    expect(privateSubnets).toHaveLength(2);
    const [securityGroupId] = resourcesOf('AWS::EC2::SecurityGroup').map(([id]) => id);
    for (const name of platformCallers) {
      expect(functionNamed(name).Properties.VpcConfig, name).toEqual({
        SubnetIds: privateSubnets.map((id) => ({ Ref: id })),
        SecurityGroupIds: [{ 'Fn::GetAtt': [securityGroupId, 'GroupId'] }],
      });
    }
    expect(functionNamed('MetaFunction').Properties.VpcConfig).toBeUndefined();
  });

  it('outputs the Elastic IP as EgressIps, for the WeCom console', () => {
    const [eipId] = resourcesOf('AWS::EC2::EIP').map(([id]) => id);
    template.hasOutput('EgressIps', { Value: { 'Fn::GetAtt': [eipId, 'PublicIp'] } });
  });

  it('gives the functions a security group with no inbound rule', () => {
    const groups = resourcesOf('AWS::EC2::SecurityGroup');
    expect(groups).toHaveLength(1);
    expect(groups[0]![1].Properties.SecurityGroupIngress).toBeUndefined();
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    expect(groups[0]![1].Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: '-1' })]);
  });

  it('logs all of the VPC traffic to a log group with retention (AwsSolutions-VPC7)', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('grants the network-interface actions inline, to the VPC functions only, with no AWS managed policy', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const ec2ActionsOf = (prefix: string) =>
      resourcesOf('AWS::IAM::Policy')
        .filter(([id]) => id.startsWith(prefix))
        .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
        .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('ec2:')))
        .map((statement) => ({ ...statement, Action: [statement.Action].flat().sort() }));
    for (const name of platformCallers) {
      expect(ec2ActionsOf(name), name).toEqual([
        { Effect: 'Allow', Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], Resource: '*' },
        {
          Effect: 'Allow',
          Action: ['ec2:AssignPrivateIpAddresses', 'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:UnassignPrivateIpAddresses'],
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:eu-west-1:123456789012:*/*']] },
        },
      ]);
    }
    expect(ec2ActionsOf('MetaFunction')).toEqual([]);
  });

  it('needs no Availability Zone lookup, so cdk synth stays offline for a stack with account and region', () => {
    template.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] } });
    template.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] } });
  });
});

describe('fixed egress options', () => {
  it('natGateways: 2 gives a NAT gateway and an Elastic IP per zone, both in EgressIps', () => {
    const twoZones = templateOf({ fixedEgress: true, natGateways: 2 });
    const eipIds = Object.keys(twoZones.findResources('AWS::EC2::EIP'));
    expect(eipIds).toHaveLength(2);
    const allocations = Object.values(twoZones.findResources('AWS::EC2::NatGateway')).map((nat) => nat.Properties.AllocationId);
    expect(allocations).toEqual(eipIds.map((id) => ({ 'Fn::GetAtt': [id, 'AllocationId'] })));
    twoZones.hasOutput('EgressIps', { Value: { 'Fn::Join': [', ', eipIds.map((id) => ({ 'Fn::GetAtt': [id, 'PublicIp'] }))] } });
  });

  it('is off by default: no VPC, no NAT gateway, no Elastic IP, no function in a VPC, no EgressIps', () => {
    const plain = templateOf({});
    for (const type of ['AWS::EC2::VPC', 'AWS::EC2::NatGateway', 'AWS::EC2::EIP', 'AWS::EC2::SecurityGroup']) plain.resourceCountIs(type, 0);
    plain.allResourcesProperties('AWS::Lambda::Function', { VpcConfig: Match.absent() });
    expect(plain.findOutputs('EgressIps')).toEqual({});
  });

  it('refuses natGateways without fixedEgress, or other than 1 or 2', () => {
    expect(() => templateOf({ natGateways: 2 })).toThrow(/natGateways needs fixedEgress/);
    expect(() => templateOf({ fixedEgress: true, natGateways: 3 })).toThrow(/natGateways must be 1 or 2/);
    expect(() => templateOf({ fixedEgress: true, natGateways: 0 })).toThrow(/natGateways must be 1 or 2/);
  });
});
