import { assertCanSeeDocument } from '../../domain/organisation.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { EInvoiceProfile } from '../../ports/documents.ts';
import { archiveKey, isArchived, keptFile, keptPdf } from './archive-documents.ts';
import { eInvoiceBuyer } from './e-invoice-buyer.ts';

export { eInvoiceBuyer };
import { assertEInvoiceable, type Invoice } from '../../domain/invoice.ts';
import { authoriseBilling, isFinance, type Actor } from '../actor.ts';
import type { FinanceDeps } from './finance-deps.ts';

/** Where a pro-forma's PDF is left: one file per number, rewritten when its payment state changes (kept documents: archiveKey). */
export function pdfKey(invoice: Pick<Invoice, 'sellerId' | 'year' | 'number'>): string {
  return `invoices/${invoice.sellerId}/${invoice.year}/${invoice.number}.pdf`;
}

/** The document by number, when the actor may read it: billing rights on its organisation (and its products), or finance. */
async function readableDocument(deps: Pick<FinanceDeps, 'store'>, orgId: string, number: string, actor: Actor): Promise<Invoice> {
  const member = isFinance(actor) ? undefined : await authoriseBilling(deps.store, actor, orgId);
  const invoice = await deps.store.findInvoice(number);
  if (!invoice || invoice.orgId !== orgId) throw new NotFoundError(`Invoice ${number} not found`, 'invoice_not_found');
  if (member)
    assertCanSeeDocument(
      member,
      invoice.lines.flatMap((l) => (l.productId ? [l.productId] : [])),
    );
  return invoice;
}

/**
 * A final invoice or credit note as EN 16931 XML (docs/domain.md R-48), in the profile asked for;
 * without one, the first the organisation receives (Peppol, then XRechnung), else plain CII.
 * Served as kept: the first time a profile is asked for, or when the document was issued, it is
 * written and kept; it is never written again. A pro-forma is no invoice: refused.
 */
export async function invoiceXml(
  deps: Pick<FinanceDeps, 'store' | 'eInvoices' | 'archive'>,
  orgId: string,
  number: string,
  actor: Actor,
  profile?: EInvoiceProfile,
): Promise<{ invoice: Invoice; xml: string; profile: EInvoiceProfile }> {
  const invoice = await readableDocument(deps, orgId, number, actor);
  assertEInvoiceable(invoice);
  const org = await deps.store.getOrganisation(orgId);
  if (!org) throw new NotFoundError(`Organisation ${orgId} not found`, 'org_not_found');
  const chosen = profile ?? org.eInvoice?.formats.find((f): f is 'peppol' | 'xrechnung' => f === 'peppol' || f === 'xrechnung') ?? 'cii';
  const { body } = await keptFile(deps, invoice, chosen, async () => Buffer.from(await deps.eInvoices.xml(invoice, eInvoiceBuyer(org), chosen), 'utf8'));
  return { invoice, xml: body.toString('utf8'), profile: chosen };
}

/**
 * An invoice, pro-forma or credit note as PDF (docs/domain.md R-27: invoices can be
 * generated and printed as PDF).
 *
 * 1. Check the actor may read the organisation's invoices (billing rights),
 *    or is the provider's finance staff.
 * 2. Find the document by number; one of another organisation is "not found".
 * 3. A final invoice or credit note is served as kept when it was issued, Factur-X when the
 *    organisation received it so; kept now if the archive's worker has not come to it yet.
 * 4. A pro-forma follows its state (a QR-bill while open, a stamp once paid or void): drawn now, in the
 *    organisation's language, and a copy left in the document store.
 */
export async function invoicePdf(
  deps: Pick<FinanceDeps, 'store' | 'renderer' | 'eInvoices' | 'documents' | 'archive'>,
  orgId: string,
  number: string,
  actor: Actor,
): Promise<{ invoice: Invoice; pdf: Buffer; key: string }> {
  const invoice = await readableDocument(deps, orgId, number, actor);
  if (isArchived(invoice)) {
    const org = await deps.store.getOrganisation(orgId);
    return { invoice, pdf: await keptPdf(deps, invoice, org), key: archiveKey(invoice, 'pdf') };
  }
  const pdf = await deps.renderer.pdf(invoice);
  const key = pdfKey(invoice);
  await deps.documents.put(key, pdf, 'application/pdf');
  return { invoice, pdf, key };
}
