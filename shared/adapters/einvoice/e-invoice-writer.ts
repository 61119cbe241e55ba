import type { Invoice } from '../../domain/invoice.ts';
import type { EInvoiceBuyer, EInvoiceProfile, EInvoiceWriter } from '../../ports/documents.ts';
import { eInvoiceXml } from './e-invoice-xml.ts';
import { facturXPdf } from './factur-x.ts';

/** @e-invoice-eu/core behind the port: UBL and CII XML, and Factur-X PDFs drawn by the engine's own PDF writer. */
export class EInvoiceFileWriter implements EInvoiceWriter {
  xml(invoice: Invoice, buyer: EInvoiceBuyer, profile: EInvoiceProfile): Promise<string> {
    return eInvoiceXml(invoice, buyer, profile);
  }

  facturX(invoice: Invoice, buyer: EInvoiceBuyer): Promise<Buffer> {
    return facturXPdf(invoice, buyer);
  }
}
