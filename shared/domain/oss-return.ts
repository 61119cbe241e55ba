/**
 * The quarterly One-Stop-Shop return of distance sales to EU consumers: per
 * member state of consumption and rate, the net and the VAT of the quarter's
 * invoices less its credit notes, per currency.
 *
 * Which scheme: a seller established in the EU declares its supplies to
 * consumers of other member states under the Union scheme (Art. 369a ff.
 * Directive 2006/112/EC); a seller outside the EU (Switzerland,
 * Liechtenstein) registered for it, under the non-Union scheme (Art. 358 ff.).
 * The sale is the `eu-b2c` treatment of vat.ts, read back from the document:
 * a buyer in a member state, outside the seller's VAT area, not reverse
 * charged, with VAT on it. Pro-formas are not supplies; void documents
 * count for nothing. Returns are filed in euros: amounts invoiced in another
 * currency are converted at the rate the scheme requires (Art. 366(2): the
 * European Central Bank's rate of the period's last day, or of the next day
 * it publishes one), row by row, each row kept in its own currency beside.
 */
import { Decimal } from 'decimal.js';
import { addDays, type IsoDate } from './calendar.ts';
import type { ExchangeRate } from './exchange-rates.ts';
import { ValidationError } from './errors.ts';
import { vatCaseOf, type Invoice } from './invoice.ts';
import { Money, type Currency } from './money.ts';
import { isEuCountry, isSwissArea } from './vat.ts';

export interface OssRow {
  memberState: string;
  rate: string;
  currency: Currency;
  net: string;
  vat: string;
  /** Invoices and credit notes that make up the row. */
  documents: number;
  /** The row in euros: as invoiced, or converted at the return's `euroRate`. */
  eurNet: string;
  eurVat: string;
}

export interface OssReturn {
  quarter: string;
  from: IsoDate;
  to: IsoDate;
  sellerId: string;
  scheme: 'union' | 'non-union';
  rows: OssRow[];
  /** The rate amounts in francs were converted at (CHF for one EUR), when there were any: its day, the quarter's last or the next published. */
  euroRate?: { date: IsoDate; chf: string };
  /** What to declare: per member state and rate, in euros, all currencies together. */
  declared: { memberState: string; rate: string; net: string; vat: string }[];
}

/** `2027-Q1` → 2027-01-01 to 2027-03-31, both days included. */
export function quarterPeriod(quarter: string): { from: IsoDate; to: IsoDate } {
  const m = /^(\d{4})-Q([1-4])$/.exec(quarter);
  if (!m) throw new ValidationError(`quarter must read YYYY-Qn (n from 1 to 4), got "${quarter}"`, 'invalid_quarter');
  const year = m[1]!;
  const q = Number(m[2]);
  const first = String(3 * q - 2).padStart(2, '0');
  const last = ['03-31', '06-30', '09-30', '12-31'][q - 1]!;
  return { from: `${year}-${first}-01`, to: `${year}-${last}` };
}

/** A supply to an EU consumer outside the seller's VAT area, as vat.ts treats it (`eu-b2c`). */
export function isOssSale(doc: Invoice): boolean {
  if (doc.series === 'PRO' || doc.status === 'void') return false;
  if (vatCaseOf(doc) !== 'eu-b2c' || !isEuCountry(doc.buyer.country)) return false;
  return doc.vatBreakdown.some((b) => new Decimal(b.rate).greaterThan(0));
}

/**
 * One seller's OSS sales of a quarter, added up document by document (any
 * order, any others among them), so a quarter of a million documents is
 * read as a stream, never held.
 */
export class OssTally {
  private readonly rows = new Map<string, { memberState: string; rate: Decimal; currency: Currency; net: Money; vat: Money; documents: Set<string> }>();
  readonly from: IsoDate;
  readonly to: IsoDate;

  constructor(
    readonly quarter: string,
    private readonly seller: { id: string; country: string },
  ) {
    ({ from: this.from, to: this.to } = quarterPeriod(quarter));
  }

