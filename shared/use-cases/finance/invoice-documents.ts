import { assertCanSeeDocument } from '../../domain/organisation.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { Organisation } from '../../domain/organisation.ts';
import type { EInvoiceBuyer, EInvoiceProfile } from '../../ports/documents.ts';
import { assertEInvoiceable, type Invoice } from '../../domain/invoice.ts';
import { authoriseBilling, isFinance, type Actor } from '../actor.ts';
import type { FinanceDeps } from './finance-deps.ts';

/** Where a document's PDF is kept: one file per number, rewritten when its payment state changes. */
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

/** Where the organisation receives e-invoices and the reference it asked for. */
export function eInvoiceBuyer(org: Organisation): EInvoiceBuyer {
  return {
    ...(org.eInvoice?.peppolId ? { peppolId: org.eInvoice.peppolId } : {}),
    ...(org.billingContacts[0] ? { email: org.billingContacts[0] } : {}),
    ...(org.eInvoice?.buyerReference ? { reference: org.eInvoice.buyerReference } : {}),
  };
}

/**
 * A final invoice or credit note as EN 16931 XML (docs/domain.md R-48), in the profile asked for;
 * without one, the first the organisation receives (Peppol, then XRechnung), else plain CII.
 * A pro-forma is no invoice: refused.
 */
export async function invoiceXml(
  deps: Pick<FinanceDeps, 'store' | 'eInvoices'>,
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
  return { invoice, xml: await deps.eInvoices.xml(invoice, eInvoiceBuyer(org), chosen), profile: chosen };
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
  deps: Pick<FinanceDeps, 'store' | 'renderer' | 'eInvoices' | 'documents'>,
  orgId: string,
  number: string,
  actor: Actor,
): Promise<{ invoice: Invoice; pdf: Buffer; key: string }> {
  const invoice = await readableDocument(deps, orgId, number, actor);
  // An organisation that asked for Factur-X gets its final invoices and credit notes as Factur-X: the same page, the XML inside.
  const org = invoice.series === 'PRO' ? undefined : await deps.store.getOrganisation(orgId);
  const pdf = org?.eInvoice?.formats.includes('facturx') ? await deps.eInvoices.facturX(invoice, eInvoiceBuyer(org)) : await deps.renderer.pdf(invoice);
  const key = pdfKey(invoice);
  await deps.documents.put(key, pdf, 'application/pdf');
  return { invoice, pdf, key };
}
