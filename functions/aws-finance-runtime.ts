import { FileFormatsRenderer } from '../shared/adapters/documents/document-renderer.ts';
import type { RateLimiter } from '../shared/ports/rate-limiter.ts';
import type { FinanceDeps } from '../shared/use-cases/finance/finance-deps.ts';
import { awsExportDeps } from './aws-export-runtime.ts';

let deps: (FinanceDeps & { rateLimiter: RateLimiter }) | undefined;

/** Wiring of the functions that render documents (invoice-pdf, run-export): the only ones that carry pdfkit. */
export function awsFinanceDeps(): FinanceDeps & { rateLimiter: RateLimiter } {
  deps ??= { ...awsExportDeps(), renderer: new FileFormatsRenderer() };
  return deps;
}
