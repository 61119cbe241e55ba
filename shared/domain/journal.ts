/**
 * Finance's journal: each final invoice and credit note as double-entry
 * bookings an accountant imports (docs/domain.md R-49).
 *
 * Per document and VAT rate: the net, receivables to revenue (the revenue
 * account of its VAT case), and the VAT, receivables to the VAT account, both
 * with the rate's VAT code; per payment on the document, the account the money
 * came through (the prepaid balance, the bank, the card provider) to
 * receivables. A credit note books the same the other way round. Amounts are
 * positive; a negative one swaps debit and credit. Each booking carries its CHF
 * amount at the rate the seller declares (exchange-rates.ts), rounded per
 * booking.
 *
 * Pro-formas are not bookings (they ask for money; the final invoice books
 * it); void documents neither.
 */
import { Decimal } from 'decimal.js';
import type { IsoDate } from './calendar.ts';
import { chfRateOn, inChf, type ExchangeRate } from './exchange-rates.ts';
import { ValidationError } from './errors.ts';
import { openAmount, vatCaseOf, type Invoice, type InvoicePayment } from './invoice.ts';
import type { Currency } from './money.ts';
import type { VatTreatment } from './vat.ts';

export type VatCase = VatTreatment['kind'];

export interface AccountingMap {
  accounts: {
    receivables: Record<Currency, string>;
    revenue: Record<VatCase, string>;
    vat: string;
    payments: Record<InvoicePayment['method'], string>;
  };
  /**
   * VAT codes by `domestic:<rate>`, `eu-b2c:<country>:<rate>`, `reverse-charge`, `export`; a case without
   * one gets V<rate digits> (domestic: V81 for 8.1 %, Banana's Swiss codes), OSS-<country>-<rate>, RC, EXP.
   */
  vatCodes: Record<string, string>;
}

/** A Swiss SME chart of accounts (KMU-Kontenrahmen): what a stage uses until its configuration says otherwise. */
export const DEFAULT_ACCOUNTING: AccountingMap = {
  accounts: {
    receivables: { CHF: '1100', EUR: '1101' },
    revenue: { domestic: '3400', 'eu-b2c': '3410', 'reverse-charge': '3420', export: '3430' },
    vat: '2200',
    payments: { balance: '2030', transfer: '1020', card: '1091', twint: '1091', postfinance: '1091', paypal: '1092' },
  },
  vatCodes: {},
};

export interface Booking {
  date: IsoDate;
  document: string;
  kind: 'revenue' | 'vat' | 'payment';
  description: string;
  debit: string;
  credit: string;
  vatCode: string;
  vatCase: VatCase | '';
  /** The VAT rate of a revenue or VAT booking, as a percentage. */
  vatRate: string;
  amount: string;
  currency: Currency;
  /** CHF for one unit of the currency, and the amount in CHF. */
  exchangeRate: string;
  chf: string;
  dueDate: IsoDate;
  paymentDate: IsoDate | '';
  paymentReference: string;
  /** What is still to pay on the document, on its first booking only (a sum over the file stays the open total). */
  openAmount: string;
}

export function vatCodeOf(map: AccountingMap, vatCase: VatCase, country: string, rate: string): string {
  const pct = new Decimal(rate).toString();
  const codes = map.vatCodes;
  switch (vatCase) {
    case 'domestic':
      return codes[`domestic:${pct}`] ?? `V${pct.replace('.', '')}`;
    case 'eu-b2c':
      return codes[`eu-b2c:${country}:${pct}`] ?? `OSS-${country}-${pct}`;
    case 'reverse-charge':
      return codes['reverse-charge'] ?? 'RC';
    case 'export':
      return codes.export ?? 'EXP';
  }
}

/**
 * The bookings of one document (none for a pro-forma or a void one), in CHF at the rate it was issued at,
 * else at `rates`; a missing rate is an error naming it.
 */
