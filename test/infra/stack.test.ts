import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ImhubStack } from '../../infra/imhub-stack.ts';
import { allRoutes } from '../../lib/http/routes.ts';
import { tableSchema } from '../../lib/store/table-schema.ts';

const newApp = () => new App({ outdir: mkdtempSync(join(tmpdir(), 'imhub-cdk-')), context: { 'aws:cdk:bundling-stacks': [] } });

let template: Template;
let synthError: unknown;
beforeAll(() => {
  // One synth for the file, with cdk-nag's AwsSolutions pack as a validation plugin, as infra/app.ts has it.
  const app = newApp();
  const stack = new ImhubStack(app, 'Imhub', { env: { account: '123456789012', region: 'eu-west-1' } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
  template = Template.fromStack(stack);
});

type Statement = { Action: string | string[]; Resource: unknown };
function statementsOf(roleLogicalIdPrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleLogicalIdPrefix))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}
const actionsOf = (prefix: string) => statementsOf(prefix).flatMap((statement) => [statement.Action].flat());

describe('cdk-nag', () => {
  it('finds nothing unacknowledged in the stack', () => {
    expect(synthError).toBeUndefined();
  });

  it('does fail a stack with findings, so the check above is live', () => {
    const app = newApp();
    new Queue(new Stack(app, 'Bad'), 'Queue');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS/);
  });
});

describe('the table', () => {
  it('is on-demand with PITR, TTL, deletion protection and the key schema the code uses', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: tableSchema.ttlAttribute, Enabled: true },
        KeySchema: [
          { AttributeName: tableSchema.partitionKey, KeyType: 'HASH' },
          { AttributeName: tableSchema.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: tableSchema.gsi1.indexName,
            KeySchema: [
              { AttributeName: tableSchema.gsi1.partitionKey, KeyType: 'HASH' },
              { AttributeName: tableSchema.gsi1.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          }),
          Match.objectLike({
            IndexName: tableSchema.gsi2.indexName,
            KeySchema: [
              { AttributeName: tableSchema.gsi2.partitionKey, KeyType: 'HASH' },
              { AttributeName: tableSchema.gsi2.sortKey, KeyType: 'RANGE' },
            ],
          }),
        ],
        Replicas: [
          Match.objectLike({ DeletionProtectionEnabled: true, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
        ],
      }),
    });
  });

  it('can be created without deletion protection for a throwaway stack', () => {
    const app = newApp();
    const stack = new ImhubStack(app, 'Throwaway', { deletionProtection: false });
    Template.fromStack(stack).hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })] }),
    });
  });
});

describe('secrets', () => {
  it('has a rotating KMS key and a generated bootstrap admin key', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 48, ExcludePunctuation: true }),
    });
    template.hasOutput('BootstrapSecretArn', Match.anyValue());
  });
});

describe('the functions', () => {
  it('run Node.js 24 on ARM64 with tracing, source maps and their own log group', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(7);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: expect.anything() },
      });
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    }
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('grant the meta function nothing beyond its logs and traces', () => {
    expect(actionsOf('MetaFunction').sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it('grant the integrations function the table, Encrypt/Decrypt on its key and the bootstrap secret, nothing wider', () => {
    const actions = actionsOf('IntegrationsFunction');
    expect(actions).toEqual(expect.arrayContaining(['kms:Encrypt', 'kms:Decrypt', 'dynamodb:PutItem', 'dynamodb:Query', 'secretsmanager:GetSecretValue']));
    expect(actions.filter((action) => action.startsWith('kms:')).sort()).toEqual(['kms:Decrypt', 'kms:Encrypt']);
    expect(actions.some((action) => action.endsWith('*') && !action.startsWith('xray'))).toBe(false);
  });

  it('grant the callbacks function Encrypt/Decrypt (secrets, fetched tokens), the table, and not the bootstrap secret', () => {
    const actions = actionsOf('CallbacksFunction');
    expect(actions.filter((action) => action.startsWith('kms:')).sort()).toEqual(['kms:Decrypt', 'kms:Encrypt']);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:GetItem']));
    expect(actions.some((action) => action.startsWith('secretsmanager:'))).toBe(false);
  });

  it('use no AWS managed policy', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('the reconciler', () => {
  it('runs every minute from an EventBridge schedule, and reads no bootstrap key', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
    expect(actionsOf('ReconcilerFunction').some((action) => action.startsWith('secretsmanager:'))).toBe(false);
  });
});

describe('the HTTP API', () => {
  it('has a route for every route of the contract, and a catch-all to the meta function', () => {
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((route) => route.Properties.RouteKey);
    for (const route of allRoutes) expect(routeKeys).toContain(`${route.method} ${route.path}`);
    expect(routeKeys).toContain('ANY /{proxy+}');
    expect(routeKeys).toHaveLength(allRoutes.length + 1);
  });

  it('throttles and access-logs the stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  it('tells the functions the public base URL for callback URLs', () => {
    const integrations = Object.values(template.findResources('AWS::Lambda::Function')).find((fn) => fn.Properties.Environment.Variables.KMS_KEY_ID);
    const [apiId] = Object.keys(template.findResources('AWS::ApiGatewayV2::Api'));
    expect(integrations!.Properties.Environment.Variables.PUBLIC_BASE_URL).toEqual({ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] });
  });
});
