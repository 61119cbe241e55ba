import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';
import { TABLE_KEYS } from '../../shared/adapters/dynamodb/table-schema.ts';
import type { BillingFunction } from '../billing-function.ts';
import { ARCHIVE_PREFIX, BANK_INCOMING_PREFIX, EXPORT_CONSUMER_TIMEOUT_SECONDS, EXPORTS_PREFIX, IMPORTS_INCOMING_PREFIX, IMPORTS_REPORTS_PREFIX } from '../stateful-stack.ts';
import { BUCKET_NOTIFICATIONS_HANDLER_ID, EXPORT_MAX_CONCURRENCY } from './settings.ts';
import { billingFunction, consume, type Wiring } from './wiring.ts';

/** Files in the documents bucket: camt.054 files dropped settle credits, product files dropped are imported; queued exports are written there. */
export class Finance extends Construct {
  public readonly importStatement: BillingFunction;

  constructor(scope: Construct, id: string, w: Wiring) {
    super(scope, id);
    const { docsIndex } = TABLE_KEYS;

    this.importStatement = billingFunction(this, w, 'ImportStatement', {
      entry: 'functions/bank/import-statement.ts',
      description: `Settles the credits of a camt.054 file dropped under ${BANK_INCOMING_PREFIX}`,
      timeout: Duration.minutes(5),
      environment: { ...w.store, LIFECYCLE_QUEUE_URL: w.data.lifecycleQueue.queueUrl },
      onFailureQueue: w.data.bankImportDlq,
    })
      // Credits, payments, invoices, balance moves, renewed products; a paid pro-forma's checkout pointer is deleted.
      .grantItems(w.data.table, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'])
      .grantSend(w.data.lifecycleQueue)
      .grantObjects(w.documents, BANK_INCOMING_PREFIX, ['s3:GetObject'], 'import-statement reads the camt.054 file it was notified of');
    // S3 invokes it for each new object under bank/incoming/ (asynchronously: retried twice, then parked on the bank import DLQ).
    // The bucket is the stateful stack's, imported: the notification lives here and the stateful stack never refers to a function.
    w.documents.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(this.importStatement.function), { prefix: BANK_INCOMING_PREFIX });

    const importProducts = billingFunction(this, w, 'ImportProducts', {
      entry: 'functions/backoffice/import-products-file.ts',
      description: `Imports a product file (NDJSON or CSV) dropped under ${IMPORTS_INCOMING_PREFIX}<org>/ and writes its report`,
      timeout: Duration.minutes(5),
      environment: { ...w.store },
      onFailureQueue: w.data.importsDlq,
    })
      // The organisation, its saved methods and the products already there (GetItem); new products and audit entries (PutItem).
      .grantItems(w.data.table, ['dynamodb:GetItem', 'dynamodb:PutItem'])
      .grantObjects(w.documents, IMPORTS_INCOMING_PREFIX, ['s3:GetObject'], 'import-products-file reads the product file it was notified of')
      .grantObjects(w.documents, IMPORTS_REPORTS_PREFIX, ['s3:PutObject'], "import-products-file writes each file's per-row report there");
    w.documents.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(importProducts.function), { prefix: IMPORTS_INCOMING_PREFIX });
    const notificationsHandler = Stack.of(this).node.tryFindChild(BUCKET_NOTIFICATIONS_HANDLER_ID);
    if (!notificationsHandler) throw new Error(`no ${BUCKET_NOTIFICATIONS_HANDLER_ID}: CDK changed how it writes bucket notifications`);
    Validations.of(notificationsHandler).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        "CDK's own singleton custom-resource handler that writes the bucket's notification configuration at deploy time; CDK gives its role the AWS-managed basic execution policy (its logs) and offers no way to replace it. It runs only during deployments.",
    });

    const runExport = billingFunction(this, w, 'RunExport', {
      entry: 'functions/finance/run-export.ts',
      description: 'Writes a queued finance export (CSV, optionally a zip of the PDFs) under exports/',
      timeout: Duration.seconds(EXPORT_CONSUMER_TIMEOUT_SECONDS),
      memorySize: 2048,
      rendersPdfs: true,
      environment: { ...w.finance, ...w.archiveEnv },
    })
      // The job (EXPORT#<id>), the organisation or partner in scope, a partner's clients (Query PARTNER#…), the period's documents (gsi3).
      .grantItems(w.data.table, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'])
      .grantQuery(w.data.table, { indexes: [docsIndex.name] })
      .grantObjects(w.documents, EXPORTS_PREFIX, ['s3:PutObject', 's3:AbortMultipartUpload'], 'run-export streams the CSV and the zip of PDFs there in parts')
      .grantObjects(
        w.archive,
        ARCHIVE_PREFIX,
        ['s3:GetObject', 's3:PutObject', 's3:PutObjectRetention'],
        'run-export zips the documents as kept, and keeps (locked, once) one the archive worker has not come to yet',
        'archive',
      );
    // One export per invocation: each can run for the whole timeout.
    consume(runExport, w.data.exportsQueue, { batchSize: 1, maxConcurrency: EXPORT_MAX_CONCURRENCY });

    const archiveDocuments = billingFunction(this, w, 'ArchiveDocuments', {
      entry: 'functions/finance/archive-documents.ts',
      description: `Keeps each final invoice and credit note issued as issued, once, under ${ARCHIVE_PREFIX} of the archive bucket (S3 Object Lock)`,
      timeout: w.consumerTimeout,
      memorySize: 1024,
      rendersPdfs: true,
      environment: { ...w.finance, ...w.archiveEnv },
    })
      // The document by number (its series entry, then the document) and its organisation's e-invoice settings.
      .grantItems(w.data.table, ['dynamodb:GetItem'])
      .grantObjects(
        w.archive,
        ARCHIVE_PREFIX,
        ['s3:GetObject', 's3:PutObject', 's3:PutObjectRetention'],
        'archive-documents writes each document once (If-None-Match) with its retention date, and reads what was kept already',
        'archive',
      );
    // A few documents a batch: each is drawn (PDF, e-invoices) before the next.
    consume(archiveDocuments, w.data.archiveQueue, { batchSize: 5 });
  }
}
