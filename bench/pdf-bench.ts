/**
 * PDFs per second: an invoice paid in part, with its Swiss QR-bill, rendered
 * by the engine (renderInvoicePdf) against the floor, the same page drawn by
 * hand with bare pdfkit + swissqrbill in Helvetica (bench/floors/pdf-floor.ts,
 * written from the document's fields, not from the engine's drawing).
 *
 *   npx tsx bench/pdf-bench.ts [--rounds 6] [--docs 40]
 *
 * Both are timed in alternating blocks; the figures are the medians of the
 * blocks. Before timing, the floor's page is checked to carry the document's
 * number, buyer, every line's amount, the total and the reference. The same
 * document for a buyer whose name Helvetica lacks (Łódź Ștefan) is timed too:
 * the engine draws it again with DejaVu Sans embedded. Prints one JSON object.
 */
import { Decimal } from 'decimal.js';
import { extractText } from 'unpdf';
import { renderInvoicePdf } from '../shared/adapters/pdf/invoice-pdf.ts';
import { toInvoice, type Invoice } from '../shared/domain/invoice.ts';
import { Money } from '../shared/domain/money.ts';
import type { Organisation } from '../shared/domain/organisation.ts';
import { paymentReferenceFor } from '../shared/domain/payment-reference.ts';
import { priceInvoice } from '../shared/domain/pricing.ts';
import { loadStageConfig } from '../shared/adapters/config/stage-config.ts';
import { argValue, emit, median, round } from './lib/cli.ts';
import { renderFloorPage, type FloorPage } from './floors/pdf-floor.ts';
import { formatReference } from '../shared/domain/payment-reference.ts';

/** The sample configuration's seller (config/sample.yaml). */
const DEFAULT_SELLER = loadStageConfig().seller;

const rounds = Number(argValue('--rounds') ?? '6');
const docsPerBlock = Number(argValue('--docs') ?? '40');
const seller = DEFAULT_SELLER;

// ------------------------------------------------------------------ the document

const org: Organisation = {
  id: 'org-bench',
  name: 'Établissements Müller & Fils Sàrl',
  currency: 'CHF',
  country: 'CH',
  postal: { street: 'Rue de Genève', buildingNumber: '18', zip: '1003', city: 'Lausanne', country: 'CH' },
  vatNumber: 'CHE-116.281.710 TVA',
  language: 'fr',
  balance: '0.00',
  billingContacts: [],
  createdAt: '2026-01-01T00:00:00Z',
};
const priced = priceInvoice(
  [
    { description: '.ch domain name: müller-fils.ch', productId: 'p1', periodFrom: '2026-12-31', periodTo: '2027-12-30', unitPrice: Money.of('13.00', 'CHF'), quantity: 1 },
    { description: 'Web hosting: Hébergement « Élan »', productId: 'p2', periodFrom: '2027-01-05', periodTo: '2028-01-04', unitPrice: Money.of('9.90', 'CHF'), quantity: 12 },
  ],
  { kind: 'domestic', rate: new Decimal('8.1'), country: 'CH' },
  'CHF',
);
/** An invoice paid in part from the balance: open, with the rest to pay by QR-bill. */
const invoice: Invoice = toInvoice(priced, { series: 'INV', seller, year: 2026, sequence: 42 }, org, '2026-12-17', [{ method: 'balance', amount: Money.of('5.00', 'CHF') }], {
  status: 'open',
});
invoice.amountDue = priced.total.minus(Money.of('5.00', 'CHF')).toString();
invoice.paymentReference = paymentReferenceFor(seller, { series: 'INV', year: 2026, sequence: 42 });

// ------------------------------------------------------------------ the floor's page, from the document's fields

/** The floor's page of a document: its fields as plain strings, and the QR-bill's data written out here. */
function floorPage(doc: Invoice): FloorPage {
  const s = doc.seller;
  const b = doc.buyer;
  return {
    title: 'Facture',
    number: doc.number,
    issueDate: doc.issueDate.split('-').reverse().join('.'),
    seller: [s.name, s.address, `TVA ${s.vatNumber}`, s.iban],
    buyer: [b.name, `${b.postal!.street} ${b.postal!.buildingNumber ?? ''}`, `${b.postal!.zip} ${b.postal!.city}`],
    lines: doc.lines.map((l) => ({
      description: l.description,
      period: l.periodFrom && l.periodTo ? `${l.periodFrom} – ${l.periodTo}` : '',
      unitPrice: l.unitPrice,
      quantity: String(l.quantity),
      vatRate: `${l.vatRate} %`,
      vat: l.vat,
      net: l.net,
    })),
    totals: [
      ['Total HT', `${doc.currency} ${doc.totalNet}`],
      ['TVA', `${doc.currency} ${doc.totalVat}`],
      ['Total TTC', `${doc.currency} ${doc.total}`],
      ['Montant dû', `${doc.currency} ${doc.amountDue}`],
    ],
    qr: {
      creditor: {
        account: s.qrIban!.replace(/\s/g, ''),
        name: s.name,
        address: s.postal.street,
        buildingNumber: s.postal.buildingNumber ?? '',
        zip: s.postal.zip,
        city: s.postal.city,
        country: s.postal.country,
      },
      currency: doc.currency as 'CHF',
      // swissqrbill takes a number; the bench's amount is a 2-decimal string of a few digits.
      amount: Number(doc.amountDue),
      reference: doc.paymentReference!.replace(/\s/g, ''),
      message: doc.number,
      debtor: { name: b.name, address: b.postal!.street, buildingNumber: b.postal!.buildingNumber ?? '', zip: b.postal!.zip, city: b.postal!.city, country: b.postal!.country },
    },
  };
}

