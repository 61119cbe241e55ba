/**
 * The rates a Swiss seller declares its foreign-currency invoices at: the
 * Federal Tax Administration's monthly average (a month, YYYY-MM) or a daily
 * rate (a day, YYYY-MM-DD), in CHF for one unit of the currency. A day's
 * rate, when there is one, is taken before its month's.
 */
import { Decimal } from 'decimal.js';
import { isIsoDate, type IsoDate } from './calendar.ts';
import { ValidationError } from './errors.ts';
import { CURRENCIES, Money, type Currency } from './money.ts';

export interface ExchangeRate {
  currency: Exclude<Currency, 'CHF'>;
  /** YYYY-MM (the month's average) or YYYY-MM-DD (that day's rate). */
  period: string;
  /** CHF for one unit, as a decimal string (up to 6 decimals). */
  chf: string;
}

export interface RejectedRateLine {
  line: number;
  text: string;
  reason: string;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const RATE = /^\d{1,3}\.\d{1,6}$|^\d{1,3}$/;

/** Why one row of a rates file (or a rate carried in a message) cannot be taken, or its rate. */
export function parseRateRow(cells: string[]): ExchangeRate | string {
  if (cells.length !== 3) return `expected 3 fields (period, currency, chf), got ${cells.length}`;
  const [period, currency, chf] = cells.map((c) => c.trim()) as [string, string, string];
  if (!MONTH.test(period) && !isIsoDate(period)) return `period "${period}" is neither a month (YYYY-MM) nor a day (YYYY-MM-DD)`;
  if (!(CURRENCIES as readonly string[]).includes(currency) || currency === 'CHF') {
    return `currency "${currency}" is not one invoices are issued in besides CHF (${CURRENCIES.filter((c) => c !== 'CHF').join(', ')})`;
  }
  if (!RATE.test(chf) || new Decimal(chf).isZero()) return `rate "${chf}" must be a positive decimal with up to 6 places, CHF for one ${currency}`;
  return { currency: currency as ExchangeRate['currency'], period, chf };
}

/**
 * A rates file: CSV with the header `period,currency,chf` (commas or semicolons), one rate per row.
 * A row that cannot be read is set aside with its line and reason; the others are taken. A period
 * given twice for a currency with two rates is set aside both times: which one was meant is not known.
 */
export function parseRatesFile(text: string): { rates: ExchangeRate[]; rejected: RejectedRateLine[] } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = (lines[0] ?? '').toLowerCase().replace(/\s/g, '');
  if (header !== 'period,currency,chf' && header !== 'period;currency;chf') {
    throw new ValidationError(`a rates file starts with the header "period,currency,chf", got "${lines[0] ?? ''}"`, 'invalid_rates_file');
  }
  const separator = header.includes(';') ? ';' : ',';
  const taken = new Map<string, { rate: ExchangeRate; line: number; text: string }>();
  const rejected: RejectedRateLine[] = [];
  lines.slice(1).forEach((text, i) => {
    if (text.trim() === '') return;
    const line = i + 2;
    const row = parseRateRow(text.split(separator));
    if (typeof row === 'string') return void rejected.push({ line, text, reason: row });
    const key = `${row.currency}|${row.period}`;
    const earlier = taken.get(key);
    if (!earlier) return void taken.set(key, { rate: row, line, text });
    if (new Decimal(earlier.rate.chf).equals(row.chf)) return;
    taken.delete(key);
    const reason = `${row.currency} ${row.period} is given twice with different rates (${earlier.rate.chf}, ${row.chf})`;
    rejected.push({ line: earlier.line, text: earlier.text, reason }, { line, text, reason });
  });
  return { rates: [...taken.values()].map((t) => t.rate), rejected: rejected.sort((a, b) => a.line - b.line) };
}

/** The rate for an amount of `currency` dated `date`: its day's, else its month's; undefined when neither was imported. */
export function chfRateOn(rates: readonly ExchangeRate[], currency: Currency, date: IsoDate): Decimal | undefined {
  if (currency === 'CHF') return new Decimal(1);
  const day = rates.find((r) => r.currency === currency && r.period === date);
  const month = rates.find((r) => r.currency === currency && r.period === date.slice(0, 7));
  const rate = day ?? month;
  return rate ? new Decimal(rate.chf) : undefined;
}

/** An amount in CHF at a rate, rounded to the cent (half away from zero). */
export function inChf(amount: string, rate: Decimal): string {
  return Money.round(new Decimal(amount).times(rate), 'CHF').toString();
}

/**
 * What a Swiss or Liechtenstein seller's document in another currency declares in CHF: the rate it was
 * issued at and its VAT breakdown converted row by row (each row rounded to the cent, the totals the sum
 * of the rows, so the printed figures add up).
 */
export interface ChfEquivalent {
  /** CHF for one unit of the document's currency. */
  rate: string;
  /** The rate's period: the issue day's rate (YYYY-MM-DD) or its month's average (YYYY-MM). */
  ratePeriod: string;
  vatBreakdown: { rate: string; net: string; vat: string }[];
  totalNet: string;
  totalVat: string;
}

/** Swiss VAT (Switzerland and Liechtenstein) is declared in CHF: a document in another currency needs its CHF equivalent. */
export function declaresInChf(sellerCountry: string, currency: Currency): boolean {
  return (sellerCountry === 'CH' || sellerCountry === 'LI') && currency !== 'CHF';
}

/** A VAT breakdown in CHF at one rate. */
export function chfEquivalentOf(breakdown: readonly { rate: string; net: string; vat: string }[], rate: Pick<ExchangeRate, 'chf' | 'period'>): ChfEquivalent {
  const at = new Decimal(rate.chf);
  const rows = breakdown.map((b) => ({ rate: b.rate, net: inChf(b.net, at), vat: inChf(b.vat, at) }));
  const sum = (field: 'net' | 'vat') => rows.reduce((acc, r) => acc.plus(r[field]), new Decimal(0)).toFixed(2);
  return { rate: rate.chf, ratePeriod: rate.period, vatBreakdown: rows, totalNet: sum('net'), totalVat: sum('vat') };
}
