import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.ts';
import { CURRENCIES, Money, type Currency } from '../../../shared/domain/money.ts';
import { priceInvoice, type PricedInvoice, type PriceLineInput } from '../../../shared/domain/pricing.ts';
import { vatTreatment, type VatTreatment } from '../../../shared/domain/vat.ts';

const RUNS = { numRuns: 300 };

/** Cents to a decimal string without going through a float. */
const centsToString = (cents: number): string => new Decimal(cents).dividedBy(100).toFixed(2);

const chf = (s: string) => Money.of(s, 'CHF');

const domestic = (rate: string): VatTreatment => ({ kind: 'domestic', rate: new Decimal(rate), country: 'CH' });

const line = (unitPrice: Money, quantity = 1, over: Partial<PriceLineInput> = {}): PriceLineInput => ({
  description: 'Web hosting',
  unitPrice,
  quantity,
  ...over,
});

function allAmounts(inv: PricedInvoice): Money[] {
  return [...inv.lines.flatMap((l) => [l.unitPrice, l.net, l.vat, l.gross]), ...inv.vatBreakdown.flatMap((b) => [b.net, b.vat]), inv.totalNet, inv.totalVat, inv.total];
}

describe('priceInvoice', () => {
  it('adds 8.1 % Swiss VAT to a one-line invoice', () => {
    const inv = priceInvoice([line(chf('100.00'))], domestic('8.1'), 'CHF');
    expect(inv.lines[0]?.net.toString()).toBe('100.00');
    expect(inv.lines[0]?.vat.toString()).toBe('8.10');
    expect(inv.lines[0]?.gross.toString()).toBe('108.10');
    expect(inv.totalNet.toString()).toBe('100.00');
    expect(inv.totalVat.toString()).toBe('8.10');
    expect(inv.total.toString()).toBe('108.10');
    expect(inv.currency).toBe('CHF');
  });

  it('multiplies the unit price by the number of periods before VAT', () => {
    const inv = priceInvoice([line(chf('12.35'), 3)], domestic('7.7'), 'CHF');
    expect(inv.lines[0]?.net.toString()).toBe('37.05');
    // 37.05 x 7.7 % = 2.85285
    expect(inv.lines[0]?.vat.toString()).toBe('2.85');
    expect(inv.total.toString()).toBe('39.90');
  });

  it('rounds the VAT of a line half-up at .005', () => {
    // 5.00 x 8.1 % = 0.405 and 5.00 x 7.7 % = 0.385: a tie each time, rounded up.
    expect(priceInvoice([line(chf('5.00'))], domestic('8.1'), 'CHF').totalVat.toString()).toBe('0.41');
    expect(priceInvoice([line(chf('5.00'))], domestic('7.7'), 'CHF').totalVat.toString()).toBe('0.39');
    // 0.05 x 8.1 % = 0.00405: below half a cent, rounded down.
    expect(priceInvoice([line(chf('0.05'))], domestic('8.1'), 'CHF').totalVat.toString()).toBe('0.00');
  });

  it('rounds VAT per line, so the totals are the sums of the printed lines', () => {
    const inv = priceInvoice([line(chf('5.00')), line(chf('5.00'))], domestic('8.1'), 'CHF');
    // Per line 0.405 -> 0.41 twice; rounding the 10.00 total instead would give 0.81.
    expect(inv.lines.map((l) => l.vat.toString())).toEqual(['0.41', '0.41']);
    expect(inv.totalVat.toString()).toBe('0.82');
    expect(inv.total.toString()).toBe('10.82');
    expect(inv.vatBreakdown).toHaveLength(1);
    expect(inv.vatBreakdown[0]?.rate.toString()).toBe('8.1');
    expect(inv.vatBreakdown[0]?.net.toString()).toBe('10.00');
    expect(inv.vatBreakdown[0]?.vat.toString()).toBe('0.82');
  });

  it('applies the rate of the treatment, e.g. 7.7 % for a Swiss invoice dated 2023-12-31', () => {
    const vat = vatTreatment({ sellerCountry: 'CH', buyerCountry: 'CH', date: '2023-12-31' });
    const inv = priceInvoice([line(chf('200.00'))], vat, 'CHF');
    expect(inv.totalVat.toString()).toBe('15.40');
    expect(inv.lines[0]?.vatRate.toString()).toBe('7.7');
  });

  it('charges no VAT under reverse charge and keeps the mention on the invoice', () => {
    const vat = vatTreatment({ sellerCountry: 'CH', buyerCountry: 'DE', buyerVatNumber: 'DE129273398', date: '2025-01-10' });
    const inv = priceInvoice([line(Money.of('49.90', 'EUR'), 12)], vat, 'EUR');
    expect(inv.totalNet.toString()).toBe('598.80');
    expect(inv.totalVat.toString()).toBe('0.00');
    expect(inv.total.toString()).toBe('598.80');
    expect(inv.vat.kind).toBe('reverse-charge');
    expect(inv.vat.mention).toMatch(/Reverse charge/);
    expect(inv.vatBreakdown.map((b) => [b.rate.toString(), b.net.toString(), b.vat.toString()])).toEqual([['0', '598.80', '0.00']]);
  });

  it('charges the buyer country rate to an EU consumer, 25.5 % in Finland', () => {
    const vat = vatTreatment({ sellerCountry: 'CH', buyerCountry: 'FI', date: '2024-09-01' });
    const inv = priceInvoice([line(Money.of('10.00', 'EUR'))], vat, 'EUR');
    expect(inv.totalVat.toString()).toBe('2.55');
    expect(inv.total.format()).toBe('EUR 12.55');
  });

  it('accepts a free line', () => {
    const inv = priceInvoice([line(chf('0.00')), line(chf('10.00'))], domestic('8.1'), 'CHF');
    expect(inv.lines[0]?.gross.isZero()).toBe(true);
    expect(inv.total.toString()).toBe('10.81');
  });

  it('keeps the descriptive fields of each line and adds no undefined keys', () => {
    const inv = priceInvoice(
      [line(chf('10.00'), 1, { productId: 'p-1', periodFrom: '2025-01-01', periodTo: '2025-12-31', description: 'Domain example.ch' }), line(chf('5.00'))],
      domestic('8.1'),
      'CHF',
    );
    expect(inv.lines[0]).toMatchObject({ description: 'Domain example.ch', productId: 'p-1', periodFrom: '2025-01-01', periodTo: '2025-12-31', quantity: 1 });
    expect(Object.keys(inv.lines[1] ?? {})).not.toContain('productId');
    expect(Object.keys(inv.lines[1] ?? {})).not.toContain('periodFrom');
  });

  it('refuses an invoice without lines', () => {
    expect(() => priceInvoice([], domestic('8.1'), 'CHF')).toThrow(ValidationError);
  });

  it('refuses a line in another currency than the invoice', () => {
    expect(() => priceInvoice([line(Money.of('10.00', 'EUR'))], domestic('8.1'), 'CHF')).toThrow(/EUR/);
    expect(() => priceInvoice([line(Money.of('10.00', 'EUR'))], domestic('8.1'), 'CHF')).toThrow(ValidationError);
  });

  it('refuses a zero, negative, fractional or non-finite quantity', () => {
    for (const q of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => priceInvoice([line(chf('10.00'), q)], domestic('8.1'), 'CHF'), String(q)).toThrow(ValidationError);
    }
  });

  it('refuses a negative unit price', () => {
    expect(() => priceInvoice([line(chf('-0.01'))], domestic('8.1'), 'CHF')).toThrow(ValidationError);
  });

  it('refuses a period that ends before it starts', () => {
    const bad = line(chf('1.00'), 1, { periodFrom: '2025-02-01', periodTo: '2025-01-31' });
    expect(() => priceInvoice([bad], domestic('8.1'), 'CHF')).toThrow(ValidationError);
  });

  it('refuses a negative VAT rate', () => {
    expect(() => priceInvoice([line(chf('1.00'))], domestic('-8.1'), 'CHF')).toThrow(ValidationError);
  });

  it('says which line is wrong and how, with a code a caller can act on', () => {
    const ok = line(chf('1.00'));
    const refusal = (lines: PriceLineInput[], vat = domestic('8.1'), currency: Currency = 'CHF') => {
      try {
        priceInvoice(lines, vat, currency);
      } catch (err) {
        return err instanceof ValidationError ? { message: err.message, code: err.code } : { message: String(err), code: 'not a ValidationError' };
      }
      return { message: 'accepted', code: '' };
    };
    expect(refusal([])).toEqual({ message: 'an invoice needs at least one line', code: 'empty_invoice' });
    expect(refusal([ok, line(Money.of('10.00', 'EUR'))])).toEqual({ message: 'line 2: unit price is in EUR, invoice is in CHF', code: 'currency_mismatch' });
    expect(refusal([line(chf('-0.01'))])).toEqual({ message: 'line 1: unit price must not be negative (CHF -0.01)', code: 'invalid_price' });
    expect(refusal([ok, ok, line(chf('1.00'), 0)])).toEqual({ message: 'line 3: quantity must be a positive whole number, got 0', code: 'invalid_quantity' });
    expect(refusal([line(chf('1.00'), 1, { periodTo: '2026-02-30' })])).toEqual({ message: 'line 1: not a calendar date: 2026-02-30', code: 'invalid_date' });
    expect(refusal([line(chf('1.00'), 1, { periodFrom: '2026-13-01' })])).toEqual({ message: 'line 1: not a calendar date: 2026-13-01', code: 'invalid_date' });
    expect(refusal([line(chf('1.00'), 1, { discountPercent: new Decimal('Infinity') })])).toEqual({
      message: 'line 1: discount must be between 0 and 35 %, got Infinity',
      code: 'invalid_discount',
    });
    expect(refusal([line(chf('1.00'), 1, { discountPercent: 20 as unknown as Decimal })])).toMatchObject({ code: 'invalid_discount' });
    expect(refusal([line(chf('1.00'), 1, { periodFrom: '2026-02-01', periodTo: '2026-01-31' })])).toEqual({
      message: 'line 1: period ends (2026-01-31) before it starts (2026-02-01)',
      code: 'invalid_period',
    });
    expect(refusal([ok], domestic('-8.1'))).toEqual({ message: 'VAT rate must be between 0 and 100 %, got -8.1', code: 'invalid_vat_rate' });
    expect(refusal([ok], { ...domestic('8.1'), rate: new Decimal('NaN') })).toMatchObject({ code: 'invalid_vat_rate' });
    expect(refusal([ok], { ...domestic('8.1'), rate: '8.1' as unknown as Decimal })).toMatchObject({ code: 'invalid_vat_rate' });
    expect(refusal([ok], domestic('8.1'), 'USD' as Currency)).toEqual({ message: 'unsupported currency: USD', code: 'invalid_currency' });
  });

  it('accepts a one-day period, a line without any period, and a zero discount it does not print', () => {
    const priced = priceInvoice(
      [
        line(chf('1.00'), 1, { periodFrom: '2026-01-31', periodTo: '2026-01-31' }),
        line(chf('2.00'), 1, { periodFrom: '2026-01-31' }),
        line(chf('3.00'), 1, { discountPercent: new Decimal(0) }),
      ],
      domestic('8.1'),
      'CHF',
    );
    expect(priced.lines[0]).toMatchObject({ periodFrom: '2026-01-31', periodTo: '2026-01-31' });
    expect('periodTo' in priced.lines[1]!).toBe(false);
    expect('discountPercent' in priced.lines[2]!).toBe(false);
    expect(priced.lines[2]!.discount.toString()).toBe('0.00');
    // 1.00 + 2.00 + 3.00 = 6.00 net; VAT 0.081 -> 0.08, 0.162 -> 0.16, 0.243 -> 0.24: 0.48.
    expect([priced.totalNet.toString(), priced.totalVat.toString(), priced.total.toString()]).toEqual(['6.00', '0.48', '6.48']);
  });
});

