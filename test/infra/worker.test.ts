import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ImhubStack, type ImhubStackProps } from '../../infra/imhub-stack.ts';

const newApp = () => new App({ outdir: mkdtempSync(join(tmpdir(), 'imhub-cdk-')), context: { 'aws:cdk:bundling-stacks': [] } });
const env = { account: '123456789012', region: 'eu-west-1' };
const templateOf = (props: ImhubStackProps = {}) => Template.fromStack(new ImhubStack(newApp(), 'Imhub', { env, ...props }));

type Resource = { Type: string; Properties: Record<string, any> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** The resources the worker and its neighbours are made of, found in one template. */
function partsOf(template: Template) {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const idOf = (type: string, prefix: string) => {
    const ids = Object.keys(resources).filter((id) => id.startsWith(prefix) && resources[id]!.Type === type);
    expect(ids, `${type} ${prefix}`).toHaveLength(1);
    return ids[0]!;
  };
  const worker = idOf('AWS::Lambda::Function', 'JobWorkerFunction');
  const mappings = Object.values(resources).filter((resource) => resource.Type === 'AWS::Lambda::EventSourceMapping');
  const mappingFrom = (arnAttribute: string) => {
    const found = mappings.filter((mapping) => JSON.stringify(mapping.Properties.EventSourceArn).includes(arnAttribute));
    expect(found, arnAttribute).toHaveLength(1);
    return found[0]!.Properties;
  };
  const [table] = Object.keys(template.findResources('AWS::DynamoDB::GlobalTable'));
  const streamMapping = mappingFrom('"StreamArn"');
  const wakeups = idOf('AWS::SQS::Queue', 'JobWorkerWakeups');
  const wakeupMapping = mappingFrom(`"${wakeups}"`);
  // The dead-letter queues as the template wires them, not as they are named.
  const streamFailures: string = streamMapping.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0];
  const wakeupDeadLetters: string = resources[wakeups]!.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0];
  /** Every statement of the policies attached to the roles whose logical id starts with `prefix`. */
  const statementsOf = (prefix: string): Statement[] =>
    Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy')
      .filter((policy) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref.startsWith(prefix)))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
  return { resources, table: table!, worker, streamMapping, wakeups, wakeupMapping, streamFailures, wakeupDeadLetters, statementsOf };
}

const actions = (statement: Statement) => [statement.Action].flat();
const apiFunctions = ['MetaFunction', 'IntegrationsFunction', 'CallbacksFunction', 'ApprovalsFunction', 'NotificationsFunction'];

let template: Template;
let parts: ReturnType<typeof partsOf>;
beforeAll(() => {
  template = templateOf();
  parts = partsOf(template);
});

describe('the table stream', () => {
  it('is on, with new images (the job item as written)', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { StreamSpecification: { StreamViewType: 'NEW_IMAGE' } });
  });

  it('starts the worker only for job items inserted or modified, from the latest record', () => {
    const mapping = parts.streamMapping;
    expect(mapping.EventSourceArn).toEqual({ 'Fn::GetAtt': [parts.table, 'StreamArn'] });
    expect(mapping.FunctionName).toEqual({ Ref: parts.worker });
    expect(mapping.StartingPosition).toBe('LATEST');
    expect(mapping.FilterCriteria.Filters).toHaveLength(1);
    expect(JSON.parse(mapping.FilterCriteria.Filters[0].Pattern)).toEqual({
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: { NewImage: { entity: { S: ['job'] } } },
    });
  });

  it('bisects a failing batch, takes item failures, retries 3 times, then sends the batch to an SQS dead-letter queue', () => {
    expect(parts.streamMapping).toMatchObject({
      BatchSize: 10,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 3,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [parts.streamFailures, 'Arn'] } } },
    });
    expect(parts.resources[parts.streamFailures]!.Type).toBe('AWS::SQS::Queue');
  });
});

