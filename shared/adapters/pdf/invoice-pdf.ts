/**
 * Invoices, pro-formas and credit notes as PDF: A4, in the document's
 * language, with the Swiss QR-bill at the bottom of the last page while
 * something is left to pay. In Helvetica, one of the QR-bill's permitted
 * fonts, which every PDF reader has, so nothing is embedded; a document with
 * a character Helvetica cannot print (Łódź, Ștefan) is drawn again with DejaVu
 * Sans embedded, its payment part included, so every name prints as written.
 *
 * Layout is explicit (every text has its x, y and width): a line of the table
 * never splits across pages, each page repeats the letterhead and the table
 * header, and the totals block stays in one piece.
 */
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import PDFDocument from 'pdfkit';
import { SwissQRBill } from 'swissqrbill/pdf';
import type { Invoice } from '../../domain/invoice.ts';
import { Money } from '../../domain/money.ts';
import { formatReference, isQrReference } from '../../domain/payment-reference.ts';
import type { Seller } from '../../domain/seller.ts';
import { countryName, formatAmount, formatDate, formatRate, labelsFor, vatMentionText, type InvoiceLabels } from './labels.ts';
import { qrBillInput } from './qr-bill.ts';

export { qrBillPayload, hasQrBill } from './qr-bill.ts';

export interface InvoicePdfOptions {
  /** PNG or JPEG for the letterhead; defaults to the file at `seller.logoPath`, if any. */
  logo?: Buffer;
  /** Embed the fonts even when Helvetica would print every character: PDF/A (Factur-X) allows no font that is not embedded. */
  embedFonts?: boolean;
}

// ---------------------------------------------------------------- fonts

// The names the drawing uses; each document registers Helvetica or DejaVu Sans under them. swissqrbill
// takes the regular one as `fontName` and appends `-Bold` for the bold one.
const FONT = 'Body';
const FONT_BOLD = `${FONT}-Bold`;

/** The characters of WinAnsiEncoding above Latin-1's control range, which pdfkit's standard fonts print. */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

/** Whether Helvetica (a standard PDF font, WinAnsiEncoding) prints every character of `s`. */
export function standardFontsPrint(s: string): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if ((c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) || c === 0x0a || WIN_ANSI_EXTRA.has(ch)) continue;
    return false;
  }
  return true;
}

/**
 * What pdfkit's registerFont takes: the TTF bytes, or (pdfkit accepts any
 * object with a `layout` method) a font fontkit has already parsed.
 */
type FontSource = Buffer | { layout: (...args: never[]) => unknown };

let fontCache: { regular: FontSource; bold: FontSource } | undefined;

/**
 * The two TTF files, read and parsed once per process. Parsing DejaVu Sans
 * (its layout tables) is most of a render's time, so the parsed fonts are
 * shared by all documents; each document still embeds only the subset of
 * glyphs it uses. The parser is pdfkit's own fontkit, resolved through pdfkit;
 * should that fail, each document parses the bytes itself (slower, same PDF).
 */
function fonts(): { regular: FontSource; bold: FontSource } {
  if (!fontCache) {
    const require = createRequire(import.meta.url);
    const dir = fontsDir(require);
    const bytes = { regular: readFileSync(join(dir, 'DejaVuSans.ttf')), bold: readFileSync(join(dir, 'DejaVuSans-Bold.ttf')) };
    try {
      type Parsed = { layout?: unknown };
      const fontkit = createRequire(require.resolve('pdfkit'))('fontkit') as { create: (data: Uint8Array) => Parsed };
      const regular = fontkit.create(bytes.regular);
      const bold = fontkit.create(bytes.bold);
      const usable = (f: Parsed): f is Exclude<FontSource, Buffer> => typeof f.layout === 'function';
      fontCache = usable(regular) && usable(bold) ? { regular, bold } : bytes;
    } catch {
      fontCache = bytes;
    }
  }
  return fontCache;
}

