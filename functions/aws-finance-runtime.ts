import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { FileFormatsRenderer } from '../shared/adapters/documents/document-renderer.ts';
import { DynamoDbBillingStore } from '../shared/adapters/dynamodb/dynamodb-billing-store.ts';
import { DynamoDbRateLimiter } from '../shared/adapters/dynamodb/dynamodb-rate-limiter.ts';
import { S3DocumentStore } from '../shared/adapters/s3/s3-document-store.ts';
import { randomIds, systemClock } from '../shared/adapters/system-clock.ts';
import { DEFAULT_SELLER } from '../shared/domain/seller.ts';
import type { RateLimiter } from '../shared/ports/rate-limiter.ts';
import type { ExportMessage, FinanceDeps } from '../shared/use-cases/finance/finance-deps.ts';
import { env, queueFromEnv } from './aws-runtime.ts';

let deps: (FinanceDeps & { rateLimiter: RateLimiter }) | undefined;

/** Wiring of the finance functions (PDFs, exports): the only ones that carry pdfkit and write to the bucket. */
export function awsFinanceDeps(): FinanceDeps & { rateLimiter: RateLimiter } {
  if (deps) return deps;
  const dynamodb = new DynamoDBClient({});
  deps = {
    store: new DynamoDbBillingStore(dynamodb, env('TABLE_NAME')),
    rateLimiter: new DynamoDbRateLimiter(dynamodb, env('TABLE_NAME')),
    clock: systemClock(),
    ids: randomIds,
    renderer: new FileFormatsRenderer(DEFAULT_SELLER),
    documents: new S3DocumentStore(new S3Client({}), env('DOCUMENTS_BUCKET')),
    exportsQueue: queueFromEnv<ExportMessage>(new SQSClient({}), 'EXPORTS_QUEUE_URL'),
  };
  return deps;
}
