import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, StreamViewType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectLockRetention, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TABLE_INDEXES, TABLE_KEYS } from '../shared/adapters/dynamodb/table-schema.ts';

export const STAGES = ['dev', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * Longest time a queue consumer (Lambda) may run for one batch. The stateless
 * stack sets its consumer functions' timeout from this constant: a renewal
 * batch of 10 paced at STRIPE_MAX_RPS = 5, with Stripe's 429 back-off, needs
 * well under a minute.
 */
export const CONSUMER_TIMEOUT_SECONDS = 60;

/**
 * The exports queue's consumer (run-export) streams a whole period to the
 * bucket, PDFs included: it gets Lambda's longest timeout, and the exports
 * queue a visibility timeout of VISIBILITY_TIMEOUT_FACTOR times that.
 */
export const EXPORT_CONSUMER_TIMEOUT_SECONDS = 15 * 60;

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

/** Finance exports are regenerated on demand; PDFs (invoices) are kept, never expired here. */
export const EXPORTS_PREFIX = 'exports/';
export const EXPORTS_EXPIRY_DAYS = 90;
/** Where invoice-pdf keeps each rendered document (shared/use-cases/finance/invoice-documents.ts pdfKey). */
export const INVOICES_PREFIX = 'invoices/';
/** Where each final invoice and credit note is kept as issued, in the archive bucket (archive-documents.ts archiveKey). */
export const ARCHIVE_PREFIX = 'archive/';
/**
 * How the archive locks what it keeps (docs/domain.md R-30). Prod: compliance mode, which no one, the
 * account's root included, can shorten or lift. Dev: governance mode, the same lock that an operator with
 * s3:BypassGovernanceRetention can lift, so a test stage's documents do not stay for ten years.
 */
export const ARCHIVE_LOCK_MODE = { dev: 'GOVERNANCE', prod: 'COMPLIANCE' } as const;
/** The bucket's default lock, one year: the shortest any seller may configure (retentionYears ≥ 1). */
export const ARCHIVE_FLOOR_DAYS = 365;
/** Where finance drops camt.054 bank notifications; import-statement is notified of each new object. */
export const BANK_INCOMING_PREFIX = 'bank/incoming/';
/** Product files (NDJSON or CSV) the provider drops for an organisation: `imports/incoming/<orgId>/<file>`. */
export const IMPORTS_INCOMING_PREFIX = 'imports/incoming/';
/** The per-row report of each dropped file: `imports/reports/<orgId>/<file>.report.json`. */
export const IMPORTS_REPORTS_PREFIX = 'imports/reports/';

/**
 * The CloudFormation export of the documents bucket's ARN. The stateless
 * stack imports it by this name (Fn::ImportValue) for its per-prefix S3
 * grants, so their policy resources read the same, `<export>/exports/*`,
 * in the construct tree and in the synthesized template, where cdk-nag
 * checks them (a weak cross-stack reference becomes a hashed
 * Fn::GetStackOutput only at synthesis).
 */
export function documentsBucketArnExportName(stage: Stage): string {
  return `Billing-${stage}-DocumentsBucketArn`;
}

/** The archive bucket's ARN export, imported by the stateless stack as the documents bucket's is. */
export function archiveBucketArnExportName(stage: Stage): string {
  return `Billing-${stage}-ArchiveBucketArn`;
}

/** What every bucket of the stack is: encrypted, private, owner-enforced, TLS 1.2 only. */
const PRIVATE_BUCKET = {
  encryption: BucketEncryption.S3_MANAGED,
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
} as const;

/** The projections of TABLE_INDEXES in CDK's terms. */
const PROJECTION: Record<(typeof TABLE_INDEXES)[number]['projection'], ProjectionType> = {
  KEYS_ONLY: ProjectionType.KEYS_ONLY,
  ALL: ProjectionType.ALL,
};

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
  throw new Error(`Invalid stage ${JSON.stringify(value)}: expected one of ${STAGES.join(', ')} (pass it as -c stage=<stage>).`);
}

export interface StatefulStackProps extends StackProps {
  readonly stage: Stage;
}

export interface WorkQueue {
  readonly queue: Queue;
  readonly dlq: Queue;
}

