import { type CfnElement, Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { BillingFunction, CONFIG_FILE_IN_BUNDLE } from '../billing-function.ts';
import { ARCHIVE_LOCK_MODE, CONSUMER_TIMEOUT_SECONDS, type Stage, type StatefulStack } from '../stateful-stack.ts';

/** Nightly jobs, in Zurich time (the nights of the domain are Zurich nights). */
export const NIGHTLY_TIME_ZONE = TimeZone.EUROPE_ZURICH;

/** What every part of the stateless stack builds on: the stage, the data, shared settings and the one registry of functions. */
export interface Wiring {
  readonly stage: Stage;
  readonly data: StatefulStack;
  /** The documents bucket through its ARN export (see documentsBucketArnExportName). */
  readonly documents: IBucket;
  /** The archive bucket (Object Lock) through its ARN export, likewise. */
  readonly archive: IBucket;
  /** Environment of the functions that keep and serve issued documents (functions/aws-finance-runtime.ts): the archive bucket and its lock mode. */
  readonly archiveEnv: Readonly<Record<string, string>>;
  /** Every function of the stack by id: alarms and the infra tests find them here. */
  readonly functions: Record<string, BillingFunction>;
  /** Environment of functions on functions/aws-runtime.ts: the table, the Stripe secret's id (read on the first Stripe call only), the configuration file. */
  readonly base: Readonly<Record<string, string>>;
  /** Environment of functions on functions/aws-store-runtime.ts, which never call the payment provider: the table and the configuration file. */
  readonly store: Readonly<Record<string, string>>;
  /** The per-container Stripe pace. */
  readonly stripe: Readonly<Record<string, string>>;
  /** Environment of functions on functions/aws-export-runtime.ts: the table and the bucket. */
  readonly finance: Readonly<Record<string, string>>;
  /** The stage's configuration, checked and written as JSON at synth; every function's bundle carries it. */
  readonly configJson: string;
  readonly consumerTimeout: Duration;
  readonly httpTimeout: Duration;
}

export function wiring(
  stage: Stage,
  data: StatefulStack,
  buckets: { documents: IBucket; archive: IBucket },
  functions: Record<string, BillingFunction>,
  stripeMaxRps: number,
  configJson: string,
): Wiring {
  return {
    stage,
    configJson,
    data,
    documents: buckets.documents,
    archive: buckets.archive,
    archiveEnv: { ARCHIVE_BUCKET: data.archiveBucket.bucketName, ARCHIVE_LOCK_MODE: ARCHIVE_LOCK_MODE[stage] },
    functions,
    store: { TABLE_NAME: data.table.tableName, BILLING_CONFIG_FILE: CONFIG_FILE_IN_BUNDLE },
    base: { TABLE_NAME: data.table.tableName, STRIPE_SECRET_ID: data.stripeSecret.secretArn, BILLING_CONFIG_FILE: CONFIG_FILE_IN_BUNDLE },
    stripe: { STRIPE_MAX_RPS: String(stripeMaxRps) },
    finance: { TABLE_NAME: data.table.tableName, DOCUMENTS_BUCKET: data.documentsBucket.bucketName },
    consumerTimeout: Duration.seconds(CONSUMER_TIMEOUT_SECONDS),
    httpTimeout: Duration.seconds(20),
  };
}

/** A function of the stack, registered under its id. */
export function billingFunction(scope: Construct, w: Wiring, id: string, props: Omit<ConstructorParameters<typeof BillingFunction>[2], 'stage' | 'configJson'>): BillingFunction {
  // Functions on aws-runtime.ts (w.base) and aws-store-runtime.ts (w.store) read the configuration; the others get no copy of it.
  const readsConfig = props.environment?.BILLING_CONFIG_FILE === CONFIG_FILE_IN_BUNDLE;
  const created = new BillingFunction(scope, id, { ...props, stage: w.stage, ...(readsConfig ? { configJson: w.configJson } : {}) });
  if (w.functions[id]) throw new Error(`two functions named ${id}`);
  w.functions[id] = created;
  return created;
}

/** SQS consumer: batches of 10 (unless told), partial batch failures, concurrency capped at the event source. */
export function consume(fn: BillingFunction, queue: IQueue, options: { batchSize?: number; maxConcurrency?: number } = {}): void {
  fn.function.addEventSource(
    new SqsEventSource(queue, {
      batchSize: options.batchSize ?? 10,
      reportBatchItemFailures: true,
      ...(options.maxConcurrency ? { maxConcurrency: options.maxConcurrency } : {}),
    }),
  );
}

/**
 * A consumer of the table's stream that sees only new items whose partition key starts with `prefix`
 * (every other change of the table costs no invocation): batches of 100, a failing batch bisected and
 * retried from the failed record, then its description parked on `dlq`.
 */
export function consumeStream(fn: BillingFunction, table: ITableV2, prefix: string, dlq: IQueue): void {
  fn.function.addEventSource(
    new DynamoEventSource(table, {
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(1),
      filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT'), dynamodb: { Keys: { pk: { S: FilterRule.beginsWith(prefix) } } } })],
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: 10,
      maxRecordAge: Duration.hours(12),
      onFailure: new SqsDlq(dlq),
    }),
  );
}

export function every(
  scope: Construct,
  w: Wiring,
  id: string,
  fn: BillingFunction,
  rate: Duration,
  dlq: IQueue,
  description: string,
  input: Record<string, unknown> = {},
): Schedule {
  return scheduled(scope, w, id, fn, ScheduleExpression.rate(rate), dlq, `${description} (${w.stage}), every ${rate.toMinutes()} minutes`, Duration.minutes(10), input);
}

export function nightly(scope: Construct, w: Wiring, id: string, fn: BillingFunction, cron: { minute: string; hour: string }, dlq: IQueue, description: string): Schedule {
  return scheduled(
    scope,
    w,
    id,
    fn,
    ScheduleExpression.cron({ ...cron, timeZone: NIGHTLY_TIME_ZONE }),
    dlq,
    `${description} (${w.stage}), nightly at ${cron.hour.padStart(2, '0')}:${cron.minute.padStart(2, '0')} Europe/Zurich`,
    Duration.hours(2),
  );
}

function scheduled(
  scope: Construct,
  w: Wiring,
  id: string,
  fn: BillingFunction,
  schedule: ScheduleExpression,
  dlq: IQueue,
  description: string,
  maxEventAge: Duration,
  input: Record<string, unknown> = {},
): Schedule {
  const stack = Stack.of(scope);
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
    description: `Lets EventBridge Scheduler invoke ${fn.node.id} and park failed deliveries (${w.stage})`,
  });
  const functionLogicalId = stack.getLogicalId(fn.function.node.defaultChild as CfnElement);
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${functionLogicalId}.Arn>:*]`,
    reason: `lambda:InvokeFunction on the versions and aliases (":*") of ${fn.node.id} only, as CDK's grantInvoke writes it; no other function or action.`,
  });
  return new Schedule(scope, id, {
    description,
    schedule,
    target: new LambdaInvoke(fn.function, {
      role,
      // No `night`: the handler takes tonight from its Zurich clock.
      input: ScheduleTargetInput.fromObject(input),
      retryAttempts: 3,
      maxEventAge,
      deadLetterQueue: dlq,
    }),
  });
}
