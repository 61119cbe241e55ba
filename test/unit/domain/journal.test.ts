import { describe, expect, it } from 'vitest';
import { parseRatesFile } from '../../../shared/domain/exchange-rates.ts';
import { creditNoteFor, type Invoice } from '../../../shared/domain/invoice.ts';
import { bookingsOf, DEFAULT_ACCOUNTING, JournalTally } from '../../../shared/domain/journal.ts';
import { Money } from '../../../shared/domain/money.ts';
import { REVERSE_CHARGE_MENTION } from '../../../shared/domain/vat.ts';
import { DEFAULT_SELLER } from '../../support/sample-config.ts';

const RATES = [{ currency: 'EUR' as const, period: '2027-01', chf: '0.9412' }];

/** A one-line document as the engine stores it, its figures given here by hand. */
function doc(over: Partial<Invoice> & Pick<Invoice, 'number' | 'currency' | 'buyer' | 'lines' | 'vatBreakdown' | 'totalNet' | 'totalVat' | 'total' | 'payments'>): Invoice {
  return {
    series: 'INV',
    sellerId: DEFAULT_SELLER.id,
    year: 2027,
    sequence: 1,
    orgId: 'o',
    issueDate: '2027-01-15',
    seller: DEFAULT_SELLER,
    status: 'paid',
    ...over,
  };
}

const line = (net: string, rate: string, vat: string, gross: string) => ({ description: 'example.ch', unitPrice: net, quantity: 1, net, vatRate: rate, vat, gross });

// CHF 13.00 + 8.1 % (1.053 → 1.05) = 14.05, paid from the balance.
const swiss = doc({
  number: 'INV-CH-2027-000001',
  currency: 'CHF',
  buyer: { name: 'Léman Studio', country: 'CH' },
  lines: [line('13.00', '8.1', '1.05', '14.05')],
  vatBreakdown: [{ rate: '8.1', net: '13.00', vat: '1.05' }],
  totalNet: '13.00',
  totalVat: '1.05',
  total: '14.05',
  payments: [{ method: 'balance', amount: '14.05' }],
});
// EUR 13.50, a German business: reverse charge, paid by card.
const german = doc({
  number: 'INV-CH-2027-000002',
  currency: 'EUR',
  buyer: { name: 'Acme GmbH', country: 'DE', vatNumber: 'DE136695976' },
  vatMention: REVERSE_CHARGE_MENTION,
  lines: [line('13.50', '0', '0.00', '13.50')],
  vatBreakdown: [{ rate: '0', net: '13.50', vat: '0.00' }],
  totalNet: '13.50',
  totalVat: '0.00',
  total: '13.50',
  payments: [{ method: 'card', amount: '13.50', ref: 'pi_1' }],
});
// EUR 13.50 + 20 % = 16.20, a French consumer (OSS), 10.00 paid by card, 6.20 open.
const french = doc({
  number: 'INV-CH-2027-000003',
  currency: 'EUR',
  buyer: { name: 'Anne Martin', country: 'FR' },
  lines: [line('13.50', '20', '2.70', '16.20')],
  vatBreakdown: [{ rate: '20', net: '13.50', vat: '2.70' }],
  totalNet: '13.50',
  totalVat: '2.70',
  total: '16.20',
  payments: [{ method: 'card', amount: '10.00', ref: 'pi_2' }],
  amountDue: '6.20',
  status: 'open',
});

