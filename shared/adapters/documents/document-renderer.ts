import type { Writable } from 'node:stream';
import type { Invoice } from '../../domain/invoice.ts';
import type { DocumentRenderer, ExportTotals } from '../../ports/documents.ts';
import { writeInvoiceCsv } from '../export/invoice-csv.ts';
import { writePdfZip } from '../export/pdf-zip.ts';
import { writeJournalBanana, writeJournalCsv } from '../export/journal-files.ts';
import type { Booking } from '../../domain/journal.ts';

/**
 * pdfkit + swissqrbill for PDFs, csv-stringify for the export, yazl for the
 * zip. A document prints the seller it was issued by (the copy it stores),
 * so a seller changed in the configuration since never alters it. pdfkit and
 * its fonts load at the first PDF drawn, not in every process that holds a
 * renderer (a CLI listing never draws one).
 */
export class FileFormatsRenderer implements DocumentRenderer {
  async pdf(invoice: Invoice): Promise<Buffer> {
    const { renderInvoicePdf } = await import('../pdf/invoice-pdf.ts');
    return renderInvoicePdf(invoice, invoice.seller);
  }

  csv(docs: AsyncIterable<Invoice>, out: Writable, opts: { lines: boolean }, onProgress?: (rows: number) => void): Promise<ExportTotals> {
    return writeInvoiceCsv(docs, out, opts, onProgress);
  }

  zip(entries: AsyncIterable<{ name: string; pdf: () => Promise<Buffer> }>, out: Writable): Promise<{ files: number }> {
    return writePdfZip(entries, out);
  }

  journal(bookings: AsyncIterable<Booking>, out: Writable, format: 'banana' | 'csv'): Promise<number> {
    return format === 'banana' ? writeJournalBanana(bookings, out) : writeJournalCsv(bookings, out);
  }
}
