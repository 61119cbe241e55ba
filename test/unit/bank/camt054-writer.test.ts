import { describe, expect, it } from 'vitest';
import { parseCamt054 } from '../../../shared/adapters/bank/camt054.ts';
import { writeCamt054 } from '../../../shared/adapters/bank/camt054-writer.ts';

describe('writing a camt.054 notification', () => {
  it('writes booked credits the parser reads back exactly', () => {
    const xml = writeCamt054('DEMO-1', '2026-12-14T06:00:00+01:00', [
      {
        id: 'B-1',
        amount: '14.05',
        currency: 'CHF',
        bookingDate: '2026-12-14',
        reference: { type: 'QRR', value: '210000000003139471430009017' },
        debtorName: 'Société Müller',
        account: 'CH4431999123000889012',
      },
      { id: 'B-2', amount: '0.10', currency: 'EUR', bookingDate: '2026-12-14', reference: { type: 'SCOR', value: 'RF18539007547034' }, account: 'CH9300762011623852957' },
      { id: 'B-3', amount: '5.00', currency: 'CHF', bookingDate: '2026-12-14', message: 'merci', account: 'CH9300762011623852957' },
    ]);
    const statement = parseCamt054(xml);
    expect(statement).toMatchObject({ messageId: 'DEMO-1', version: 'camt.054.001.08', ignored: [] });
    expect(statement.credits.map((c) => [c.id, c.amount, c.currency, c.reference?.type, c.reference?.value, c.message])).toEqual([
      ['B-1', '14.05', 'CHF', 'QRR', '210000000003139471430009017', undefined],
      ['B-2', '0.10', 'EUR', 'SCOR', 'RF18539007547034', undefined],
      ['B-3', '5.00', 'CHF', undefined, undefined, 'merci'],
    ]);
    expect(statement.credits[0]!.debtor?.name).toBe('Société Müller');
  });
});
