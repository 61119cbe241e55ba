/**
 * Finance export: invoices, pro-formas and credit notes as CSV, streamed.
 *
 * Format (chosen for Excel and for accounting imports alike):
 *  - UTF-8 with a byte order mark, so Excel shows "Sàrl" and "Müller" right;
 *  - comma-separated (not `;`, whatever the locale), CRLF between records,
 *    RFC 4180 quoting: a field holding a comma, a double quote, CR or LF is
 *    put in double quotes and its quotes doubled;
 *  - amounts as plain decimals with exactly 2 decimals and a `.` ("-12.30"),
 *    computed with decimal.js (Money), never through a JS float;
 *  - credit notes carry negative amounts, so summing a column nets them out;
 *  - free-text fields (buyer name, VAT number, description, product id,
 *    payment references) that start with `=`, `+`, `-`, `@`, TAB or CR get a
 *    leading `'` so a spreadsheet never runs them as a formula (CSV
 *    injection). Amount columns are never touched.
 *
 * The columns are fixed before the first document is read, so the VAT
 * breakdown has one column pair for each Swiss rate finance books most
 * (8.1, 7.7, 0), an `other` pair for every other rate, and `vat_rates`
 * listing every rate of the document as `rate:net:vat`, joined with `|`.
 *
 * Every document is checked before it is written: its lines, its VAT
 * breakdown and its totals must add up to the cent. A document that does not
 * stops the export with an error naming it, rather than exporting books that
 * disagree with themselves.
 *
 * The totals returned are the sums of what was written, per currency. They
 * include every document read, whatever its type or status: a pro-forma and
 * the final invoice that settles it both count, as do void documents. Filter
 * on `document_type` / `status` for the books.
 */
import { Decimal } from 'decimal.js';
import { stringify } from 'csv-stringify';
import type { Invoice, InvoicePayment } from '../../domain/invoice.ts';
import { Money, type Currency } from '../../domain/money.ts';
import { pipeInto } from './stream-util.ts';

export interface ExportOptions {
  /** One row per invoice line instead of one per document. */
  lines: boolean;
}

export interface CurrencyTotals {
  net: string;
  vat: string;
  gross: string;
  /** Per payment method (balance, card, twint, paypal, postfinance, transfer), every one present. */
  paid: Record<string, string>;
}

/** Sums of the invoices and credit notes exported (pro-formas are listed in the CSV but not summed). */
export interface ExportTotals {
  documents: number;
  rows: number;
  byCurrency: Record<string, CurrencyTotals>;
}

/** A document the export refuses: its amounts do not add up, or a field is not what the model allows. */
export class ExportIntegrityError extends Error {
  constructor(
    readonly documentNumber: string,
    message: string,
  ) {
    super(`${documentNumber}: ${message}`);
    this.name = 'ExportIntegrityError';
  }
}

export const PAYMENT_METHODS = ['balance', 'card', 'twint', 'paypal', 'postfinance', 'transfer'] as const satisfies readonly InvoicePayment['method'][];
type Method = (typeof PAYMENT_METHODS)[number];

/** The rates with their own columns, canonical form (as `new Decimal(rate).toString()` prints it). */
const RATE_COLUMNS = [
  { rate: '8.1', suffix: '8_1' },
  { rate: '7.7', suffix: '7_7' },
  { rate: '0', suffix: '0' },
] as const;

export const DOCUMENT_COLUMNS: readonly string[] = [
  'document_type',
  'number',
  'issue_date',
  'seller_id',
  'org_id',
  'buyer_name',
  'buyer_country',
  'buyer_vat_number',
  'currency',
  'status',
  'refers_to',
  'net',
  'vat',
  'gross',
  'vat_rates',
  ...RATE_COLUMNS.flatMap((r) => [`net_${r.suffix}`, `vat_${r.suffix}`]),
  'net_other',
  'vat_other',
  ...PAYMENT_METHODS.map((m) => `paid_${m}`),
  'payment_refs',
  // what the Swiss VAT return declares. A CHF document at rate 1; a document in another currency at the
  // rate it was issued at; empty when it has none (an EU seller's, or one issued before its rate was imported).
  'chf_rate',
  'chf_rate_period',
  'chf_net',
  'chf_vat',
];

/**
 * One row per line. Every row names its document's type, status and the
 * document it refers to, so a sum can keep what books revenue (invoices and
 * credit notes) and leave out pro-formas, which only ask for money that the
 * final invoice then books.
 */
export const LINE_COLUMNS: readonly string[] = [
  'document_type',
  'number',
  'issue_date',
  'org_id',
  'currency',
  'status',
  'refers_to',
  'line_no',
  'description',
  'product_id',
  'period_from',
  'period_to',
  'unit_price',
  'quantity',
  'vat_rate',
  'net',
  'vat',
  'gross',
];

const DOCUMENT_TYPES: Record<Invoice['series'], string> = { INV: 'invoice', PRO: 'proforma', CN: 'credit_note' };

/** `onProgress` is called every this many rows, and with the final count at the end. */
export const PROGRESS_EVERY = 1000;

