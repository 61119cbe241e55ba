import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { Decimal } from 'decimal.js';
import { isQRIBAN, isValidIBAN } from 'ibantools';
import type { Data } from 'swissqrbill/types';
import { extractText } from 'unpdf';
import { describe, expect, it } from 'vitest';
import { FileFormatsRenderer } from '../../shared/adapters/documents/document-renderer.ts';
import { qrBillPayload, renderInvoicePdf, writeInvoicePdf } from '../../shared/adapters/pdf/invoice-pdf.ts';
import { creditNoteFor, toInvoice, type Invoice, type InvoiceSeries } from '../../shared/domain/invoice.ts';
import { Money, type Currency } from '../../shared/domain/money.ts';
import type { Language, Organisation } from '../../shared/domain/organisation.ts';
import { formatReference, isCreditorReference, isQrReference, paymentReferenceFor } from '../../shared/domain/payment-reference.ts';
import { priceInvoice, type PriceLineInput } from '../../shared/domain/pricing.ts';
import type { Seller } from '../../shared/domain/seller.ts';
import { DEFAULT_SELLER } from '../support/sample-config.ts';
import { REVERSE_CHARGE_MENTION, type VatTreatment } from '../../shared/domain/vat.ts';

const LOGO = readFileSync(new URL('../fixtures/pdf/logo.png', import.meta.url));
const BUYER = 'Société Générale Zürich Müller';
/** A seller with an ordinary IBAN only: its documents carry creditor references (RF…). */
const SCOR_SELLER: Seller = { ...DEFAULT_SELLER, qrIban: undefined };
const SWISS_VAT: VatTreatment = { kind: 'domestic', rate: new Decimal('8.1'), country: 'CH' };

function org(language: Language, extra: Partial<Organisation> = {}): Organisation {
  return {
    id: 'org-1',
    name: BUYER,
    currency: 'CHF',
    country: 'CH',
    postal: { street: 'Bahnhofstrasse', buildingNumber: '12', zip: '8001', city: 'Zürich', country: 'CH' },
    vatNumber: 'CHE-116.281.710 MWST',
    language,
    balance: '0.00',
    billingContacts: [],
    createdAt: '2026-01-01T00:00:00Z',
    ...extra,
  };
}

function lines(currency: Currency, n = 2): PriceLineInput[] {
  return Array.from({ length: n }, (_, i) =>
    i % 2 === 0
      ? {
          description: `Hébergement « Élan » ça-et-là.ch L${i + 1}`,
          productId: `p${i}`,
          periodFrom: '2026-12-31',
          periodTo: '2027-12-30',
          unitPrice: Money.of('13.00', currency),
          quantity: 1,
        }
      : { description: `Domaine größe-straße.ch L${i + 1}`, productId: `p${i}`, unitPrice: Money.of('9.90', currency), quantity: 12 },
  );
}

/** A document as the checkout makes it: priced, numbered, and for an open one the amount due and reference. */
function documentOf(opts: {
  series: InvoiceSeries;
  language?: Language;
  currency?: Currency;
  seller?: Seller;
  lines?: number;
  balance?: string;
  amountDue?: string;
  vat?: VatTreatment;
  org?: Partial<Organisation>;
}): Invoice {
  const currency = opts.currency ?? 'CHF';
  const seller = opts.seller ?? DEFAULT_SELLER;
  const priced = priceInvoice(lines(currency, opts.lines), opts.vat ?? SWISS_VAT, currency);
  const balance = Money.of(opts.balance ?? '5.00', currency);
  const open = opts.series === 'PRO';
  const payments = open
    ? [{ method: 'balance' as const, amount: balance }]
    : [
        { method: 'balance' as const, amount: balance },
        { method: 'card' as const, amount: priced.total.minus(balance), ref: 'pi_1' },
      ];
  const invoice = toInvoice(priced, { series: opts.series, seller, year: 2026, sequence: 7 }, org(opts.language ?? 'fr', { currency, ...opts.org }), '2026-12-10', payments, {
    status: open ? 'open' : 'paid',
  });
  if (open) {
    invoice.amountDue = opts.amountDue ?? priced.total.minus(balance).toString();
    invoice.paymentReference = paymentReferenceFor(seller, { series: 'PRO', year: 2026, sequence: 7 });
  }
  return invoice;
}

