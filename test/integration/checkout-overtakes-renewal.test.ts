import { describe, expect, it } from 'vitest';
import { drainQueues, runNight } from '../../functions/local-runtime.ts';
import { Money } from '../../shared/domain/money.ts';
import { renewalAttemptId } from '../../shared/domain/product.ts';
import type { BillingStore, Change, PaymentAttempt } from '../../shared/ports/billing-store.ts';
import type { Actor } from '../../shared/use-cases/actor.ts';
import { getCheckout, startCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { settleCheckout } from '../../shared/use-cases/checkout/settle-checkout.ts';
import { aProduct, anOrg, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

// A customer pays a product by hand while the night's automatic charge for it is in flight:
// the customer's payment wins, the automatic charge is given back whole, one period is added.
const db = useDynamoDbLocal();

const owner = (orgId: string): Actor => ({ kind: 'user', userId: `owner-${orgId}` });

type Rt = Awaited<ReturnType<typeof runtime>>;

async function setUp(rt: Rt, id: string) {
  const { org, method } = await anOrg(rt, { method: 'pm_card_visa' });
  await aProduct(rt, org.id, { id, expiry: '2026-12-31', paymentMethodId: method!.id });
  const product = (await rt.store.getProduct(org.id, id))!;
  const attempt: PaymentAttempt = {
    id: renewalAttemptId(product),
    orgId: org.id,
    productId: id,
    periodStart: product.expiry,
    attempt: 1,
    night: '2026-12-17',
    idempotencyKey: `renewal/${renewalAttemptId(product)}`,
    currency: 'CHF',
    total: '14.05',
    balancePart: '0.00',
    chargePart: '14.05',
    paymentMethodId: method!.id,
    status: 'pending',
    createdAt: '2026-12-17T02:00:00.000Z',
  };
  // What the night's worker writes before it calls the provider (pay-renewal's hold).
  const hold: Change[] = [
    { type: 'attempt', attempt, expectedStatus: null },
    { type: 'productUnchanged', orgId: org.id, productId: id, version: product.version },
  ];
  return { org, product, attempt, hold };
}

async function expectOnePeriodPaidByTheCustomer(rt: Rt, orgId: string, productId: string, attempt: PaymentAttempt, checkoutId: string) {
  expect(await getCheckout(rt.deps, orgId, checkoutId, owner(orgId))).toMatchObject({ status: 'paid', invoiceNumber: 'INV-CH-2026-000001' });
  expect((await rt.store.getProduct(orgId, productId))!.expiry).toBe('2027-12-31');
  expect(await rt.store.getAttempt(orgId, attempt.id)).toMatchObject({ status: 'failed', failureCode: 'superseded_by_checkout' });
  const automatic = (await rt.sandbox.findChargeByAttempt(attempt.id))!;
  expect(automatic.paymentRef).toBeDefined();
  const state = (await rt.gateway.getPayment(automatic.paymentRef!))!;
  expect(state.amountRefunded.toString()).toBe(state.amountReceived.toString());
  const payments = await rt.store.listPayments(orgId);
  // The automatic charge booked in and out, naming the checkout that overtook it; the customer's payment on the invoice.
  const ofAutomatic = (p: (typeof payments)[number]) => p.gatewayRef === automatic.paymentRef || p.refundOf === automatic.paymentRef;
  expect(payments.filter(ofAutomatic).map((p) => [p.amount, p.checkoutId, p.invoiceNumber]).sort()).toEqual([
    ['-14.05', checkoutId, undefined],
    ['14.05', checkoutId, undefined],
  ]);
  expect(payments.filter((p) => !ofAutomatic(p)).map((p) => [p.amount, p.invoiceNumber])).toEqual([['14.05', 'INV-CH-2026-000001']]);
  expect((await rt.store.listInvoices(orgId)).map((i) => i.number)).toEqual(['INV-CH-2026-000001']);
}

describe('a checkout overtaking an automatic renewal', () => {
  it('gives back an automatic charge that went through before the worker died', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-17' });
    const { org, attempt, hold } = await setUp(rt, 'died');
    // The customer opens a checkout; the night then starts its own attempt and charges.
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'died' }], method: 'card', requestId: 'req-died-0001' }, owner(org.id));
    await rt.store.commit(hold);
    await rt.sandbox.charge({
      orgId: org.id,
      paymentMethodRef: 'pm_card_visa',
      amount: Money.of('14.05', 'CHF'),
      idempotencyKey: attempt.idempotencyKey,
      description: 'Renewal of died.ch',
      metadata: { orgId: org.id, productId: 'died', attemptId: attempt.id, periodStart: attempt.periodStart },
    });

    await rt.sandbox.confirmPayment(view.payment!.paymentRef, 'pm_card_visa');
    await drainQueues(rt);
    await expectOnePeriodPaidByTheCustomer(rt, org.id, 'died', attempt, view.checkoutId);

    // The night's message, retried, finds nothing left to do and charges nothing more.
    const charges = rt.sandbox.calls.length;
    await runNight(rt, '2026-12-17');
    expect(rt.sandbox.calls.length).toBe(charges);
    expect((await rt.store.getProduct(org.id, 'died'))!.expiry).toBe('2027-12-31');
    await rt.close();
  });

  it('sees an attempt held between its look for one and its commit', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-17' });
    const { org, attempt, hold } = await setUp(rt, 'race');
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'race' }], method: 'card', requestId: 'req-race-0001' }, owner(org.id));
    await rt.sandbox.confirmPayment(view.payment!.paymentRef, 'pm_card_visa');

    // The night holds its attempt just before the settlement commits (holding does not move the product's version).
    let held = false;
    const racing: BillingStore = Object.create(rt.store, {
      commit: {
        value: async (changes: Change[]) => {
          if (!held && changes.some((c) => c.type === 'noPendingAttempt')) {
            held = true;
            await rt.store.commit(hold);
          }
          return rt.store.commit(changes);
        },
      },
    });
    expect(await settleCheckout({ ...rt.deps, store: racing }, org.id, view.checkoutId)).toBe('paid');
    expect(held).toBe(true);
    await drainQueues(rt);
    await expectOnePeriodPaidByTheCustomer(rt, org.id, 'race', attempt, view.checkoutId);

    // The night's worker then charges with the attempt's key: the provider answers with the refunded
    // charge, the attempt is no longer pending, and the product is no longer due.
    await runNight(rt, '2026-12-17');
    expect((await rt.store.getProduct(org.id, 'race'))!.expiry).toBe('2027-12-31');
    expect((await rt.store.listInvoices(org.id))).toHaveLength(1);
    await rt.close();
  });
});
