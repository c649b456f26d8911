import { Aws, CfnCondition, Duration, Fn, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type CfnFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { FixedEgress } from './fixed-egress.ts';
import { lambdaActiveTracing } from './partition-features.ts';

const root = join(import.meta.dirname, '..');

export interface ApiFunctionProps {
  /** File under `functions/`, without extension. */
  entry: string;
  description: string;
  environment?: Record<string, string>;
  /** @default RetentionDays.ONE_MONTH */
  logRetention?: RetentionDays;
  /** @default 512 */
  memorySize?: number;
  /** @default Duration.seconds(29), API Gateway's own limit */
  timeout?: Duration;
  /** @default Architecture.ARM_64 */
  architecture?: Architecture;
  /**
   * Run in the private subnets of this fixed egress, so every outbound call leaves from its Elastic IPs.
   * @default no VPC: Lambda's shared egress, whose addresses change
   */
  egress?: FixedEgress;
  /**
   * Why the function is granted actions on every resource ("*") besides tracing and VPC access, which this
   * construct adds and explains itself; recorded with the cdk-nag acknowledgment of AwsSolutions-IAM5.
   * @default none
   */
  grantsOnEverything?: string[];
  /** Extra NodejsFunction props, applied last. */
  overrides?: Partial<NodejsFunctionProps>;
}

/**
 * The one opinionated Lambda function of imhub: Node.js 24 on ARM64, X-Ray tracing (where the partition
 * offers it to Lambda), its own log group with retention, ESM bundle minified with source maps by the
 * local esbuild (no Docker).
 */
export class ApiFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: ApiFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role instead of AWSLambdaBasicExecutionRole: logs only to its own log group.
    this.role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: props.description });
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    if (props.egress) this.grantNetworkInterfaces();
    const activeTracing = lambdaActiveTracing(this);
    this.function = new NodejsFunction(this, 'Function', {
      role: this.role,
      entry: join(root, 'functions', `${props.entry}.ts`),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: props.architecture ?? Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(29),
      tracing: activeTracing === false ? Tracing.DISABLED : Tracing.ACTIVE,
      ...(props.egress && { vpc: props.egress.vpc, vpcSubnets: props.egress.subnets, securityGroups: [props.egress.securityGroup] }),
      logGroup: this.logGroup,
      projectRoot: root,
      depsLockFilePath: join(root, 'package-lock.json'),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node20',
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.EXTERNAL,
        mainFields: ['module', 'main'],
        // Bundle our pinned AWS SDK clients instead of loading the runtime's from its node_modules:
        // one minified file imports in about half the time (npm run bench: rows 2a-2b against 2m-2n).
        bundleAwsSDK: true,
        // ESM bundles of CommonJS dependencies still call require().
        banner: "import { createRequire as __imhubCreateRequire } from 'node:module'; const require = __imhubCreateRequire(import.meta.url);",
        forceDockerBundling: false,
      },
      ...props.overrides,
    });
    if (activeTracing instanceof CfnCondition) {
      (this.function.node.defaultChild as CfnFunction).tracingConfig = Fn.conditionIf(activeTracing.logicalId, { Mode: Tracing.ACTIVE }, Aws.NO_VALUE);
    }
    const onEverything = [
      ...(activeTracing === false ? [] : ['X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions, so tracing is granted on "*".']),
      ...(props.egress ? ['EC2 DescribeNetworkInterfaces/DescribeSubnets support no resource-level permissions; Lambda needs them for a VPC function.'] : []),
      ...(props.grantsOnEverything ?? []),
    ];
    if (onEverything.length > 0) Validations.of(this).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: onEverything.join(' ') });
  }

  /**
   * Lets the function send messages to `queue` (sqs:SendMessage, nothing else) and gives it the queue's URL
   * as `variable`: the grant and the setting come together, so neither is forgotten.
   */
  sendsTo(queue: IQueue, variable: string): void {
    queue.grant(this.function, 'sqs:SendMessage');
    // What SendMessage needs of a queue's own KMS key (none for SQS-managed encryption).
    queue.encryptionMasterKey?.grant(this.function, 'kms:GenerateDataKey', 'kms:Decrypt');
    this.function.addEnvironment(variable, queue.queueUrl);
  }

  /**
   * What Lambda needs to manage a VPC function's network interfaces: the EC2 actions of the managed
   * AWSLambdaVPCAccessExecutionRole, inline (that policy's logs actions are wider than this role's own).
   */
  private grantNetworkInterfaces() {
    const { region, account } = Stack.of(this);
    this.role.addToPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], resources: ['*'] }),
    );
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        resources: [`arn:${Aws.PARTITION}:ec2:${region}:${account}:*/*`],
      }),
    );
    Validations.of(this).acknowledge({
      // The resource as cdk-nag writes it in the finding id.
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${Token.isUnresolved(region) ? '<AWS::Region>' : region}:${Token.isUnresolved(account) ? '<AWS::AccountId>' : account}:*/*]`,
      reason:
        "Lambda picks the network interfaces (and their ids) of a VPC function itself, so they cannot be named in advance; the grant is kept to this account and region, the Lambda developer guide's own scoping for DeleteNetworkInterface.",
    });
  }
}