/**
 * Where DejaVuSans.ttf and DejaVuSans-Bold.ttf are. A Lambda bundle has no
 * node_modules: the function ships the two files and names their folder in
 * BILLING_FONTS_DIR (a relative one is taken from the function's root,
 * LAMBDA_TASK_ROOT). Elsewhere they come from the npm package.
 */
function fontsDir(require: NodeJS.Require): string {
  const configured = process.env.BILLING_FONTS_DIR;
  if (configured) return resolve(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), configured);
  return join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
}

// ---------------------------------------------------------------- geometry (points; A4 = 595.28 x 841.89)

const PAGE_W = 595.28;
const PAGE_H = 841.89;
const LEFT = 50;
const RIGHT = PAGE_W - 50;
const WIDTH = RIGHT - LEFT;
/** Below this the table and totals never go: room for the page's bottom edge. */
const BOTTOM = PAGE_H - 45;
/** Where the first content of every page starts, under the letterhead. */
const BODY_TOP = 112;

const GREY = '#555555';
const LIGHT = '#cccccc';
const STAMP_RED = '#c62828';

/** Table columns: x offset from LEFT, width, alignment. Widths add up to WIDTH. */
const COLS = {
  description: { x: 0, w: 140, align: 'left' },
  period: { x: 140, w: 104, align: 'left' },
  unitPrice: { x: 244, w: 64, align: 'right' },
  quantity: { x: 308, w: 38, align: 'right' },
  vatRate: { x: 346, w: 45, align: 'right' },
  vat: { x: 391, w: 50, align: 'right' },
  net: { x: 441, w: WIDTH - 441, align: 'right' },
} as const;
type Col = keyof typeof COLS;
const PAD = 3;
const TABLE_SIZE = 8;

type Doc = PDFKit.PDFDocument;

// ---------------------------------------------------------------- helpers

function text(doc: Doc, s: string, x: number, y: number, o: { w: number; size: number; bold?: boolean; align?: 'left' | 'right' | 'center'; color?: string }): number {
  doc
    .font(o.bold ? FONT_BOLD : FONT)
    .fontSize(o.size)
    .fillColor(o.color ?? 'black');
  const opts = { width: o.w, align: o.align ?? 'left', lineGap: 1 } as const;
  doc.text(s, x, y, opts);
  return doc.heightOfString(s, opts);
}

function measure(doc: Doc, s: string, w: number, size: number, bold = false): number {
  doc.font(bold ? FONT_BOLD : FONT).fontSize(size);
  return doc.heightOfString(s, { width: w, lineGap: 1 });
}

function hr(doc: Doc, y: number, color = LIGHT, x1 = LEFT, x2 = RIGHT): void {
  doc.save().moveTo(x1, y).lineTo(x2, y).lineWidth(0.6).strokeColor(color).undash().stroke().restore();
}

function period(line: Invoice['lines'][number], lang: Invoice['language']): string {
  const from = line.periodFrom ? formatDate(line.periodFrom, lang) : '';
  const to = line.periodTo ? formatDate(line.periodTo, lang) : '';
  return from && to ? `${from} – ${to}` : from || to;
}

function formatIban(iban: string): string {
  return iban
    .replace(/\s+/g, '')
    .replace(/(.{4})/g, '$1 ')
    .trim();
}

// ---------------------------------------------------------------- the document

interface Ctx {
  doc: Doc;
  invoice: Invoice;
  seller: Seller;
  logo: Buffer | undefined;
  l: InvoiceLabels;
}

/** Letterhead on every page: logo at the left, the seller at the right, a rule under both. */
function letterhead(c: Ctx): void {
  const { doc, seller } = c;
  const top = 40;
  if (c.logo) doc.image(c.logo, LEFT, top, { fit: [160, 52] });
  else text(doc, seller.name, LEFT, top + 6, { w: 240, size: 15, bold: true });
  let y = top;
  const x = 300;
  const w = RIGHT - x;
  y += text(doc, seller.name, x, y, { w, size: 9.5, bold: true, align: 'right' });
  y += text(doc, seller.address, x, y, { w, size: 8, align: 'right', color: GREY });
  y += text(doc, seller.vatNumber, x, y, { w, size: 8, align: 'right', color: GREY });
  const contact = [seller.email, seller.website].filter(Boolean).join(' · ');
  if (contact) text(doc, contact, x, y, { w, size: 8, align: 'right', color: GREY });
  hr(doc, 100, '#999999');
}