describe('priceInvoice properties', () => {
  const currency = fc.constantFrom(...CURRENCIES);
  const lineSpec = fc.record({
    cents: fc.integer({ min: 0, max: 10_000_000 }),
    quantity: fc.integer({ min: 1, max: 120 }),
  });
  // Real rates plus arbitrary ones with up to 2 decimals, built as strings.
  const rate = fc.oneof(
    fc.constantFrom('0', '2.5', '2.6', '3.7', '3.8', '7.7', '8', '8.1', '16', '19', '20', '21', '25.5', '27'),
    fc.integer({ min: 0, max: 5000 }).map(centsToString),
  );
  const invoice = fc.tuple(fc.array(lineSpec, { minLength: 1, maxLength: 20 }), rate, currency).map(([specs, r, cur]: [{ cents: number; quantity: number }[], string, Currency]) =>
    priceInvoice(
      specs.map((s, i) => ({ description: `line ${i}`, unitPrice: Money.of(centsToString(s.cents), cur), quantity: s.quantity })),
      { kind: 'domestic', rate: new Decimal(r), country: 'CH' },
      cur,
    ),
  );

  it('makes the total equal the sum of the line grosses and totalNet + totalVat', () => {
    fc.assert(
      fc.property(invoice, (inv) => {
        const sumGross = Money.sum(
          inv.lines.map((l) => l.gross),
          inv.currency,
        );
        expect(inv.total.equals(sumGross)).toBe(true);
        expect(inv.total.equals(inv.totalNet.plus(inv.totalVat))).toBe(true);
        for (const l of inv.lines) expect(l.gross.equals(l.net.plus(l.vat))).toBe(true);
      }),
      RUNS,
    );
  });

  it('never produces an amount with more than 2 decimals', () => {
    fc.assert(
      fc.property(invoice, (inv) => {
        for (const m of allAmounts(inv)) {
          expect(m.amount.decimalPlaces()).toBeLessThanOrEqual(2);
          expect(m.toString()).toMatch(/^\d+\.\d{2}$/);
          expect(m.currency).toBe(inv.currency);
        }
      }),
      RUNS,
    );
  });

  it('never produces negative VAT', () => {
    fc.assert(
      fc.property(invoice, (inv) => {
        for (const l of inv.lines) expect(l.vat.isNegative()).toBe(false);
        for (const b of inv.vatBreakdown) expect(b.vat.isNegative()).toBe(false);
        expect(inv.totalVat.isNegative()).toBe(false);
      }),
      RUNS,
    );
  });

  it('makes the VAT breakdown sum to totalVat and totalNet', () => {
    fc.assert(
      fc.property(invoice, (inv) => {
        expect(
          Money.sum(
            inv.vatBreakdown.map((b) => b.vat),
            inv.currency,
          ).equals(inv.totalVat),
        ).toBe(true);
        expect(
          Money.sum(
            inv.vatBreakdown.map((b) => b.net),
            inv.currency,
          ).equals(inv.totalNet),
        ).toBe(true);
        const rates = new Set(inv.lines.map((l) => l.vatRate.toString()));
        expect(inv.vatBreakdown).toHaveLength(rates.size);
      }),
      RUNS,
    );
  });

  it('rounds each line VAT half-up to within half a cent of net x rate / 100', () => {
    fc.assert(
      fc.property(invoice, (inv) => {
        for (const l of inv.lines) {
          const exact = l.net.amount.times(l.vatRate).dividedBy(100);
          expect(l.vat.amount.minus(exact).abs().lte('0.005')).toBe(true);
          expect(l.vat.equals(Money.round(exact, inv.currency))).toBe(true);
          expect(l.net.equals(l.unitPrice.times(l.quantity))).toBe(true);
        }
      }),
      RUNS,
    );
  });
});

