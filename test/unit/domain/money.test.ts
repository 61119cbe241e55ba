import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.ts';
import { CURRENCIES, isCurrency, Money } from '../../../shared/domain/money.ts';

const RUNS = { numRuns: 300 };

/** Cents to a decimal string without going through a float. */
const centsToString = (cents: number): string => new Decimal(cents).dividedBy(100).toFixed(2);

const chf = (s: string) => Money.of(s, 'CHF');
const eur = (s: string) => Money.of(s, 'EUR');

describe('currencies', () => {
  it('are CHF and EUR only', () => {
    expect(CURRENCIES).toEqual(['CHF', 'EUR']);
    expect(isCurrency('CHF')).toBe(true);
    expect(isCurrency('EUR')).toBe(true);
    expect(isCurrency('USD')).toBe(false);
    expect(isCurrency('chf')).toBe(false);
  });
});

describe('Money.of', () => {
  it('accepts amounts with up to 2 decimals and prints them with exactly 2', () => {
    expect(chf('12.3').toString()).toBe('12.30');
    expect(chf('12').toString()).toBe('12.00');
    expect(chf('-0.05').toString()).toBe('-0.05');
    expect(Money.of(new Decimal('7.10'), 'EUR').toString()).toBe('7.10');
  });

  it('refuses 1.005 instead of rounding it', () => {
    expect(() => chf('1.005')).toThrow(ValidationError);
    expect(() => Money.of(new Decimal('0.001'), 'CHF')).toThrow(/more than 2 decimals/);
  });

  it('refuses values that are not plain finite decimals', () => {
    for (const bad of ['', ' ', 'abc', '1,50', '1e3', '0x10', 'Infinity', 'NaN', '1.', '.5', '12.30 CHF']) {
      expect(() => chf(bad), bad).toThrow(ValidationError);
    }
    expect(() => Money.of(new Decimal(Infinity), 'CHF')).toThrow(ValidationError);
    expect(() => Money.of(new Decimal(NaN), 'CHF')).toThrow(ValidationError);
  });

  it('refuses an unsupported currency', () => {
    expect(() => Money.of('1.00', 'USD' as 'CHF')).toThrow(ValidationError);
  });

  it('has a single zero: -0.00 prints as 0.00', () => {
    expect(chf('-0.00').toString()).toBe('0.00');
    expect(chf('-0').isNegative()).toBe(false);
  });

  it('is immutable', () => {
    const m = chf('1.00');
    expect(Object.isFrozen(m)).toBe(true);
    m.plus(chf('2.00'));
    expect(m.toString()).toBe('1.00');
  });
});

describe('Money.round', () => {
  it('rounds half-up at .005', () => {
    expect(Money.round('1.005', 'CHF').toString()).toBe('1.01');
    expect(Money.round('1.015', 'CHF').toString()).toBe('1.02');
    expect(Money.round('2.675', 'CHF').toString()).toBe('2.68');
    expect(Money.round('0.005', 'CHF').toString()).toBe('0.01');
  });

  it('rounds below half down', () => {
    expect(Money.round('1.0049999', 'CHF').toString()).toBe('1.00');
    expect(Money.round(new Decimal('8.1').times('12.34').dividedBy(100), 'CHF').toString()).toBe('1.00');
  });

  it('rounds negative ties away from zero so a credit mirrors its invoice', () => {
    expect(Money.round('-1.005', 'CHF').toString()).toBe('-1.01');
    expect(Money.round('-0.004', 'CHF').toString()).toBe('0.00');
  });

  it('is not affected by another module changing the global Decimal configuration', () => {
    const saved = { precision: Decimal.precision, rounding: Decimal.rounding };
    try {
      Decimal.set({ precision: 3, rounding: Decimal.ROUND_DOWN });
      expect(Money.round('1.005', 'CHF').toString()).toBe('1.01');
      expect(chf('123456.78').plus(chf('0.01')).toString()).toBe('123456.79');
      expect(Money.round(new Decimal('1.005'), 'CHF').toString()).toBe('1.01');
    } finally {
      Decimal.set(saved);
    }
  });
});

