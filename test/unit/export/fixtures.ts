import { Writable } from 'node:stream';
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { creditNoteFor, toInvoice, type Invoice, type InvoicePayment, type InvoiceSeries } from '../../../shared/domain/invoice.ts';
import { Money, type Currency } from '../../../shared/domain/money.ts';
import type { Organisation } from '../../../shared/domain/organisation.ts';
import { priceInvoice, type PriceLineInput } from '../../../shared/domain/pricing.ts';
import { DEFAULT_SELLER } from '../../support/sample-config.ts';
import type { VatTreatment } from '../../../shared/domain/vat.ts';

export const org = (over: Partial<Organisation> = {}): Organisation => ({
  id: 'acme',
  name: 'Acme Sàrl',
  currency: 'CHF',
  country: 'CH',
  balance: '0.00',
  billingContacts: [],
  createdAt: '2026-01-01T00:00:00Z',
  ...over,
});

export const treatment = (rate: string, country = 'CH'): VatTreatment => ({ kind: rate === '0' ? 'export' : 'domestic', rate: new Decimal(rate), country });

type Pay = { method: InvoicePayment['method']; amount: Money; ref?: string };

export interface InvoiceSpec {
  series?: InvoiceSeries;
  sequence?: number;
  org?: Organisation;
  rate?: string;
  lines?: { description?: string; unitPrice: string; quantity?: number; productId?: string; periodFrom?: string; periodTo?: string }[];
  /** Payments as fractions are hard to make exact: give them, or the whole total goes to `card`. */
  payments?: (total: Money) => Pay[];
  issueDate?: string;
  status?: Invoice['status'];
}

export function invoice(spec: InvoiceSpec = {}): Invoice {
  const o = spec.org ?? org();
  const lines: PriceLineInput[] = (spec.lines ?? [{ unitPrice: '13.00' }]).map((l, i) => ({
    description: l.description ?? `Product ${i + 1}`,
    unitPrice: Money.of(l.unitPrice, o.currency),
    quantity: l.quantity ?? 1,
    ...(l.productId ? { productId: l.productId } : {}),
    ...(l.periodFrom ? { periodFrom: l.periodFrom } : {}),
    ...(l.periodTo ? { periodTo: l.periodTo } : {}),
  }));
  const priced = priceInvoice(lines, treatment(spec.rate ?? '8.1'), o.currency);
  const payments = spec.payments ? spec.payments(priced.total) : [{ method: 'card' as const, amount: priced.total, ref: 'pi_1' }];
  return toInvoice(
    priced,
    { series: spec.series ?? 'INV', seller: DEFAULT_SELLER, year: 2026, sequence: spec.sequence ?? 1 },
    o,
    spec.issueDate ?? '2026-12-10',
    payments,
    spec.status ? { status: spec.status } : {},
  );
}

export function creditNote(inv: Invoice, sequence = 1, refunds?: Pay[]): Invoice {
  const total = Money.of(inv.total, inv.currency);
  return creditNoteFor(inv, { seller: DEFAULT_SELLER, year: 2026, sequence }, '2026-12-20', refunds ?? [{ method: 'card', amount: total, ref: 're_1' }]);
}

export async function* fromArray<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

/** A Writable that keeps everything, to read the output back. */
export function collector(): { stream: Writable; buffer: () => Buffer; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  const buffer = () => Buffer.concat(chunks);
  return { stream, buffer, text: () => buffer().toString('utf8') };
}

