import * as z from 'zod';
import type { FinanceDeps } from '../../shared/use-cases/finance/finance-deps.ts';
import { runExport } from '../../shared/use-cases/finance/export-invoices.ts';
import { awsFinanceDeps } from '../aws-finance-runtime.ts';
import { EInvoiceFileWriter } from '../../shared/adapters/einvoice/e-invoice-writer.ts';
import { lazyHandler, sqsConsumer } from '../entry-points.ts';

const ExportMessageSchema = z.object({ exportId: z.string().min(1).max(100) });

/** Exports queue consumer: writes the CSV (and zip) to the bucket; a redelivery finds the export taken. */
export function makeRunExportHandler(deps: FinanceDeps, logFailures = true) {
  return sqsConsumer((body) => runExport(deps, ExportMessageSchema.parse(JSON.parse(body)).exportId), logFailures);
}

// The zip carries the e-invoices organisations receive, and keeps a document the archive worker has not come to yet.
export const handler = lazyHandler(() => makeRunExportHandler(awsFinanceDeps(new EInvoiceFileWriter())));
