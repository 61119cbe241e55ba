/**
 * docs/domain.md R-30: a final invoice or credit note is kept as issued, once, and served as kept: never
 * drawn again with today's templates. The "templates" below are stand-in renderers that draw something
 * else each time, so only bytes kept at issue can be what a reader gets.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { drainQueues, runNight } from '../../functions/local-runtime.ts';
import { deliverEmail } from '../../shared/use-cases/mail/deliver-email.ts';
import { FileDocumentArchive } from '../../shared/adapters/local/file-document-archive.ts';
import { retainedUntil } from '../../shared/domain/seller.ts';
import type { DocumentRenderer, EInvoiceWriter } from '../../shared/ports/documents.ts';
import { SYSTEM } from '../../shared/use-cases/actor.ts';
import { archiveDocument, archiveKey } from '../../shared/use-cases/finance/archive-documents.ts';
import { invoicePdf, invoiceXml } from '../../shared/use-cases/finance/invoice-documents.ts';
import { exportInvoices } from '../../shared/use-cases/finance/export-invoices.ts';
import { unzip } from '../infra/lambda-sandbox.ts';
import { createOrganisation } from '../../shared/use-cases/manage-organisation.ts';
import { startCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { topUpBalance } from '../../shared/use-cases/top-up-balance.ts';
import type { Organisation } from '../../shared/domain/organisation.ts';
import { aProduct, anOrg, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

const db = useDynamoDbLocal();

let drawn = 0;
/** Today's templates: a different drawing on every call; the CSV, zip and journal writers as they are. */
const todaysRenderer = (base: DocumentRenderer): DocumentRenderer => ({
  pdf: async () => Buffer.from(`%PDF-1.7 drawn today #${++drawn}`),
  csv: base.csv.bind(base),
  zip: base.zip.bind(base),
  journal: base.journal.bind(base),
});
const todaysWriter: EInvoiceWriter = {
  xml: async () => `<Invoice>written today #${++drawn}</Invoice>`,
  facturX: async () => Buffer.from(`%PDF-1.7 Factur-X drawn today #${++drawn}`),
};

/** A German business with a structured address (XRechnung needs it) and the e-invoice settings given. */
async function aGermanBuyer(rt: Awaited<ReturnType<typeof runtime>>, id: string, eInvoice: NonNullable<Organisation['eInvoice']>) {
  await createOrganisation(rt.deps, {
    id,
    name: `${id} GmbH`,
    currency: 'EUR',
    country: 'DE',
    vatNumber: 'DE136695976',
    owner: { userId: `owner-${id}`, email: `billing@${id}.example`, name: 'Owner' },
    postal: { street: 'Friedrichstraße', buildingNumber: '1', zip: '10117', city: 'Berlin', country: 'DE' },
    eInvoice,
  });
}

