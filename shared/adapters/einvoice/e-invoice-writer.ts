import type { Invoice } from '../../domain/invoice.ts';
import type { EInvoiceBuyer, EInvoiceProfile, EInvoiceWriter } from '../../ports/documents.ts';

/**
 * @e-invoice-eu/core behind the port: UBL and CII XML, and Factur-X PDFs drawn by the engine's own PDF writer.
 * The library (with the spreadsheet reader it carries) takes about 0.6 s to load, so it is loaded at the first
 * document written, not by every command and process that only might write one.
 */
export class EInvoiceFileWriter implements EInvoiceWriter {
  async xml(invoice: Invoice, buyer: EInvoiceBuyer, profile: EInvoiceProfile): Promise<string> {
    const { eInvoiceXml } = await import('./e-invoice-xml.ts');
    return eInvoiceXml(invoice, buyer, profile);
  }

  async facturX(invoice: Invoice, buyer: EInvoiceBuyer): Promise<Buffer> {
    const { facturXPdf } = await import('./factur-x.ts');
    return facturXPdf(invoice, buyer);
  }
}
