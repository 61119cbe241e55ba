import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import type { FinanceDeps } from '../../shared/use-cases/finance/finance-deps.ts';
import { runExport } from '../../shared/use-cases/finance/export-invoices.ts';
import { awsFinanceDeps } from '../aws-finance-runtime.ts';

const ExportMessageSchema = z.object({ exportId: z.string().min(1).max(100) });

/** Exports queue consumer: writes the CSV (and zip) to the bucket; a redelivery finds the export taken. */
export function makeRunExportHandler(deps: FinanceDeps, logFailures = true) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(sqsPartialBatchFailure(logFailures ? {} : { logger: () => {} }))
    .handler(
      async (event) =>
        (await Promise.allSettled(
          event.Records.map((record) => runExport(deps, ExportMessageSchema.parse(JSON.parse(record.body)).exportId)),
        )) as unknown as SQSBatchResponse,
    );
}

let cached: ReturnType<typeof makeRunExportHandler> | undefined;
export const handler = (event: SQSEvent, context: never) => (cached ??= makeRunExportHandler(awsFinanceDeps()))(event, context);
