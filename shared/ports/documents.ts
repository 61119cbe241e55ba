import type { Writable } from 'node:stream';
import type { Invoice } from '../domain/invoice.ts';
import type { Booking } from '../domain/journal.ts';

/** What an export adds up to, per currency, so finance can check it against the ledgers to the cent. */
export interface ExportTotals {
  documents: number;
  rows: number;
  byCurrency: Record<string, { net: string; vat: string; gross: string; paid: Record<string, string> }>;
}

/** The syntaxes and rule sets an EN 16931 e-invoice is written in: Peppol BIS Billing 3.0 and XRechnung 3.0 (UBL), or UN/CEFACT CII. */
export const E_INVOICE_PROFILES = ['peppol', 'xrechnung', 'cii'] as const;
export type EInvoiceProfile = (typeof E_INVOICE_PROFILES)[number];

/** How the buyer receives e-invoices (its Peppol participant id or an e-mail address) and the reference it asked for (BT-10). */
export interface EInvoiceBuyer {
  /** "scheme:id" of the Peppol network, e.g. 0088:7300010000001 (GLN) or 9930:DE136695976. */
  peppolId?: string;
  email?: string;
  /** BT-10: the reference the buyer asked for (XRechnung: the Leitweg-ID); the organisation's id otherwise. */
  reference?: string;
}

/**
 * Writes final invoices and credit notes as EN 16931 e-invoices. A port of its own: its library (a PDF/A
 * writer, an XML builder, a JSON Schema validator) goes only into the functions that serve e-invoices.
 */
export interface EInvoiceWriter {
  /** The document as EN 16931 XML. */
  xml(invoice: Invoice, buyer: EInvoiceBuyer, profile: EInvoiceProfile): Promise<string>;
  /** The document as a Factur-X PDF (PDF/A-3, its CII XML embedded). */
  facturX(invoice: Invoice, buyer: EInvoiceBuyer): Promise<Buffer>;
}

/** Turns finance documents into files: PDFs, the CSV export, a zip of PDFs. */
export interface DocumentRenderer {
  pdf(invoice: Invoice): Promise<Buffer>;
  /** Streams the CSV: documents are read one by one, so memory stays flat however many there are. */
  csv(docs: AsyncIterable<Invoice>, out: Writable, opts: { lines: boolean }, onProgress?: (rows: number) => void): Promise<ExportTotals>;
  zip(entries: AsyncIterable<{ name: string; pdf: () => Promise<Buffer> }>, out: Writable): Promise<{ files: number }>;
  /** The journal's bookings as the generic CSV or Banana's import text; resolves with the rows written. */
  journal(bookings: AsyncIterable<Booking>, out: Writable, format: 'banana' | 'csv'): Promise<number>;
}

/** Where PDFs and exports are kept: S3 in AWS, the `out/` folder locally. */
export interface DocumentStore {
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
  /** A stream to write a large file into; `done` settles once it is stored. */
  writer(key: string, contentType: string): { stream: Writable; done: Promise<void> };
  /** How to fetch it: a time-limited link in AWS, a file path locally. */
  link(key: string, expiresInSeconds: number): Promise<string>;
}

/**
 * docs/domain.md R-30: issued documents kept as issued. Each key is written once and never replaced; in AWS
 * the object is locked (S3 Object Lock, compliance mode) until `retainUntil`, so no one, root included, can
 * delete or overwrite it before.
 */
export interface DocumentArchive {
  /** 'kept' when stored now; 'exists' when the key already holds a document, which stays as it was. */
  keep(key: string, body: Buffer, contentType: string, retainUntil: string): Promise<'kept' | 'exists'>;
  get(key: string): Promise<Buffer | undefined>;
}
