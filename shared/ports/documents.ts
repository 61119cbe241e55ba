import type { Writable } from 'node:stream';
import type { Invoice } from '../domain/invoice.ts';

/** What an export adds up to, per currency, so finance can check it against the ledgers to the cent. */
export interface ExportTotals {
  documents: number;
  rows: number;
  byCurrency: Record<string, { net: string; vat: string; gross: string; paid: Record<string, string> }>;
}

/** Turns finance documents into files: PDFs, the CSV export, a zip of PDFs. */
export interface DocumentRenderer {
  pdf(invoice: Invoice): Promise<Buffer>;
  /** Streams the CSV: documents are read one by one, so memory stays flat however many there are. */
  csv(docs: AsyncIterable<Invoice>, out: Writable, opts: { lines: boolean }, onProgress?: (rows: number) => void): Promise<ExportTotals>;
  zip(entries: AsyncIterable<{ name: string; pdf: () => Promise<Buffer> }>, out: Writable): Promise<{ files: number }>;
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
