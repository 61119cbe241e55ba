import { assertCanSeeDocument } from '../../domain/organisation.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { Invoice } from '../../domain/invoice.ts';
import { authoriseBilling, isFinance, type Actor } from '../actor.ts';
import type { FinanceDeps } from './finance-deps.ts';

/** Where a document's PDF is kept: one file per number, rewritten when its payment state changes. */
export function pdfKey(invoice: Pick<Invoice, 'sellerId' | 'year' | 'number'>): string {
  return `invoices/${invoice.sellerId}/${invoice.year}/${invoice.number}.pdf`;
}

/**
 * An invoice, pro-forma or credit note as PDF (docs/domain.md R-27: invoices can be
 * generated and printed as PDF).
 *
 * 1. Check the actor may read the organisation's invoices (billing rights),
 *    or is the provider's finance staff.
 * 2. Find the document by number; one of another organisation is "not found".
 * 3. Render it in the organisation's language, with a QR-bill while unpaid,
 *    and keep a copy in the document store.
 */
export async function invoicePdf(
  deps: Pick<FinanceDeps, 'store' | 'renderer' | 'documents'>,
  orgId: string,
  number: string,
  actor: Actor,
): Promise<{ invoice: Invoice; pdf: Buffer; key: string }> {
  const member = isFinance(actor) ? undefined : await authoriseBilling(deps.store, actor, orgId);
  const invoice = await deps.store.findInvoice(number);
  if (!invoice || invoice.orgId !== orgId) throw new NotFoundError(`Invoice ${number} not found`, 'invoice_not_found');
  if (member)
    assertCanSeeDocument(
      member,
      invoice.lines.flatMap((l) => (l.productId ? [l.productId] : [])),
    );
  const pdf = await deps.renderer.pdf(invoice);
  const key = pdfKey(invoice);
  await deps.documents.put(key, pdf, 'application/pdf');
  return { invoice, pdf, key };
}
