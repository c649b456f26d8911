import { type CfnElement, CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { AttributeType, Billing, StreamViewType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Architecture } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { FunctionGroup } from '../lib/http/contract.ts';
import { allRoutes } from '../lib/http/routes.ts';
import { tableSchema } from '../lib/store/table-schema.ts';
import { ApiFunction } from './api-function.ts';
import { FixedEgress } from './fixed-egress.ts';
import { JobWorker } from './job-worker.ts';

export interface ImhubStackProps extends StackProps {
  /**
   * Keep the table from being deleted by a stack update or `cdk destroy`.
   * @default true
   */
  deletionProtection?: boolean;
  /** @default RetentionDays.ONE_MONTH */
  logRetention?: RetentionDays;
  /**
   * Requests per second across the API, and the burst above it.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  throttle?: { rateLimit: number; burstLimit: number };
  /**
   * Base of the callback URLs handed to the platforms, e.g. a custom domain.
   * @default the API's own execute-api URL
   */
  publicBaseUrl?: string;
  /**
   * Give the functions that call platforms (integrations, callbacks, approvals, notifications, the
   * reconciler, the job worker) a fixed egress: private subnets of a new VPC whose traffic leaves through
   * NAT gateways on Elastic IPs allocated by the stack, output as `EgressIps`. Needed by WeCom apps
   * created after 2022-06-20, which accept calls only from their trusted IPs (errcode 60020). Costs a NAT
   * gateway and a public IPv4 address per `natGateways`, plus NAT data processing. Context:
   * `-c fixedEgress=true`.
   * @default false
   */
  fixedEgress?: boolean;
  /**
   * With `fixedEgress`: NAT gateways, one per Availability Zone, each with its own Elastic IP; 2 keeps
   * platform calls working when a zone fails. Context: `-c natGateways=2`.
   * @default 1
   */
  natGateways?: number;
  /**
   * Instruction set of the functions. Context: `-c architecture=x86_64`.
   * @default Architecture.ARM_64
   */
  architecture?: Architecture;
  /**
   * Bases an app's `apiBaseUrl` may use besides the platforms' official API hosts (open.feishu.cn,
   * open.larksuite.com, api/oapi.dingtalk.com, qyapi.weixin.qq.com): https URLs of a proxy or private
   * deployment, each allowing itself and the paths below it. The token fetch sends the app secret to the
   * base, so list only servers you run. Context: `-c allowedApiBases=https://proxy.example.com,https://…`.
   * @default [] (the official hosts only)
   */
  allowedApiBases?: string[];
}

/**
 * imhub on AWS: an HTTP API in front of one Lambda per handler group, one table, one key, one
 * bootstrap secret, and a job worker started by the table's stream (with the reconciler's minute
 * schedule as the sweep for what a trigger missed). Callbacks for all four platforms share one
 * function: the contract's callback URL (`/v1/callbacks/{integrationId}`) does not name the provider,
 * so API Gateway cannot route by it.
 */
export class ImhubStack extends Stack {
  constructor(scope: Construct, id: string, props: ImhubStackProps = {}) {
    super(scope, id, props);
    const deletionProtection = props.deletionProtection ?? true;
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    if (props.natGateways !== undefined && !props.fixedEgress) throw new Error('natGateways needs fixedEgress: true');
    const egress = props.fixedEgress ? new FixedEgress(this, 'FixedEgress', { natGateways: props.natGateways, logRetention }) : undefined;
    // Every function gets these; `egress` only those that call platforms (all but meta).
    const base = { logRetention, architecture: props.architecture };
    const callsPlatforms = { ...base, egress };

    const table = new TableV2(this, 'Table', {
      partitionKey: { name: tableSchema.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableSchema.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: tableSchema.ttlAttribute,
      // The job worker's trigger: jobs are written with the record that sets them off (an outbox).
      dynamoStream: StreamViewType.NEW_IMAGE,
      deletionProtection,
      removalPolicy: deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      globalSecondaryIndexes: [tableSchema.gsi1, tableSchema.gsi2].map((index) => ({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
      })),
    });

    const secretsKey = new Key(this, 'SecretsKey', {
      description: 'imhub: seals integration secrets (encryption context binds each to its integration id)',
      enableKeyRotation: true,
      removalPolicy: deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    const bootstrapSecret = new Secret(this, 'BootstrapApiKey', {
      description: 'imhub: the bootstrap admin API key (Authorization: Bearer <value>)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(bootstrapSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The bootstrap key is rotated by the operator (rotate-secret with a new random value; functions re-read it within 5 minutes); create scoped keys with POST /v1/api-keys for daily use.',
    });

    const api = new HttpApi(this, 'Api', { description: 'imhub HTTP API v1', createDefaultStage: false });
    const publicBaseUrl = props.publicBaseUrl ?? api.apiEndpoint;
    const allowedApiBases = checkedApiBases(props.allowedApiBases ?? []);
    const common = {
      TABLE_NAME: table.tableName,
      PUBLIC_BASE_URL: publicBaseUrl,
      ...(allowedApiBases.length > 0 ? { IMHUB_ALLOWED_API_BASES: allowedApiBases.join(',') } : {}),
    };

    const functions: Record<FunctionGroup, ApiFunction> = {
      meta: new ApiFunction(this, 'MetaFunction', {
        entry: 'meta',
        description: 'imhub: health, OpenAPI document, 404/405 for unknown routes',
        environment: { PUBLIC_BASE_URL: publicBaseUrl },
        ...base,
        memorySize: 256,
      }),
      integrations: new ApiFunction(this, 'IntegrationsFunction', {
        entry: 'integrations',
        description: 'imhub: integrations and API keys',
        environment: { ...common, KMS_KEY_ID: secretsKey.keyArn, BOOTSTRAP_SECRET_ARN: bootstrapSecret.secretArn },
        ...callsPlatforms,
      }),
      // Small and separate: platforms give 1-3 s for handshakes, so this bundle carries no SDK.
      callbacks: new ApiFunction(this, 'CallbacksFunction', {
        entry: 'callbacks',
        description: 'imhub: verified platform callbacks (Feishu, Lark, DingTalk, WeCom)',
        environment: { ...common, KMS_KEY_ID: secretsKey.keyArn },
        ...callsPlatforms,
        memorySize: 1024,
        timeout: Duration.seconds(10),
      }),
      approvals: new ApiFunction(this, 'ApprovalsFunction', {
        entry: 'approvals',
        description: 'imhub: approvals (start, read and long-poll, list, cancel)',
        environment: { ...common, KMS_KEY_ID: secretsKey.keyArn, BOOTSTRAP_SECRET_ARN: bootstrapSecret.secretArn },
        ...callsPlatforms,
      }),
      notifications: new ApiFunction(this, 'NotificationsFunction', {
        entry: 'notifications',
        description: 'imhub: notifications (fan-out to chats, users and group bots)',
        environment: { ...common, KMS_KEY_ID: secretsKey.keyArn, BOOTSTRAP_SECRET_ARN: bootstrapSecret.secretArn },
        ...callsPlatforms,
      }),
    };
    const reconciler = new ApiFunction(this, 'ReconcilerFunction', {
      entry: 'reconciler',
      description: 'imhub: re-reads due pending approvals, expires and withdraws timed-out ones',
      environment: { ...common, KMS_KEY_ID: secretsKey.keyArn },
      ...callsPlatforms,
      timeout: Duration.seconds(55),
    });
    // Started by the table's stream and by its own delayed wakeups; see job-worker.ts.
    const jobWorker = new JobWorker(this, 'JobWorker', {
      table,
      environment: { ...common, KMS_KEY_ID: secretsKey.keyArn },
      ...callsPlatforms,
    });
    const worker = jobWorker.function;
    new Rule(this, 'ReconcilerSchedule', {
      description: 'imhub: run the approval reconciler every minute',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(reconciler.function, { retryAttempts: 0 })],
    });

    // Least privilege: the meta function touches nothing; the integrations function reads and
    // writes the table, seals and opens secrets, and reads the bootstrap key.
    table.grantReadWriteData(functions.integrations.function);
    secretsKey.grant(functions.integrations.function, 'kms:Encrypt', 'kms:Decrypt');
    bootstrapSecret.grantRead(functions.integrations.function);
    // Callbacks, approvals, the reconciler and the job worker open secrets and seal fetched platform
    // tokens (Encrypt/Decrypt on the one key), and write the table; none but the management
    // functions can read the bootstrap key. Only the worker reads the stream and the job queues
    // (granted by its construct).
    for (const fn of [functions.callbacks, functions.approvals, functions.notifications, reconciler, worker]) {
      table.grantReadWriteData(fn.function);
      secretsKey.grant(fn.function, 'kms:Encrypt', 'kms:Decrypt');
    }
    bootstrapSecret.grantRead(functions.approvals.function);
    bootstrapSecret.grantRead(functions.notifications.function);

    const integrations = Object.fromEntries(
      Object.entries(functions).map(([group, fn]) => [group, new HttpLambdaIntegration(`${group}-integration`, fn.function)]),
    ) as Record<FunctionGroup, HttpLambdaIntegration>;
    for (const route of allRoutes) {
      api.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration: integrations[route.group] });
    }
    // Everything else reaches the meta function, which answers 404 or 405 in the API's error format.
    api.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.ANY], integration: integrations.meta });

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const throttle = props.throttle ?? { rateLimit: 50, burstLimit: 100 };
    new HttpStage(this, 'DefaultStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs) },
    });
    for (const fn of [functions.integrations, functions.callbacks, functions.approvals, functions.notifications, reconciler, worker]) {
      Validations.of(fn).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(table.node.defaultChild as CfnElement)}.Arn>/index/*]`,
        reason: 'table.grantReadWriteData includes "<table>/index/*" so the function can query the GSI of this one table.',
      });
    }
    for (const route of api.node.children) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: 'Authorization is done in the functions: Bearer API keys (hashed, scoped) for management routes; platform signatures for callbacks; /healthz and /v1/openapi.json are public by design.',
      });
    }

    new Alarm(this, 'Api5xxAlarm', {
      alarmDescription: 'imhub: the API answered 5xx',
      metric: api.metricServerError({ period: Duration.minutes(5) }),
      threshold: 5,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    for (const [group, fn] of [...Object.entries(functions), ['reconciler', reconciler] as const]) {
      new Alarm(this, `${group}ErrorsAlarm`, {
        alarmDescription: `imhub: the ${group} function failed`,
        metric: fn.function.metricErrors({ period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }

    new CfnOutput(this, 'ApiUrl', { value: api.apiEndpoint, description: 'Base URL of the imhub API' });
    new CfnOutput(this, 'CallbackBaseUrl', { value: `${publicBaseUrl}/v1/callbacks/`, description: 'Platforms post events to this URL + integration id' });
    new CfnOutput(this, 'BootstrapSecretArn', {
      value: bootstrapSecret.secretArn,
      description: 'Read the admin key: aws secretsmanager get-secret-value --secret-id <this> --query SecretString --output text',
    });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'JobAlarms', {
      value: Fn.join(', ', jobWorker.alarms.map((alarm) => alarm.alarmName)),
      description: 'The job worker alarms (errors, stream lag, dead letters); they have no actions, so add one (e.g. an SNS topic) to be told',
    });
    if (egress) {
      new CfnOutput(this, 'EgressIps', {
        value: Fn.join(', ', egress.ips),
        description: "The functions' outbound IPs: enter them as the trusted IPs of each WeCom app",
      });
    }
  }

  /**
   * The first two zones of `Fn::GetAZs`, as for an environment-agnostic stack, even when account and
   * region are known: the VPC of `fixedEgress` then needs no zone lookup, so `cdk synth` stays offline.
   */
  override get availabilityZones(): string[] {
    return [0, 1].map((index) => Fn.select(index, Fn.getAzs()));
  }
}

/** The allowed API bases as given, refused at synth when one is not an https URL (the functions would refuse it at start). */
function checkedApiBases(bases: readonly string[]): string[] {
  for (const base of bases) {
    if (!URL.canParse(base) || new URL(base).protocol !== 'https:' || base.includes(',')) {
      throw new Error(`allowedApiBases: ${base} is not an https URL such as https://proxy.example.com`);
    }
  }
  return [...bases];
}
