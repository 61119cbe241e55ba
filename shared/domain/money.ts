/**
 * Money: an amount in a currency, always at most 2 decimals (the rappen/cent).
 *
 * Amounts never go through a JS number: they live in decimal.js values so that
 * 0.1 + 0.2 is 0.30 and sums of thousands of lines stay exact. The only place
 * a number appears is the integer of minor units handed to payment providers.
 *
 * Rounding is explicit: `Money.of` refuses more than 2 decimals (a silent
 * rounding there would hide a bug upstream), and `Money.round` is the one way
 * to turn an exact computation (e.g. net x rate) into an amount. It rounds
 * half-up in the commercial sense: ties go away from zero, so 0.005 -> 0.01
 * and -0.005 -> -0.01, which keeps a credit note the mirror of its invoice.
 */
import { Decimal } from 'decimal.js';
import { ValidationError } from './errors.ts';

export type Currency = 'CHF' | 'EUR';

export const CURRENCIES = ['CHF', 'EUR'] as const satisfies readonly Currency[];

export function isCurrency(x: string): x is Currency {
  return (CURRENCIES as readonly string[]).includes(x);
}

/**
 * A private constructor so that no other module's Decimal.set() can change how
 * money rounds. 40 significant digits leave room for any amount times a rate
 * without intermediate rounding.
 */
const D = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });

const SCALE = 2;

/** Plain decimal notation only: exponents, hex and "Infinity" are not amounts. */
const DECIMAL_STRING = /^[+-]?\d+(\.\d+)?$/;

function toDecimal(value: string | Decimal, what: string): Decimal {
  if (typeof value === 'string') {
    if (!DECIMAL_STRING.test(value)) throw new ValidationError(`${what} is not a decimal number: "${value}"`, 'invalid_amount');
    return new D(value);
  }
  if (!Decimal.isDecimal(value) || !value.isFinite()) {
    throw new ValidationError(`${what} is not a finite decimal number: ${String(value)}`, 'invalid_amount');
  }
  return new D(value);
}

function assertCurrency(currency: string): asserts currency is Currency {
  if (!isCurrency(currency)) throw new ValidationError(`unsupported currency: ${currency}`, 'invalid_currency');
}

export class Money {
  readonly amount: Decimal;
  readonly currency: Currency;

  private constructor(amount: Decimal, currency: Currency) {
    assertCurrency(currency);
    // -0 would print as "-0.00" on some paths and compare oddly; there is one zero.
    this.amount = amount.isZero() ? new D(0) : amount;
    this.currency = currency;
    Object.freeze(this);
  }

  /** An exact amount; more than 2 decimals is an error, never rounded. */
  static of(value: string | Decimal, currency: Currency): Money {
    const d = toDecimal(value, 'amount');
    if (d.decimalPlaces() > SCALE) {
      throw new ValidationError(`amount has more than ${SCALE} decimals: ${d.toString()}`, 'invalid_amount');
    }
    return new Money(d, currency);
  }

  /** Rounds an exact result to the cent, ties away from zero (commercial rounding). */
  static round(value: Decimal | string, currency: Currency): Money {
    return new Money(toDecimal(value, 'value').toDecimalPlaces(SCALE, Decimal.ROUND_HALF_UP), currency);
  }

  static zero(currency: Currency): Money {
    return new Money(new D(0), currency);
  }

  /** For payment-provider boundaries only, which count in integer cents. */
  static fromMinorUnits(n: number, currency: Currency): Money {
    if (!Number.isSafeInteger(n)) throw new ValidationError(`minor units must be a safe integer: ${n}`, 'invalid_amount');
    return new Money(new D(n).dividedBy(100), currency);
  }

  /** The sum of an empty list is zero, hence the explicit currency. */
  static sum(list: readonly Money[], currency: Currency): Money {
    return list.reduce((acc, m) => acc.plus(m), Money.zero(currency));
  }

  plus(other: Money): Money {
    this.assertSameCurrency(other);
    return new Money(this.amount.plus(other.amount), this.currency);
  }

  minus(other: Money): Money {
    this.assertSameCurrency(other);
    return new Money(this.amount.minus(other.amount), this.currency);
  }

  /** Multiplies by a whole quantity; fractional factors must go through `Money.round`. */
  times(n: number): Money {
    if (!Number.isSafeInteger(n)) throw new ValidationError(`quantity must be a safe integer: ${n}`, 'invalid_quantity');
    return new Money(this.amount.times(n), this.currency);
  }

  negate(): Money {
    return new Money(this.amount.negated(), this.currency);
  }

  isZero(): boolean {
    return this.amount.isZero();
  }

  isNegative(): boolean {
    return this.amount.isNegative() && !this.amount.isZero();
  }

  isPositive(): boolean {
    return this.amount.isPositive() && !this.amount.isZero();
  }

  gt(other: Money): boolean {
    this.assertSameCurrency(other);
    return this.amount.greaterThan(other.amount);
  }

  gte(other: Money): boolean {
    this.assertSameCurrency(other);
    return this.amount.greaterThanOrEqualTo(other.amount);
  }

  lt(other: Money): boolean {
    this.assertSameCurrency(other);
    return this.amount.lessThan(other.amount);
  }

  lte(other: Money): boolean {
    this.assertSameCurrency(other);
    return this.amount.lessThanOrEqualTo(other.amount);
  }

  /** Different currencies are simply unequal: asking is not a bug, adding them is. */
  equals(other: Money): boolean {
    return this.currency === other.currency && this.amount.equals(other.amount);
  }

  min(other: Money): Money {
    return this.lte(other) ? this : other;
  }

  max(other: Money): Money {
    return this.gte(other) ? this : other;
  }

  /** "12.30": fixed 2 decimals, no currency, the storage and JSON form. */
  toString(): string {
    return this.amount.toFixed(SCALE);
  }

  toJSON(): string {
    return this.toString();
  }

  /** "CHF 12.30" */
  format(): string {
    return `${this.currency} ${this.toString()}`;
  }

  toMinorUnits(): number {
    const minor = this.amount.times(100);
    const n = Number(minor.toFixed(0));
    if (!Number.isSafeInteger(n)) {
      throw new ValidationError(`amount too large for minor units: ${this.format()}`, 'invalid_amount');
    }
    return n;
  }

  private assertSameCurrency(other: Money): void {
    if (other.currency !== this.currency) {
      throw new ValidationError(`currency mismatch: ${this.currency} and ${other.currency}`, 'currency_mismatch');
    }
  }
}
