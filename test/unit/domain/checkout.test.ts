import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertChargeable,
  assertCheckoutMethod,
  checkoutExpiryDays,
  checkoutLine,
  holdsItsProducts,
  paymentCovers,
  splitPayment,
  type Checkout,
  type CheckoutStatus,
} from '../../../shared/domain/checkout.ts';
import { creditNoteFor, creditNoteForPart, toInvoice, uncredited, type Invoice } from '../../../shared/domain/invoice.ts';
import { Money } from '../../../shared/domain/money.ts';
import type { Organisation } from '../../../shared/domain/organisation.ts';
import { priceInvoice } from '../../../shared/domain/pricing.ts';
import { DEFAULT_SELLER } from '../../support/sample-config.ts';

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

describe('which methods each purpose and currency take, all of them', () => {
  it('follows the published table', () => {
    // Renewals: every method in CHF; in EUR all but PostFinance and Twint. Top-ups: card, PostFinance (CHF) and transfer.
    const allowed = (method: Parameters<typeof assertCheckoutMethod>[0], currency: 'CHF' | 'EUR', purpose: Checkout['purpose']) => {
      try {
        assertCheckoutMethod(method, currency, purpose);
        return true;
      } catch {
        return false;
      }
    };
    const methods = ['card', 'postfinance', 'twint', 'paypal', 'iban', 'balance'] as const;
    const table = Object.fromEntries(
      methods.map((m) => [m, [allowed(m, 'CHF', 'renewal'), allowed(m, 'EUR', 'renewal'), allowed(m, 'CHF', 'top-up'), allowed(m, 'EUR', 'top-up')]]),
    );
    expect(table).toEqual({
      card: [true, true, true, true],
      postfinance: [true, false, true, false],
      twint: [true, false, false, false],
      paypal: [true, true, false, false],
      iban: [true, true, true, true],
      balance: [true, true, false, false],
    });
  });

  it('says why, with a code', () => {
    const refusal = (f: () => void) => {
      try {
        f();
      } catch (err) {
        return [(err as Error).message, (err as { code?: string }).code];
      }
      return [];
    };
    expect(refusal(() => assertCheckoutMethod('balance', 'CHF', 'top-up'))).toEqual(['A top-up cannot be paid from the balance itself', 'method_not_allowed']);
    expect(refusal(() => assertCheckoutMethod('twint', 'CHF', 'top-up'))).toEqual([
      'Prepaid balance top-ups are paid by card, PostFinance (CHF) or bank transfer',
      'method_not_allowed',
    ]);
    expect(refusal(() => splitPayment(chf('10.00'), chf('9.99'), false, 'balance'))).toEqual([
      'The prepaid balance (CHF 9.99) does not cover CHF 10.00; choose a method for the remaining CHF 0.01',
      'insufficient_balance',
    ]);
    expect(refusal(() => assertChargeable(chf('0.49')))).toEqual([
      "The amount left to pay (CHF 0.49) is below the provider's minimum of 0.50; top up the balance or pay without it",
      'amount_too_small',
    ]);
  });

  it('takes the balance for a balance-only checkout even when "use my balance" is off', () => {
    const { balancePart, chargePart } = splitPayment(chf('10.00'), chf('12.00'), false, 'balance');
    expect([balancePart.toString(), chargePart.toString()]).toEqual(['10.00', '0.00']);
  });
});