function newPage(c: Ctx): void {
  c.doc.addPage({ size: 'A4', margins: { top: 40, bottom: 20, left: LEFT, right: PAGE_W - RIGHT } });
  letterhead(c);
}

/** The first page's title, meta data and buyer; returns the y below them. */
function heading(c: Ctx): number {
  const { doc, invoice, l } = c;
  const lang = invoice.language;
  text(doc, l.title[invoice.series], LEFT, BODY_TOP + 4, { w: 300, size: 18, bold: true });
  stamp(c);

  // Left: number, date, reference to another document, payment reference.
  let y = BODY_TOP + 40;
  const row = (label: string, value: string) => {
    text(doc, label, LEFT, y, { w: 110, size: 8.5, color: GREY });
    y += Math.max(12, text(doc, value, LEFT + 110, y, { w: 150, size: 8.5, bold: true }));
  };
  row(l.number, invoice.number);
  row(l.date, formatDate(invoice.issueDate, lang));
  if (invoice.refersTo) {
    const label = invoice.refersTo.startsWith('PRO-') ? l.refersToProforma : l.refersToInvoice;
    y += text(doc, `${label} ${invoice.refersTo}`, LEFT, y + 2, { w: 260, size: 8.5 }) + 2;
  }

  // Right: the buyer.
  const bx = 320;
  const bw = RIGHT - bx;
  const b = invoice.buyer;
  let by = BODY_TOP + 40;
  by += text(doc, l.buyer, bx, by, { w: bw, size: 8, color: GREY });
  by += text(doc, b.name, bx, by, { w: bw, size: 10.5, bold: true });
  const lines: string[] = [];
  if (b.postal) {
    lines.push([b.postal.street, b.postal.buildingNumber].filter(Boolean).join(' '), `${b.postal.zip} ${b.postal.city}`);
  } else if (b.address) {
    lines.push(b.address);
  }
  lines.push(countryName(b.postal?.country ?? b.country, lang));
  for (const line of lines) by += text(doc, line, bx, by, { w: bw, size: 9 });
  if (b.vatNumber) by += text(doc, `${l.vatNumber} ${b.vatNumber}`, bx, by + 2, { w: bw, size: 8.5, color: GREY }) + 2;

  return Math.max(y, by) + 22;
}

/** PAID, REFUNDED or VOID, tilted, beside the title. */
function stamp(c: Ctx): void {
  const { doc, invoice, l } = c;
  let word: string | undefined;
  if (invoice.status === 'void') word = l.stamp.void;
  else if (invoice.status === 'paid') word = invoice.series === 'CN' ? (invoice.payments.length > 0 ? l.stamp.refunded : undefined) : l.stamp.paid;
  if (!word) return;
  const size = 16;
  doc.font(FONT_BOLD).fontSize(size);
  const w = doc.widthOfString(word) + 20;
  const h = size + 12;
  const x = 380;
  const y = BODY_TOP + 2;
  doc.save();
  doc.rotate(-10, { origin: [x + w / 2, y + h / 2] });
  doc.roundedRect(x, y, w, h, 4).lineWidth(2).strokeColor(STAMP_RED).strokeOpacity(0.85).undash().stroke();
  doc
    .fillColor(STAMP_RED)
    .fillOpacity(0.85)
    .text(word, x, y + 7, { width: w, align: 'center', lineBreak: false });
  doc.restore();
}

