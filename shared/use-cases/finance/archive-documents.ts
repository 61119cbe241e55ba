import { assertEInvoiceable, type Invoice } from '../../domain/invoice.ts';
import { ValidationError, NotFoundError } from '../../domain/errors.ts';
import type { Organisation } from '../../domain/organisation.ts';
import { retainedUntil } from '../../domain/seller.ts';
import type { DocumentArchive, DocumentRenderer, EInvoiceProfile, EInvoiceWriter } from '../../ports/documents.ts';
import type { FinanceStore } from './finance-deps.ts';
import { eInvoiceBuyer } from './e-invoice-buyer.ts';

/** What keeping documents as issued needs: the documents and their organisations, the renderers and the archive. */
export interface ArchiveDeps {
  store: Pick<FinanceStore, 'findInvoice' | 'getOrganisation'>;
  renderer: Pick<DocumentRenderer, 'pdf'>;
  eInvoices: EInvoiceWriter;
  archive: DocumentArchive;
}

export type ArchivedFile = 'pdf' | EInvoiceProfile;

/** docs/domain.md R-30: a final invoice or credit note is kept as issued; a pro-forma asks for money and follows its state. */
export function isArchived(invoice: Pick<Invoice, 'series'>): boolean {
  return invoice.series !== 'PRO';
}

/** Where a kept document lives: `archive/<seller>/<year>/<number>.pdf`, and `.<profile>.xml` for its e-invoices. */
export function archiveKey(invoice: Pick<Invoice, 'sellerId' | 'year' | 'number'>, file: ArchivedFile): string {
  return `archive/${invoice.sellerId}/${invoice.year}/${invoice.number}.${file === 'pdf' ? 'pdf' : `${file}.xml`}`;
}

/** The document's PDF as the organisation receives it: Factur-X when it asked for it, the plain PDF otherwise. */
export function renderPdf(deps: Pick<ArchiveDeps, 'renderer' | 'eInvoices'>, invoice: Invoice, org: Organisation | undefined): Promise<Buffer> {
  return org?.eInvoice?.formats.includes('facturx') ? deps.eInvoices.facturX(invoice, eInvoiceBuyer(org)) : deps.renderer.pdf(invoice);
}

/**
 * The kept file, else `render` kept now. Two writers at once keep one file: the second finds the first
 * one's and serves that, so every reader of a document gets the same bytes, for as long as it is kept.
 */
export async function keptFile(deps: Pick<ArchiveDeps, 'archive'>, invoice: Invoice, file: ArchivedFile, render: () => Promise<Buffer>): Promise<{ body: Buffer; kept: boolean }> {
  const key = archiveKey(invoice, file);
  const stored = await deps.archive.get(key);
  if (stored) return { body: stored, kept: false };
  const body = await render();
  const outcome = await deps.archive.keep(key, body, file === 'pdf' ? 'application/pdf' : 'application/xml', retainedUntil(invoice.seller, invoice.issueDate));
  if (outcome === 'kept') return { body, kept: true };
  const first = await deps.archive.get(key);
  if (!first) throw new Error(`${key} was reported kept by another writer but cannot be read`);
  return { body: first, kept: false };
}

export interface ArchiveOutcome {
  number: string;
  /** Files written now; files kept earlier are left as they were. */
  kept: ArchivedFile[];
  /** E-invoice profiles the organisation asked for that this document cannot be written in, and why. */
  skipped: { file: ArchivedFile; reason: string }[];
}

/**
 * Keeps an issued document as issued, once (the archive queue's worker, fed by `invoice.issued`): its PDF
 * (Factur-X when the organisation receives it) and the XML of each e-invoice profile it asked for. A
 * profile the document cannot be written in (an XRechnung without the buyer's address) is skipped with its
 * reason, never a reason to keep nothing. Run again, it keeps what is missing and changes nothing else.
 */
export async function archiveDocument(deps: ArchiveDeps, number: string): Promise<ArchiveOutcome> {
  const invoice = await deps.store.findInvoice(number);
  if (!invoice) throw new NotFoundError(`Invoice ${number} not found`, 'invoice_not_found');
  const outcome: ArchiveOutcome = { number, kept: [], skipped: [] };
  if (!isArchived(invoice)) return outcome;
  return keepAll(deps, invoice, await deps.store.getOrganisation(invoice.orgId), outcome);
}

/**
 * The document's kept PDF; a reader that comes before the archive's worker keeps the whole document as the
 * worker would (its e-invoices first, then the PDF), so an e-mail that finds the PDF finds the rest too.
 */
export async function keptPdf(deps: Pick<ArchiveDeps, 'renderer' | 'eInvoices' | 'archive'>, invoice: Invoice, org: Organisation | undefined): Promise<Buffer> {
  const stored = await deps.archive.get(archiveKey(invoice, 'pdf'));
  if (stored) return stored;
  await keepAll(deps, invoice, org, { number: invoice.number, kept: [], skipped: [] });
  return (await keptFile(deps, invoice, 'pdf', () => renderPdf(deps, invoice, org))).body;
}

async function keepAll(
  deps: Pick<ArchiveDeps, 'renderer' | 'eInvoices' | 'archive'>,
  invoice: Invoice,
  org: Organisation | undefined,
  outcome: ArchiveOutcome,
): Promise<ArchiveOutcome> {
  for (const profile of eInvoiceProfilesOf(org)) {
    try {
      if ((await keptFile(deps, invoice, profile, () => writeXml(deps, invoice, org!, profile))).kept) outcome.kept.push(profile);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      outcome.skipped.push({ file: profile, reason: err.message });
    }
  }
  // The PDF last: an e-mail that attaches the document waits for it, and then finds the e-invoices kept too.
  if ((await keptFile(deps, invoice, 'pdf', () => renderPdf(deps, invoice, org))).kept) outcome.kept.push('pdf');
  return outcome;
}

/** The XML e-invoice profiles an organisation receives (Factur-X is its PDF). */
export function eInvoiceProfilesOf(org: Organisation | undefined): ('peppol' | 'xrechnung')[] {
  return (org?.eInvoice?.formats ?? []).filter((f): f is 'peppol' | 'xrechnung' => f === 'peppol' || f === 'xrechnung');
}

async function writeXml(deps: Pick<ArchiveDeps, 'eInvoices'>, invoice: Invoice, org: Organisation, profile: EInvoiceProfile): Promise<Buffer> {
  assertEInvoiceable(invoice);
  return Buffer.from(await deps.eInvoices.xml(invoice, eInvoiceBuyer(org), profile), 'utf8');
}

/** The kept e-invoice of a profile, written and kept now if need be; undefined when the document cannot be written in it. */
export async function keptXml(deps: Pick<ArchiveDeps, 'eInvoices' | 'archive'>, invoice: Invoice, org: Organisation, profile: EInvoiceProfile): Promise<Buffer | undefined> {
  try {
    return (await keptFile(deps, invoice, profile, () => writeXml(deps, invoice, org, profile))).body;
  } catch (err) {
    if (err instanceof ValidationError) return undefined;
    throw err;
  }
}