  add(doc: Invoice): void {
    if (doc.sellerId !== this.seller.id || doc.issueDate < this.from || doc.issueDate > this.to || !isOssSale(doc)) return;
    for (const b of doc.vatBreakdown) {
      const rate = new Decimal(b.rate);
      const key = `${doc.buyer.country}|${rate.toString()}|${doc.currency}`;
      const row = this.rows.get(key) ?? {
        memberState: doc.buyer.country,
        rate,
        currency: doc.currency,
        net: Money.zero(doc.currency),
        vat: Money.zero(doc.currency),
        documents: new Set<string>(),
      };
      row.net = row.net.plus(Money.of(b.net, doc.currency));
      row.vat = row.vat.plus(Money.of(b.vat, doc.currency));
      row.documents.add(doc.number);
      this.rows.set(key, row);
    }
  }

  /** The return, amounts in francs converted to euros at the ECB rate of `rates` for the quarter's end; an error naming the day when it is missing. */
  result(rates: readonly ExchangeRate[] = []): OssReturn {
    const rows = [...this.rows.values()].sort((a, b) => a.memberState.localeCompare(b.memberState) || a.currency.localeCompare(b.currency) || a.rate.comparedTo(b.rate));
    const needsRate = rows.some((r) => r.currency !== 'EUR');
    const euroRate = needsRate ? ecbRateFor(rates, this.to) : undefined;
    const inEur = (m: Money) => (m.currency === 'EUR' ? m : Money.round(m.amount.dividedBy(euroRate!.chf), 'EUR'));
    const declared = new Map<string, { memberState: string; rate: Decimal; net: Money; vat: Money }>();
    const out = rows.map((r) => {
      const eurNet = inEur(r.net);
      const eurVat = inEur(r.vat);
      const key = `${r.memberState}|${r.rate.toString()}`;
      const d = declared.get(key) ?? { memberState: r.memberState, rate: r.rate, net: Money.zero('EUR'), vat: Money.zero('EUR') };
      d.net = d.net.plus(eurNet);
      d.vat = d.vat.plus(eurVat);
      declared.set(key, d);
      return {
        memberState: r.memberState,
        rate: r.rate.toString(),
        currency: r.currency,
        net: r.net.toString(),
        vat: r.vat.toString(),
        documents: r.documents.size,
        eurNet: eurNet.toString(),
        eurVat: eurVat.toString(),
      };
    });
    return {
      quarter: this.quarter,
      from: this.from,
      to: this.to,
      sellerId: this.seller.id,
      scheme: isSwissArea(this.seller.country) ? 'non-union' : 'union',
      rows: out,
      ...(euroRate ? { euroRate: { date: euroRate.date, chf: euroRate.chf.toString() } } : {}),
      declared: [...declared.values()]
        .sort((a, b) => a.memberState.localeCompare(b.memberState) || a.rate.comparedTo(b.rate))
        .map((d) => ({ memberState: d.memberState, rate: d.rate.toString(), net: d.net.toString(), vat: d.vat.toString() })),
    };
  }
}

/** ECB publications may skip a weekend and holidays around the new year: a week after the period's end is the furthest the next one lies. */
const ECB_NEXT_PUBLICATION_DAYS = 7;

/** The ECB's CHF rate of the period's last day, or of the next day it published one (Art. 366(2) Directive 2006/112/EC). */
function ecbRateFor(rates: readonly ExchangeRate[], lastDay: IsoDate): { date: IsoDate; chf: Decimal } {
  for (let i = 0; i <= ECB_NEXT_PUBLICATION_DAYS; i++) {
    const day = addDays(lastDay, i);
    const rate = rates.find((r) => r.currency === 'EUR' && r.period === day);
    if (rate) return { date: day, chf: new Decimal(rate.chf) };
  }
  throw new ValidationError(
    `the return has sales in francs: it needs the ECB's EUR rate of ${lastDay} (or of the next day it published one) as a day rate (billing rates import FILE, e.g. ${lastDay},EUR,0.9300)`,
    'exchange_rate_missing',
  );
}