describe('the wakeup queue', () => {
  it('is consumed by the worker in batches of 10, with item failures reported', () => {
    expect(parts.wakeupMapping).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [parts.wakeups, 'Arn'] },
      FunctionName: { Ref: parts.worker },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('is named to the worker as JOB_WAKEUP_QUEUE_URL', () => {
    expect(parts.resources[parts.worker]!.Properties.Environment.Variables.JOB_WAKEUP_QUEUE_URL).toEqual({ Ref: parts.wakeups });
  });

  it('moves a wakeup failed 5 times to its own dead-letter queue, and hides a received one longer than the worker runs', () => {
    const wakeups = parts.resources[parts.wakeups]!.Properties;
    expect(wakeups.RedrivePolicy.maxReceiveCount).toBe(5);
    expect(parts.wakeupDeadLetters).not.toBe(parts.wakeups);
    expect(parts.wakeupDeadLetters).not.toBe(parts.streamFailures);
    // Lambda refuses an SQS event source whose visibility timeout is below the function's timeout.
    expect(wakeups.VisibilityTimeout).toBeGreaterThanOrEqual(6 * parts.resources[parts.worker]!.Properties.Timeout);
  });

  it('is, with both dead-letter queues, encrypted and refuses requests without TLS', () => {
    for (const queue of [parts.wakeups, parts.wakeupDeadLetters, parts.streamFailures]) {
      expect(parts.resources[queue]!.Properties.SqsManagedSseEnabled, queue).toBe(true);
      const policies = Object.values(parts.resources).filter(
        (resource) => resource.Type === 'AWS::SQS::QueuePolicy' && JSON.stringify(resource.Properties.Queues) === JSON.stringify([{ Ref: queue }]),
      );
      expect(policies, queue).toHaveLength(1);
      expect(policies[0]!.Properties.PolicyDocument.Statement).toEqual([
        expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]);
    }
  });
});

describe('the worker function', () => {
  it("has the reconciler's settings and memory, the wakeup queue besides, and a 60 s timeout", () => {
    const worker = parts.resources[parts.worker]!.Properties;
    const reconciler = Object.entries(parts.resources).find(([id, resource]) => id.startsWith('ReconcilerFunction') && resource.Type === 'AWS::Lambda::Function')![1]
      .Properties;
    const { JOB_WAKEUP_QUEUE_URL, ...rest } = worker.Environment.Variables;
    expect(JOB_WAKEUP_QUEUE_URL).toBeDefined();
    expect(rest).toEqual(reconciler.Environment.Variables);
    expect(Object.keys(rest)).toEqual(expect.arrayContaining(['TABLE_NAME', 'KMS_KEY_ID', 'PUBLIC_BASE_URL']));
    expect(worker.MemorySize).toBe(reconciler.MemorySize);
    expect(worker.Timeout).toBe(60);
    expect(worker.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('may read and write the table, Encrypt/Decrypt with the secrets key, and read the stream; not the bootstrap secret', () => {
    const statements = parts.statementsOf('JobWorkerFunction');
    const all = statements.flatMap(actions);
    expect(all).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:DeleteItem']));
    expect(all.filter((action) => action.startsWith('kms:')).sort()).toEqual(['kms:Decrypt', 'kms:Encrypt']);
    expect(all.some((action) => action.startsWith('secretsmanager:'))).toBe(false);
    const onStream = statements.filter((statement) => JSON.stringify(statement.Resource) === JSON.stringify({ 'Fn::GetAtt': [parts.table, 'StreamArn'] }));
    expect(onStream.flatMap(actions)).toEqual(expect.arrayContaining(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator']));
    // ListStreams takes no resource but "*" (a grant on the stream ARN would grant nothing).
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'dynamodb:ListStreams', Resource: '*' });
  });

  it('may send to the wakeup queue, and to no queue but that and its stream dead-letter queue', () => {
    const sends = parts.statementsOf('JobWorkerFunction').filter((statement) => actions(statement).includes('sqs:SendMessage'));
    expect(sends).toContainEqual({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [parts.wakeups, 'Arn'] } });
    expect(sends.map((statement) => statement.Resource)).toEqual(
      expect.arrayContaining([{ 'Fn::GetAtt': [parts.streamFailures, 'Arn'] }]),
    );
    for (const statement of sends) {
      expect([{ 'Fn::GetAtt': [parts.wakeups, 'Arn'] }, { 'Fn::GetAtt': [parts.streamFailures, 'Arn'] }]).toContainEqual(statement.Resource);
    }
  });

  it('is the only function that may touch a queue or the stream: the API functions and the reconciler may not', () => {
    for (const prefix of [...apiFunctions, 'ReconcilerFunction']) {
      const statements = parts.statementsOf(prefix);
      expect(statements.length, prefix).toBeGreaterThan(0);
      expect(statements.flatMap(actions).filter((action) => action.startsWith('sqs:') || action === 'dynamodb:ListStreams' || action === 'dynamodb:DescribeStream'), prefix).toEqual([]);
      expect(JSON.stringify(statements), prefix).not.toMatch(/StreamArn|JobWorkerWakeups|JobWorkerStreamFailures|JobWorkerWakeupDeadLetters/);
    }
  });

  it("keeps the reconciler's minute schedule, as the sweep for what a trigger missed", () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(JSON.stringify(rules[0]!.Properties.Targets)).toMatch(/"ReconcilerFunction/);
  });
});

describe('the job alarms', () => {
  const alarms = () => Object.entries(template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>);
  const alarmOn = (metricName: string, dimension: unknown) => {
    const found = alarms().filter(([, alarm]) => alarm.Properties.MetricName === metricName && JSON.stringify(alarm.Properties.Dimensions) === JSON.stringify([dimension]));
    expect(found, metricName).toHaveLength(1);
    return found[0]!;
  };

  it('fire on any worker error within 5 minutes', () => {
    const [, alarm] = alarmOn('Errors', { Name: 'FunctionName', Value: { Ref: parts.worker } });
    expect(alarm.Properties).toMatchObject({ Namespace: 'AWS/Lambda', Statistic: 'Sum', Period: 300, EvaluationPeriods: 1, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('fire when the worker is more than 60 s behind the stream', () => {
    const [, alarm] = alarmOn('IteratorAge', { Name: 'FunctionName', Value: { Ref: parts.worker } });
    expect(alarm.Properties).toMatchObject({ Namespace: 'AWS/Lambda', Statistic: 'Maximum', Threshold: 60_000, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('fire on any message in either dead-letter queue', () => {
    for (const queue of [parts.streamFailures, parts.wakeupDeadLetters]) {
      const [, alarm] = alarmOn('ApproximateNumberOfMessagesVisible', { Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } });
      expect(alarm.Properties).toMatchObject({ Namespace: 'AWS/SQS', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    }
  });

  it('are named in the JobAlarms output, since they have no actions', () => {
    const ids = [
      alarmOn('Errors', { Name: 'FunctionName', Value: { Ref: parts.worker } })[0],
      alarmOn('IteratorAge', { Name: 'FunctionName', Value: { Ref: parts.worker } })[0],
      ...[parts.streamFailures, parts.wakeupDeadLetters].map((queue) => alarmOn('ApproximateNumberOfMessagesVisible', { Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } })[0]),
    ];
    const listed = template.findOutputs('JobAlarms').JobAlarms!.Value['Fn::Join'][1].map((ref: { Ref: string }) => ref.Ref);
    expect([...listed].sort()).toEqual([...ids].sort());
    for (const id of ids) expect(template.findResources('AWS::CloudWatch::Alarm')[id]!.Properties.AlarmActions).toBeUndefined();
  });
});

describe('the worker with fixedEgress', () => {
  it('runs in the private subnets behind the NAT gateway, as the reconciler does, and may manage its network interfaces', () => {
    const egress = partsOf(templateOf({ fixedEgress: true }));
    const functionNamed = (prefix: string) =>
      Object.entries(egress.resources).find(([id, resource]) => id.startsWith(prefix) && resource.Type === 'AWS::Lambda::Function')![1].Properties;
    const reconcilerVpc = functionNamed('ReconcilerFunction').VpcConfig;
    expect(reconcilerVpc.SubnetIds.length).toBeGreaterThan(0);
    expect(functionNamed('JobWorkerFunction').VpcConfig).toEqual(reconcilerVpc);
    expect(egress.statementsOf('JobWorkerFunction').flatMap(actions)).toEqual(expect.arrayContaining(['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface']));
  });

  it('runs outside any VPC without it', () => {
    expect(parts.resources[parts.worker]!.Properties.VpcConfig).toBeUndefined();
  });
});
