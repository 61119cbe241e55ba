import * as z from 'zod';
import type { FinanceDeps } from '../../shared/use-cases/finance/finance-deps.ts';
import { runExport } from '../../shared/use-cases/finance/export-invoices.ts';
import { awsFinanceDeps } from '../aws-finance-runtime.ts';
import { lazyHandler, sqsConsumer } from '../entry-points.ts';

const ExportMessageSchema = z.object({ exportId: z.string().min(1).max(100) });

/** Exports queue consumer: writes the CSV (and zip) to the bucket; a redelivery finds the export taken. */
export function makeRunExportHandler(deps: FinanceDeps, logFailures = true) {
  return sqsConsumer((body) => runExport(deps, ExportMessageSchema.parse(JSON.parse(body)).exportId), logFailures);
}

export const handler = lazyHandler(() => makeRunExportHandler(awsFinanceDeps()));