export function bookingsOf(doc: Invoice, map: AccountingMap, rates: readonly ExchangeRate[]): Booking[] {
  if (doc.series === 'PRO' || doc.status === 'void') return [];
  // The rate the document was issued at and printed with wins over the file: invoice and books agree.
  const rate = doc.chf ? new Decimal(doc.chf.rate) : chfRateOn(rates, doc.currency, doc.issueDate);
  if (!rate) {
    throw new ValidationError(
      `no CHF rate for ${doc.currency} on ${doc.issueDate} (document ${doc.number}): import the month's rate (billing rates import FILE)`,
      'exchange_rate_missing',
    );
  }
  const vatCase = vatCaseOf(doc);
  const receivables = map.accounts.receivables[doc.currency];
  const paid = doc.payments.length > 0 ? doc.issueDate : '';
  const common = {
    date: doc.issueDate,
    document: doc.number,
    currency: doc.currency,
    exchangeRate: rate.toString(),
    dueDate: doc.issueDate,
    paymentDate: paid,
    paymentReference: doc.paymentReference ?? '',
  } as const;
  const title = `${doc.series === 'CN' ? 'Credit note' : 'Invoice'} ${doc.number} ${doc.buyer.name}`;
  const out: Booking[] = [];
  const book = (b: Omit<Booking, keyof typeof common | 'chf' | 'amount' | 'debit' | 'credit' | 'openAmount'>, debit: string, credit: string, amount: string) => {
    const value = new Decimal(amount);
    if (value.isZero()) return;
    // A negative amount (a credit note) is the same booking the other way round.
    const [d, c] = value.isNegative() ? [credit, debit] : [debit, credit];
    const abs = value.abs().toFixed(2);
    out.push({ ...common, ...b, debit: d, credit: c, amount: abs, chf: inChf(abs, rate), openAmount: '' });
  };
  for (const part of doc.vatBreakdown) {
    const vatCode = vatCodeOf(map, vatCase, doc.buyer.country, part.rate);
    const pct = new Decimal(part.rate).toString();
    book({ kind: 'revenue', description: title, vatCode, vatCase, vatRate: pct }, receivables, map.accounts.revenue[vatCase], part.net);
    book({ kind: 'vat', description: `VAT ${pct} % ${doc.number}`, vatCode, vatCase, vatRate: pct }, receivables, map.accounts.vat, part.vat);
  }
  for (const p of doc.payments) {
    book(
      { kind: 'payment', description: `Payment ${doc.number} (${p.method}${p.ref ? ` ${p.ref}` : ''})`, vatCode: '', vatCase: '', vatRate: '' },
      map.accounts.payments[p.method],
      receivables,
      p.amount,
    );
  }
  if (out[0]) out[0].openAmount = openAmount(doc).toFixed(2);
  return out;
}

export interface JournalTotals {
  documents: number;
  bookings: number;
  /** Per account and currency: what was debited and credited, and in CHF. */
  accounts: Record<string, { debit: string; credit: string; debitChf: string; creditChf: string }>;
  /** Per VAT code and currency: the net and VAT booked, and the VAT in CHF. */
  vatByCode: Record<string, { net: string; vat: string; vatChf: string }>;
  /** Every booking's CHF amount added up: what the file moves in the accounting currency. */
  bookedChf: string;
}

/** The totals of a journal, added up booking by booking (a period of any size is streamed, never held). */
export class JournalTally {
  private readonly documents = new Set<string>();
  private bookings = 0;
  private readonly accounts = new Map<string, { debit: Decimal; credit: Decimal; debitChf: Decimal; creditChf: Decimal }>();
  private readonly codes = new Map<string, { net: Decimal; vat: Decimal; vatChf: Decimal }>();
  private bookedChf = new Decimal(0);
  private readonly receivables: Set<string>;

  constructor(map: AccountingMap) {
    this.receivables = new Set(Object.values(map.accounts.receivables));
  }

  add(b: Booking): void {
    this.documents.add(b.document);
    this.bookings++;
    this.post(b.debit, b.currency, 'debit', b);
    this.post(b.credit, b.currency, 'credit', b);
    this.bookedChf = this.bookedChf.plus(b.chf);
    if (b.kind === 'payment') return;
    // With the sign of the document: a credit note (receivables credited) takes back what its invoice booked.
    const sign = this.receivables.has(b.credit) ? -1 : 1;
    const key = `${b.vatCode} ${b.currency}`;
    const t = this.codes.get(key) ?? { net: new Decimal(0), vat: new Decimal(0), vatChf: new Decimal(0) };
    if (b.kind === 'revenue') t.net = t.net.plus(new Decimal(b.amount).times(sign));
    else {
      t.vat = t.vat.plus(new Decimal(b.amount).times(sign));
      t.vatChf = t.vatChf.plus(new Decimal(b.chf).times(sign));
    }
    this.codes.set(key, t);
  }

  private post(account: string, currency: Currency, side: 'debit' | 'credit', b: Booking): void {
    const key = `${account} ${currency}`;
    const t = this.accounts.get(key) ?? { debit: new Decimal(0), credit: new Decimal(0), debitChf: new Decimal(0), creditChf: new Decimal(0) };
    if (side === 'debit') {
      t.debit = t.debit.plus(b.amount);
      t.debitChf = t.debitChf.plus(b.chf);
    } else {
      t.credit = t.credit.plus(b.amount);
      t.creditChf = t.creditChf.plus(b.chf);
    }
    this.accounts.set(key, t);
  }

  result(): JournalTotals {
    const fixed = (d: Decimal) => d.toFixed(2);
    const sorted = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    return {
      documents: this.documents.size,
      bookings: this.bookings,
      accounts: Object.fromEntries(
        sorted(this.accounts).map(([k, t]) => [k, { debit: fixed(t.debit), credit: fixed(t.credit), debitChf: fixed(t.debitChf), creditChf: fixed(t.creditChf) }]),
      ),
      vatByCode: Object.fromEntries(sorted(this.codes).map(([k, t]) => [k, { net: fixed(t.net), vat: fixed(t.vat), vatChf: fixed(t.vatChf) }])),
      bookedChf: fixed(this.bookedChf),
    };
  }
}