// ------------------------------------------------------------------ timing

async function rate(render: () => Promise<Buffer>, n: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i++) await render();
  return n / ((performance.now() - started) / 1000);
}

async function textOf(pdf: Buffer): Promise<string> {
  const { text } = await extractText(new Uint8Array(pdf), { mergePages: true });
  return text.replace(/\s+/g, ' ').trim();
}

/** The engine and the floor, timed in alternating blocks. */
async function timed(engine: () => Promise<Buffer>, floor: () => Promise<Buffer>): Promise<{ engineRates: number[]; floorRates: number[] }> {
  // Warm both paths (JIT, font subsets, caches) before timing.
  await rate(engine, 15);
  await rate(floor, 15);
  const engineRates: number[] = [];
  const floorRates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first, so neither always runs on a warmer (or busier) machine.
    if (r % 2 === 0) {
      engineRates.push(await rate(engine, docsPerBlock));
      floorRates.push(await rate(floor, docsPerBlock));
    } else {
      floorRates.push(await rate(floor, docsPerBlock));
      engineRates.push(await rate(engine, docsPerBlock));
    }
  }
  return { engineRates, floorRates };
}

const page = floorPage(invoice);
const [enginePdf, floorPdf] = await Promise.all([renderInvoicePdf(invoice, seller), renderFloorPage(page)]);
const [engineText, floorText] = await Promise.all([textOf(enginePdf), textOf(floorPdf)]);
const mustShow = [invoice.number, org.name, ...invoice.lines.map((l) => l.net), invoice.total, formatReference(invoice.paymentReference!)];
for (const [who, text] of [
  ['engine', engineText],
  ['floor', floorText],
] as const) {
  for (const s of mustShow) if (!text.includes(s)) throw new Error(`the ${who}'s page does not show ${s}:\n${text}`);
}
const embeddedFonts = (pdf: Buffer) => pdf.toString('latin1').includes('/FontFile2');
if (embeddedFonts(enginePdf)) throw new Error('the engine embedded fonts in a document Helvetica prints whole');

const { engineRates, floorRates } = await timed(
  () => renderInvoicePdf(invoice, seller),
  () => renderFloorPage(page),
);
const enginePerSecond = median(engineRates);
const floorPerSecond = median(floorRates);

// A name Helvetica lacks: the engine embeds DejaVu Sans (the floor, in Helvetica, would garble it).
const polish: Invoice = { ...invoice, buyer: { ...invoice.buyer, name: 'Łódź Ștefan Sp. z o.o.' } };
const polishPdf = await renderInvoicePdf(polish, seller);
if (!embeddedFonts(polishPdf)) throw new Error('the engine did not embed fonts for Łódź Ștefan');
const polishRates = (
  await timed(
    () => renderInvoicePdf(polish, seller),
    () => renderFloorPage(page),
  )
).engineRates;

process.stderr.write(
  `pdf: engine ${enginePerSecond.toFixed(1)}/s, floor ${floorPerSecond.toFixed(1)}/s, ratio ${(enginePerSecond / floorPerSecond).toFixed(2)}; with fonts embedded ${median(polishRates).toFixed(1)}/s\n`,
);
emit({
  document: {
    number: invoice.number,
    status: invoice.status,
    amountDue: invoice.amountDue,
    lines: invoice.lines.length,
    bytes: enginePdf.length,
    floorBytes: floorPdf.length,
    embeddedBytes: polishPdf.length,
  },
  rounds,
  docsPerBlock,
  enginePerSecond: round(enginePerSecond, 1),
  floorPerSecond: round(floorPerSecond, 1),
  engineRates: engineRates.map((x) => round(x, 1)),
  floorRates: floorRates.map((x) => round(x, 1)),
  pdfRatio: round(enginePerSecond / floorPerSecond),
  embeddedPerSecond: round(median(polishRates), 1),
  embeddedRatio: round(median(polishRates) / floorPerSecond),
});