function tableHeader(c: Ctx, y: number): number {
  const { doc, l, invoice } = c;
  const cur = invoice.currency;
  const labels: Record<Col, string> = {
    description: l.columns.description,
    period: l.columns.period,
    unitPrice: `${l.columns.unitPrice} (${cur})`,
    quantity: l.columns.quantity,
    vatRate: l.columns.vatRate,
    vat: `${l.columns.vat} (${cur})`,
    net: `${l.columns.net} (${cur})`,
  };
  const h = Math.max(...(Object.keys(COLS) as Col[]).map((k) => measure(doc, labels[k], COLS[k].w - 2 * PAD, 7.5, true))) + 8;
  doc.save().rect(LEFT, y, WIDTH, h).fillColor('#eeeeee').fill().restore();
  for (const k of Object.keys(COLS) as Col[]) {
    const col = COLS[k];
    text(doc, labels[k], LEFT + col.x + PAD, y + 4, { w: col.w - 2 * PAD, size: 7.5, bold: true, align: col.align });
  }
  return y + h;
}

function rowCells(line: Invoice['lines'][number], lang: Invoice['language']): Record<Col, string> {
  return {
    description: line.description,
    period: period(line, lang),
    unitPrice: line.unitPrice,
    quantity: String(line.quantity),
    vatRate: formatRate(line.vatRate),
    vat: line.vat,
    net: line.net,
  };
}

function rowHeight(c: Ctx, cells: Record<Col, string>): number {
  return Math.max(...(Object.keys(COLS) as Col[]).map((k) => (cells[k] ? measure(c.doc, cells[k], COLS[k].w - 2 * PAD, TABLE_SIZE) : 0))) + 7;
}

/** A page after the first: letterhead, "Invoice N (continued)". */
function continuation(c: Ctx): number {
  newPage(c);
  const { doc, l, invoice } = c;
  text(doc, `${l.title[invoice.series]} ${invoice.number} ${l.continued}`, LEFT, BODY_TOP, { w: WIDTH, size: 10, bold: true });
  return BODY_TOP + 24;
}

function table(c: Ctx, top: number): number {
  const { doc, invoice } = c;
  let y = tableHeader(c, top);
  let rowsOnPage = 0;
  for (const line of invoice.lines) {
    const cells = rowCells(line, invoice.language);
    const h = rowHeight(c, cells);
    // A line never splits: it moves to the next page whole, under a repeated header.
    if (y + h > BOTTOM && rowsOnPage > 0) {
      y = tableHeader(c, continuation(c));
      rowsOnPage = 0;
    }
    for (const k of Object.keys(COLS) as Col[]) {
      const col = COLS[k];
      if (cells[k]) text(doc, cells[k], LEFT + col.x + PAD, y + 4, { w: col.w - 2 * PAD, size: TABLE_SIZE, align: col.align });
    }
    y += h;
    hr(doc, y);
    rowsOnPage += 1;
  }
  return y;
}

interface SummaryRow {
  label: string;
  value: string;
  bold?: boolean;
  size?: number;
  /** Space and a rule above. */
  ruleAbove?: boolean;
  heading?: boolean;
}

function amountDue(invoice: Invoice): string {
  if (invoice.amountDue !== undefined) return Money.of(invoice.amountDue, invoice.currency).toString();
  const paid = Money.sum(
    invoice.payments.map((p) => Money.of(p.amount, invoice.currency)),
    invoice.currency,
  );
  return Money.of(invoice.total, invoice.currency).minus(paid).toString();
}

/** Right column: VAT per rate, totals, payments, amount due. */
function summaryRows(c: Ctx): SummaryRow[] {
  const { invoice, l } = c;
  const cur = invoice.currency;
  const rows: SummaryRow[] = invoice.vatBreakdown.map((b) => ({ label: l.vatOn(formatRate(b.rate), formatAmount(b.net, cur)), value: formatAmount(b.vat, cur) }));
  rows.push(
    { label: l.totalNet, value: formatAmount(invoice.totalNet, cur), ruleAbove: true },
    { label: l.totalVat, value: formatAmount(invoice.totalVat, cur) },
    { label: l.total, value: formatAmount(invoice.total, cur), bold: true, size: 10.5 },
  );
  if (invoice.payments.length > 0) {
    rows.push({ label: invoice.series === 'CN' ? l.refunds : l.payments, value: '', heading: true, ruleAbove: true });
    for (const p of invoice.payments) rows.push({ label: l.method[p.method] ?? p.method, value: formatAmount(p.amount, cur) });
  }
  rows.push({ label: l.amountDue, value: formatAmount(amountDue(invoice), cur), bold: true, size: 10.5, ruleAbove: invoice.payments.length === 0 });
  return rows;
}

