import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { chfEquivalentOf, declaresInChf } from '../../../shared/domain/exchange-rates.ts';
import { creditNoteFor, toInvoice } from '../../../shared/domain/invoice.ts';
import { Money } from '../../../shared/domain/money.ts';
import type { Organisation } from '../../../shared/domain/organisation.ts';
import { priceInvoice } from '../../../shared/domain/pricing.ts';
import { DEFAULT_SELLER } from '../../support/sample-config.ts';

// Every expected figure is worked out by hand in the comment beside it.
const buyer: Organisation = { id: 'it', name: 'Rossi', currency: 'EUR', country: 'IT', balance: '0.00', billingContacts: [], createdAt: '2026-01-01T00:00:00Z' };
const rate = { currency: 'EUR' as const, period: '2027-01', chf: '0.9412' };

function twoLines() {
  // An Italian consumer's two lines at 22 %: EUR 19.99 and 10.01, 30.00 in all, VAT 4.40 + 2.20 = 6.60.
  const priced = priceInvoice(
    [
      { description: 'Hosting', unitPrice: Money.of('19.99', 'EUR'), quantity: 1 },
      { description: 'Mail', unitPrice: Money.of('10.01', 'EUR'), quantity: 1 },
    ],
    { kind: 'eu-b2c', rate: new Decimal('22'), country: 'IT' },
    'EUR',
  );
  return priced;
}

describe('CHF equivalents of a Swiss seller’s documents in another currency (R-50)', () => {
  it('is asked of Swiss and Liechtenstein sellers for documents not in CHF only', () => {
    expect(declaresInChf('CH', 'EUR')).toBe(true);
    expect(declaresInChf('LI', 'EUR')).toBe(true);
    expect(declaresInChf('CH', 'CHF')).toBe(false);
    expect(declaresInChf('DE', 'EUR')).toBe(false);
  });

  it('converts row by row, rounding each to the cent half away from zero, the totals the sum of the rows', () => {
    // 100.05 × 0.9412 = 94.16706 → 94.17; 8.11 × 0.9412 = 7.633132 → 7.63; 50.00 → 47.06; 1.25 × 0.9412 = 1.1765 → 1.18.
    const chf = chfEquivalentOf(
      [
        { rate: '8.1', net: '100.05', vat: '8.11' },
        { rate: '2.6', net: '50.00', vat: '1.25' },
      ],
      rate,
    );
    expect(chf).toEqual({
      rate: '0.9412',
      ratePeriod: '2027-01',
      vatBreakdown: [
        { rate: '8.1', net: '94.17', vat: '7.63' },
        { rate: '2.6', net: '47.06', vat: '1.18' },
      ],
      totalNet: '141.23',
      totalVat: '8.81',
    });
    // A credit note's negative amounts round the same way, away from zero: −1.25 → −1.18.
    expect(chfEquivalentOf([{ rate: '2.6', net: '-50.00', vat: '-1.25' }], rate).totalVat).toBe('-1.18');
  });

  it("gives an invoice its CHF VAT from the seller's rate at issue, and its full credit note the same figures negated", () => {
    const priced = twoLines();
    const invoice = toInvoice(priced, { series: 'INV', seller: DEFAULT_SELLER, year: 2027, sequence: 1 }, buyer, '2027-01-15', [], { chfRate: rate });
    expect(invoice.vatBreakdown).toEqual([{ rate: '22', net: '30.00', vat: '6.60' }]);
    // 30.00 × 0.9412 = 28.236 → 28.24; 6.60 × 0.9412 = 6.21192 → 6.21.
    expect(invoice.chf?.vatBreakdown).toEqual([{ rate: '22', net: '28.24', vat: '6.21' }]);
    expect(invoice.chf?.totalVat).toBe('6.21');
    const note = creditNoteFor(invoice, { seller: DEFAULT_SELLER, year: 2027, sequence: 1 }, '2027-03-01', []);
    expect(note.chf).toEqual({
      rate: '0.9412',
      ratePeriod: '2027-01',
      vatBreakdown: [{ rate: '22', net: '-28.24', vat: '-6.21' }],
      totalNet: '-28.24',
      totalVat: '-6.21',
    });
  });

  it("leaves an EU seller's euro invoice and a Swiss seller's CHF invoice without CHF equivalents", () => {
    const eu = { ...DEFAULT_SELLER, id: 'de', country: 'DE' };
    expect(toInvoice(twoLines(), { series: 'INV', seller: eu, year: 2027, sequence: 1 }, buyer, '2027-01-15', [], { chfRate: rate }).chf).toBeUndefined();
    const priced = priceInvoice(
      [{ description: 'Hosting', unitPrice: Money.of('10.00', 'CHF'), quantity: 1 }],
      { kind: 'domestic', rate: new Decimal('8.1'), country: 'CH' },
      'CHF',
    );
    expect(
      toInvoice(priced, { series: 'INV', seller: DEFAULT_SELLER, year: 2027, sequence: 1 }, { ...buyer, currency: 'CHF', country: 'CH' }, '2027-01-15', []).chf,
    ).toBeUndefined();
  });
});