/** A formula start, or apostrophes before one: an apostrophe is added to those too, so removing one gives the text back. */
const FORMULA_START = /^'*[=+\-@\t\r]/;

/** Text a spreadsheet could run as a formula gets a leading apostrophe. */
export function text(value: string | undefined): string {
  if (value === undefined) return '';
  return FORMULA_START.test(value) ? `'${value}` : value;
}

interface Accumulator {
  net: Money;
  vat: Money;
  gross: Money;
  paid: Map<Method, Money>;
}

/** The figures of one document, checked, in Money. */
interface CheckedDocument {
  currency: Currency;
  net: Money;
  vat: Money;
  gross: Money;
  lines: { unitPrice: Money; rate: string; net: Money; vat: Money; gross: Money }[];
  /** Breakdown merged by canonical rate, document order. */
  rates: { rate: string; net: Money; vat: Money }[];
  paid: Map<Method, Money>;
}

function canonicalRate(doc: Invoice, rate: string): string {
  try {
    const d = new Decimal(rate);
    if (d.isFinite()) return d.toString();
  } catch {
    // falls through to the error below
  }
  throw new ExportIntegrityError(doc.number, `VAT rate is not a number: "${rate}"`);
}

function money(doc: Invoice, value: string, what: string): Money {
  try {
    return Money.of(value, doc.currency);
  } catch (err) {
    throw new ExportIntegrityError(doc.number, `${what}: ${(err as Error).message}`);
  }
}

function sum(list: readonly Money[], currency: Currency): Money {
  return Money.sum(list, currency);
}

function check(doc: Invoice): CheckedDocument {
  const currency = doc.currency;
  const net = money(doc, doc.totalNet, 'total net');
  const vat = money(doc, doc.totalVat, 'total VAT');
  const gross = money(doc, doc.total, 'total');
  const mismatch = (what: string, a: Money, b: Money) => {
    if (!a.equals(b)) throw new ExportIntegrityError(doc.number, `${what} ${a.toString()} does not match ${b.toString()}`);
  };
  mismatch('net + VAT', net.plus(vat), gross);

  const lines = doc.lines.map((l, i) => {
    const line = {
      unitPrice: money(doc, l.unitPrice, `line ${i + 1} unit price`),
      rate: canonicalRate(doc, l.vatRate),
      net: money(doc, l.net, `line ${i + 1} net`),
      vat: money(doc, l.vat, `line ${i + 1} VAT`),
      gross: money(doc, l.gross, `line ${i + 1} gross`),
    };
    mismatch(`line ${i + 1} net + VAT`, line.net.plus(line.vat), line.gross);
    return line;
  });
  mismatch(
    'sum of the lines net',
    sum(
      lines.map((l) => l.net),
      currency,
    ),
    net,
  );
  mismatch(
    'sum of the lines VAT',
    sum(
      lines.map((l) => l.vat),
      currency,
    ),
    vat,
  );

  const byRate = new Map<string, { rate: string; net: Money; vat: Money }>();
  for (const b of doc.vatBreakdown) {
    const rate = canonicalRate(doc, b.rate);
    const bNet = money(doc, b.net, `VAT breakdown ${rate} net`);
    const bVat = money(doc, b.vat, `VAT breakdown ${rate} VAT`);
    const g = byRate.get(rate);
    if (g) {
      g.net = g.net.plus(bNet);
      g.vat = g.vat.plus(bVat);
    } else {
      byRate.set(rate, { rate, net: bNet, vat: bVat });
    }
  }
  const rates = [...byRate.values()];
  mismatch(
    'sum of the VAT breakdown net',
    sum(
      rates.map((r) => r.net),
      currency,
    ),
    net,
  );
  mismatch(
    'sum of the VAT breakdown VAT',
    sum(
      rates.map((r) => r.vat),
      currency,
    ),
    vat,
  );

  const paid = new Map<Method, Money>();
  for (const p of doc.payments) {
    if (!(PAYMENT_METHODS as readonly string[]).includes(p.method)) {
      throw new ExportIntegrityError(doc.number, `unknown payment method "${p.method}"`);
    }
    const method = p.method as Method;
    const amount = money(doc, p.amount, `${method} payment`);
    paid.set(method, (paid.get(method) ?? Money.zero(currency)).plus(amount));
  }
  return { currency, net, vat, gross, lines, rates, paid };
}

function documentRow(doc: Invoice, c: CheckedDocument): string[] {
  const zero = Money.zero(c.currency).toString();
  const rateCells = RATE_COLUMNS.flatMap(({ rate }) => {
    const r = c.rates.find((x) => x.rate === rate);
    return r ? [r.net.toString(), r.vat.toString()] : [zero, zero];
  });
  const others = c.rates.filter((r) => !RATE_COLUMNS.some((col) => col.rate === r.rate));
  const refs = doc.payments.filter((p) => p.ref).map((p) => `${p.method}:${p.ref}`);
  return [
    DOCUMENT_TYPES[doc.series] ?? doc.series,
    doc.number,
    doc.issueDate,
    doc.sellerId,
    doc.orgId,
    text(doc.buyer.name),
    doc.buyer.country,
    text(doc.buyer.vatNumber),
    c.currency,
    doc.status,
    doc.refersTo ?? '',
    c.net.toString(),
    c.vat.toString(),
    c.gross.toString(),
    c.rates.map((r) => `${r.rate}:${r.net.toString()}:${r.vat.toString()}`).join('|'),
    ...rateCells,
    sum(
      others.map((r) => r.net),
      c.currency,
    ).toString(),
    sum(
      others.map((r) => r.vat),
      c.currency,
    ).toString(),
    ...PAYMENT_METHODS.map((m) => (c.paid.get(m) ?? Money.zero(c.currency)).toString()),
    text(refs.join('|')),
    ...chfCells(doc, c),
  ];
}