export type WorkQueueName = 'renewal' | 'charge' | 'lifecycle' | 'settlement' | 'exports' | 'mail' | 'webhooks' | 'archive';

/** Tries of a webhook before its dead letter: the first and the 7 retries of its back-off (shared/use-cases/events/deliver-webhooks.ts). */
export const WEBHOOK_MAX_RECEIVE_COUNT = 8;

/**
 * Everything that holds data and must outlive deployments of the code:
 * the single DynamoDB table, the bucket for PDFs and exports, the work queues
 * with their dead-letter queues, the nightly schedules' dead-letter queue and
 * the two Stripe secrets (their values are set by an operator, so they are state too).
 */
export class StatefulStack extends Stack {
  public readonly stage: Stage;
  public readonly table: TableV2;
  public readonly renewalQueue: Queue;
  public readonly renewalDlq: Queue;
  /** Renewals the prepaid balance does not cover: charged by charge-renewal at Stripe's pace. */
  public readonly chargeQueue: Queue;
  public readonly chargeDlq: Queue;
  public readonly lifecycleQueue: Queue;
  public readonly lifecycleDlq: Queue;
  public readonly settlementQueue: Queue;
  public readonly settlementDlq: Queue;
  /** Export jobs queued by POST /v1/exports, run by run-export. */
  public readonly exportsQueue: Queue;
  public readonly exportsDlq: Queue;
  /** Outbox e-mails to send (one message per e-mail, from the table's stream), consumed by send-email. */
  public readonly mailQueue: Queue;
  public readonly mailDlq: Queue;
  /** Business events to POST to the provider's endpoint as signed webhooks. */
  public readonly webhookQueue: Queue;
  public readonly webhookDlq: Queue;
  /** The webhooks' signing secret: {"secret": "whsec_..."}, shared with the provider's receiver. */
  public readonly webhookSigningSecret: Secret;
  /** Where outbox-stream parks stream records and record-mail-feedback parks SES reports they could not handle. */
  public readonly mailEventsDlq: Queue;
  /** Where publish-events parks stream batches of business events it could not put on the bus. */
  public readonly eventsDlq: Queue;
  /** Where EventBridge Scheduler and the scheduled functions park a nightly run they could not deliver or finish. */
  public readonly schedulerDlq: Queue;
  /** Where Lambda parks an S3 notification import-statement failed on after its retries (the event names the file). */
  public readonly bankImportDlq: Queue;
  public readonly importsDlq: Queue;
  /** Final invoices and credit notes issued, to be kept as issued by archive-documents. */
  public readonly archiveQueue: Queue;
  public readonly archiveDlq: Queue;
  /** PDFs (invoices/), finance exports (exports/) and incoming bank notifications (bank/incoming/). */
  public readonly documentsBucket: Bucket;
  /** Issued documents as issued (archive/), each written once and locked for its seller's retention (Object Lock). */
  public readonly archiveBucket: Bucket;
  public readonly accessLogsBucket: Bucket;
  /** `{"secretKey": "sk_..."}`, set after the first deploy: only the functions that call Stripe may read it. */
  public readonly stripeSecret: Secret;
  /** `{"webhookSecret": "whsec_..."}`: the public webhook function reads this one, never the API key. */
  public readonly stripeWebhookSecret: Secret;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    // Re-check at runtime: context values and casts bypass the type.
    const stage = parseStage(props.stage);
    super(scope, id, props);
    this.stage = stage;