describe('a checkout and its products', () => {
  const base = { id: 'co', orgId: 'o', currency: 'CHF', chargePart: '37.16' } as unknown as Checkout;

  it('holds its products while it waits for the money or is held, not once it is over', () => {
    const holds: Record<CheckoutStatus, boolean> = { awaiting_payment: true, held: true, paid: false, canceled: false, refunding: false, refunded: false };
    for (const [status, expected] of Object.entries(holds)) expect(holdsItsProducts({ status: status as CheckoutStatus }), status).toBe(expected);
  });

  it('is settled only by exactly what it asked, in its currency', () => {
    expect(paymentCovers(base, chf('37.16'))).toBe(true);
    expect(paymentCovers(base, chf('37.15'))).toBe(false);
    expect(paymentCovers(base, chf('37.17'))).toBe(false);
    expect(paymentCovers(base, Money.of('37.16', 'EUR'))).toBe(false);
  });

  it('gives the quote, the pro-forma and the invoice the same line, with the partner discount fixed at the quote', () => {
    const item = { productId: 'p1', productName: 'acme.ch', typeId: 'domain-ch', periodMonths: 24, kind: 'renewal' as const, unitPrice: '13.00', quantity: 2 };
    expect(checkoutLine({ currency: 'CHF' }, item)).toEqual({ description: 'acme.ch (24 months)', productId: 'p1', unitPrice: chf('13.00'), quantity: 2 });
    const withPeriod = checkoutLine({ currency: 'CHF', discountPercent: '12.5' }, item, { from: '2026-12-31', to: '2028-12-31' });
    expect(withPeriod).toMatchObject({ periodFrom: '2026-12-31', periodTo: '2028-12-31', quantity: 2 });
    expect(withPeriod.discountPercent?.toString()).toBe('12.5');
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

  const ids = (sequence: number) => ({ seller: DEFAULT_SELLER, year: 2026, sequence });
  const sumOf = (docs: Invoice[], field: 'total' | 'totalNet' | 'totalVat') => docs.reduce((acc, d) => acc.plus(Money.of(d[field], 'CHF')), chf('0'));

  it('credits part of an invoice over its lines in proportion, VAT out of each part, then exactly the rest', () => {
    // 14.05 + 128.42 = 142.47; a refund of 50.00 first.
    expect([invoice.lines[0]!.gross, invoice.lines[1]!.gross, invoice.total]).toEqual(['14.05', '128.42', '142.47']);
    const first = creditNoteForPart(invoice, [], ids(1), '2026-12-20', chf('50.00'), [{ method: 'card', amount: chf('50.00'), ref: 're_1' }]);
    expect(first).toMatchObject({ number: 'CN-CH-2026-000001', refersTo: invoice.number, total: '-50.00', payments: [{ method: 'card', amount: '-50.00', ref: 're_1' }] });
    // 50.00 x 14.05 / 142.47 = 4.93; the rest 45.07; VAT 8.1/108.1 of each.
    expect(first.lines.map((l) => [l.gross, l.net, l.vat, l.quantity, l.unitPrice])).toEqual([
      ['-4.93', '-4.56', '-0.37', -1, '4.56'],
      ['-45.07', '-41.69', '-3.38', -1, '41.69'],
    ]);
    expect(first.vatBreakdown).toEqual([{ rate: '8.1', net: '-46.25', vat: '-3.75' }]);
    expect([first.totalNet, first.totalVat]).toEqual(['-46.25', '-3.75']);
    expect(uncredited(invoice, [first]).total.toString()).toBe('92.47');

    const rest = creditNoteForPart(invoice, [first], ids(2), '2026-12-21', chf('92.47'), [{ method: 'card', amount: chf('92.47') }]);
    for (const field of ['total', 'totalNet', 'totalVat'] as const) expect(sumOf([invoice, first, rest], field).isZero()).toBe(true);
    invoice.lines.forEach((l, i) => {
      for (const f of ['net', 'vat', 'gross'] as const) {
        expect(Money.of(l[f], 'CHF').plus(Money.of(first.lines[i]![f], 'CHF')).plus(Money.of(rest.lines[i]![f], 'CHF')).isZero()).toBe(true);
      }
    });
    expect(() => creditNoteForPart(invoice, [first, rest], ids(3), '2026-12-22', chf('0.01'), [])).toThrow(/0.00 is not credited yet/);
  });

  it('nets an invoice and any sequence of partial credit notes to zero, every part consistent', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 6 }), (cuts) => {
        const notes: Invoice[] = [];
        for (const cut of cuts) {
          const left = uncredited(invoice, notes).total;
          if (left.isZero()) break;
          const amount = Money.fromMinorUnits(cut, 'CHF').min(left);
          notes.push(creditNoteForPart(invoice, notes, ids(notes.length + 1), '2026-12-20', amount, []));
        }
        const left = uncredited(invoice, notes).total;
        if (left.isPositive()) notes.push(creditNoteForPart(invoice, notes, ids(notes.length + 1), '2026-12-20', left, []));
        for (const field of ['total', 'totalNet', 'totalVat'] as const) expect(sumOf([invoice, ...notes], field).isZero()).toBe(true);
        for (const n of notes) {
          n.lines.forEach((l) => expect(Money.of(l.net, 'CHF').plus(Money.of(l.vat, 'CHF')).equals(Money.of(l.gross, 'CHF'))).toBe(true));
          expect(
            sumOf([n], 'totalNet')
              .plus(sumOf([n], 'totalVat'))
              .equals(Money.of(n.total, 'CHF')),
          ).toBe(true);
        }
      }),
      { seed: 20261125, numRuns: 200 },
    );
  });
});
