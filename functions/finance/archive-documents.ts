import * as z from 'zod';
import { EInvoiceFileWriter } from '../../shared/adapters/einvoice/e-invoice-writer.ts';
import { archiveDocument, type ArchiveDeps } from '../../shared/use-cases/finance/archive-documents.ts';
import { awsFinanceDeps } from '../aws-finance-runtime.ts';
import { lazyHandler, sqsConsumer } from '../entry-points.ts';

const ArchiveMessageSchema = z.object({ number: z.string().regex(/^(INV|CN)-[A-Z0-9]+-\d{4}-\d{6,9}$/, 'must be a final invoice or credit note number') });

/**
 * Archive queue consumer (fed with each final invoice and credit note issued, by publish-events): keeps
 * the document's PDF and e-invoices once, locked (docs/domain.md R-30). A redelivery finds them kept.
 */
export function makeArchiveDocumentsHandler(deps: ArchiveDeps, logFailures = true) {
  return sqsConsumer(async (body) => {
    const outcome = await archiveDocument(deps, ArchiveMessageSchema.parse(JSON.parse(body)).number);
    // A profile the document cannot be written in is the organisation's settings, not a failure to retry.
    for (const s of outcome.skipped) console.warn(JSON.stringify({ msg: 'e-invoice not kept', number: outcome.number, profile: s.file, reason: s.reason }));
    return outcome;
  }, logFailures);
}

export const handler = lazyHandler(() => makeArchiveDocumentsHandler(awsFinanceDeps(new EInvoiceFileWriter())));