function chfCells(doc: Invoice, c: CheckedDocument): string[] {
  if (c.currency === 'CHF') return ['1', '', c.net.toString(), c.vat.toString()];
  if (!doc.chf) return ['', '', '', ''];
  return [doc.chf.rate, doc.chf.ratePeriod, doc.chf.totalNet, doc.chf.totalVat];
}

function lineRows(doc: Invoice, c: CheckedDocument): string[][] {
  return doc.lines.map((l, i) => {
    const m = c.lines[i]!;
    return [
      DOCUMENT_TYPES[doc.series] ?? doc.series,
      doc.number,
      doc.issueDate,
      doc.orgId,
      c.currency,
      doc.status,
      doc.refersTo ?? '',
      String(i + 1),
      text(l.description),
      text(l.productId),
      l.periodFrom ?? '',
      l.periodTo ?? '',
      m.unitPrice.toString(),
      String(l.quantity),
      m.rate,
      m.net.toString(),
      m.vat.toString(),
      m.gross.toString(),
    ];
  });
}

/**
 * Writes the CSV for documents read one by one and returns totals that
 * reconcile to the cent with the rows written.
 *
 * Memory stays flat: one document is held at a time, and the writer waits
 * for 'drain' whenever the CSV stream is full, so a slow `out` slows the
 * reading of `docs` instead of filling memory. `out` is ended when the last
 * row is flushed; on an error (from `docs`, a document refused, or `out`
 * itself) both streams are destroyed and the promise rejects.
 */
export async function writeInvoiceCsv(docs: AsyncIterable<Invoice>, out: NodeJS.WritableStream, opts: ExportOptions, onProgress?: (rows: number) => void): Promise<ExportTotals> {
  const csv = stringify({
    header: true,
    columns: [...(opts.lines ? LINE_COLUMNS : DOCUMENT_COLUMNS)],
    bom: true,
    delimiter: ',',
    quote: '"',
    escape: '"',
    record_delimiter: 'windows',
    // With an explicit record delimiter csv-stringify would otherwise leave a lone LF or CR unquoted.
    quote_record_delimiter: true,
  });
  const pipe = pipeInto(csv, out);
  const totals = new Map<Currency, Accumulator>();
  let documents = 0;
  let rows = 0;
  let reported = 0;

  const scratch = (currency: Currency): Accumulator => {
    const zero = Money.zero(currency);
    return { net: zero, vat: zero, gross: zero, paid: new Map() };
  };
  const write = async (row: string[]) => {
    rows += 1;
    if (!csv.write(row)) await pipe.waitForRoom();
  };

  try {
    for await (const doc of docs) {
      const c = check(doc);
      // A pro-forma is a request for payment, not a booking: it is listed, but the final invoice
      // that settles it carries the amounts, so counting both would book the money twice.
      const counted = doc.series !== 'PRO';
      let acc = counted ? totals.get(c.currency) : scratch(c.currency);
      if (!acc) {
        acc = scratch(c.currency);
        totals.set(c.currency, acc);
      }
      if (opts.lines) {
        for (const row of lineRows(doc, c)) await write(row);
        for (const l of c.lines) {
          acc.net = acc.net.plus(l.net);
          acc.vat = acc.vat.plus(l.vat);
          acc.gross = acc.gross.plus(l.gross);
        }
      } else {
        await write(documentRow(doc, c));
        acc.net = acc.net.plus(c.net);
        acc.vat = acc.vat.plus(c.vat);
        acc.gross = acc.gross.plus(c.gross);
      }
      for (const [method, amount] of c.paid) acc.paid.set(method, (acc.paid.get(method) ?? Money.zero(c.currency)).plus(amount));
      documents += 1;
      if (onProgress && rows - reported >= PROGRESS_EVERY) {
        reported = rows - (rows % PROGRESS_EVERY);
        onProgress(rows);
      }
    }
  } catch (err) {
    return pipe.fail(err);
  }
  await pipe.finish();
  if (onProgress && reported !== rows) onProgress(rows);

  const byCurrency: Record<string, CurrencyTotals> = {};
  for (const [currency, acc] of totals) {
    byCurrency[currency] = {
      net: acc.net.toString(),
      vat: acc.vat.toString(),
      gross: acc.gross.toString(),
      paid: Object.fromEntries(PAYMENT_METHODS.map((m) => [m, (acc.paid.get(m) ?? Money.zero(currency)).toString()])),
    };
  }
  return { documents, rows, byCurrency };
}