const SUM_X = 300;
const SUM_LABEL_W = 150;

function summaryRowHeight(r: SummaryRow): number {
  return (r.ruleAbove ? 8 : 0) + (r.size ?? 9) + 5;
}

/** Left column: VAT mention, payment instructions. */
function notes(c: Ctx): { title?: string; text: string }[] {
  const { invoice, seller, l } = c;
  const out: { title?: string; text: string }[] = [];
  if (invoice.vatMention) out.push({ text: vatMentionText(invoice.vatMention, invoice.language) });
  if (invoice.chf) {
    // docs/domain.md R-50: the VAT as declared in Switzerland, at the rate the document was issued at.
    const chf = invoice.chf;
    const rows = chf.vatBreakdown.map((b) => `${l.vatOn(formatRate(b.rate), formatAmount(b.net, 'CHF'))}: ${formatAmount(b.vat, 'CHF')}`);
    out.push({ title: l.chfVat, text: [l.chfRate(invoice.currency, chf.rate, chf.ratePeriod), ...rows, `${l.totalVat}: ${formatAmount(chf.totalVat, 'CHF')}`].join('\n') });
  }
  const due = Money.of(amountDue(invoice), invoice.currency);
  if (invoice.status === 'open' && due.isPositive()) {
    const ref = invoice.paymentReference;
    const account = ref && isQrReference(ref) && seller.qrIban ? seller.qrIban : seller.iban;
    const lines = [`${l.account}: ${formatIban(account)}`, seller.name];
    if (ref) lines.push(`${l.paymentReference}:`, formatReference(ref));
    out.push({ title: l.payByTransfer, text: lines.join('\n') });
  }
  return out;
}

const NOTES_W = 230;

function summaryHeight(c: Ctx, rows: SummaryRow[], notesList: { title?: string; text: string }[]): number {
  const right = rows.reduce((h, r) => h + summaryRowHeight(r), 0);
  const left = notesList.reduce((h, n) => h + (n.title ? measure(c.doc, n.title, NOTES_W, 8.5, true) : 0) + measure(c.doc, n.text, NOTES_W, 8) + 10, 0);
  return Math.max(left, right);
}

function summary(c: Ctx, top: number): number {
  const { doc } = c;
  const rows = summaryRows(c);
  const notesList = notes(c);
  let y = top;
  if (y + summaryHeight(c, rows, notesList) > BOTTOM) y = continuation(c);

  let ry = y;
  for (const r of rows) {
    if (r.ruleAbove) {
      ry += 4;
      hr(doc, ry, '#999999', SUM_X, RIGHT);
      ry += 4;
    }
    const size = r.size ?? 9;
    text(doc, r.label, SUM_X, ry, { w: SUM_LABEL_W, size: r.heading ? 8.5 : size, bold: r.bold || r.heading, color: r.heading ? GREY : 'black' });
    if (r.value) text(doc, r.value, SUM_X + SUM_LABEL_W, ry, { w: RIGHT - SUM_X - SUM_LABEL_W, size, bold: r.bold, align: 'right' });
    ry += size + 5;
  }

  let ly = y;
  for (const n of notesList) {
    if (n.title) ly += text(doc, n.title, LEFT, ly, { w: NOTES_W, size: 8.5, bold: true });
    ly += text(doc, n.text, LEFT, ly, { w: NOTES_W, size: 8, color: GREY }) + 10;
  }
  return Math.max(ry, ly);
}

