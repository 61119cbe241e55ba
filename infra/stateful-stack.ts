import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export const STAGES = ['dev', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * Longest time a queue consumer (Lambda) may run for one batch. The stateless
 * stack sets its consumer functions' timeout from this constant.
 */
export const CONSUMER_TIMEOUT_SECONDS = 30;

/**
 * AWS guidance for Lambda event sources: visibility timeout of at least six times
 * the function timeout, so a message is not redelivered while retries/batching
 * are still working on it.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** Deliveries before a message is parked on its dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

/** How long parked messages stay on a dead-letter queue (the SQS maximum). */
export const DLQ_RETENTION_DAYS = 14;

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

/**
 * Parses the `stage` CDK context value (`-c stage=dev|prod`). Missing means `dev`;
 * anything else is refused so that a typo never synthesizes a third environment.
 */
export function parseStage(value: unknown): Stage {
  if (value === undefined || value === null) return 'dev';
  if (isStage(value)) return value;
  throw new Error(
    `Invalid stage ${JSON.stringify(value)}: expected one of ${STAGES.join(', ')} (pass it as -c stage=<stage>).`,
  );
}

export interface StatefulStackProps extends StackProps {
  readonly stage: Stage;
}

/**
 * Everything that holds data and must outlive deployments of the code:
 * the single DynamoDB table and the work queues with their dead-letter queues.
 */
export class StatefulStack extends Stack {
  public readonly stage: Stage;
  public readonly table: TableV2;
  public readonly renewalQueue: Queue;
  public readonly renewalDlq: Queue;
  public readonly lifecycleQueue: Queue;
  public readonly lifecycleDlq: Queue;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    // Re-check at runtime: context values and casts bypass the type.
    const stage = parseStage(props.stage);
    super(scope, id, props);
    this.stage = stage;

    const isProd = stage === 'prod';
    // In prod, data survives a stack deletion or a replacement; dev is disposable.
    const removalPolicy = isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: isProd,
      removalPolicy,
      timeToLiveAttribute: 'expiresAt',
      globalSecondaryIndexes: [
        {
          // Nightly scheduler: products whose next action falls on a date.
          // gsi1pk = DUE#<yyyy-mm-dd>#<shard>, gsi1sk = product key. Sparse:
          // only items carrying gsi1pk (a pending next action) are indexed.
          indexName: 'gsi1',
          partitionKey: { name: 'gsi1pk', type: AttributeType.STRING },
          sortKey: { name: 'gsi1sk', type: AttributeType.STRING },
          projectionType: ProjectionType.KEYS_ONLY,
        },
        {
          // Products of an organisation by expiry:
          // gsi2pk = ORG#<id>#PRODUCTS, gsi2sk = <expiry>#<productId>.
          indexName: 'gsi2',
          partitionKey: { name: 'gsi2pk', type: AttributeType.STRING },
          sortKey: { name: 'gsi2sk', type: AttributeType.STRING },
          projectionType: ProjectionType.ALL,
        },
      ],
    });

    const renewal = this.workQueue('Renewal', removalPolicy);
    this.renewalQueue = renewal.queue;
    this.renewalDlq = renewal.dlq;

    const lifecycle = this.workQueue('Lifecycle', removalPolicy);
    this.lifecycleQueue = lifecycle.queue;
    this.lifecycleDlq = lifecycle.dlq;

    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'Billing single table' });
    new CfnOutput(this, 'RenewalQueueUrl', { value: this.renewalQueue.queueUrl });
    new CfnOutput(this, 'RenewalDlqUrl', { value: this.renewalDlq.queueUrl });
    new CfnOutput(this, 'LifecycleQueueUrl', { value: this.lifecycleQueue.queueUrl });
    new CfnOutput(this, 'LifecycleDlqUrl', { value: this.lifecycleDlq.queueUrl });
  }

  private workQueue(name: string, removalPolicy: RemovalPolicy): { queue: Queue; dlq: Queue } {
    const dlq = new Queue(this, `${name}Dlq`, {
      retentionPeriod: Duration.days(DLQ_RETENTION_DAYS),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy,
    });
    const queue = new Queue(this, `${name}Queue`, {
      visibilityTimeout: Duration.seconds(VISIBILITY_TIMEOUT_FACTOR * CONSUMER_TIMEOUT_SECONDS),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy,
      deadLetterQueue: { queue: dlq, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    return { queue, dlq };
  }
}
