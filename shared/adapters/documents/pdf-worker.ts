// A worker thread of WorkerPdfRenderer: draws one PDF per task, off the main thread.
import type { Invoice } from '../../domain/invoice.ts';
import { renderInvoicePdf } from '../pdf/invoice-pdf.ts';

export default function render(task: { invoice: Invoice }): Promise<Buffer> {
  return renderInvoicePdf(task.invoice, task.invoice.seller);
}