/** The payment part with receipt, at the bottom of the last page, or of a new A4 page if it does not fit. */
function attachQrBill(c: Ctx, y: number): void {
  const input = qrBillInput(c.invoice, c.seller);
  if (!input) return;
  const lang = (c.invoice.language ?? 'fr').toUpperCase() as 'FR' | 'DE' | 'IT' | 'EN';
  // The payment part is in Helvetica, as the QR-bill's guidelines ask (Arial, Frutiger, Helvetica or Liberation
  // Sans), unless a name needs DejaVu Sans (the guidelines' fonts shipped here cannot print it): the type names the
  // permitted fonts, swissqrbill draws with whatever is registered under the name.
  const bill = new SwissQRBill(input.data, { language: lang, scissors: true, fontName: FONT as 'Helvetica' });
  const top = PAGE_H - SwissQRBill.height;
  if (y > top - 12) continuation(c);
  const { doc } = c;
  // swissqrbill writes down to the bottom edge: no margin there may push its text onto a new page.
  doc.page.margins.bottom = 0;
  doc.x = LEFT;
  doc.y = Math.min(y, top - 12);
  doc.fillColor('black').fillOpacity(1).strokeOpacity(1);
  bill.attachTo(doc, 0, top);
}

function pageNumbers(c: Ctx): void {
  const { doc, l, invoice } = c;
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const label = `${invoice.number} · ${l.page} ${i - range.start + 1}/${range.count}`;
    doc.font(FONT).fontSize(7).fillColor(GREY).text(label, LEFT, 22, { width: WIDTH, align: 'right', lineBreak: false });
  }
}

function draw(c: Ctx): void {
  newPage(c);
  let y = heading(c);
  y = table(c, y);
  y = summary(c, y + 14);
  attachQrBill(c, y + 10);
  pageNumbers(c);
}

type Fonts = 'standard' | 'embedded';

/** The fields of pdfkit's font objects and documents this module relies on to share Helvetica's parsed metrics. */
interface StandardFontObject {
  document: unknown;
  id: string;
  dictionary?: unknown;
  embedded?: boolean;
}
interface FontTables {
  _fontFamilies?: Record<string, unknown>;
  _fontCount?: number;
  _font?: StandardFontObject | null;
}

let helvetica: { regular: StandardFontObject; bold: StandardFontObject } | undefined;

/**
 * Registers Helvetica and Helvetica-Bold under the drawing's names. pdfkit parses a standard font's metrics
 * (its kerning table) for every document, a third of a page's time; here they are parsed once per process,
 * in a document of their own, and each document gets a copy of those font objects bound to it. Should
 * pdfkit's internals not be as expected, the fonts are registered the ordinary way (slower, same PDF).
 */
function useHelvetica(doc: Doc): void {
  const tables = doc as unknown as FontTables;
  if (!helvetica) {
    const origin = new PDFDocument({ font: null as unknown as string, autoFirstPage: false }) as unknown as Doc & FontTables;
    const regular = origin.font('Helvetica')._font;
    const bold = origin.font('Helvetica-Bold')._font;
    if (regular && bold && typeof regular.id === 'string') helvetica = { regular, bold };
  }
  if (!helvetica || typeof tables._fontFamilies !== 'object' || typeof tables._fontCount !== 'number') {
    doc.registerFont(FONT, 'Helvetica');
    doc.registerFont(FONT_BOLD, 'Helvetica-Bold');
    return;
  }
  for (const [name, template] of [
    [FONT, helvetica.regular],
    [FONT_BOLD, helvetica.bold],
  ] as const) {
    const font: StandardFontObject = Object.assign(Object.create(Object.getPrototypeOf(template) as object) as StandardFontObject, template, {
      document: doc,
      id: `F${++tables._fontCount}`,
      dictionary: undefined,
      embedded: false,
    });
    tables._fontFamilies[name] = font;
  }
}

