import { InvoiceService } from '@e-invoice-eu/core';
import type { Invoice } from '../../domain/invoice.ts';
import type { EInvoiceBuyer, EInvoiceProfile } from '../../ports/documents.ts';
import { en16931Invoice } from './en16931-invoice.ts';

/** @e-invoice-eu/core's names of the formats each profile is written in. */
const FORMAT: Record<EInvoiceProfile, string> = { peppol: 'UBL', xrechnung: 'XRECHNUNG-UBL', cii: 'CII' };

/** The library reports what it coerced on a logger; nothing it says is an error of the document (those throw). */
const quiet = { log() {}, warn() {}, error() {} };

/**
 * The document as e-invoice XML in the profile asked for. The library checks
 * its input against its own JSON schema first: a document it refuses is a
 * mapping defect and throws.
 */
export async function eInvoiceXml(invoice: Invoice, buyer: EInvoiceBuyer, profile: EInvoiceProfile): Promise<string> {
  const xml = await new InvoiceService(quiet).generate(en16931Invoice(invoice, buyer, profile), { format: FORMAT[profile], lang: 'en-us', noWarnings: true });
  return typeof xml === 'string' ? xml : Buffer.from(xml).toString('utf8');
}
