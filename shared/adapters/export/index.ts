export {
  DOCUMENT_COLUMNS,
  ExportIntegrityError,
  LINE_COLUMNS,
  PAYMENT_METHODS,
  PROGRESS_EVERY,
  writeInvoiceCsv,
  type CurrencyTotals,
  type ExportOptions,
  type ExportTotals,
} from './invoice-csv.ts';
export { sanitiseZipEntryName, writePdfZip, type PdfZipEntry } from './pdf-zip.ts';