/** RFC 4180 reader, written independently of the writer: CRLF records, `"` quoting with `""` escapes. */
export function parseCsv(input: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (quoted) {
      if (ch === '"' && input[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (ch === '"') {
        quoted = false;
        i += 1;
      } else {
        field += ch;
        i += 1;
      }
    } else if (ch === '"') {
      if (field !== '') throw new Error(`quote inside an unquoted field at ${i}`);
      quoted = true;
      i += 1;
    } else if (ch === ',') {
      row.push(field);
      field = '';
      i += 1;
    } else if (ch === '\r' && input[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else if (ch === '\r' || ch === '\n') {
      throw new Error(`bare line break outside quotes at ${i}`);
    } else {
      field += ch;
      i += 1;
    }
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || row.length > 0) throw new Error('last record not terminated by CRLF');
  return rows;
}

/** Header + records as objects keyed by column; checks the BOM. */
export function readCsv(buf: Buffer): { header: string[]; records: Record<string, string>[] } {
  const bom = buf.subarray(0, 3);
  if (!bom.equals(Buffer.from([0xef, 0xbb, 0xbf]))) throw new Error('no UTF-8 BOM');
  const [header, ...rest] = parseCsv(buf.subarray(3).toString('utf8'));
  if (!header) throw new Error('no header');
  const records = rest.map((r) => {
    if (r.length !== header.length) throw new Error(`record has ${r.length} fields, header ${header.length}`);
    return Object.fromEntries(header.map((h, i) => [h, r[i]!]));
  });
  return { header, records };
}

const RATES = ['8.1', '7.7', '0', '20', '19', '2.6'] as const;
const METHODS = ['balance', 'card', 'twint', 'paypal', 'postfinance', 'transfer'] as const satisfies readonly InvoicePayment['method'][];

/** Splits an amount in cents at the given cuts among methods: the parts always add up to the amount. */
function split(total: Money, cuts: number[], methods: InvoicePayment['method'][]): Pay[] {
  const cents = total.toMinorUnits();
  const points = [...new Set(cuts.map((c) => (cents === 0 ? 0 : c % (cents + 1))))].sort((a, b) => a - b);
  const bounds = [0, ...points, cents];
  const parts: Pay[] = [];
  for (let i = 0; i + 1 < bounds.length; i += 1) {
    const method = methods[i % methods.length]!;
    parts.push({ method, amount: Money.fromMinorUnits(bounds[i + 1]! - bounds[i]!, total.currency), ...(method === 'balance' ? {} : { ref: `pi_${i}` }) });
  }
  return parts;
}

const docArb = fc.record({
  currency: fc.constantFrom<Currency>('CHF', 'EUR'),
  rate: fc.constantFrom(...RATES),
  series: fc.constantFrom<InvoiceSeries>('INV', 'INV', 'PRO'),
  lines: fc.array(fc.record({ cents: fc.integer({ min: 0, max: 5_000_000 }), quantity: fc.integer({ min: 1, max: 36 }) }), { minLength: 1, maxLength: 4 }),
  cuts: fc.array(fc.nat(), { maxLength: 3 }),
  methods: fc.shuffledSubarray([...METHODS], { minLength: 1 }),
  credit: fc.option(fc.record({ cuts: fc.array(fc.nat(), { maxLength: 2 }), methods: fc.shuffledSubarray([...METHODS], { minLength: 1 }) })),
  name: fc.string({ maxLength: 20, unit: 'grapheme' }),
});

/** Random invoices and pro-formas, each maybe followed by a credit note that reverses it. */
export const documentsArb = fc.array(docArb, { maxLength: 12 }).map((specs) => {
  const docs: Invoice[] = [];
  specs.forEach((s, i) => {
    const o = org({ id: `org-${i}`, currency: s.currency, name: s.name || 'x' });
    const inv = invoice({
      org: o,
      series: s.series,
      sequence: i + 1,
      rate: s.rate,
      lines: s.lines.map((l) => ({ unitPrice: new Decimal(l.cents).dividedBy(100).toFixed(2), quantity: l.quantity })),
      payments: (total) => split(total, s.cuts, s.methods),
    });
    docs.push(inv);
    if (s.credit) docs.push(creditNote(inv, i + 1, split(Money.of(inv.total, inv.currency), s.credit.cuts, s.credit.methods)));
  });
  return docs;
});
