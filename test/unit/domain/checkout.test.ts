import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertChargeable, assertCheckoutMethod, checkoutExpiryDays, splitPayment } from '../../../shared/domain/checkout.ts';
import { creditNoteFor, toInvoice } from '../../../shared/domain/invoice.ts';
import { Money } from '../../../shared/domain/money.ts';
import type { Organisation } from '../../../shared/domain/organisation.ts';
import { priceInvoice } from '../../../shared/domain/pricing.ts';
import { DEFAULT_SELLER } from '../../../shared/domain/seller.ts';

const chf = (v: string) => Money.of(v, 'CHF');

describe('splitting a checkout between the balance and a method', () => {
  it('takes the balance first and leaves the rest to the method', () => {
    const { balancePart, chargePart } = splitPayment(chf('42.16'), chf('5.00'), true, 'card');
    expect([balancePart.toString(), chargePart.toString()]).toEqual(['5.00', '37.16']);
  });

  it('leaves the balance alone when the customer does not want to use it', () => {
    const { balancePart, chargePart } = splitPayment(chf('42.16'), chf('500.00'), false, 'card');
    expect([balancePart.toString(), chargePart.toString()]).toEqual(['0.00', '42.16']);
  });

  it('never takes a negative balance and refuses a balance-only payment it cannot cover', () => {
    expect(splitPayment(chf('10.00'), chf('-3.00'), true, 'card').chargePart.toString()).toBe('10.00');
    expect(() => splitPayment(chf('10.00'), chf('9.99'), true, 'balance')).toThrow(/does not cover CHF 10.00; choose a method for the remaining CHF 0.01/);
  });

  it('always adds up to the total, whatever the amounts', () => {
    const cents = fc.integer({ min: 0, max: 10_000_000 }).map((n) => new Decimal(n).dividedBy(100).toFixed(2));
    fc.assert(
      fc.property(cents, cents, fc.boolean(), (total, balance, use) => {
        const { balancePart, chargePart } = splitPayment(chf(total), chf(balance), use, 'card');
        expect(balancePart.plus(chargePart).equals(chf(total))).toBe(true);
        expect(balancePart.isNegative() || chargePart.isNegative()).toBe(false);
        expect(balancePart.lte(chf(balance).max(chf('0')))).toBe(true);
      }),
    );
  });

  it("refuses a rest below the provider's minimum charge", () => {
    expect(() => assertChargeable(chf('0.49'))).toThrow(/below the provider's minimum of 0.50/);
    expect(() => assertChargeable(chf('0.50'))).not.toThrow();
    expect(() => assertChargeable(chf('0.00'))).not.toThrow();
  });
});

describe('methods a checkout may use', () => {
  it('takes PostFinance and Twint in CHF only', () => {
    expect(() => assertCheckoutMethod('postfinance', 'EUR', 'renewal')).toThrow(/PostFinance accepts only invoices in CHF/);
    expect(() => assertCheckoutMethod('twint', 'EUR', 'renewal')).toThrow(/Twint accepts only invoices in CHF/);
    expect(() => assertCheckoutMethod('twint', 'CHF', 'renewal')).not.toThrow();
    expect(() => assertCheckoutMethod('paypal', 'EUR', 'renewal')).not.toThrow();
  });

  it('tops up the balance by card, PostFinance or transfer only, never from itself', () => {
    expect(() => assertCheckoutMethod('card', 'EUR', 'top-up')).not.toThrow();
    expect(() => assertCheckoutMethod('iban', 'EUR', 'top-up')).not.toThrow();
    expect(() => assertCheckoutMethod('paypal', 'CHF', 'top-up')).toThrow(/card, PostFinance \(CHF\) or bank transfer/);
    expect(() => assertCheckoutMethod('balance', 'CHF', 'top-up')).toThrow(/cannot be paid from the balance/);
  });

  it('gives a bank transfer a month and an abandoned card form two days', () => {
    expect(checkoutExpiryDays('iban')).toBe(30);
    expect(checkoutExpiryDays('card')).toBe(2);
  });
});

describe('credit notes', () => {
  const org: Organisation = { id: 'o', name: 'Org', currency: 'CHF', country: 'CH', balance: '0.00', billingContacts: [], createdAt: '' };
  const priced = priceInvoice(
    [
      { description: 'a.ch', productId: 'a', periodFrom: '2026-12-31', periodTo: '2027-12-31', unitPrice: chf('13.00'), quantity: 1 },
      { description: 'hosting', productId: 'b', unitPrice: chf('9.90'), quantity: 12 },
    ],
    { kind: 'domestic', rate: new Decimal('8.1'), country: 'CH' },
    'CHF',
  );
  const invoice = toInvoice(priced, { series: 'INV', seller: DEFAULT_SELLER, year: 2026, sequence: 7 }, org, '2026-12-10', [{ method: 'card', amount: priced.total, ref: 'pi_1' }]);

  it('reverses every line, VAT rate and total, so invoice and credit note net to zero', () => {
    const note = creditNoteFor(invoice, { seller: DEFAULT_SELLER, year: 2026, sequence: 1 }, '2026-12-20', [{ method: 'card', amount: priced.total, ref: 're_1' }]);
    expect(note).toMatchObject({ number: 'CN-CH-2026-000001', series: 'CN', refersTo: 'INV-CH-2026-000007', issueDate: '2026-12-20' });
    expect(Money.of(invoice.total, 'CHF').plus(Money.of(note.total, 'CHF')).isZero()).toBe(true);
    expect(Money.of(invoice.totalVat, 'CHF').plus(Money.of(note.totalVat, 'CHF')).isZero()).toBe(true);
    note.lines.forEach((l, i) => {
      expect(Money.of(l.gross, 'CHF').plus(Money.of(invoice.lines[i]!.gross, 'CHF')).isZero()).toBe(true);
      expect(l.vatRate).toBe(invoice.lines[i]!.vatRate);
    });
    expect(note.payments).toEqual([{ method: 'card', amount: `-${priced.total.toString()}`, ref: 're_1' }]);
  });
});
