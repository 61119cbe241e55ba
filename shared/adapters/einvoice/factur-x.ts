import { InvoiceService } from '@e-invoice-eu/core';
import type { Invoice } from '../../domain/invoice.ts';
import { renderInvoicePdf } from '../pdf/invoice-pdf.ts';
import type { EInvoiceBuyer } from '../../ports/documents.ts';
import { en16931Invoice } from './en16931-invoice.ts';

const quiet = { log() {}, warn() {}, error() {} };

/**
 * The document as a Factur-X / ZUGFeRD PDF, EN 16931 profile: the same page
 * as the plain PDF, drawn with its fonts embedded (PDF/A allows no other),
 * made PDF/A-3 by @e-invoice-eu/core with the CII XML attached as
 * factur-x.xml (AFRelationship Alternative) and the Factur-X XMP metadata.
 */
export async function facturXPdf(invoice: Invoice, buyer: EInvoiceBuyer): Promise<Buffer> {
  const pdf = await renderInvoicePdf(invoice, invoice.seller, { embedFonts: true });
  const out = await new InvoiceService(quiet).generate(en16931Invoice(invoice, buyer, 'cii'), {
    format: 'Factur-X-EN16931',
    lang: 'en-us',
    noWarnings: true,
    pdf: { buffer: new Uint8Array(pdf), filename: `${invoice.number}.pdf`, mimetype: 'application/pdf' },
  });
  return Buffer.from(out as Uint8Array);
}
