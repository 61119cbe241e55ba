import { FileFormatsRenderer } from '../shared/adapters/documents/document-renderer.ts';
import { NO_E_INVOICES } from '../shared/adapters/einvoice/no-e-invoices.ts';
import { S3Client } from '@aws-sdk/client-s3';
import { S3DocumentArchive, type ArchiveLockMode } from '../shared/adapters/s3/s3-document-archive.ts';
import { env } from './aws-environment.ts';
import type { EInvoiceWriter } from '../shared/ports/documents.ts';
import type { RateLimiter } from '../shared/ports/rate-limiter.ts';
import type { FinanceDeps } from '../shared/use-cases/finance/finance-deps.ts';
import { awsExportDeps } from './aws-export-runtime.ts';

let deps: (FinanceDeps & { rateLimiter: RateLimiter }) | undefined;

/**
 * Wiring of the functions that render documents (invoice-pdf, run-export): the only ones that carry pdfkit.
 * The e-invoice writer is given by the function that serves e-invoices, so the others do not carry it.
 */
export function awsFinanceDeps(eInvoices: EInvoiceWriter = NO_E_INVOICES): FinanceDeps & { rateLimiter: RateLimiter } {
  deps ??= {
    ...awsExportDeps(),
    renderer: new FileFormatsRenderer(),
    eInvoices,
    archive: new S3DocumentArchive(new S3Client({}), env('ARCHIVE_BUCKET'), env('ARCHIVE_LOCK_MODE') as ArchiveLockMode),
  };
  return deps;
}