describe('the journal of a document', () => {
  it('books net and VAT from receivables, and each payment to them, with the VAT code of its case', () => {
    expect(bookingsOf(swiss, DEFAULT_ACCOUNTING, RATES).map((b) => [b.kind, b.debit, b.credit, b.amount, b.vatCode, b.chf, b.openAmount])).toEqual([
      ['revenue', '1100', '3400', '13.00', 'V81', '13.00', '0.00'],
      ['vat', '1100', '2200', '1.05', 'V81', '1.05', ''],
      ['payment', '2030', '1100', '14.05', '', '14.05', ''],
    ]);
    // 13.50 × 0.9412 = 12.7062 → 12.71 CHF; no VAT booking at 0 %.
    expect(bookingsOf(german, DEFAULT_ACCOUNTING, RATES).map((b) => [b.kind, b.debit, b.credit, b.amount, b.vatCode, b.chf, b.vatCase])).toEqual([
      ['revenue', '1101', '3420', '13.50', 'RC', '12.71', 'reverse-charge'],
      ['payment', '1091', '1101', '13.50', '', '12.71', ''],
    ]);
    // VAT 2.70 × 0.9412 = 2.54124 → 2.54 CHF; 10.00 × 0.9412 = 9.412 → 9.41; 6.20 still open.
    expect(bookingsOf(french, DEFAULT_ACCOUNTING, RATES).map((b) => [b.kind, b.debit, b.credit, b.amount, b.vatCode, b.chf, b.openAmount])).toEqual([
      ['revenue', '1101', '3410', '13.50', 'OSS-FR-20', '12.71', '6.20'],
      ['vat', '1101', '2200', '2.70', 'OSS-FR-20', '2.54', ''],
      ['payment', '1091', '1101', '10.00', '', '9.41', ''],
    ]);
  });

  it('books a credit note the other way round, and nothing for a pro-forma', () => {
    const note = creditNoteFor(swiss, { seller: DEFAULT_SELLER, year: 2027, sequence: 1 }, '2027-01-20', [{ method: 'balance', amount: Money.of('14.05', 'CHF') }]);
    expect(bookingsOf(note, DEFAULT_ACCOUNTING, RATES).map((b) => [b.kind, b.debit, b.credit, b.amount])).toEqual([
      ['revenue', '3400', '1100', '13.00'],
      ['vat', '2200', '1100', '1.05'],
      ['payment', '1100', '2030', '14.05'],
    ]);
    expect(bookingsOf({ ...swiss, series: 'PRO', status: 'open' }, DEFAULT_ACCOUNTING, RATES)).toEqual([]);
  });

  it('takes the codes and accounts of the configuration, and refuses a document without its CHF rate', () => {
    const map = { ...DEFAULT_ACCOUNTING, vatCodes: { 'domestic:8.1': 'UN81', 'reverse-charge': 'V0' } };
    expect(bookingsOf(swiss, map, RATES)[0]!.vatCode).toBe('UN81');
    expect(bookingsOf(german, map, RATES)[0]!.vatCode).toBe('V0');
    expect(() => bookingsOf({ ...german, issueDate: '2027-02-01' }, DEFAULT_ACCOUNTING, RATES)).toThrow(
      "no CHF rate for EUR on 2027-02-01 (document INV-CH-2027-000002): import the month's rate (billing rates import FILE)",
    );
    // A day's rate comes before its month's.
    expect(bookingsOf(german, DEFAULT_ACCOUNTING, [...RATES, { currency: 'EUR', period: '2027-01-15', chf: '0.95' }])[0]!.chf).toBe('12.83');
  });

  it('adds up to balanced accounts: receivables left with what is open, VAT per code what the documents charged', () => {
    const note = creditNoteFor(swiss, { seller: DEFAULT_SELLER, year: 2027, sequence: 1 }, '2027-01-20', [{ method: 'balance', amount: Money.of('14.05', 'CHF') }]);
    const tally = new JournalTally(DEFAULT_ACCOUNTING);
    for (const d of [swiss, german, french, note]) for (const b of bookingsOf(d, DEFAULT_ACCOUNTING, RATES)) tally.add(b);
    const t = tally.result();
    // In CHF: 13.00 + 1.05 + 14.05, 12.71 + 12.71, 12.71 + 2.54 + 9.41, and the note's 13.00 + 1.05 + 14.05 = 106.28.
    expect(t.bookedChf).toBe('106.28');
    // CHF receivables: 13.00 + 1.05 + 14.05 debited, 14.05 + 13.00 + 1.05 credited: nothing open.
    expect(t.accounts['1100 CHF']).toMatchObject({ debit: '28.10', credit: '28.10' });
    // EUR receivables: 13.50 + 13.50 + 2.70 debited, 13.50 + 10.00 credited: the French 6.20 open.
    expect(t.accounts['1101 EUR']).toMatchObject({ debit: '29.70', credit: '23.50' });
    expect(t.vatByCode).toEqual({
      'OSS-FR-20 EUR': { net: '13.50', vat: '2.70', vatChf: '2.54' },
      'RC EUR': { net: '13.50', vat: '0.00', vatChf: '0.00' },
      'V81 CHF': { net: '0.00', vat: '0.00', vatChf: '0.00' },
    });
  });
});

describe('a rates file', () => {
  it('takes the rows it can read and sets the others aside with their line and reason', () => {
    const file = [
      'period,currency,chf',
      '2027-01,EUR,0.9412',
      '2027-13,EUR,0.94',
      '2027-02,USD,0.88',
      '2027-03,EUR,0,94',
      '2027-02-14,EUR,0.9500',
      '',
      '2027-04,EUR,0.93',
      '2027-04,EUR,0.931',
      '2027-01,EUR,0.94120',
    ].join('\n');
    const { rates, rejected } = parseRatesFile(file);
    expect(rates).toEqual([
      { currency: 'EUR', period: '2027-01', chf: '0.9412' },
      { currency: 'EUR', period: '2027-02-14', chf: '0.9500' },
    ]);
    expect(rejected).toEqual([
      { line: 3, text: '2027-13,EUR,0.94', reason: 'period "2027-13" is neither a month (YYYY-MM) nor a day (YYYY-MM-DD)' },
      { line: 4, text: '2027-02,USD,0.88', reason: 'currency "USD" is not one invoices are issued in besides CHF (EUR)' },
      { line: 5, text: '2027-03,EUR,0,94', reason: 'expected 3 fields (period, currency, chf), got 4' },
      { line: 8, text: '2027-04,EUR,0.93', reason: 'EUR 2027-04 is given twice with different rates (0.93, 0.931)' },
      { line: 9, text: '2027-04,EUR,0.931', reason: 'EUR 2027-04 is given twice with different rates (0.93, 0.931)' },
    ]);
    expect(() => parseRatesFile('month;eur\n2027-01;0.94')).toThrow('a rates file starts with the header "period,currency,chf", got "month;eur"');
    expect(parseRatesFile('period;currency;chf\r\n2027-05;EUR;0.9\r\n').rates).toEqual([{ currency: 'EUR', period: '2027-05', chf: '0.9' }]);
  });
});
