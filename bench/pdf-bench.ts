/**
 * PDFs per second: an invoice paid in part, with its Swiss QR-bill, rendered
 * by the engine (renderInvoicePdf) against bare pdfkit + swissqrbill drawing
 * the same page.
 *
 *   npx tsx bench/pdf-bench.ts [--rounds 6] [--docs 40]
 *
 * The floor is the engine's page with the engine taken out: while the engine
 * renders the document once, every top-level pdfkit call it makes (font,
 * size, colour, text with its position and options, rules, boxes, the stamp)
 * is recorded, and so are the QR-bill's data and position. The floor then
 * replays those calls on a new PDFDocument and attaches a SwissQRBill built
 * from the same data: no layout, measuring, labels or formatting left, the
 * same fonts (parsed once, as the engine does) and document options. Both are
 * timed in alternating blocks; the figures are the medians of the blocks.
 * The floor's page is checked against the engine's (same text, same size
 * within 2 %) before anything is timed. Prints one JSON object.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Decimal } from 'decimal.js';
import PDFDocument from 'pdfkit';
import { SwissQRBill } from 'swissqrbill/pdf';
import type { Data } from 'swissqrbill/types';
import { extractText } from 'unpdf';
import { renderInvoicePdf } from '../shared/adapters/pdf/invoice-pdf.ts';
import { qrBillInput } from '../shared/adapters/pdf/qr-bill.ts';
import { toInvoice, type Invoice } from '../shared/domain/invoice.ts';
import { Money } from '../shared/domain/money.ts';
import type { Organisation } from '../shared/domain/organisation.ts';
import { paymentReferenceFor } from '../shared/domain/payment-reference.ts';
import { priceInvoice } from '../shared/domain/pricing.ts';
import { loadStageConfig } from '../shared/adapters/config/stage-config.ts';
import { argValue, emit, median, round } from './lib/cli.ts';

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

// ------------------------------------------------------------------ recording the engine's page

type Doc = PDFKit.PDFDocument;
type Op = { method: string; args: unknown[] } | { method: 'qrbill'; data: Data; language: string; x: number; y: number; docX: number; docY: number; marginBottom: number };

/** Reads a page; the floor needs none of these. */
const MEASURES = new Set(['heightOfString', 'widthOfString', 'bufferedPageRange']);
const DRAWING = [
  'addPage',
  'image',
  'font',
  'fontSize',
  'fillColor',
  'strokeColor',
  'fillOpacity',
  'strokeOpacity',
  'text',
  'save',
  'restore',
  'moveTo',
  'lineTo',
  'lineWidth',
  'undash',
  'dash',
  'stroke',
  'fill',
  'fillAndStroke',
  'rect',
  'roundedRect',
  'rotate',
  'translate',
  'scale',
  'switchToPage',
  'circle',
  'polygon',
  'path',
  'closePath',
  'bezierCurveTo',
  'quadraticCurveTo',
  'opacity',
  'lineCap',
  'lineJoin',
  ...MEASURES,
];

async function recordEnginePage(): Promise<{ ops: Op[]; pdf: Buffer }> {
  const ops: Op[] = [];
  const proto = PDFDocument.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = new Map<string, (...args: unknown[]) => unknown>();
  let depth = 0;
  for (const name of DRAWING) {
    const original = proto[name];
    if (typeof original !== 'function') continue;
    originals.set(name, original);
    proto[name] = function (this: Doc, ...args: unknown[]) {
      if (depth === 0 && !MEASURES.has(name)) ops.push({ method: name, args: structuredClone(args) });
      depth++;
      try {
        return original.apply(this, args);
      } finally {
        depth--;
      }
    };
  }
  const billProto = SwissQRBill.prototype as unknown as { attachTo: (doc: Doc, x?: number, y?: number) => void };
  const attachTo = billProto.attachTo;
  billProto.attachTo = function (this: SwissQRBill, doc: Doc, x?: number, y?: number) {
    const input = qrBillInput(invoice, seller)!;
    ops.push({
      method: 'qrbill',
      data: input.data,
      language: (invoice.language ?? 'fr').toUpperCase(),
      x: x ?? 0,
      y: y ?? 0,
      docX: doc.x,
      docY: doc.y,
      marginBottom: doc.page.margins.bottom,
    });
    depth++;
    try {
      attachTo.call(this, doc, x, y);
    } finally {
      depth--;
    }
  };
  try {
    const pdf = await renderInvoicePdf(invoice, seller);
    if (!ops.some((o) => o.method === 'qrbill')) throw new Error('the engine drew no QR-bill');
    return { ops, pdf };
  } finally {
    for (const [name, original] of originals) proto[name] = original;
    billProto.attachTo = attachTo;
  }
}

