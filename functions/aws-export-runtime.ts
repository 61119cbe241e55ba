import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbBillingStore } from '../shared/adapters/dynamodb/dynamodb-billing-store.ts';
import { DynamoDbRateLimiter } from '../shared/adapters/dynamodb/dynamodb-rate-limiter.ts';
import { S3DocumentStore } from '../shared/adapters/s3/s3-document-store.ts';
import { randomIds, systemClock } from '../shared/adapters/system-clock.ts';
import type { RateLimiter } from '../shared/ports/rate-limiter.ts';
import type { ExportMessage, FinanceDeps } from '../shared/use-cases/finance/finance-deps.ts';
import { env } from './aws-environment.ts';
import { queueFromEnv } from './aws-store-runtime.ts';

/** What the finance functions share, without the document renderer (pdfkit): enough to ask for an export and link it. */
export type ExportRequestDeps = Omit<FinanceDeps, 'renderer' | 'eInvoices' | 'archive'> & { rateLimiter: RateLimiter };

let deps: ExportRequestDeps | undefined;

/** Wiring of request-export and get-export: they queue and link exports, never render one, so they do not carry pdfkit. */
export function awsExportDeps(): ExportRequestDeps {
  if (deps) return deps;
  const dynamodb = new DynamoDBClient({});
  deps = {
    store: new DynamoDbBillingStore(dynamodb, env('TABLE_NAME')),
    rateLimiter: new DynamoDbRateLimiter(dynamodb, env('TABLE_NAME')),
    clock: systemClock(),
    ids: randomIds,
    documents: new S3DocumentStore(new S3Client({}), env('DOCUMENTS_BUCKET')),
    exportsQueue: queueFromEnv<ExportMessage>(new SQSClient({}), 'EXPORTS_QUEUE_URL'),
  };
  return deps;
}
