import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { tableSchema } from '../lib/store/table-schema.ts';
import { ApiFunction, type ApiFunctionProps } from './api-function.ts';

/**
 * What marks a job item in the table (`pk = JOB#<id>`, `sk = JOB`): the stream filter lets only these
 * reach the worker, so approvals, tokens and dedupe records written beside them cost no invocation.
 */
const { jobEntity } = tableSchema;

/** The function's timeout: one batch of jobs, each a few platform calls at most. */
const timeout = Duration.seconds(60);

export interface JobWorkerProps extends Pick<ApiFunctionProps, 'environment' | 'logRetention' | 'architecture' | 'egress'> {
  /** The table the jobs are written to; its stream must carry new images (`StreamViewType.NEW_IMAGE`). */
  table: TableV2;
}

/**
 * The background job worker: one function started at once by the table's stream when a job is written
 * (the outbox: a job is written in the same transaction as the record that sets it off) and by the
 * `Wakeups` queue for a job due later (a rate window opening, a retry backoff), which the worker sends
 * itself with a delay of up to 15 minutes. The reconciler's minute schedule stays as the sweep for what a
 * trigger missed. Stream batches that still fail after retries, and wakeups received too often, end in
 * their own dead-letter queues, each with an alarm.
 *
 * Grants to the table and the secrets key are the stack's to give, as for every other function; this
 * construct grants only what its triggers need (the stream, the queues).
 */
export class JobWorker extends Construct {
  readonly function: ApiFunction;
  /** Delayed wakeups of jobs due later; the worker sends them (`JOB_WAKEUP_QUEUE_URL`) and consumes them. */
  readonly wakeups: Queue;
  /** Wakeups the worker failed on `maxReceiveCount` times. */
  readonly wakeupDeadLetters: Queue;
  /** Where the stream event source sends a batch (its stream position, not the records) it gave up on. */
  readonly streamFailures: Queue;
  /** Worker errors, stream iterator age, and a message in either dead-letter queue. */
  readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: JobWorkerProps) {
    super(scope, id);
    this.function = new ApiFunction(this, 'Function', {
      entry: 'worker',
      description: 'imhub: runs background jobs, triggered by the table stream and by delayed wakeups',
      environment: props.environment,
      logRetention: props.logRetention,
      architecture: props.architecture,
      egress: props.egress,
      timeout,
      grantsOnEverything: [
        'dynamodb:ListStreams, which Lambda needs to read the table stream, supports no resource-level permissions (the stream reads themselves are granted on the stream ARN).',
      ],
    });

    const queueDefaults = { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true } as const;
    this.wakeupDeadLetters = new Queue(this, 'WakeupDeadLetters', { ...queueDefaults, retentionPeriod: Duration.days(14) });
    this.wakeups = new Queue(this, 'Wakeups', {
      ...queueDefaults,
      // Lambda's advice for an SQS event source: at least six times the function's timeout, so a
      // message is not received again while a retried invocation still holds it.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.wakeupDeadLetters, maxReceiveCount: 5 },
    });
    this.streamFailures = new Queue(this, 'StreamFailures', { ...queueDefaults, retentionPeriod: Duration.days(14) });
    Validations.of(this.streamFailures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is a dead-letter queue itself: the on-failure destination of the worker's stream event source mapping, which cdk-nag does not count as one (it looks only at queue redrive policies and functions' dead-letter configs).",
    });

    this.function.sendsTo(this.wakeups, 'JOB_WAKEUP_QUEUE_URL');
    // The event source grants ListStreams on the stream ARN, which grants nothing: the action takes only
    // "*" (Table v1 was fixed in aws/aws-cdk#10631; TableV2 is aws/aws-cdk#34575).
    this.function.role.addToPolicy(new PolicyStatement({ actions: ['dynamodb:ListStreams'], resources: ['*'] }));
    this.function.function.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 10,
        bisectBatchOnError: true,
        retryAttempts: 3,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.streamFailures),
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.or('INSERT', 'MODIFY'),
            dynamodb: { NewImage: { [jobEntity.attribute]: { S: FilterRule.isEqual(jobEntity.value) } } },
          }),
        ],
      }),
    );
    this.function.function.addEventSource(new SqsEventSource(this.wakeups, { batchSize: 10, reportBatchItemFailures: true }));

    const fiveMinutes = Duration.minutes(5);
    const whenAbove = (threshold: number) => ({
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const deadLettersVisible = (queue: Queue) => queue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: Stats.MAXIMUM });
    this.alarms = [
      new Alarm(this, 'ErrorsAlarm', {
        alarmDescription: 'imhub: the job worker failed',
        metric: this.function.function.metricErrors({ period: fiveMinutes }),
        ...whenAbove(0),
      }),
      new Alarm(this, 'IteratorAgeAlarm', {
        alarmDescription: 'imhub: the job worker is more than a minute behind the table stream',
        metric: this.function.function.metric('IteratorAge', { period: fiveMinutes, statistic: Stats.MAXIMUM }),
        ...whenAbove(60_000),
      }),
      new Alarm(this, 'StreamFailuresAlarm', {
        alarmDescription: 'imhub: the job worker gave up on a batch of the table stream (its position is in the dead-letter queue)',
        metric: deadLettersVisible(this.streamFailures),
        ...whenAbove(0),
      }),
      new Alarm(this, 'WakeupDeadLettersAlarm', {
        alarmDescription: 'imhub: the job worker failed a wakeup 5 times (it is in the dead-letter queue)',
        metric: deadLettersVisible(this.wakeupDeadLetters),
        ...whenAbove(0),
      }),
    ];
  }
}