/** Thrown while drawing in Helvetica at the first text it cannot print: the document is drawn again with fonts embedded. */
class NeedsEmbeddedFonts extends Error {}

function createDocument(invoice: Invoice, seller: Seller, fontsUsed: Fonts): Doc {
  const l = labelsFor(invoice.language);
  const lang = invoice.language ?? 'fr';
  // A fixed creation date (the issue date) makes the same document render to the same bytes.
  const issued = new Date(`${invoice.issueDate}T00:00:00Z`);
  const doc = new PDFDocument({
    // No default font: pdfkit would parse Helvetica's metrics for it, used or not.
    font: null as unknown as string,
    autoFirstPage: false,
    bufferPages: true,
    size: 'A4',
    lang: `${lang}-CH`,
    displayTitle: true,
    info: {
      Title: `${l.title[invoice.series]} ${invoice.number}`,
      Author: seller.name,
      Subject: `${l.title[invoice.series]} ${invoice.number}`,
      Creator: seller.name,
      CreationDate: Number.isNaN(issued.getTime()) ? new Date(0) : issued,
      ModDate: Number.isNaN(issued.getTime()) ? new Date(0) : issued,
    },
  });
  if (fontsUsed === 'standard') {
    useHelvetica(doc);
    // Every text goes through doc.text, swissqrbill's included: the first one Helvetica would garble stops the drawing.
    const write = doc.text.bind(doc) as (...args: unknown[]) => Doc;
    doc.text = ((s: unknown, ...rest: unknown[]) => {
      if (typeof s === 'string' && !standardFontsPrint(s)) throw new NeedsEmbeddedFonts();
      return write(s, ...rest);
    }) as Doc['text'];
    return doc;
  }
  const f = fonts();
  // The types list only bytes; pdfkit also takes a parsed fontkit font (PDFFontFactory.open).
  doc.registerFont(FONT, f.regular as PDFKit.Mixins.PDFFontSource);
  doc.registerFont(FONT_BOLD, f.bold as PDFKit.Mixins.PDFFontSource);
  return doc;
}

/** The document drawn in Helvetica, or again with DejaVu Sans embedded when it has a character Helvetica lacks. */
function drawDocument(invoice: Invoice, seller: Seller, logo: Buffer | undefined, embedFonts = false): Doc {
  const l = labelsFor(invoice.language);
  if (embedFonts) {
    const doc = createDocument(invoice, seller, 'embedded');
    draw({ doc, invoice, seller, logo, l });
    return doc;
  }
  const plain = createDocument(invoice, seller, 'standard');
  try {
    draw({ doc: plain, invoice, seller, logo, l });
    return plain;
  } catch (error) {
    if (!(error instanceof NeedsEmbeddedFonts)) throw error;
  }
  const doc = createDocument(invoice, seller, 'embedded');
  draw({ doc, invoice, seller, logo, l });
  return doc;
}

async function logoOf(seller: Seller, opts: InvoicePdfOptions | undefined): Promise<Buffer | undefined> {
  if (opts?.logo) return opts.logo;
  return seller.logoPath ? readFile(seller.logoPath) : undefined;
}

/**
 * Writes the document's PDF to a stream (e.g. a zip entry of an export) and
 * ends it; resolves when the stream has taken all of it.
 */
export async function writeInvoicePdf(invoice: Invoice, seller: Seller, out: Writable, opts?: InvoicePdfOptions): Promise<void> {
  // Drawn whole before the first byte goes out: a drawing given up for embedded fonts never reaches the stream.
  const doc = drawDocument(invoice, seller, await logoOf(seller, opts), opts?.embedFonts);
  doc.pipe(out);
  doc.end();
  await finished(out);
}

/** The document's PDF in memory. */
export async function renderInvoicePdf(invoice: Invoice, seller: Seller, opts?: InvoicePdfOptions): Promise<Buffer> {
  const doc = drawDocument(invoice, seller, await logoOf(seller, opts), opts?.embedFonts);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.end();
  return done;
}
