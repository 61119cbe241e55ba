import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { drainQueues, runNight, type LocalRuntime } from '../../functions/local-runtime.ts';
import { Money } from '../../shared/domain/money.ts';
import type { Actor } from '../../shared/use-cases/actor.ts';
import { getCheckout } from '../../shared/use-cases/checkout/get-checkout.ts';
import { startCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { startTopUp } from '../../shared/use-cases/checkout/start-top-up.ts';
import { aProduct, anOrg, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

// Refunds made at the provider (its dashboard, a dispute) arrive as the payment's refunded *total*:
// each is booked for the part not booked yet, whatever the number, order or day of the deliveries.
const db = useDynamoDbLocal();

const owner = (orgId: string): Actor => ({ kind: 'user', userId: `owner-${orgId}` });

type Rt = Awaited<ReturnType<typeof runtime>>;

const sum = (amounts: string[]) => amounts.reduce((s, a) => s.plus(a), new Decimal(0)).toFixed(2);

async function ledgerSum(rt: LocalRuntime, orgId: string) {
  return sum((await rt.store.listLedger(orgId)).map((e) => e.amount));
}

async function refundsOf(rt: LocalRuntime, orgId: string, paymentRef: string) {
  return (await rt.store.listPayments(orgId)).filter((p) => p.refundOf === paymentRef).map((p) => p.amount);
}

async function dashboardRefund(rt: Rt, paymentRef: string, amount: string, key: string) {
  await rt.sandbox.refund({ paymentRef, amount: Money.of(amount, 'CHF'), idempotencyKey: key, metadata: {} });
  await drainQueues(rt);
}

/** Stripe delivers an event again (a retry, or days later): the engine re-reads the payment and must book nothing. */
async function deliverAgain(rt: Rt, paymentRef: string) {
  await rt.sandbox.simulateEvent('charge.refunded', { id: `ch_${paymentRef}`, object: 'charge', payment_intent: paymentRef });
  await drainQueues(rt);
}

describe('refunds made at the provider', () => {
  it('books two partial refunds of a checkout by their difference, each with a credit note, then the rest', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org } = await anOrg(rt);
    await aProduct(rt, org.id, { id: 'thirds', expiry: '2026-12-31', autoRenew: false });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'thirds', periodMonths: 36 }], method: 'card', requestId: 'req-thirds-01' }, owner(org.id));
    const ref = view.payment!.paymentRef;
    await rt.sandbox.confirmPayment(ref, 'pm_card_visa');
    await drainQueues(rt);
    expect(view.amountDue).toBe('42.16');

    await dashboardRefund(rt, ref, '14.05', 'dash-1');
    await dashboardRefund(rt, ref, '14.05', 'dash-2');
    expect((await rt.gateway.getPayment(ref))!.amountRefunded.toString()).toBe('28.10');
    expect((await refundsOf(rt, org.id, ref)).sort()).toEqual(['-14.05', '-14.05']);
    expect((await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).status).toBe('paid');

    // The first event again, on a later day: the provider now says 28.10 in all, all of it booked.
    rt.clock.day = '2026-12-14';
    await deliverAgain(rt, ref);
    expect(await refundsOf(rt, org.id, ref)).toHaveLength(2);

    await dashboardRefund(rt, ref, '14.06', 'dash-3');
    await deliverAgain(rt, ref);
    expect(sum(await refundsOf(rt, org.id, ref))).toBe('-42.16');
    // Each part credited by a note of its own (VAT corrected with it), the last one reversing all that was left.
    expect(await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).toMatchObject({ status: 'refunded', creditNoteNumber: 'CN-CH-2026-000003' });
    const documents = await rt.store.listInvoices(org.id);
    const notes = documents.filter((i) => i.series === 'CN');
    expect(notes.map((n) => [n.number, n.total, n.payments])).toEqual([
      ['CN-CH-2026-000001', '-14.05', [{ method: 'card', amount: '-14.05', ref }]],
      ['CN-CH-2026-000002', '-14.05', [{ method: 'card', amount: '-14.05', ref }]],
      ['CN-CH-2026-000003', '-14.06', [{ method: 'card', amount: '-14.06', ref }]],
    ]);
    expect(
      (await rt.store.listPayments(org.id))
        .filter((p) => p.refundOf === ref)
        .map((p) => p.invoiceNumber)
        .sort(),
    ).toEqual(notes.map((n) => n.number));
    for (const field of ['total', 'totalNet', 'totalVat'] as const) expect(sum(documents.map((d) => d[field]))).toBe('0.00');
    await rt.close();
  });

  it('gives back what the balance paid when a checkout paid partly from it is refunded in full at the provider', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org } = await anOrg(rt, { balance: '5.00' });
    await aProduct(rt, org.id, { id: 'mixed', expiry: '2026-12-31', autoRenew: false });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'mixed' }], method: 'card', requestId: 'req-mixed-01' }, owner(org.id));
    expect(view).toMatchObject({ balanceUsed: '5.00', amountDue: '9.05' });
    await rt.sandbox.confirmPayment(view.payment!.paymentRef, 'pm_card_visa');
    await drainQueues(rt);

    await dashboardRefund(rt, view.payment!.paymentRef, '9.05', 'mixed-dash');
    expect(await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).toMatchObject({ status: 'refunded', creditNoteNumber: 'CN-CH-2026-000001' });
    const note = (await rt.store.listInvoices(org.id)).find((i) => i.series === 'CN')!;
    expect([note.total, note.payments]).toEqual([
      '-14.05',
      [
        { method: 'balance', amount: '-5.00' },
        { method: 'card', amount: '-9.05', ref: view.payment!.paymentRef },
      ],
    ]);
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('5.00');
    expect(await ledgerSum(rt, org.id)).toBe('5.00');
    await rt.close();
  });

  it('books the same refund once when two workers take its event at the same time', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10', duplicateDeliveries: true });
    const { org } = await anOrg(rt);
    await aProduct(rt, org.id, { id: 'twice', expiry: '2026-12-31', autoRenew: false });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'twice' }], method: 'card', requestId: 'req-twice-01' }, owner(org.id));
    const ref = view.payment!.paymentRef;
    await rt.sandbox.confirmPayment(ref, 'pm_card_visa');
    await drainQueues(rt);
    await rt.sandbox.refund({ paymentRef: ref, amount: Money.of('4.00', 'CHF'), idempotencyKey: 'dash-a', metadata: {} });
    await rt.sandbox.refund({ paymentRef: ref, amount: Money.of('3.00', 'CHF'), idempotencyKey: 'dash-b', metadata: {} });
    // Four deliveries (two events, each twice) settled concurrently.
    await Promise.all([drainQueues(rt), drainQueues(rt), deliverAgain(rt, ref)]);
    expect(sum(await refundsOf(rt, org.id, ref))).toBe('-7.00');
    await rt.close();
  });

  it('takes a top-up given back at the provider off the balance, below zero if it was spent', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org } = await anOrg(rt);
    const top = await startTopUp(rt.deps, org.id, { amount: '100.00', method: 'card', requestId: 'topup-refund-1' }, owner(org.id));
    const ref = top.payment!.paymentRef;
    await rt.sandbox.confirmPayment(ref, 'pm_card_visa');
    await drainQueues(rt);
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('100.00');

    await dashboardRefund(rt, ref, '30.00', 'top-dash-1');
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('70.00');
    await deliverAgain(rt, ref);
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('70.00');

    // Spent on a renewal paid from the balance, then the rest of the deposit refunded: the balance owes it.
    await aProduct(rt, org.id, { id: 'spent', expiry: '2026-12-31' });
    await runNight(rt, '2026-12-17');
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('55.95');
    await dashboardRefund(rt, ref, '70.00', 'top-dash-2');
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('-14.05');
    expect(await ledgerSum(rt, org.id)).toBe('-14.05');
    expect(sum(await refundsOf(rt, org.id, ref))).toBe('-100.00');
    expect((await getCheckout(rt.deps, org.id, top.checkoutId, owner(org.id))).status).toBe('refunded');

    // A debt is not spendable: the next night's renewal is not taken from it.
    await aProduct(rt, org.id, { id: 'next', expiry: '2027-01-05', autoRenew: true });
    await runNight(rt, '2026-12-22');
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('-14.05');
    await rt.close();
  });

  it('books partial refunds of an automatic renewal charge by their difference', async () => {
    const rt = await runtime(db.endpoint());
    const { org, method } = await anOrg(rt, { method: 'pm_card_visa' });
    await aProduct(rt, org.id, { id: 'auto', expiry: '2026-12-31', paymentMethodId: method!.id });
    await runNight(rt, '2026-12-17');
    const [charge] = await rt.store.listPayments(org.id);
    expect(charge).toMatchObject({ amount: '14.05', method: 'card' });
    const ref = charge!.gatewayRef!;

    await dashboardRefund(rt, ref, '5.00', 'ren-dash-1');
    await dashboardRefund(rt, ref, '5.00', 'ren-dash-2');
    await deliverAgain(rt, ref);
    expect((await refundsOf(rt, org.id, ref)).sort()).toEqual(['-5.00', '-5.00']);
    expect((await rt.store.listInvoices(org.id)).filter((i) => i.series === 'CN').map((n) => n.total)).toEqual(['-5.00', '-5.00']);

    await dashboardRefund(rt, ref, '4.05', 'ren-dash-3');
    expect(sum(await refundsOf(rt, org.id, ref))).toBe('-14.05');
    const documents = await rt.store.listInvoices(org.id);
    expect(documents.filter((i) => i.series === 'CN').map((n) => n.payments)).toEqual([
      [{ method: 'card', amount: '-5.00', ref }],
      [{ method: 'card', amount: '-5.00', ref }],
      [{ method: 'card', amount: '-4.05', ref }],
    ]);
    for (const field of ['total', 'totalNet', 'totalVat'] as const) expect(sum(documents.map((d) => d[field]))).toBe('0.00');
    await rt.close();
  });
});
