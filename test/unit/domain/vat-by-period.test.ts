import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Money } from '../../../shared/domain/money.ts';
import { priceInvoice, type PriceLineInput } from '../../../shared/domain/pricing.ts';
import { BUILT_IN_VAT_RATES, ratePeriods, type VatRateTable, type VatTreatment } from '../../../shared/domain/vat.ts';

// A rate table with a change to come: Swiss VAT 8.1 % until 2027-12-31, 8.8 % from 2028-01-01 (the kind of
// change the 13th AHV pension's financing would bring), and Germany's 19 % going to 20 % on 2029-07-01.
const FUTURE: VatRateTable = {
  ...BUILT_IN_VAT_RATES,
  CH: [...BUILT_IN_VAT_RATES.CH!, { from: '2028-01-01', rate: '8.8' }],
  LI: [...BUILT_IN_VAT_RATES.LI!, { from: '2028-01-01', rate: '8.8' }],
  DE: [...BUILT_IN_VAT_RATES.DE!, { from: '2029-07-01', rate: '20' }],
};

const domestic: VatTreatment = { kind: 'domestic', rate: new Decimal('8.1'), country: 'CH' };
const chf = (s: string) => Money.of(s, 'CHF');
// A .ch domain renewed for five years from its expiry on 2026-12-31 (the period ends, exclusive, on 2031-12-31),
// CHF 13.00 a year without VAT, invoiced on 2026-12-17 (8.1 % on that day).
const fiveYears: PriceLineInput = {
  description: 'Domain .ch: example.ch',
  productId: 'dom',
  periodFrom: '2026-12-31',
  periodTo: '2031-12-31',
  unitPrice: chf('13.00'),
  quantity: 5,
};