/** Text per page, with the line breaks of wrapped cells undone (a break after a hyphen joins, others become a space). */
async function pdfText(pdf: Buffer): Promise<{ text: string; pages: string[] }> {
  const { text } = await extractText(new Uint8Array(pdf), { mergePages: false });
  const pages = text.map((page) => page.replace(/-\n/g, '-').replace(/\s+/g, ' '));
  return { text: pages.join(' '), pages };
}

const RECEIPT = ['Récépissé', 'Empfangsschein', 'Ricevuta', 'Receipt'];

describe('invoice PDF', () => {
  it('prints the number, lines, VAT, totals, reference and accents of an open pro-forma, with its QR-bill', async () => {
    const proforma = documentOf({ series: 'PRO' });
    const pdf = await renderInvoicePdf(proforma, DEFAULT_SELLER, { logo: LOGO });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const { text, pages } = await pdfText(pdf);

    expect(pages).toHaveLength(1);
    expect(text).toContain('Facture pro forma');
    expect(text).toContain('PRO-CH-2026-000007');
    expect(text).toContain('10.12.2026');
    // Body (DejaVu) and both halves of the QR-bill (Helvetica) print the name intact.
    expect(text.split(BUYER).length - 1).toBeGreaterThanOrEqual(3);
    expect(text).toContain('Hébergement « Élan » ça-et-là.ch L1');
    expect(text).toContain('Domaine größe-straße.ch L2');
    expect(text).toContain('31.12.2026 –');
    expect(text).toContain('8.1 %');
    // Lines: 13.00 -> VAT 1.05; 12 x 9.90 = 118.80 -> VAT 9.62; totals are sums of the lines.
    for (const s of ['1.05', '9.62', '118.80', 'TVA 8.1 % sur CHF 131.80', 'CHF 10.67', 'Total HT', 'CHF 131.80', 'Total TVA', 'Total TTC', 'CHF 142.47']) {
      expect(text).toContain(s);
    }
    expect(text).toContain('Solde prépayé');
    expect(text).toMatch(/Montant dû\s+CHF 137\.47/);
    expect(text).toContain(formatReference(proforma.paymentReference!));
    expect(text).toContain('Récépissé');
    expect(text).toContain('Section paiement');
    expect(text).not.toContain('PAYÉE');

    // Every character is one Helvetica prints: the standard fonts, nothing embedded.
    const raw = pdf.toString('latin1');
    expect(raw).toContain('/BaseFont /Helvetica-Bold');
    expect(raw).toMatch(/\/BaseFont \/Helvetica\b/);
    expect(raw).not.toContain('/FontFile2');
    expect(raw).toContain('/Subtype /Image');
  });

  it('prints a name Helvetica lacks (Łódź Ștefan) intact in the body and in both halves of the QR-bill, with DejaVu embedded', async () => {
    const name = 'Łódź Ștefan Sp. z o.o.';
    const proforma = documentOf({ series: 'PRO', org: { name, postal: { street: 'ulica Piotrkowska', buildingNumber: '17', zip: '8001', city: 'Zürich', country: 'CH' } } });
    const pdf = await renderInvoicePdf(proforma, DEFAULT_SELLER);
    const { text } = await pdfText(pdf);
    // The address block, the receipt and the payment part: three times, each as written.
    expect(text.split(name).length - 1).toBe(3);
    const raw = pdf.toString('latin1');
    expect(raw).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans-Bold/);
    expect(raw).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans\b/);
    expect(raw).toContain('/FontFile2');
    expect(raw).not.toContain('/BaseFont /Helvetica');
    // Streamed (an export's zip entry) it is the same document.
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await writeInvoicePdf(proforma, DEFAULT_SELLER, out);
    expect(Buffer.concat(chunks).equals(pdf)).toBe(true);
  });

  it('titles every series in each of the four languages', async () => {
    const expected: Record<Language, Record<InvoiceSeries, string> & { total: string }> = {
      fr: { INV: 'Facture', PRO: 'Facture pro forma', CN: 'Note de crédit', total: 'Total TTC' },
      de: { INV: 'Rechnung', PRO: 'Proforma-Rechnung', CN: 'Gutschrift', total: 'Total inkl. MWST' },
      it: { INV: 'Fattura', PRO: 'Fattura proforma', CN: 'Nota di credito', total: 'Totale IVA inclusa' },
      en: { INV: 'Invoice', PRO: 'Pro-forma invoice', CN: 'Credit note', total: 'Total incl. VAT' },
    };
    for (const [language, titles] of Object.entries(expected) as [Language, (typeof expected)[Language]][]) {
      const invoice = documentOf({ series: 'INV', language });
      const proforma = documentOf({ series: 'PRO', language });
      const note = creditNoteFor(invoice, { seller: DEFAULT_SELLER, year: 2026, sequence: 3 }, '2026-12-20', []);
      const [inv, pro, cn] = await Promise.all([invoice, proforma, note].map(async (d) => (await pdfText(await renderInvoicePdf(d, DEFAULT_SELLER))).text));
      expect(inv).toContain(titles.INV);
      expect(inv).not.toContain(titles.PRO);
      expect(inv).toContain(titles.total);
      expect(pro).toContain(titles.PRO);
      expect(cn).toContain(titles.CN);
      // The QR-bill speaks the document's language too.
      const receipt = RECEIPT[(['fr', 'de', 'it', 'en'] as const).indexOf(language)]!;
      expect(pro).toContain(receipt);
      expect(inv).not.toContain(receipt);
    }
  });

  it('stamps a paid invoice and gives it no QR-bill', async () => {
    const invoice = documentOf({ series: 'INV' });
    const { text } = await pdfText(await renderInvoicePdf(invoice, DEFAULT_SELLER));
    expect(text).toContain('PAYÉE');
    expect(text).toContain('Carte de crédit');
    expect(text).toMatch(/Montant dû\s+CHF 0\.00/);
    for (const word of [...RECEIPT, 'Section paiement']) expect(text).not.toContain(word);

    const settled = { ...documentOf({ series: 'PRO' }), amountDue: '0.00' };
    expect((await pdfText(await renderInvoicePdf(settled, DEFAULT_SELLER))).text).not.toContain('Récépissé');
  });

  it('prints a credit note with the invoice it refers to and negative amounts', async () => {
    const invoice = documentOf({ series: 'INV', language: 'de' });
    const note = creditNoteFor(invoice, { seller: DEFAULT_SELLER, year: 2026, sequence: 1 }, '2026-12-20', [
      { method: 'card', amount: Money.of(invoice.total, 'CHF'), ref: 're_1' },
    ]);
    const { text } = await pdfText(await renderInvoicePdf(note, DEFAULT_SELLER));
    expect(text).toContain('Gutschrift');
    expect(text).toContain('CN-CH-2026-000001');
    expect(text).toContain('Bezieht sich auf Rechnung INV-CH-2026-000007');
    expect(text).toContain('20.12.2026');
    expect(text).toContain('CHF -142.47');
    expect(text).toContain('CHF -10.67');
    expect(text).toContain('Rückerstattungen');
    expect(text).toContain('ERSTATTET');
    expect(text).not.toContain('Empfangsschein');
  });

  it('prints the reverse-charge mention in the document language', async () => {
    const vat: VatTreatment = { kind: 'reverse-charge', rate: new Decimal(0), country: 'DE', mention: REVERSE_CHARGE_MENTION };
    const buyer = { country: 'DE', vatNumber: 'DE136695976', postal: { street: 'Friedrichstraße', buildingNumber: '5', zip: '10117', city: 'Berlin', country: 'DE' } };
    const fr = documentOf({ series: 'INV', currency: 'EUR', vat, org: buyer });
    expect(fr.vatMention).toBe(REVERSE_CHARGE_MENTION);
    const frText = (await pdfText(await renderInvoicePdf(fr, DEFAULT_SELLER))).text;
    expect(frText).toContain('Autoliquidation');
    expect(frText).toContain('N° TVA DE136695976');
    expect(frText).toContain('TVA 0 % sur EUR 131.80');
    const en = documentOf({ series: 'INV', currency: 'EUR', vat, org: buyer, language: 'en' });
    expect((await pdfText(await renderInvoicePdf(en, DEFAULT_SELLER))).text).toContain('Reverse charge: VAT to be accounted for by the recipient');
  });

  it('spreads 60 lines over several pages, header repeated, every line whole and once', async () => {
    const invoice = documentOf({ series: 'PRO', lines: 60, language: 'en' });
    const { pages } = await pdfText(await renderInvoicePdf(invoice, DEFAULT_SELLER, { logo: LOGO }));
    expect(pages.length).toBeGreaterThanOrEqual(2);
    pages.forEach((page, i) => expect(page).toContain(`PRO-CH-2026-000007 · Page ${i + 1}/${pages.length}`));
    expect(pages.filter((p) => p.includes('Unit price excl. VAT')).length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i <= 60; i++) {
      const holding = pages.filter((p) => new RegExp(`\\bL${i}\\b`).test(p));
      expect(holding, `line L${i}`).toHaveLength(1);
      // The line's description and (for a dated line) its whole period are on the same page.
      if (i % 2 === 1) expect(holding[0]).toMatch(new RegExp(`L${i}[\\s\\S]*?31 December 2026 – 30 December 2027`));
    }
    // The totals end the table; the QR-bill is at the bottom of the last page (a page of its own if needed).
    expect(pages.slice(-2).join(' ')).toContain('Total incl. VAT');
    expect(pages[pages.length - 1]).toContain('Receipt');
  });

  it('renders a EUR pro-forma with a creditor reference', async () => {
    const proforma = documentOf({ series: 'PRO', currency: 'EUR', seller: SCOR_SELLER, language: 'it' });
    expect(isCreditorReference(proforma.paymentReference!)).toBe(true);
    const { text } = await pdfText(await renderInvoicePdf(proforma, SCOR_SELLER));
    expect(text).toContain('Fattura proforma');
    expect(text).toContain('EUR 142.47');
    expect(text).toContain('Ricevuta');
    expect(text).toContain(formatReference(proforma.paymentReference!));
    expect(text).toContain('CH93 0076 2011 6238 5295 7');
  });

  it('renders the same bytes twice, and the same through a stream', async () => {
    const proforma = documentOf({ series: 'PRO' });
    const a = await renderInvoicePdf(proforma, DEFAULT_SELLER, { logo: LOGO });
    const b = await renderInvoicePdf(proforma, DEFAULT_SELLER, { logo: LOGO });
    expect(a.equals(b)).toBe(true);
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await writeInvoicePdf(proforma, DEFAULT_SELLER, out, { logo: LOGO });
    expect(Buffer.concat(chunks).equals(a)).toBe(true);
  });

  it('measures how many one-page invoices with a QR-bill it renders per second', async () => {
    const proforma = documentOf({ series: 'PRO' });
    await renderInvoicePdf(proforma, DEFAULT_SELLER, { logo: LOGO });
    const n = 50;
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await renderInvoicePdf(proforma, DEFAULT_SELLER, { logo: LOGO });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    console.log(`invoice PDF: ${n} renders in ${seconds.toFixed(2)} s = ${(n / seconds).toFixed(1)} PDFs/s (one page, QR-bill, logo)`);
  });
});