describe('partner discounts on lines', () => {
  const domestic = { kind: 'domestic' as const, rate: new Decimal('8.1'), country: 'CH' };
  it('takes the discount off unit price x quantity, rounded on the line, before VAT', () => {
    const priced = priceInvoice([{ description: 'x', unitPrice: Money.of('9.90', 'CHF'), quantity: 12, discountPercent: new Decimal('12.5') }], domestic, 'CHF');
    // 118.80 x 12.5 % = 14.85; net 103.95; VAT 8.42
    expect(priced.lines[0]!.discount.toString()).toBe('14.85');
    expect([priced.totalNet.toString(), priced.totalVat.toString(), priced.total.toString()]).toEqual(['103.95', '8.42', '112.37']);
  });

  it('refuses a discount above 35 % or below zero', () => {
    for (const d of ['35.01', '-1']) {
      expect(() => priceInvoice([{ description: 'x', unitPrice: Money.of('10.00', 'CHF'), quantity: 1, discountPercent: new Decimal(d) }], domestic, 'CHF')).toThrow(
        /discount must be between 0 and 35/,
      );
    }
  });

  it('never makes a net negative nor breaks the sum of lines', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 120 }), fc.integer({ min: 0, max: 3500 }), (cents, qty, bp) => {
        const priced = priceInvoice(
          [{ description: 'x', unitPrice: Money.of(new Decimal(cents).dividedBy(100).toFixed(2), 'CHF'), quantity: qty, discountPercent: new Decimal(bp).dividedBy(100) }],
          domestic,
          'CHF',
        );
        const line = priced.lines[0]!;
        expect(line.net.isNegative()).toBe(false);
        expect(line.net.plus(line.discount).equals(line.unitPrice.times(qty))).toBe(true);
        expect(priced.total.equals(line.gross)).toBe(true);
      }),
    );
  });
});