/** The day n days after 2025-01-01, for the properties' periods. */
const day = (n: number) => new Date(Date.UTC(2025, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
/** A line's price, quantity and partner discount as the properties draw them. */
const drawnLine = () => [fc.integer({ min: 0, max: 5_000_000 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 35 })] as const;

describe('the rates in force over a service period', () => {
  it('cuts a period where a rate starts, and keeps one period where none does', () => {
    expect(ratePeriods('CH', '2026-12-31', '2031-12-31', FUTURE)).toEqual([
      { from: '2026-12-31', to: '2028-01-01', rate: new Decimal('8.1') },
      { from: '2028-01-01', to: '2031-12-31', rate: new Decimal('8.8') },
    ]);
    expect(ratePeriods('CH', '2026-12-31', '2027-12-31', FUTURE)).toEqual([{ from: '2026-12-31', to: '2027-12-31', rate: new Decimal('8.1') }]);
    // A period that starts on the day of the change is all at the new rate.
    expect(ratePeriods('CH', '2028-01-01', '2029-01-01', FUTURE)).toEqual([{ from: '2028-01-01', to: '2029-01-01', rate: new Decimal('8.8') }]);
    // Two changes inside (7.7 % → 8.1 % on 2024-01-01, then 8.8 %): three periods.
    expect(ratePeriods('CH', '2023-06-01', '2028-06-01', FUTURE).map((p) => [p.from, p.to, p.rate.toString()])).toEqual([
      ['2023-06-01', '2024-01-01', '7.7'],
      ['2024-01-01', '2028-01-01', '8.1'],
      ['2028-01-01', '2028-06-01', '8.8'],
    ]);
  });
});

describe('a line whose service period spans a rate change', () => {
  it('is split by rate period, the price shared by days: the five-year .ch renewal, by hand', () => {
    // 2026-12-31 → 2028-01-01: 366 days (the last day of 2026 and all of 2027); 2028-01-01 → 2031-12-31: 1,460 days
    // (2028 a leap year: 366 + 365 + 365 + 364). 1,826 days in all. Net 5 × 13.00 = 65.00.
    // First part: 65.00 × 366 / 1,826 = 13.0285... → 13.03; the second takes the rest: 51.97.
    // VAT: 13.03 × 8.1 % = 1.05543 → 1.06; 51.97 × 8.8 % = 4.57336 → 4.57. Total VAT 5.63, total 70.63
    // (all at 8.1 %, as on the invoice date: 5.27 and 70.27).
    const priced = priceInvoice([fiveYears], domestic, 'CHF', { rates: FUTURE });
    expect(
      priced.lines.map((l) => [l.periodFrom, l.periodTo, l.vatRate.toString(), l.unitPrice.toString(), l.quantity, l.net.toString(), l.vat.toString(), l.gross.toString()]),
    ).toEqual([
      ['2026-12-31', '2028-01-01', '8.1', '13.03', 1, '13.03', '1.06', '14.09'],
      ['2028-01-01', '2031-12-31', '8.8', '51.97', 1, '51.97', '4.57', '56.54'],
    ]);
    expect(priced.lines.every((l) => l.description === 'Domain .ch: example.ch' && l.productId === 'dom')).toBe(true);
    expect(priced.vatBreakdown.map((b) => [b.rate.toString(), b.net.toString(), b.vat.toString()])).toEqual([
      ['8.1', '13.03', '1.06'],
      ['8.8', '51.97', '4.57'],
    ]);
    expect([priced.totalNet.toString(), priced.totalVat.toString(), priced.total.toString()]).toEqual(['65.00', '5.63', '70.63']);
  });

  it('shares a partner discount the same way: the parts of the discount add up to the discount of the line', () => {
    // 10 % of 65.00 = 6.50; its parts 6.50 × 366 / 1,826 = 1.3028... → 1.30 and 5.20. Nets 13.03 − 1.30 = 11.73
    // and 51.97 − 5.20 = 46.77 (58.50 = 65.00 − 6.50). VAT 11.73 × 8.1 % = 0.95013 → 0.95; 46.77 × 8.8 % = 4.11576 → 4.12.
    const priced = priceInvoice([{ ...fiveYears, discountPercent: new Decimal(10) }], domestic, 'CHF', { rates: FUTURE });
    expect(priced.lines.map((l) => [l.unitPrice.toString(), l.discount.toString(), l.net.toString(), l.vat.toString()])).toEqual([
      ['13.03', '1.30', '11.73', '0.95'],
      ['51.97', '5.20', '46.77', '4.12'],
    ]);
    expect([priced.totalNet.toString(), priced.totalVat.toString(), priced.total.toString()]).toEqual(['58.50', '5.07', '63.57']);
  });

  it('takes the rate of the period, not of the invoice date, for a period wholly after a change', () => {
    // Invoiced in 2027 at 8.1 %, for 2028: 13.00 × 8.8 % = 1.144 → 1.14.
    const priced = priceInvoice([{ ...fiveYears, periodFrom: '2028-01-01', periodTo: '2029-01-01', quantity: 1 }], domestic, 'CHF', { rates: FUTURE });
    expect(priced.lines.map((l) => [l.vatRate.toString(), l.vat.toString()])).toEqual([['8.8', '1.14']]);
  });

  it("splits an EU consumer's line by the rates of the buyer's country", () => {
    // EUR 12.00 a year, 2029-01-15 → 2031-01-15 (730 days): 2029-01-15 → 2029-07-01 is 167 days at 19 %, the rest
    // 563 days at 20 %. Net 24.00: 24.00 × 167 / 730 = 5.4904... → 5.49; 18.51. VAT 5.49 × 19 % = 1.0431 → 1.04;
    // 18.51 × 20 % = 3.702 → 3.70.
    const euB2c: VatTreatment = { kind: 'eu-b2c', rate: new Decimal(19), country: 'DE' };
    const line: PriceLineInput = { description: 'Web hosting', periodFrom: '2029-01-15', periodTo: '2031-01-15', unitPrice: Money.of('12.00', 'EUR'), quantity: 2 };
    const priced = priceInvoice([line], euB2c, 'EUR', { rates: FUTURE });
    expect(priced.lines.map((l) => [l.periodFrom, l.periodTo, l.vatRate.toString(), l.net.toString(), l.vat.toString()])).toEqual([
      ['2029-01-15', '2029-07-01', '19', '5.49', '1.04'],
      ['2029-07-01', '2031-01-15', '20', '18.51', '3.70'],
    ]);
    expect(priced.total.toString()).toBe('28.74');
  });

  it('leaves reverse charge, exports and lines without a period as they were', () => {
    const reverse: VatTreatment = { kind: 'reverse-charge', rate: new Decimal(0), country: 'DE', mention: 'Reverse charge' };
    expect(priceInvoice([fiveYears], reverse, 'CHF', { rates: FUTURE }).lines).toHaveLength(1);
    const noPeriod = priceInvoice([{ description: 'Top-up', unitPrice: chf('50.00'), quantity: 1 }], domestic, 'CHF', { rates: FUTURE });
    expect(noPeriod.lines.map((l) => [l.vatRate.toString(), l.vat.toString()])).toEqual([['8.1', '4.05']]);
  });

  it('never changes the net of a line, whatever the period, the price and the discount (property)', () => {
    fc.assert(
      fc.property(...drawnLine(), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 3700 }), (cents, quantity, discount, startOffset, length) => {
        const input: PriceLineInput = {
          description: 'x',
          periodFrom: day(startOffset),
          periodTo: day(startOffset + length),
          unitPrice: chf(new Decimal(cents).dividedBy(100).toFixed(2)),
          quantity,
          ...(discount > 0 ? { discountPercent: new Decimal(discount) } : {}),
        };
        const whole = priceInvoice([input], { ...domestic, kind: 'export', rate: new Decimal(0) }, 'CHF');
        const split = priceInvoice([input], domestic, 'CHF', { rates: FUTURE });
        expect(split.totalNet.toString()).toBe(whole.totalNet.toString());
        // Each part's VAT is its net at its period's rate, rounded on its own.
        for (const l of split.lines) expect(l.vat.toString()).toBe(Money.round(l.net.amount.times(l.vatRate).dividedBy(100), 'CHF').toString());
        // The parts follow one another and cover the period exactly.
        expect(split.lines[0]!.periodFrom).toBe(input.periodFrom);
        expect(split.lines.at(-1)!.periodTo).toBe(input.periodTo);
        for (let i = 1; i < split.lines.length; i++) expect(split.lines[i]!.periodFrom).toBe(split.lines[i - 1]!.periodTo);
      }),
      { numRuns: 300 },
    );
  });

  it('bills an order paid days after its quote what was quoted, each part of its real period taxed at its rate (property)', () => {
    fc.assert(
      fc.property(
        ...drawnLine(),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 28, max: 3700 }),
        (cents, quantity, discount, quoteOffset, delay, length) => {
          const line = (from: number): PriceLineInput => ({
            description: 'x',
            periodFrom: day(from),
            periodTo: day(from + length),
            unitPrice: chf(new Decimal(cents).dividedBy(100).toFixed(2)),
            quantity,
            ...(discount > 0 ? { discountPercent: new Decimal(discount) } : {}),
          });
          const quoted = priceInvoice([line(quoteOffset)], domestic, 'CHF', { rates: FUTURE });
          const paid = priceInvoice([{ ...line(quoteOffset + delay), agreedGross: quoted.total }], domestic, 'CHF', { rates: FUTURE });
          expect(paid.total.toString()).toBe(quoted.total.toString());
          expect(paid.lines[0]!.periodFrom).toBe(day(quoteOffset + delay));
          expect(paid.lines.at(-1)!.periodTo).toBe(day(quoteOffset + delay + length));
          for (let i = 1; i < paid.lines.length; i++) expect(paid.lines[i]!.periodFrom).toBe(paid.lines[i - 1]!.periodTo);
          for (const l of paid.lines) {
            // Each part's rate is the one in force over it, and its VAT is that rate's share of its gross, to the cent.
            expect(ratePeriods('CH', l.periodFrom!, l.periodTo!, FUTURE).map((p) => p.rate.toString())).toEqual([l.vatRate.toString()]);
            expect(l.net.plus(l.vat).toString()).toBe(l.gross.toString());
            expect(
              l.vat.amount
                .minus(l.gross.amount.times(l.vatRate).dividedBy(l.vatRate.plus(100)))
                .abs()
                .lte('0.01'),
            ).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