// ------------------------------------------------------------------ the floor: bare pdfkit + swissqrbill

/** DejaVu Sans parsed once by pdfkit's fontkit, as the engine does (parsing is most of a render otherwise). */
function parsedFonts(): { regular: unknown; bold: unknown } {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  const fontkit = createRequire(require.resolve('pdfkit'))('fontkit') as { create: (data: Uint8Array) => unknown };
  return { regular: fontkit.create(readFileSync(join(dir, 'DejaVuSans.ttf'))), bold: fontkit.create(readFileSync(join(dir, 'DejaVuSans-Bold.ttf'))) };
}

function bareRender(ops: Op[], fonts: { regular: unknown; bold: unknown }): Promise<Buffer> {
  const issued = new Date(`${invoice.issueDate}T00:00:00Z`);
  const doc = new PDFDocument({
    autoFirstPage: false,
    bufferPages: true,
    size: 'A4',
    lang: 'fr-CH',
    displayTitle: true,
    info: { Title: `Facture ${invoice.number}`, Author: seller.name, Subject: `Facture ${invoice.number}`, Creator: seller.name, CreationDate: issued, ModDate: issued },
  });
  doc.registerFont('DejaVuSans', fonts.regular as PDFKit.Mixins.PDFFontSource);
  doc.registerFont('DejaVuSans-Bold', fonts.bold as PDFKit.Mixins.PDFFontSource);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const call = doc as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const op of ops) {
    if (op.method === 'qrbill' && 'data' in op) {
      doc.page.margins.bottom = op.marginBottom;
      doc.x = op.docX;
      doc.y = op.docY;
      new SwissQRBill(op.data, { language: op.language as 'FR', scissors: true }).attachTo(doc, op.x, op.y);
    } else if ('args' in op) {
      call[op.method]!.apply(doc, op.args);
    }
  }
  doc.end();
  return done;
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

const { ops, pdf: enginePdf } = await recordEnginePage();
const fonts = parsedFonts();
const floorPdf = await bareRender(ops, fonts);
const [engineText, floorText] = await Promise.all([textOf(enginePdf), textOf(floorPdf)]);
if (engineText !== floorText) throw new Error(`the floor's page differs from the engine's:\n${engineText}\n---\n${floorText}`);
const sizeRatio = floorPdf.length / enginePdf.length;
if (Math.abs(sizeRatio - 1) > 0.02) throw new Error(`the floor's PDF is ${floorPdf.length} bytes, the engine's ${enginePdf.length}`);

const engine = () => renderInvoicePdf(invoice, seller);
const floor = () => bareRender(ops, fonts);
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
const enginePerSecond = median(engineRates);
const floorPerSecond = median(floorRates);
process.stderr.write(`pdf: engine ${enginePerSecond.toFixed(1)}/s, floor ${floorPerSecond.toFixed(1)}/s, ratio ${(enginePerSecond / floorPerSecond).toFixed(2)}\n`);
emit({
  document: {
    number: invoice.number,
    status: invoice.status,
    amountDue: invoice.amountDue,
    lines: invoice.lines.length,
    bytes: enginePdf.length,
    floorBytes: floorPdf.length,
    pdfkitCalls: ops.length,
  },
  rounds,
  docsPerBlock,
  enginePerSecond: round(enginePerSecond, 1),
  floorPerSecond: round(floorPerSecond, 1),
  engineRates: engineRates.map((x) => round(x, 1)),
  floorRates: floorRates.map((x) => round(x, 1)),
  pdfRatio: round(enginePerSecond / floorPerSecond),
});