    const isProd = stage === 'prod';
    // In prod, data survives a stack deletion or a replacement; dev is disposable.
    const removalPolicy = isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    const { pk, sk, ttl } = TABLE_KEYS;
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: pk, type: AttributeType.STRING },
      sortKey: { name: sk, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: isProd,
      removalPolicy,
      // Stored provider events (webhooks) and rate-limit counters expire through it.
      timeToLiveAttribute: ttl,
      // New items only matter to the stream's readers (outbox-stream on OUTBOX# inserts, publish-events on EVENTS# inserts).
      dynamoStream: StreamViewType.NEW_IMAGE,
      // The one definition the local table (createTableIfMissing) is built from too:
      // gsi1 = nightly due dates (DUE#<date>#<shard>, keys only, sparse),
      // gsi2 = an organisation's products by expiry (ORG#<id>#PRODUCTS),
      // gsi3 = finance documents by issue date (DOCS#<date>#<shard>), for exports.
      globalSecondaryIndexes: TABLE_INDEXES.map(({ index, projection }) => ({
        indexName: index.name,
        partitionKey: { name: index.pk, type: AttributeType.STRING },
        sortKey: { name: index.sk, type: AttributeType.STRING },
        projectionType: PROJECTION[projection],
      })),
    });

    const renewal = this.workQueue('Renewal', removalPolicy);
    this.renewalQueue = renewal.queue;
    this.renewalDlq = renewal.dlq;

    const charge = this.workQueue('Charge', removalPolicy);
    this.chargeQueue = charge.queue;
    this.chargeDlq = charge.dlq;

    const lifecycle = this.workQueue('Lifecycle', removalPolicy);
    this.lifecycleQueue = lifecycle.queue;
    this.lifecycleDlq = lifecycle.dlq;

    const settlement = this.workQueue('Settlement', removalPolicy);
    this.settlementQueue = settlement.queue;
    this.settlementDlq = settlement.dlq;

    const exports = this.workQueue('Exports', removalPolicy, EXPORT_CONSUMER_TIMEOUT_SECONDS);
    this.exportsQueue = exports.queue;
    this.exportsDlq = exports.dlq;

    const mail = this.workQueue('Mail', removalPolicy);
    this.mailQueue = mail.queue;
    this.mailDlq = mail.dlq;

    const archive = this.workQueue('Archive', removalPolicy);
    this.archiveQueue = archive.queue;
    this.archiveDlq = archive.dlq;

    const webhooks = this.workQueue('Webhook', removalPolicy, CONSUMER_TIMEOUT_SECONDS, WEBHOOK_MAX_RECEIVE_COUNT);
    this.webhookQueue = webhooks.queue;
    this.webhookDlq = webhooks.dlq;

    this.mailEventsDlq = this.deadLetterQueue('MailEventsDlq', removalPolicy);
    Validations.of(this.mailEventsDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself a dead-letter queue: outbox-stream's on-failure destination (stream records it could not queue) and record-mail-feedback's (SES reports it could not record); a DLQ of a DLQ would only hide failures.",
    });

    this.eventsDlq = this.deadLetterQueue('EventsDlq', removalPolicy);
    Validations.of(this.eventsDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself a dead-letter queue: publish-events' on-failure destination (stream batches it could not put on the bus); a DLQ of a DLQ would only hide failures.",
    });

    this.schedulerDlq = this.deadLetterQueue('SchedulerDlq', removalPolicy);
    Validations.of(this.schedulerDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself a dead-letter queue: EventBridge Scheduler and the scheduled functions (on failure) send to it; a DLQ of a DLQ would only hide failures.',
    });

    this.importsDlq = this.deadLetterQueue('ImportsDlq', removalPolicy);
    Validations.of(this.importsDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself a dead-letter queue: import-products-file's on-failure destination for S3 notifications it could not process after Lambda's retries; a DLQ of a DLQ would only hide failures.",
    });

    this.bankImportDlq = this.deadLetterQueue('BankImportDlq', removalPolicy);
    Validations.of(this.bankImportDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself a dead-letter queue: import-statement's on-failure destination for S3 notifications it could not process after Lambda's retries; a DLQ of a DLQ would only hide failures.",
    });

    this.accessLogsBucket = new Bucket(this, 'AccessLogsBucket', {
      ...PRIVATE_BUCKET,
      removalPolicy,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(isProd ? 400 : 30) }],
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket of the documents bucket; logging it into itself would loop and another log bucket would only move the finding.',
    });

    this.documentsBucket = new Bucket(this, 'DocumentsBucket', {
      ...PRIVATE_BUCKET,
      versioned: true,
      removalPolicy,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'documents/',
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        {
          // Exports are working files, regenerated on demand; invoices must be kept (10 years) and are not expired.
          id: 'expire-exports',
          prefix: EXPORTS_PREFIX,
          expiration: Duration.days(EXPORTS_EXPIRY_DAYS),
          noncurrentVersionExpiration: Duration.days(7),
        },
        { id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(isProd ? 365 : 30) },
      ],
    });

    this.archiveBucket = new Bucket(this, 'ArchiveBucket', {
      ...PRIVATE_BUCKET,
      // Object Lock needs versioning; each document is put once (If-None-Match), so there is one version.
      versioned: true,
      objectLockEnabled: true,
      // A floor for anything put without a date of its own; archive-documents gives each its seller's.
      objectLockDefaultRetention:
        ARCHIVE_LOCK_MODE[stage] === 'COMPLIANCE'
          ? ObjectLockRetention.compliance(Duration.days(ARCHIVE_FLOOR_DAYS))
          : ObjectLockRetention.governance(Duration.days(ARCHIVE_FLOOR_DAYS)),
      // Locked objects outlive any stack: the bucket is never deleted with one, in dev either.
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'archive/',
      lifecycleRules: [{ id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) }],
    });

    this.stripeSecret = new Secret(this, 'StripeSecret', {
      description: `Stripe API key of the billing engine (${stage}): {"secretKey": "sk_..."}`,
      // A placeholder without a key: the functions fail with "has no secretKey" until an operator puts the real value.
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ secretKey: '' }),
        generateStringKey: 'placeholder',
      },
      removalPolicy,
    });
    // Apart from the API key: the webhook endpoint is public, and a flaw in it must not hand out the key
    // that moves money.
    this.stripeWebhookSecret = new Secret(this, 'StripeWebhookSecret', {
      description: `Stripe webhook signing secret of the billing engine (${stage}): {"webhookSecret": "whsec_..."}`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ webhookSecret: '' }),
        generateStringKey: 'placeholder',
      },
      removalPolicy,
    });
    this.webhookSigningSecret = new Secret(this, 'WebhookSigningSecret', {
      description: `Signing secret of the billing engine's outbound webhooks (${stage}): {"secret": "whsec_..."}`,
      generateSecretString: { secretStringTemplate: JSON.stringify({ secret: '' }), generateStringKey: 'placeholder' },
      removalPolicy,
    });
    Validations.of(this.webhookSigningSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        "The webhook signing secret is shared with the provider's receiver, which must be given the new one before it is used: rolling it is an operator runbook step agreed with the receiver (put-secret-value), not a rotation Lambda's.",
    });
    for (const secret of [this.stripeSecret, this.stripeWebhookSecret]) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Stripe API keys and webhook secrets can only be rolled in the Stripe dashboard; there is no API a rotation Lambda could call. Rolling is an operator runbook step (put-secret-value).',
      });
    }

    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'Billing single table' });
    new CfnOutput(this, 'RenewalQueueUrl', { value: this.renewalQueue.queueUrl });
    new CfnOutput(this, 'WebhookDlqUrl', { value: this.webhookDlq.queueUrl });
    new CfnOutput(this, 'WebhookSigningSecretArn', {
      value: this.webhookSigningSecret.secretArn,
      description: 'Put {"secret": "whsec_..."} here (billing webhooks secret makes one) and give it to your receiver',
    });
    new CfnOutput(this, 'RenewalDlqUrl', { value: this.renewalDlq.queueUrl });
    new CfnOutput(this, 'ChargeQueueUrl', { value: this.chargeQueue.queueUrl });
    new CfnOutput(this, 'ChargeDlqUrl', { value: this.chargeDlq.queueUrl });
    new CfnOutput(this, 'LifecycleQueueUrl', { value: this.lifecycleQueue.queueUrl });
    new CfnOutput(this, 'LifecycleDlqUrl', { value: this.lifecycleDlq.queueUrl });
    new CfnOutput(this, 'SettlementQueueUrl', { value: this.settlementQueue.queueUrl });
    new CfnOutput(this, 'SettlementDlqUrl', { value: this.settlementDlq.queueUrl });
    new CfnOutput(this, 'ExportsQueueUrl', { value: this.exportsQueue.queueUrl });
    new CfnOutput(this, 'ExportsDlqUrl', { value: this.exportsDlq.queueUrl });
    new CfnOutput(this, 'MailQueueUrl', { value: this.mailQueue.queueUrl });
    new CfnOutput(this, 'MailDlqUrl', { value: this.mailDlq.queueUrl });
    new CfnOutput(this, 'MailEventsDlqUrl', { value: this.mailEventsDlq.queueUrl });
    new CfnOutput(this, 'EventsDlqUrl', { value: this.eventsDlq.queueUrl });
    new CfnOutput(this, 'SchedulerDlqUrl', { value: this.schedulerDlq.queueUrl });
    new CfnOutput(this, 'BankImportDlqUrl', { value: this.bankImportDlq.queueUrl });
    new CfnOutput(this, 'ImportsDlqUrl', { value: this.importsDlq.queueUrl });
    new CfnOutput(this, 'DocumentsBucketName', {
      value: this.documentsBucket.bucketName,
      description: `PDFs (${INVOICES_PREFIX}), exports (${EXPORTS_PREFIX}); drop camt.054 files into ${BANK_INCOMING_PREFIX}, product files into ${IMPORTS_INCOMING_PREFIX}<org>/`,
    });
    new CfnOutput(this, 'DocumentsBucketArn', {
      value: this.documentsBucket.bucketArn,
      exportName: documentsBucketArnExportName(stage),
      description: 'Imported by the stateless stack for its per-prefix S3 grants',
    });
    new CfnOutput(this, 'ArchiveBucketName', {
      value: this.archiveBucket.bucketName,
      description: `Issued invoices and credit notes as issued (${ARCHIVE_PREFIX}), locked by S3 Object Lock (${ARCHIVE_LOCK_MODE[stage]})`,
    });
    new CfnOutput(this, 'ArchiveBucketArn', {
      value: this.archiveBucket.bucketArn,
      exportName: archiveBucketArnExportName(stage),
      description: 'Imported by the stateless stack for its archive grants',
    });
    new CfnOutput(this, 'ArchiveQueueUrl', { value: this.archiveQueue.queueUrl });
    new CfnOutput(this, 'ArchiveDlqUrl', { value: this.archiveDlq.queueUrl });
    new CfnOutput(this, 'StripeSecretArn', {
      value: this.stripeSecret.secretArn,
      description: 'Put {"secretKey": "sk_..."} here after the first deploy',
    });
    new CfnOutput(this, 'StripeWebhookSecretArn', {
      value: this.stripeWebhookSecret.secretArn,
      description: 'Put {"webhookSecret": "whsec_..."} here after the first deploy',
    });
  }

  /** Every work queue and dead-letter queue, for checks and alarms. */
  public get workQueues(): Record<WorkQueueName, WorkQueue> {
    return {
      renewal: { queue: this.renewalQueue, dlq: this.renewalDlq },
      charge: { queue: this.chargeQueue, dlq: this.chargeDlq },
      lifecycle: { queue: this.lifecycleQueue, dlq: this.lifecycleDlq },
      settlement: { queue: this.settlementQueue, dlq: this.settlementDlq },
      exports: { queue: this.exportsQueue, dlq: this.exportsDlq },
      mail: { queue: this.mailQueue, dlq: this.mailDlq },
      webhooks: { queue: this.webhookQueue, dlq: this.webhookDlq },
      archive: { queue: this.archiveQueue, dlq: this.archiveDlq },
    };
  }

  private deadLetterQueue(id: string, removalPolicy: RemovalPolicy): Queue {
    return new Queue(this, id, {
      retentionPeriod: Duration.days(DLQ_RETENTION_DAYS),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy,
    });
  }

  /** A work queue whose consumer may run `consumerTimeoutSeconds` per batch. */
  private workQueue(name: string, removalPolicy: RemovalPolicy, consumerTimeoutSeconds = CONSUMER_TIMEOUT_SECONDS, maxReceiveCount = MAX_RECEIVE_COUNT): WorkQueue {
    const dlq = this.deadLetterQueue(`${name}Dlq`, removalPolicy);
    const queue = new Queue(this, `${name}Queue`, {
      visibilityTimeout: Duration.seconds(VISIBILITY_TIMEOUT_FACTOR * consumerTimeoutSeconds),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy,
      deadLetterQueue: { queue: dlq, maxReceiveCount },
    });
    return { queue, dlq };
  }
}