describe('arithmetic', () => {
  it('adds and subtracts exactly, without float error', () => {
    expect(chf('0.10').plus(chf('0.20')).toString()).toBe('0.30');
    expect(chf('1.00').minus(chf('0.99')).toString()).toBe('0.01');
    expect(chf('0.00').minus(chf('12.30')).toString()).toBe('-12.30');
  });

  it('throws on a currency mismatch in plus, minus and comparisons', () => {
    expect(() => chf('1.00').plus(eur('1.00'))).toThrow(ValidationError);
    expect(() => chf('1.00').minus(eur('1.00'))).toThrow(/currency mismatch/);
    expect(() => chf('1.00').gt(eur('1.00'))).toThrow(ValidationError);
    expect(() => chf('1.00').min(eur('1.00'))).toThrow(ValidationError);
    expect(() => Money.sum([chf('1.00'), eur('1.00')], 'CHF')).toThrow(ValidationError);
  });

  it('multiplies by a whole quantity and refuses fractions or unsafe integers', () => {
    expect(chf('12.35').times(3).toString()).toBe('37.05');
    expect(chf('12.35').times(0).toString()).toBe('0.00');
    expect(chf('12.35').times(-2).toString()).toBe('-24.70');
    expect(() => chf('12.35').times(1.5)).toThrow(ValidationError);
    expect(() => chf('12.35').times(Number.NaN)).toThrow(ValidationError);
    expect(() => chf('12.35').times(2 ** 53)).toThrow(ValidationError);
  });

  it('negates, and reports sign', () => {
    expect(chf('5.00').negate().toString()).toBe('-5.00');
    expect(chf('5.00').isPositive()).toBe(true);
    expect(chf('-5.00').isNegative()).toBe(true);
    expect(chf('0.00').isZero()).toBe(true);
    expect(chf('0.00').isPositive()).toBe(false);
    expect(chf('0.00').isNegative()).toBe(false);
  });

  it('compares amounts of one currency', () => {
    expect(chf('2.00').gt(chf('1.99'))).toBe(true);
    expect(chf('2.00').gte(chf('2.00'))).toBe(true);
    expect(chf('1.99').lt(chf('2.00'))).toBe(true);
    expect(chf('2.00').lte(chf('2.00'))).toBe(true);
    expect(chf('2.00').min(chf('3.00')).toString()).toBe('2.00');
    expect(chf('2.00').max(chf('3.00')).toString()).toBe('3.00');
  });

  it('treats equal amounts in different currencies as unequal rather than failing', () => {
    expect(chf('2.0').equals(chf('2.00'))).toBe(true);
    expect(chf('2.00').equals(eur('2.00'))).toBe(false);
  });

  it('sums an empty list to zero in the given currency', () => {
    const z = Money.sum([], 'EUR');
    expect(z.isZero()).toBe(true);
    expect(z.currency).toBe('EUR');
    expect(Money.sum([eur('0.10'), eur('0.20'), eur('0.30')], 'EUR').toString()).toBe('0.60');
  });
});

describe('representations', () => {
  it('serialises to a 2-decimal string in JSON and formats with the currency', () => {
    expect(JSON.stringify({ total: chf('12.3') })).toBe('{"total":"12.30"}');
    expect(chf('12.3').format()).toBe('CHF 12.30');
    expect(eur('-4').format()).toBe('EUR -4.00');
  });

  it('converts to and from integer minor units', () => {
    expect(chf('12.34').toMinorUnits()).toBe(1234);
    expect(chf('-0.05').toMinorUnits()).toBe(-5);
    expect(Money.fromMinorUnits(1234, 'CHF').toString()).toBe('12.34');
    expect(Money.fromMinorUnits(7, 'EUR').format()).toBe('EUR 0.07');
    expect(() => Money.fromMinorUnits(12.5, 'CHF')).toThrow(ValidationError);
  });

  it('refuses minor units beyond the safe integer range', () => {
    expect(() => chf('100000000000000000.00').toMinorUnits()).toThrow(ValidationError);
  });
});