describe('documents kept as issued (R-30)', () => {
  it("keeps each final invoice at issue, with the e-invoices its organisation asked for, and serves and zips those bytes whatever today's templates draw", async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-17' });
    await aGermanBuyer(rt, 'de-gmbh', { formats: ['xrechnung', 'facturx'], buyerReference: '04011000-12345-34' });
    const { org } = await anOrg(rt, { id: 'ch', balance: '100.00' });
    await topUpBalance(rt.deps, 'de-gmbh', { amount: '100.00', reference: 'seed-de' });
    await aProduct(rt, org.id, { id: 'dom-ch', expiry: '2026-12-31' });
    await aProduct(rt, 'de-gmbh', { id: 'dom-de', expiry: '2026-12-31' });
    await runNight(rt, '2026-12-17');

    const [ch] = await rt.store.listInvoices('ch');
    const [de] = await rt.store.listInvoices('de-gmbh');
    // Kept by the archive's worker when the night's events went out, before anyone asked.
    const keptPdf = await rt.deps.archive.get(archiveKey(ch!, 'pdf'));
    expect(keptPdf?.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const keptFacturX = (await rt.deps.archive.get(archiveKey(de!, 'pdf')))!;
    expect(keptFacturX.toString('latin1')).toContain('factur-x.xml');
    const keptXml = (await rt.deps.archive.get(archiveKey(de!, 'xrechnung')))!.toString('utf8');
    expect(keptXml).toContain('urn:xeinkauf.de:kosit:xrechnung_3.0');
    expect(keptXml).toContain(`<cbc:ID>${de!.number}</cbc:ID>`);

    const today = { ...rt.deps, renderer: todaysRenderer(rt.deps.renderer), eInvoices: todaysWriter };
    expect((await invoicePdf(today, 'ch', ch!.number, SYSTEM)).pdf.equals(keptPdf!)).toBe(true);
    expect((await invoicePdf(today, 'de-gmbh', de!.number, SYSTEM)).pdf.equals(keptFacturX)).toBe(true);
    expect((await invoiceXml(today, 'de-gmbh', de!.number, SYSTEM)).xml).toBe(keptXml);
    // A profile asked for the first time is written then, and kept from then on.
    const ciiFirst = await invoiceXml(today, 'de-gmbh', de!.number, SYSTEM, 'cii');
    expect(ciiFirst.xml).toMatch(/^<Invoice>written today #\d+<\/Invoice>$/);
    expect((await invoiceXml(today, 'de-gmbh', de!.number, SYSTEM, 'cii')).xml).toBe(ciiFirst.xml);
    // The export's zip: each document as kept, with the e-invoices its organisation receives beside it.
    const exported = await exportInvoices(today, { from: '2026-12-17', to: '2026-12-17', pdf: true }, SYSTEM, { name: 'kept' });
    const zip = unzip((await rt.deps.documents.get(exported.zipKey!))!);
    expect([...zip.keys()].sort()).toEqual([`${ch!.number}.pdf`, `${de!.number}.pdf`, `${de!.number}.xrechnung.xml`].sort());
    expect(zip.get(`${ch!.number}.pdf`)!.equals(keptPdf!)).toBe(true);
    expect(zip.get(`${de!.number}.pdf`)!.equals(keptFacturX)).toBe(true);
    expect(zip.get(`${de!.number}.xrechnung.xml`)!.toString('utf8')).toBe(keptXml);
    // Run again (a redelivered message), the worker keeps nothing new and changes nothing.
    expect(await archiveDocument(today, ch!.number)).toEqual({ number: ch!.number, kept: [], skipped: [] });
    expect((await rt.deps.archive.get(archiveKey(ch!, 'pdf')))!.equals(keptPdf!)).toBe(true);
    await rt.close();
  });

  it('keeps one drawing when two first readers of a document not yet kept ask at once', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-17' });
    const { org } = await anOrg(rt, { balance: '100.00' });
    await aProduct(rt, org.id, { id: 'dom-race', expiry: '2026-12-31' });
    // The night without its events: nothing kept yet, as when the archive's worker lags.
    await runNight(rt, '2026-12-17', { outbox: false });
    const [doc] = await rt.store.listInvoices(org.id);
    expect(await rt.deps.archive.get(archiveKey(doc!, 'pdf'))).toBeUndefined();
    const today = { ...rt.deps, renderer: todaysRenderer(rt.deps.renderer) };
    const served = await Promise.all([1, 2, 3].map(() => invoicePdf(today, org.id, doc!.number, SYSTEM)));
    const kept = (await rt.deps.archive.get(archiveKey(doc!, 'pdf')))!;
    for (const s of served) expect(s.pdf.equals(kept)).toBe(true);
    await rt.close();
  });

  it('keeps the e-invoices before the PDF when a reader comes before the archive worker, as the worker would', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-17' });
    await aGermanBuyer(rt, 'early', { formats: ['xrechnung'] });
    await topUpBalance(rt.deps, 'early', { amount: '100.00', reference: 'seed-early' });
    await aProduct(rt, 'early', { id: 'dom-early', expiry: '2026-12-31' });
    await runNight(rt, '2026-12-17', { outbox: false });
    const [doc] = await rt.store.listInvoices('early');
    await invoicePdf(rt.deps, 'early', doc!.number, SYSTEM);
    expect((await rt.deps.archive.get(archiveKey(doc!, 'xrechnung')))?.toString('utf8')).toContain(`<cbc:ID>${doc!.number}</cbc:ID>`);
    await rt.close();
  });

  it('follows a pro-forma as it changes, since it asks for money and is no invoice', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org } = await anOrg(rt);
    await aProduct(rt, org.id, { id: 'pro', expiry: '2026-12-31', autoRenew: false });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'pro' }], method: 'iban', requestId: 'req-pro-0001' }, SYSTEM);
    const today = { ...rt.deps, renderer: todaysRenderer(rt.deps.renderer) };
    const first = await invoicePdf(today, org.id, view.proformaNumber!, SYSTEM);
    const second = await invoicePdf(today, org.id, view.proformaNumber!, SYSTEM);
    expect(first.pdf.equals(second.pdf)).toBe(false);
    expect(await archiveDocument(rt.deps, view.proformaNumber!)).toEqual({ number: view.proformaNumber, kept: [], skipped: [] });
    await rt.close();
  });
});