describe('QR-bill payload', () => {
  /** Element positions of IG QR-bill v2.3, section 4.3, counted from 0. */
  const F = {
    qrType: 0,
    version: 1,
    coding: 2,
    iban: 3,
    cdtrAdrTp: 4,
    cdtrName: 5,
    cdtrStreet: 6,
    cdtrBldg: 7,
    cdtrZip: 8,
    cdtrTown: 9,
    cdtrCtry: 10,
    ultmtCdtr: 11,
    amount: 18,
    currency: 19,
    dbtrAdrTp: 20,
    dbtrName: 21,
    dbtrStreet: 22,
    dbtrBldg: 23,
    dbtrZip: 24,
    dbtrTown: 25,
    dbtrCtry: 26,
    refType: 27,
    ref: 28,
    message: 29,
    trailer: 30,
  };

  it('follows the standard with a QR-IBAN and a QR reference', () => {
    const proforma = documentOf({ series: 'PRO', amountDue: '10.05' });
    const f = qrBillPayload(proforma, DEFAULT_SELLER).split('\n');
    expect(f).toHaveLength(31);
    expect([f[F.qrType], f[F.version], f[F.coding]]).toEqual(['SPC', '0200', '1']);
    expect(f[F.iban]).toBe('CH4431999123000889012');
    expect(isValidIBAN(f[F.iban]!) && isQRIBAN(f[F.iban]!)).toBe(true);
    expect(f.slice(F.cdtrAdrTp, F.cdtrCtry + 1)).toEqual(['S', 'Example Hosting SA', 'Rue du Lac', '1', '1227', 'Carouge GE', 'CH']);
    expect(f.slice(F.ultmtCdtr, F.ultmtCdtr + 7)).toEqual(['', '', '', '', '', '', '']);
    expect(f[F.amount]).toBe('10.05');
    expect(f[F.currency]).toBe('CHF');
    expect(f.slice(F.dbtrAdrTp, F.dbtrCtry + 1)).toEqual(['S', BUYER, 'Bahnhofstrasse', '12', '8001', 'Zürich', 'CH']);
    expect(f[F.refType]).toBe('QRR');
    expect(f[F.ref]).toBe(proforma.paymentReference);
    expect(f[F.ref]).toMatch(/^\d{27}$/);
    expect(isQrReference(f[F.ref]!)).toBe(true);
    expect(f[F.message]).toBe('PRO-CH-2026-000007');
    expect(f[F.trailer]).toBe('EPD');
  });

  it('uses the ordinary IBAN with a creditor reference, and leaves an unknown debtor empty', () => {
    const proforma = documentOf({ series: 'PRO', currency: 'EUR', seller: SCOR_SELLER, amountDue: '1234567.80', org: { postal: undefined } });
    const f = qrBillPayload(proforma, SCOR_SELLER).split('\n');
    expect(f).toHaveLength(31);
    expect(f[F.iban]).toBe('CH9300762011623852957');
    expect(isQRIBAN(f[F.iban]!)).toBe(false);
    expect(f[F.amount]).toBe('1234567.80');
    expect(f[F.currency]).toBe('EUR');
    expect(f.slice(F.dbtrAdrTp, F.dbtrCtry + 1)).toEqual(['', '', '', '', '', '', '']);
    expect(f[F.refType]).toBe('SCOR');
    expect(f[F.ref]).toBe(proforma.paymentReference);
    expect(f[F.ref]).toMatch(/^RF\d{2}/);
    expect(f[F.trailer]).toBe('EPD');
  });

  it('is the text swissqrbill encodes in the printed QR code', async () => {
    // swissqrbill does not export its payload builder; read it from its build to compare.
    const url = new URL('../../node_modules/swissqrbill/lib/esm/shared/qr-code.js', import.meta.url);
    const { generateQRData } = (await import(url.href)) as { generateQRData: (d: Data) => string };
    const { qrBillInput } = await import('../../shared/adapters/pdf/qr-bill.ts');
    for (const [doc, seller] of [
      [documentOf({ series: 'PRO', amountDue: '10.05' }), DEFAULT_SELLER],
      [documentOf({ series: 'PRO', currency: 'EUR', seller: SCOR_SELLER, org: { postal: undefined } }), SCOR_SELLER],
    ] as const) {
      expect(qrBillPayload(doc, seller)).toBe(generateQRData(qrBillInput(doc, seller)!.data));
    }
  });

  it('refuses documents without a QR-bill and a QR reference without a QR-IBAN', () => {
    expect(() => qrBillPayload(documentOf({ series: 'INV' }), DEFAULT_SELLER)).toThrow(/carries no QR-bill/);
    expect(() => qrBillPayload(documentOf({ series: 'PRO' }), SCOR_SELLER)).toThrow(/QR-IBAN/);
  });
});

describe('a document drawn again after the configuration changed', () => {
  it('prints the seller it was issued by, not the one configured today', async () => {
    // Issued while the seller was in Geneva with another account; the stage's file has changed since.
    const then: Seller = {
      ...DEFAULT_SELLER,
      name: 'Ancien Hébergeur Sàrl',
      address: 'Rue de Lausanne 64, 1202 Genève, Switzerland',
      postal: { street: 'Rue de Lausanne', buildingNumber: '64', zip: '1202', city: 'Genève', country: 'CH' },
      qrIban: 'CH4431999123000889012',
    };
    const issued = documentOf({ series: 'PRO', seller: then });
    const pdf = await new FileFormatsRenderer().pdf(issued);
    const { text } = await pdfText(pdf);
    expect(text).toContain('Ancien Hébergeur Sàrl');
    expect(text).toContain('Rue de Lausanne 64, 1202 Genève, Switzerland');
    expect(text).not.toContain(DEFAULT_SELLER.name);
    expect(text).not.toContain('Carouge');
  });
});
