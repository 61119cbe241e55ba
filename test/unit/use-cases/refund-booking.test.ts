import { describe, expect, it } from 'vitest';
import { Money } from '../../../shared/domain/money.ts';
import { WriteConflict } from '../../../shared/ports/unit-of-work.ts';
import type { PaymentRecord } from '../../../shared/domain/records.ts';
import { nextCreditNote, nextRefundRecordId, refundsBooked } from '../../../shared/use-cases/checkout/refund-booking.ts';
import { renewProduct } from '../../../shared/use-cases/renew-product.ts';
import { aProduct, anOrg, runtime } from '../../support/local-stack.ts';

const record = (id: string, amount: string, refundOf?: string): PaymentRecord => ({
  id,
  orgId: 'o',
  date: '2026-12-10',
  method: 'card',
  amount,
  currency: 'CHF',
  gatewayRef: id,
  ...(refundOf ? { refundOf } : {}),
  createdAt: '',
});

describe('refunds already booked for a payment', () => {
  it('sum the records that refund it, as a positive amount, and nothing else', () => {
    const payments = [record('pi_1', '42.16'), record('r1', '-14.05', 'pi_1'), record('r2', '-14.05', 'pi_1'), record('r3', '-5.00', 'pi_2'), record('pi_2', '5.00')];
    expect(refundsBooked(payments, 'pi_1', 'CHF').toString()).toBe('28.10');
    expect(refundsBooked(payments, 'pi_2', 'CHF').toString()).toBe('5.00');
    expect(refundsBooked(payments, 'pi_3', 'CHF').toString()).toBe('0.00');
  });

  it('name the next record after the total booked before it, in minor units', () => {
    expect(nextRefundRecordId('pi_1', Money.of('0.00', 'CHF'))).toBe('refund-pi_1-after-0');
    expect(nextRefundRecordId('pi_1', Money.of('28.10', 'CHF'))).toBe('refund-pi_1-after-2810');
  });
});

describe('the next credit note of an invoice', () => {
  async function invoiced() {
    const rt = await runtime('memory', { today: '2026-12-17' });
    await anOrg(rt, { id: 'acme', balance: '50.00' });
    await aProduct(rt, 'acme', { id: 'dom', expiry: '2026-12-31' });
    await renewProduct(rt.deps, { orgId: 'acme', productId: 'dom', night: '2026-12-17' });
    const [invoice] = await rt.store.listInvoices('acme');
    expect(invoice).toMatchObject({ number: 'INV-CH-2026-000001', total: '14.05' });
    return { rt, invoice: invoice! };
  }

  it('credits a part, then exactly the rest, numbered in turn in the CN series', async () => {
    const { rt, invoice } = await invoiced();
    const first = await nextCreditNote(rt.deps, invoice, '2026-12-20', Money.of('5.00', 'CHF'), [{ method: 'card', amount: Money.of('5.00', 'CHF'), ref: 're_1' }]);
    expect(first).toMatchObject({
      number: 'CN-CH-2026-000001',
      series: 'CN',
      sequence: 1,
      issueDate: '2026-12-20',
      refersTo: invoice.number,
      total: '-5.00',
      payments: [{ method: 'card', amount: '-5.00', ref: 're_1' }],
    });
    await rt.store.commit([{ type: 'invoice', invoice: first }]);
    const rest = await nextCreditNote(rt.deps, invoice, '2026-12-21', 'rest', [{ method: 'balance', amount: Money.of('9.05', 'CHF') }]);
    expect(rest).toMatchObject({ number: 'CN-CH-2026-000002', sequence: 2, total: '-9.05', payments: [{ method: 'balance', amount: '-9.05' }] });
    await rt.store.commit([{ type: 'invoice', invoice: rest }]);
    // Nothing left to credit: a second booking of the same refund must read again, not credit twice.
    await expect(nextCreditNote(rt.deps, invoice, '2026-12-21', 'rest', [])).rejects.toBeInstanceOf(WriteConflict);
    await expect(nextCreditNote(rt.deps, invoice, '2026-12-21', Money.of('0.01', 'CHF'), [])).rejects.toBeInstanceOf(WriteConflict);
  });

  it('refuses to credit more than is left, or nothing', async () => {
    const { rt, invoice } = await invoiced();
    await expect(nextCreditNote(rt.deps, invoice, '2026-12-20', Money.of('14.06', 'CHF'), [])).rejects.toBeInstanceOf(WriteConflict);
    await expect(nextCreditNote(rt.deps, invoice, '2026-12-20', Money.of('0.00', 'CHF'), [])).rejects.toBeInstanceOf(WriteConflict);
    expect(await nextCreditNote(rt.deps, invoice, '2026-12-20', Money.of('14.05', 'CHF'), [])).toMatchObject({ total: '-14.05' });
  });

  it('counts only the notes of this invoice, and says the conflict is on the invoice', async () => {
    const { rt, invoice } = await invoiced();
    await aProduct(rt, 'acme', { id: 'two', expiry: '2026-12-31' });
    await renewProduct(rt.deps, { orgId: 'acme', productId: 'two', night: '2026-12-17' });
    const other = (await rt.store.findInvoice('INV-CH-2026-000002'))!;
    await rt.store.commit([{ type: 'invoice', invoice: await nextCreditNote(rt.deps, other, '2026-12-20', Money.of('5.00', 'CHF'), []) }]);
    // The note on the other invoice leaves this one whole.
    expect(await nextCreditNote(rt.deps, invoice, '2026-12-20', 'rest', [])).toMatchObject({ number: 'CN-CH-2026-000002', refersTo: invoice.number, total: '-14.05' });
    await expect(nextCreditNote(rt.deps, invoice, '2026-12-20', Money.of('20.00', 'CHF'), [])).rejects.toMatchObject({ conflicts: ['invoice'] });
  });

  it('numbers a note of the next year in that year, from 1', async () => {
    const { rt, invoice } = await invoiced();
    expect(await nextCreditNote(rt.deps, invoice, '2027-01-02', 'rest', [])).toMatchObject({ number: 'CN-CH-2027-000001', year: 2027 });
  });
});