describe('documents by e-mail (R-48, R-30)', () => {
  it('attaches the document an e-mail announces, as kept, with its e-invoices, to an organisation that asked, and waits for it until kept', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-17' });
    await aGermanBuyer(rt, 'by-mail', { formats: ['xrechnung'], byEmail: true });
    await topUpBalance(rt.deps, 'by-mail', { amount: '100.00', reference: 'seed-mail' });
    const { org: plain } = await anOrg(rt, { id: 'plain', balance: '100.00' });
    await aProduct(rt, 'by-mail', { id: 'dom-mail', expiry: '2026-12-31' });
    await aProduct(rt, plain.id, { id: 'dom-plain', expiry: '2026-12-31' });
    // The night without its events first: the renewal's e-mail is written, its document not kept yet.
    await runNight(rt, '2026-12-17', { outbox: false });
    const [doc] = await rt.store.listInvoices('by-mail');
    const waiting = (await rt.store.listOutbox('2026-12-17')).find((e) => e.orgId === 'by-mail' && e.template === 'renewal-paid')!;
    await expect(deliverEmail(rt.deps, { date: waiting.date, id: waiting.id })).rejects.toThrow(`document ${doc!.number} is not kept yet: the e-mail waits for it`);
    expect((await rt.store.listOutbox('2026-12-17')).find((e) => e.id === waiting.id)).toMatchObject({ failedAttempts: 1 });
    expect((await rt.store.listOutbox('2026-12-17')).find((e) => e.id === waiting.id)?.sentAt).toBeUndefined();

    // Then the events go out, the archive's worker keeps it, and the next delivery sends it with its files.
    await drainQueues(rt);
    const sent = (await rt.store.listOutbox('2026-12-17')).filter((e) => e.template === 'renewal-paid');
    const mailOf = async (orgId: string) => simpleParser(readFileSync(await rt.deps.documents.link(sent.find((e) => e.orgId === orgId)!.sentRef!, 0)));
    const mail = await mailOf('by-mail');
    expect(mail.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      [`${doc!.number}.pdf`, 'application/pdf'],
      [`${doc!.number}.xrechnung.xml`, 'application/xml'],
    ]);
    expect(mail.attachments[0]!.content.equals((await rt.deps.archive.get(archiveKey(doc!, 'pdf')))!)).toBe(true);
    expect(mail.attachments[1]!.content.equals((await rt.deps.archive.get(archiveKey(doc!, 'xrechnung')))!)).toBe(true);
    expect(mail.attachments[1]!.content.toString('utf8')).toContain('urn:xeinkauf.de:kosit:xrechnung_3.0');
    expect(mail.text).toContain(doc!.number);
    // An organisation that did not ask gets the e-mail alone.
    expect((await mailOf('plain')).attachments).toEqual([]);
    await rt.close();
  });
});

describe('the archive on this machine', () => {
  it('creates a file once, read-only, and leaves the first writer’s bytes when a second writes the same key', async () => {
    const root = mkdtempSync(join(tmpdir(), 'archive-'));
    const archive = new FileDocumentArchive(root);
    const key = 'archive/ch/2026/INV-CH-2026-000001.pdf';
    const results = await Promise.all(['first', 'second', 'third'].map((w) => archive.keep(key, Buffer.from(w), 'application/pdf', '2037-01-01')));
    expect(results.filter((r) => r === 'kept')).toHaveLength(1);
    const body = readFileSync(join(root, key), 'utf8');
    expect(['first', 'second', 'third']).toContain(body);
    expect(results[['first', 'second', 'third'].indexOf(body)]).toBe('kept');
    expect(statSync(join(root, key)).mode & 0o222).toBe(0);
    await expect(archive.keep('../escape.pdf', Buffer.from('x'), 'application/pdf', '2037-01-01')).rejects.toThrow('leaves');
  });

  it("locks a document until 1 January after its year plus its seller's retention: 10 years in Switzerland, 8 in Germany, as configured otherwise", () => {
    expect(retainedUntil({ country: 'CH' }, '2026-12-17')).toBe('2037-01-01');
    expect(retainedUntil({ country: 'LI' }, '2026-01-01')).toBe('2037-01-01');
    expect(retainedUntil({ country: 'DE' }, '2026-12-31')).toBe('2035-01-01');
    expect(retainedUntil({ country: 'CH', retentionYears: 12 }, '2026-06-30')).toBe('2039-01-01');
  });
});