describe('Money properties', () => {
  const cents = fc.integer({ min: -10_000_000_000, max: 10_000_000_000 });

  it('round-trips through minor units', () => {
    fc.assert(
      fc.property(cents, fc.constantFrom(...CURRENCIES), (n, cur) => {
        const m = Money.of(centsToString(n), cur);
        expect(m.toMinorUnits()).toBe(n);
        expect(Money.fromMinorUnits(n, cur).equals(m)).toBe(true);
      }),
      RUNS,
    );
  });

  it('round-trips through its string form', () => {
    fc.assert(
      fc.property(cents, (n) => {
        const s = centsToString(n);
        expect(chf(s).toString()).toBe(s);
        expect(chf(chf(s).toString()).equals(chf(s))).toBe(true);
      }),
      RUNS,
    );
  });

  it('makes minus the inverse of plus and plus commutative', () => {
    fc.assert(
      fc.property(cents, cents, (a, b) => {
        const x = chf(centsToString(a));
        const y = chf(centsToString(b));
        expect(x.plus(y).minus(y).equals(x)).toBe(true);
        expect(x.plus(y).equals(y.plus(x))).toBe(true);
        expect(x.plus(y).toMinorUnits()).toBe(a + b);
      }),
      RUNS,
    );
  });

  it('rounds any value to within half a cent, and rounding twice changes nothing', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.integer({ min: 0, max: 8 }), (units, scale) => {
        const exact = new Decimal(units.toString()).dividedBy(new Decimal(10).pow(scale));
        const r = Money.round(exact, 'CHF');
        expect(r.amount.decimalPlaces()).toBeLessThanOrEqual(2);
        expect(r.amount.minus(exact).abs().lte('0.005')).toBe(true);
        expect(Money.round(r.amount, 'CHF').equals(r)).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('refusals of amounts, with the value named', () => {
  const refusal = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return [(err as Error).message, (err as { code?: string }).code];
    }
    return [];
  };

  it('names what is wrong with an amount, a currency or a count', () => {
    expect(refusal(() => Money.of('1,50', 'CHF'))).toEqual(['amount is not a decimal number: "1,50"', 'invalid_amount']);
    expect(refusal(() => Money.of(new Decimal('NaN'), 'CHF'))).toEqual(['amount is not a finite decimal number: NaN', 'invalid_amount']);
    expect(refusal(() => Money.of('1.005', 'CHF'))).toEqual(['amount has more than 2 decimals: 1.005', 'invalid_amount']);
    expect(refusal(() => Money.round('x', 'CHF'))).toEqual(['value is not a decimal number: "x"', 'invalid_amount']);
    expect(refusal(() => Money.of('1.00', 'USD' as 'CHF'))).toEqual(['unsupported currency: USD', 'invalid_currency']);
    expect(refusal(() => Money.fromMinorUnits(1.5, 'CHF'))).toEqual(['minor units must be a safe integer: 1.5', 'invalid_amount']);
    expect(refusal(() => Money.of('1.00', 'CHF').times(0.5))).toEqual(['quantity must be a safe integer: 0.5', 'invalid_quantity']);
    expect(refusal(() => Money.of('1.00', 'CHF').plus(Money.of('1.00', 'EUR')))).toEqual(['currency mismatch: CHF and EUR', 'currency_mismatch']);
    expect(refusal(() => Money.of('100000000000000000000.00', 'CHF').toMinorUnits())).toEqual(['amount too large for minor units: CHF 100000000000000000000.00', 'invalid_amount']);
  });

  it('rounds half-up at 40 digits of precision, so a long computation loses nothing', () => {
    // 1/3 x 3 at 40 digits is 0.999...9 (40 nines), which rounds to 1.00; 2.675 rounds up to 2.68, never down by a float.
    expect(Money.round(new Decimal(1).dividedBy(3).times(3), 'CHF').toString()).toBe('1.00');
    expect(Money.round('2.675', 'CHF').toString()).toBe('2.68');
    expect(Money.round('-2.675', 'CHF').toString()).toBe('-2.68');
    expect(Money.round('12345678901234567890123456789012345.675', 'CHF').toString()).toBe('12345678901234567890123456789012345.68');
  });
});
