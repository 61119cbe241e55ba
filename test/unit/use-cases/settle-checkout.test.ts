import { describe, expect, it } from 'vitest';
import { drainQueues } from '../../../functions/local-runtime.ts';
import { Money } from '../../../shared/domain/money.ts';
import type { PaymentGateway, PaymentState } from '../../../shared/ports/payment-gateway.ts';
import type { Actor } from '../../../shared/use-cases/actor.ts';
import type { CheckoutDeps } from '../../../shared/use-cases/checkout/checkout-deps.ts';
import { checkoutHousekeeping, refundCheckout, releaseHold, settleCheckout } from '../../../shared/use-cases/checkout/settle-checkout.ts';
import { startCheckout } from '../../../shared/use-cases/checkout/start-checkout.ts';
import { startTopUp } from '../../../shared/use-cases/checkout/start-top-up.ts';
import { addPaymentMethod } from '../../../shared/use-cases/manage-organisation.ts';
import { topUpBalance } from '../../../shared/use-cases/top-up-balance.ts';
import { aProduct, anOrg, runtime } from '../../support/local-stack.ts';

// The settlement of checkouts on the in-memory store, every outcome and every record it writes, to the
// field. Figures by hand: a .ch domain is CHF 13.00 a year, 14.05 with 8.1 % VAT (1.053 rounded half-up).

type Rt = Awaited<ReturnType<typeof runtime>>;
const owner = (orgId: string): Actor => ({ kind: 'user', userId: `owner-${orgId}` });
const NOW = (day: string) => `${day}T02:00:00.000Z`;

/** The gateway as the sandbox has it, with some calls answered by the test instead. */
function gatewayWith(rt: Rt, overrides: Partial<PaymentGateway>): PaymentGateway {
  return new Proxy(rt.sandbox, {
    get(target, prop) {
      if (prop in overrides) return overrides[prop as keyof PaymentGateway];
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as PaymentGateway;
}

const state = (paymentRef: string, s: Partial<PaymentState> & Pick<PaymentState, 'status'>): PaymentState => ({
  paymentRef,
  amount: Money.of('9.05', 'CHF'),
  amountReceived: Money.of('0.00', 'CHF'),
  amountRefunded: Money.of('0.00', 'CHF'),
  metadata: {},
  ...s,
});

/** An organisation with CHF 5.00 on its balance and a card checkout of one domain: 5.00 held, 9.05 on the card. */
async function openCardCheckout(rt: Rt, opts: { id: string; identityCheck?: boolean; status?: 'blocked' } = { id: 'x' }) {
  const { org } = await anOrg(rt, { id: opts.id, balance: '5.00' });
  if (opts.identityCheck) await rt.store.commit([{ type: 'identityCheck', orgId: org.id, state: 'required' }]);
  await aProduct(rt, org.id, { id: `${opts.id}-ch`, expiry: '2026-12-31', autoRenew: false });
  const view = await startCheckout(rt.deps, org.id, { items: [{ productId: `${opts.id}-ch` }], method: 'card', requestId: `req-${opts.id}-0001` }, owner(org.id));
  expect(view).toMatchObject({ total: '14.05', balanceUsed: '5.00', amountDue: '9.05' });
  return { orgId: org.id, productId: `${opts.id}-ch`, checkoutId: view.checkoutId, paymentRef: view.payment!.paymentRef };
}

/** The customer confirms in the browser; the webhook is not delivered, so the test settles by hand. */
const paysQuietly = (rt: Rt, paymentRef: string, method = 'pm_card_visa') => rt.sandbox.withoutDelivery(() => rt.sandbox.confirmPayment(paymentRef, method));

/** The ledger by entry id: entries of one instant have no order of their own. */
async function ledger(rt: Rt, orgId: string) {
  return (await rt.store.listLedger(orgId)).sort((a, b) => a.id.localeCompare(b.id));
}

async function emails(rt: Rt, day: string) {
  return rt.store.listOutbox(day);
}

describe('settling a checkout from the state of its payment', () => {
  it('answers not-found, waiting and unchanged, and writes nothing', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const c = await openCardCheckout(rt, { id: 'quiet' });
    expect(await settleCheckout(rt.deps, c.orgId, 'co_none')).toBe('not-found');
    const unknown = { ...rt.deps, gateway: gatewayWith(rt, { getPayment: async () => undefined }) };
    expect(await settleCheckout(unknown, c.orgId, c.checkoutId)).toBe('waiting');
    // Still open at the provider (no failure yet), or processing.
    expect(await settleCheckout(rt.deps, c.orgId, c.checkoutId)).toBe('waiting');
    const processing = { ...rt.deps, gateway: gatewayWith(rt, { getPayment: async (ref) => state(ref, { status: 'processing' }) }) };
    expect(await settleCheckout(processing, c.orgId, c.checkoutId)).toBe('waiting');
    expect((await rt.store.getCheckout(c.orgId, c.checkoutId))!).toMatchObject({ status: 'awaiting_payment', version: 2 });

    // A bank transfer has no provider payment to read.
    const { org } = await anOrg(rt, { id: 'wire' });
    await aProduct(rt, org.id, { id: 'wire-ch', expiry: '2026-12-31', autoRenew: false });
    const iban = await startCheckout(rt.deps, org.id, { items: [{ productId: 'wire-ch' }], method: 'iban', requestId: 'req-wire-0001' }, owner(org.id));
    expect(await settleCheckout(rt.deps, org.id, iban.checkoutId)).toBe('waiting');

    await paysQuietly(rt, c.paymentRef);
    expect(await settleCheckout(rt.deps, c.orgId, c.checkoutId)).toBe('paid');
    expect(await settleCheckout(rt.deps, c.orgId, c.checkoutId)).toBe('unchanged');
    expect((await rt.store.getCheckout(c.orgId, c.checkoutId))!.version).toBe(3);
  });

  it('notes a failure once, with the provider message or a default, and takes a new one', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const c = await openCardCheckout(rt, { id: 'fail' });
    let answer = state(c.paymentRef, { status: 'requires_payment_method', failureCode: 'card_declined' });
    const deps = { ...rt.deps, gateway: gatewayWith(rt, { getPayment: async () => answer }) };
    expect(await settleCheckout(deps, c.orgId, c.checkoutId)).toBe('payment-failed');
    expect((await rt.store.getCheckout(c.orgId, c.checkoutId))!).toMatchObject({ version: 3, lastFailure: { code: 'card_declined', message: 'The payment failed' } });
    // The same failure read again (a duplicate event) writes nothing.
    expect(await settleCheckout(deps, c.orgId, c.checkoutId)).toBe('payment-failed');
    expect((await rt.store.getCheckout(c.orgId, c.checkoutId))!.version).toBe(3);
    answer = state(c.paymentRef, { status: 'requires_payment_method', failureCode: 'card_declined', failureMessage: 'Your card has insufficient funds.' });
    expect(await settleCheckout(deps, c.orgId, c.checkoutId)).toBe('payment-failed');
    expect((await rt.store.getCheckout(c.orgId, c.checkoutId))!).toMatchObject({
      version: 4,
      lastFailure: { code: 'card_declined', message: 'Your card has insufficient funds.' },
    });
    answer = state(c.paymentRef, { status: 'requires_payment_method', failureCode: 'expired_card', failureMessage: 'Your card has insufficient funds.' });
    expect(await settleCheckout(deps, c.orgId, c.checkoutId)).toBe('payment-failed');
    expect((await rt.store.getCheckout(c.orgId, c.checkoutId))!).toMatchObject({ version: 5, lastFailure: { code: 'expired_card' } });

    // Paid with another card at last: the decline is history, not the checkout's state.
    await paysQuietly(rt, c.paymentRef);
    expect(await settleCheckout(rt.deps, c.orgId, c.checkoutId)).toBe('paid');
    expect((await rt.store.getCheckout(c.orgId, c.checkoutId))!.lastFailure).toBeUndefined();
  });

  it('fulfils nothing for a payment of another amount than due, and says what arrived', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const c = await openCardCheckout(rt, { id: 'short' });
    const deps = { ...rt.deps, gateway: gatewayWith(rt, { getPayment: async (ref) => state(ref, { status: 'succeeded', amountReceived: Money.of('9.00', 'CHF') }) }) };
    expect(await settleCheckout(deps, c.orgId, c.checkoutId)).toBe('unchanged');
    expect((await rt.store.getCheckout(c.orgId, c.checkoutId))!).toMatchObject({
      status: 'awaiting_payment',
      version: 3,
      lastFailure: { code: 'amount_mismatch', message: 'received CHF 9.00 for 9.05 due' },
    });
    expect(await rt.store.listInvoices(c.orgId)).toEqual([]);
    expect((await rt.store.getProduct(c.orgId, c.productId))!.expiry).toBe('2026-12-31');
  });

  it('cancels on a cancelled payment and gives the balance it held back, once', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const c = await openCardCheckout(rt, { id: 'cancel' });
    const deps = { ...rt.deps, gateway: gatewayWith(rt, { getPayment: async (ref) => state(ref, { status: 'canceled' }) }) };
    expect(await settleCheckout(deps, c.orgId, c.checkoutId)).toBe('canceled');
    expect(await settleCheckout(deps, c.orgId, c.checkoutId)).toBe('unchanged');
    expect((await rt.store.getCheckout(c.orgId, c.checkoutId))!).toMatchObject({
      status: 'canceled',
      version: 3,
      lastFailure: { code: 'payment_canceled', message: 'The checkout was cancelled before payment' },
    });
    expect((await ledger(rt, c.orgId)).filter((e) => e.reason !== 'top-up')).toEqual([
      {
        id: `checkout-hold-${c.checkoutId}`,
        orgId: c.orgId,
        date: '2026-12-10',
        reason: 'checkout-hold',
        ref: c.checkoutId,
        amount: '-5.00',
        currency: 'CHF',
        balanceAfter: '0.00',
        createdAt: NOW('2026-12-10'),
      },
      {
        id: `hold-release-${c.checkoutId}`,
        orgId: c.orgId,
        date: '2026-12-10',
        reason: 'hold-release',
        ref: c.checkoutId,
        amount: '5.00',
        currency: 'CHF',
        balanceAfter: '5.00',
        createdAt: NOW('2026-12-10'),
      },
    ]);
    expect((await rt.store.getOrganisation(c.orgId))!.balance).toBe('5.00');
  });
});

describe('a paid checkout', () => {
  it('is invoiced, recorded, renewed and announced, each record to the field', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const c = await openCardCheckout(rt, { id: 'paid' });
    await paysQuietly(rt, c.paymentRef);
    expect(await settleCheckout(rt.deps, c.orgId, c.checkoutId)).toBe('paid');
    const checkout = (await rt.store.getCheckout(c.orgId, c.checkoutId))!;
    expect(checkout).toMatchObject({ status: 'paid', version: 3, settledAt: NOW('2026-12-10'), invoiceNumber: 'INV-CH-2026-000001', savedMethodId: 'pm-pm_card_visa' });
    expect(checkout.heldSince).toBeUndefined();
    expect(await rt.store.listPayments(c.orgId)).toEqual([
      {
        id: c.paymentRef,
        orgId: c.orgId,
        date: '2026-12-10',
        method: 'card',
        amount: '9.05',
        currency: 'CHF',
        gatewayRef: c.paymentRef,
        checkoutId: c.checkoutId,
        invoiceNumber: 'INV-CH-2026-000001',
        createdAt: NOW('2026-12-10'),
      },
    ]);
    expect((await rt.store.getProduct(c.orgId, c.productId))!).toMatchObject({ expiry: '2027-12-31', autoRenew: true, paymentMethodId: 'pm-pm_card_visa' });
    expect((await emails(rt, '2026-12-10')).filter((e) => e.orgId === c.orgId)).toEqual([
      {
        id: `${c.checkoutId}#checkout-paid`,
        date: '2026-12-10',
        orgId: c.orgId,
        to: [`owner@${c.orgId}.ch`],
        template: 'checkout-paid',
        data: { checkout: c.checkoutId, total: '14.05', currency: 'CHF', invoice: 'INV-CH-2026-000001' },
        recipient: { orgName: `Org ${c.orgId}`, language: 'fr' },
        createdAt: NOW('2026-12-10'),
      },
    ]);
  });

  it('sends the unblocking of a blocked product to the lifecycle queue', async () => {
    const rt = await runtime('memory', { today: '2027-01-05' });
    const { org } = await anOrg(rt, { id: 'blk', balance: '5.00' });
    const p = await aProduct(rt, org.id, { id: 'blk-ch', expiry: '2026-12-31', autoRenew: false });
    await rt.store.commit([{ type: 'product', product: { ...p, status: 'blocked', version: p.version + 1 }, expectedVersion: p.version }]);
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'blk-ch' }], method: 'card', requestId: 'req-blk-0001' }, owner(org.id));
    const sent: unknown[] = [];
    const deps = { ...rt.deps, lifecycleQueue: { send: async (m: unknown[]) => void sent.push(...m) } } as CheckoutDeps;
    await paysQuietly(rt, view.payment!.paymentRef);
    expect(await settleCheckout(deps, org.id, view.checkoutId)).toBe('paid');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ date: '2027-01-05' });
    expect((await rt.store.getProduct(org.id, 'blk-ch'))!).toMatchObject({ status: 'active', expiry: '2027-12-31' });
  });

  it('is held, not fulfilled, while an identity check is required', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const c = await openCardCheckout(rt, { id: 'held', identityCheck: true });
    await paysQuietly(rt, c.paymentRef);
    expect(await settleCheckout(rt.deps, c.orgId, c.checkoutId)).toBe('held');
    expect((await rt.store.getCheckout(c.orgId, c.checkoutId))!).toMatchObject({ status: 'held', heldSince: '2026-12-10', invoiceNumber: 'INV-CH-2026-000001', version: 3 });
    expect((await rt.store.getProduct(c.orgId, c.productId))!.expiry).toBe('2026-12-31');
    expect((await emails(rt, '2026-12-10')).filter((e) => e.orgId === c.orgId).map((e) => [e.id, e.template, e.data])).toEqual([
      [`${c.checkoutId}#checkout-held`, 'checkout-held', { checkout: c.checkoutId, total: '14.05', currency: 'CHF', invoice: 'INV-CH-2026-000001' }],
    ]);
  });

  it('credits a top-up to the balance, with no invoice', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const { org } = await anOrg(rt, { id: 'top' });
    const view = await startTopUp(rt.deps, org.id, { amount: '100.00', method: 'card', requestId: 'req-top-0001' }, owner(org.id));
    await paysQuietly(rt, view.payment!.paymentRef);
    expect(await settleCheckout(rt.deps, org.id, view.checkoutId)).toBe('paid');
    expect(await rt.store.listLedger(org.id)).toEqual([
      {
        id: `top-up-${view.checkoutId}`,
        orgId: org.id,
        date: '2026-12-10',
        reason: 'top-up',
        ref: view.checkoutId,
        amount: '100.00',
        currency: 'CHF',
        balanceAfter: '100.00',
        createdAt: NOW('2026-12-10'),
      },
    ]);
    expect(await rt.store.listInvoices(org.id)).toEqual([]);
    expect((await emails(rt, '2026-12-10')).filter((e) => e.orgId === org.id).map((e) => [e.template, e.data])).toEqual([
      ['top-up-credited', { checkout: view.checkoutId, total: '100.00', currency: 'CHF' }],
    ]);
  });
});

describe('a checkout whose money goes back', () => {
  it('refunds the whole order when one of its two products was terminated meanwhile, and renews neither', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const { org } = await anOrg(rt, { id: 'two' });
    await aProduct(rt, org.id, { id: 'two-a', expiry: '2026-12-31', autoRenew: false });
    await aProduct(rt, org.id, { id: 'two-b', expiry: '2026-12-31', autoRenew: false });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'two-a' }, { productId: 'two-b' }], method: 'card', requestId: 'req-two-0001' }, owner(org.id));
    // By hand: two .ch domains, 2 x 14.05 = 28.10 on the card.
    expect(view).toMatchObject({ total: '28.10', amountDue: '28.10' });
    const b = (await rt.store.getProduct(org.id, 'two-b'))!;
    await rt.store.commit([{ type: 'product', product: { ...b, status: 'terminated', version: b.version + 1 }, expectedVersion: b.version }]);
    await paysQuietly(rt, view.payment!.paymentRef);
    expect(await settleCheckout(rt.deps, org.id, view.checkoutId)).toBe('refunded');
    expect(rt.sandbox.chargeList().find((x) => x.paymentRef === view.payment!.paymentRef)).toMatchObject({ received: '28.10', refunded: '28.10' });
    expect((await rt.store.getProduct(org.id, 'two-a'))!.expiry).toBe('2026-12-31');
    expect((await rt.store.getProduct(org.id, 'two-b'))!.expiry).toBe('2026-12-31');
  });

  it('refunds a payment for a product terminated meanwhile: the card part at the provider, the balance part to the balance', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const c = await openCardCheckout(rt, { id: 'term' });
    const p = (await rt.store.getProduct(c.orgId, c.productId))!;
    await rt.store.commit([{ type: 'product', product: { ...p, status: 'terminated', version: p.version + 1 }, expectedVersion: p.version }]);
    await paysQuietly(rt, c.paymentRef);
    expect(await settleCheckout(rt.deps, c.orgId, c.checkoutId)).toBe('refunded');

    // The provider's own account of it: all 9.05 refunded, under the checkout's key.
    expect(rt.sandbox.chargeList().find((x) => x.paymentRef === c.paymentRef)).toMatchObject({ received: '9.05', refunded: '9.05' });
    const replay = await rt.sandbox.refund({ paymentRef: c.paymentRef, amount: Money.of('9.05', 'CHF'), idempotencyKey: `refund/${c.checkoutId}`, metadata: {} });
    expect(await rt.store.listPayments(c.orgId)).toEqual([
      {
        id: c.paymentRef,
        orgId: c.orgId,
        date: '2026-12-10',
        method: 'card',
        amount: '9.05',
        currency: 'CHF',
        gatewayRef: c.paymentRef,
        checkoutId: c.checkoutId,
        createdAt: NOW('2026-12-10'),
      },
      {
        id: `refund-${c.paymentRef}`,
        orgId: c.orgId,
        date: '2026-12-10',
        method: 'card',
        amount: '-9.05',
        currency: 'CHF',
        gatewayRef: replay.refundRef,
        checkoutId: c.checkoutId,
        refundOf: c.paymentRef,
        createdAt: NOW('2026-12-10'),
      },
    ]);
    expect((await ledger(rt, c.orgId)).find((e) => e.reason === 'refund')).toEqual({
      id: `refund-${c.checkoutId}`,
      orgId: c.orgId,
      date: '2026-12-10',
      reason: 'refund',
      ref: c.checkoutId,
      amount: '5.00',
      currency: 'CHF',
      balanceAfter: '5.00',
      createdAt: NOW('2026-12-10'),
    });
    expect(await rt.store.listInvoices(c.orgId)).toEqual([]);
    expect((await rt.store.getCheckout(c.orgId, c.checkoutId))!).toMatchObject({
      status: 'refunded',
      version: 4,
      lastFailure: { code: 'product_terminated', message: 'A product of the order was terminated before the payment arrived' },
    });
    expect((await emails(rt, '2026-12-10')).filter((e) => e.orgId === c.orgId).map((e) => [e.id, e.data])).toEqual([
      [`${c.checkoutId}#order-refunded`, { checkout: c.checkoutId, total: '14.05', currency: 'CHF', reason: 'product_terminated' }],
    ]);
  });

  it('refunds a held order after 10 days with a credit note for all of its invoice, and counts it', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const c = await openCardCheckout(rt, { id: 'hold10', identityCheck: true });
    await paysQuietly(rt, c.paymentRef);
    expect(await settleCheckout(rt.deps, c.orgId, c.checkoutId)).toBe('held');
    expect(await checkoutHousekeeping(rt.deps, '2026-12-19')).toEqual({ holdsRefunded: 0, checkoutsCanceled: 0, checkoutsSettled: 0 });
    rt.clock.day = '2026-12-20';
    expect(await checkoutHousekeeping(rt.deps, '2026-12-20')).toEqual({ holdsRefunded: 1, checkoutsCanceled: 0, checkoutsSettled: 0 });
    const replay = await rt.sandbox.refund({ paymentRef: c.paymentRef, amount: Money.of('9.05', 'CHF'), idempotencyKey: `refund/${c.checkoutId}`, metadata: {} });
    const note = (await rt.store.listInvoices(c.orgId)).find((i) => i.series === 'CN')!;
    expect(note).toMatchObject({ number: 'CN-CH-2026-000001', total: '-14.05', refersTo: 'INV-CH-2026-000001' });
    expect(note.payments).toEqual([
      { method: 'balance', amount: '-5.00' },
      { method: 'card', amount: '-9.05', ref: replay.refundRef },
    ]);
    expect((await rt.store.listPayments(c.orgId)).map((p) => [p.id, p.amount, p.invoiceNumber])).toEqual([
      [c.paymentRef, '9.05', 'INV-CH-2026-000001'],
      [`refund-${c.paymentRef}`, '-9.05', 'CN-CH-2026-000001'],
    ]);
    expect((await ledger(rt, c.orgId)).find((e) => e.reason === 'refund')).toMatchObject({
      id: `refund-${c.checkoutId}`,
      reason: 'refund',
      ref: 'CN-CH-2026-000001',
      amount: '5.00',
      balanceAfter: '5.00',
    });
    expect((await rt.store.getCheckout(c.orgId, c.checkoutId))!).toMatchObject({
      status: 'refunded',
      creditNoteNumber: 'CN-CH-2026-000001',
      lastFailure: { code: 'security_hold_expired', message: 'The order was held for an identity check that was not completed within 10 days' },
    });
    expect((await emails(rt, '2026-12-20')).map((e) => [e.template, e.data])).toEqual([
      ['order-refunded', { checkout: c.checkoutId, total: '14.05', currency: 'CHF', reason: 'security_hold_expired', creditNote: 'CN-CH-2026-000001' }],
    ]);
  });

  it('finishes a refund a crash interrupted, from the nightly chores or the next event, without refunding twice', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const c = await openCardCheckout(rt, { id: 'crash', identityCheck: true });
    await paysQuietly(rt, c.paymentRef);
    await settleCheckout(rt.deps, c.orgId, c.checkoutId);
    rt.clock.day = '2026-12-20';
    const down = { ...rt.deps, gateway: gatewayWith(rt, { refund: async () => Promise.reject(new Error('provider down')) }) };
    await expect(checkoutHousekeeping(down, '2026-12-20')).rejects.toThrow('provider down');
    expect((await rt.store.getCheckout(c.orgId, c.checkoutId))!).toMatchObject({
      status: 'refunding',
      refund: { reason: 'security_hold_expired', from: 'held', since: '2026-12-20' },
    });
    // The next night finds it in the refunding list, not among the held: it is not counted again.
    rt.clock.day = '2026-12-21';
    expect(await checkoutHousekeeping(rt.deps, '2026-12-21')).toEqual({ holdsRefunded: 0, checkoutsCanceled: 0, checkoutsSettled: 0 });
    expect((await rt.store.getCheckout(c.orgId, c.checkoutId))!).toMatchObject({ status: 'refunded', lastFailure: { code: 'security_hold_expired' } });
    expect(rt.sandbox.chargeList().find((x) => x.paymentRef === c.paymentRef)).toMatchObject({ received: '9.05', refunded: '9.05' });
    expect(await settleCheckout(rt.deps, c.orgId, c.checkoutId)).toBe('unchanged');
  });

  it('resumes a refund from the settlement of a later event, with the reason it started with', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const c = await openCardCheckout(rt, { id: 'resume' });
    const p = (await rt.store.getProduct(c.orgId, c.productId))!;
    await rt.store.commit([{ type: 'product', product: { ...p, status: 'terminated', version: p.version + 1 }, expectedVersion: p.version }]);
    await paysQuietly(rt, c.paymentRef);
    const down = { ...rt.deps, gateway: gatewayWith(rt, { refund: async () => Promise.reject(new Error('provider down')) }) };
    await expect(settleCheckout(down, c.orgId, c.checkoutId)).rejects.toThrow('provider down');
    expect(await settleCheckout(rt.deps, c.orgId, c.checkoutId)).toBe('refunded');
    expect((await rt.store.getCheckout(c.orgId, c.checkoutId))!.lastFailure).toEqual({
      code: 'product_terminated',
      message: 'A product of the order was terminated before the payment arrived',
    });
    expect((await rt.store.listPayments(c.orgId)).map((x) => x.amount)).toEqual(['9.05', '-9.05']);
  });

  it('refunds a payment that arrives after its checkout expired, and gives the balance hold back only once', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const c = await openCardCheckout(rt, { id: 'late' });
    rt.clock.day = '2026-12-12';
    expect(await checkoutHousekeeping(rt.deps, '2026-12-12')).toEqual({ holdsRefunded: 0, checkoutsCanceled: 1, checkoutsSettled: 0 });
    expect((await rt.store.getCheckout(c.orgId, c.checkoutId))!.lastFailure).toEqual({ code: 'checkout_expired', message: 'The checkout was cancelled before payment' });
    await paysQuietly(rt, c.paymentRef);
    expect(await settleCheckout(rt.deps, c.orgId, c.checkoutId)).toBe('refunded');
    expect((await rt.store.getCheckout(c.orgId, c.checkoutId))!.lastFailure).toEqual({ code: 'checkout_expired', message: 'The payment arrived after the checkout had expired' });
    expect((await ledger(rt, c.orgId)).map((e) => [e.reason, e.amount])).toEqual([
      ['checkout-hold', '-5.00'],
      ['hold-release', '5.00'],
      ['top-up', '5.00'],
    ]);
    expect((await rt.store.listPayments(c.orgId)).map((x) => [x.id, x.amount])).toEqual([
      [c.paymentRef, '9.05'],
      [`refund-${c.paymentRef}`, '-9.05'],
    ]);
  });

  it('settles at expiry a card checkout paid after all, and leaves a younger one alone', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const old = await openCardCheckout(rt, { id: 'after' });
    await paysQuietly(rt, old.paymentRef);
    rt.clock.day = '2026-12-11';
    const young = await openCardCheckout(rt, { id: 'young' });
    rt.clock.day = '2026-12-12';
    expect(await checkoutHousekeeping(rt.deps, '2026-12-12')).toEqual({ holdsRefunded: 0, checkoutsCanceled: 0, checkoutsSettled: 1 });
    expect((await rt.store.getCheckout(old.orgId, old.checkoutId))!.status).toBe('paid');
    expect((await rt.store.getCheckout(young.orgId, young.checkoutId))!.status).toBe('awaiting_payment');
  });

  it('voids a pro-forma unpaid after 30 days and gives back what the balance held', async () => {
    const rt = await runtime('memory', { today: '2026-12-01' });
    const { org } = await anOrg(rt, { id: 'pf', balance: '5.00' });
    await aProduct(rt, org.id, { id: 'pf-ch', expiry: '2027-02-28', autoRenew: false });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'pf-ch' }], method: 'iban', requestId: 'req-pf-00001' }, owner(org.id));
    expect(await checkoutHousekeeping(rt.deps, '2026-12-30')).toEqual({ holdsRefunded: 0, checkoutsCanceled: 0, checkoutsSettled: 0 });
    rt.clock.day = '2026-12-31';
    expect(await checkoutHousekeeping(rt.deps, '2026-12-31')).toEqual({ holdsRefunded: 0, checkoutsCanceled: 1, checkoutsSettled: 0 });
    expect((await rt.store.getCheckout(org.id, view.checkoutId))!).toMatchObject({ status: 'canceled', lastFailure: { code: 'proforma_expired' } });
    expect((await rt.store.findInvoice(view.proformaNumber!))!.status).toBe('void');
    expect((await ledger(rt, org.id)).find((e) => e.reason === 'hold-release')).toMatchObject({
      id: `hold-release-${view.checkoutId}`,
      reason: 'hold-release',
      amount: '5.00',
      balanceAfter: '5.00',
    });
  });

  it('gives back a part payment of a voided pro-forma with the hold, as an overpayment naming the pro-forma', async () => {
    const rt = await runtime('memory', { today: '2026-12-01' });
    const { org } = await anOrg(rt, { id: 'part', balance: '5.00' });
    await aProduct(rt, org.id, { id: 'part-ch', expiry: '2027-02-28', autoRenew: false });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'part-ch' }], method: 'iban', requestId: 'req-part-0001' }, owner(org.id));
    const pf = (await rt.store.findInvoice(view.proformaNumber!))!;
    await rt.store.commit([
      {
        type: 'invoiceUpdate',
        invoice: { ...pf, amountDue: '6.05', payments: [...pf.payments, { method: 'transfer', amount: '3.00' }] },
        expected: { status: 'open', ...(pf.amountDue ? { amountDue: pf.amountDue } : {}) },
      },
    ]);
    rt.clock.day = '2026-12-31';
    await checkoutHousekeeping(rt.deps, '2026-12-31');
    expect((await ledger(rt, org.id)).find((e) => e.reason === 'overpayment')).toEqual({
      id: `proforma-void-${view.proformaNumber}`,
      orgId: org.id,
      date: '2026-12-31',
      reason: 'overpayment',
      ref: view.proformaNumber,
      amount: '8.00',
      currency: 'CHF',
      balanceAfter: '8.00',
      createdAt: NOW('2026-12-31'),
    });
  });
});

describe('releasing a held order', () => {
  it('refuses what is not there or not held, by name', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const c = await openCardCheckout(rt, { id: 'rel' });
    await expect(releaseHold(rt.deps, c.orgId, 'co_none')).rejects.toMatchObject({ code: 'checkout_not_found', message: 'Checkout co_none not found' });
    await expect(releaseHold(rt.deps, c.orgId, c.checkoutId)).rejects.toMatchObject({
      code: 'checkout_not_held',
      message: `Checkout ${c.checkoutId} is awaiting_payment, not held`,
    });
  });

  it('renews the products once the check has passed, and announces it', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const c = await openCardCheckout(rt, { id: 'pass', identityCheck: true });
    await paysQuietly(rt, c.paymentRef);
    await settleCheckout(rt.deps, c.orgId, c.checkoutId);
    rt.clock.day = '2026-12-12';
    const released = await releaseHold(rt.deps, c.orgId, c.checkoutId);
    expect(released).toMatchObject({ status: 'paid', version: 4, invoiceNumber: 'INV-CH-2026-000001' });
    expect(released.heldSince).toBeUndefined();
    expect((await rt.store.getProduct(c.orgId, c.productId))!).toMatchObject({ expiry: '2027-12-31', autoRenew: true, paymentMethodId: 'pm-pm_card_visa' });
    expect((await emails(rt, '2026-12-12')).map((e) => [e.id, e.data])).toEqual([
      [`${c.checkoutId}#checkout-paid`, { checkout: c.checkoutId, total: '14.05', currency: 'CHF', invoice: 'INV-CH-2026-000001' }],
    ]);
    await expect(releaseHold(rt.deps, c.orgId, c.checkoutId)).rejects.toMatchObject({ code: 'checkout_not_held' });
  });

  it('credits a held top-up less what the provider gave back meanwhile', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const { org } = await anOrg(rt, { id: 'htop' });
    await rt.store.commit([{ type: 'identityCheck', orgId: org.id, state: 'required' }]);
    const view = await startTopUp(rt.deps, org.id, { amount: '100.00', method: 'card', requestId: 'req-htop-0001' }, owner(org.id));
    await paysQuietly(rt, view.payment!.paymentRef);
    expect(await settleCheckout(rt.deps, org.id, view.checkoutId)).toBe('held');
    expect(await rt.store.listLedger(org.id)).toEqual([]);
    await rt.sandbox.refund({ paymentRef: view.payment!.paymentRef, amount: Money.of('30.00', 'CHF'), idempotencyKey: 'dash-1', metadata: {} });
    await drainQueues(rt);
    await releaseHold(rt.deps, org.id, view.checkoutId);
    expect((await rt.store.listLedger(org.id)).map((e) => [e.id, e.reason, e.amount, e.balanceAfter])).toEqual([[`top-up-${view.checkoutId}`, 'top-up', '70.00', '70.00']]);
    expect((await emails(rt, '2026-12-10')).filter((e) => e.template === 'top-up-credited')).toHaveLength(1);
  });

  it('credits nothing of a held top-up the provider gave back in full', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const { org } = await anOrg(rt, { id: 'gone' });
    await rt.store.commit([{ type: 'identityCheck', orgId: org.id, state: 'required' }]);
    const view = await startTopUp(rt.deps, org.id, { amount: '50.00', method: 'card', requestId: 'req-gone-0001' }, owner(org.id));
    await paysQuietly(rt, view.payment!.paymentRef);
    await settleCheckout(rt.deps, org.id, view.checkoutId);
    const held = (await rt.store.getCheckout(org.id, view.checkoutId))!;
    await refundCheckout(rt.deps, held, 'refunded_by_provider');
    expect((await rt.store.getCheckout(org.id, view.checkoutId))!.status).toBe('refunded');
    expect(await rt.store.listLedger(org.id)).toEqual([]);
  });

  it('refunds instead when a product was terminated while the order was held', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const c = await openCardCheckout(rt, { id: 'gone2', identityCheck: true });
    await paysQuietly(rt, c.paymentRef);
    await settleCheckout(rt.deps, c.orgId, c.checkoutId);
    const p = (await rt.store.getProduct(c.orgId, c.productId))!;
    await rt.store.commit([{ type: 'product', product: { ...p, status: 'terminated', version: p.version + 1 }, expectedVersion: p.version }]);
    const after = await releaseHold(rt.deps, c.orgId, c.checkoutId);
    expect(after).toMatchObject({ status: 'refunded', creditNoteNumber: 'CN-CH-2026-000001', lastFailure: { code: 'product_terminated' } });
  });
});

describe('an automatic charge the customer overtook', () => {
  async function withPendingAttempt(rt: Rt, id: string, charged: boolean, card = 'pm_card_visa') {
    const c = await openCardCheckout(rt, { id });
    const saved = await addPaymentMethod(rt.deps, c.orgId, { kind: 'card', label: 'Visa', gatewayRef: 'pm_card_visa' });
    // The night read the product before the checkout took it, and held 2.00 of a deposit made meanwhile.
    const attemptId = `${c.productId}#2026-12-31#1`;
    const attempt = {
      id: attemptId,
      orgId: c.orgId,
      productId: c.productId,
      periodStart: '2026-12-31',
      attempt: 1,
      night: '2026-12-10',
      idempotencyKey: `renewal/${attemptId}`,
      currency: 'CHF' as const,
      total: '14.05',
      balancePart: '2.00',
      chargePart: '12.05',
      paymentMethodId: saved.id,
      status: 'pending' as const,
      createdAt: NOW('2026-12-10'),
    };
    await topUpBalance(rt.deps, c.orgId, { amount: '2.00', reference: 'meanwhile' });
    const entry = {
      orgId: c.orgId,
      date: '2026-12-10',
      amount: '-2.00',
      currency: 'CHF' as const,
      reason: 'renewal-hold' as const,
      ref: attemptId,
      balanceAfter: '0.00',
      createdAt: NOW('2026-12-10'),
    };
    await rt.store.commit([
      { type: 'attempt', attempt, expectedStatus: null },
      { type: 'balance', orgId: c.orgId, from: '2.00', to: '0.00', entry: { id: `renewal-hold-${attemptId}`, ...entry } },
    ]);
    let chargeRef: string | undefined;
    if (charged) {
      const customerRef = await rt.sandbox.ensureCustomer({ orgId: c.orgId, name: 'x', email: 'x@x.ch', idempotencyKey: `cus/${c.orgId}` } as never);
      const charge = await rt.sandbox.charge({
        orgId: c.orgId,
        customerRef,
        paymentMethodRef: card,
        methodKind: 'card',
        amount: Money.of('12.05', 'CHF'),
        idempotencyKey: attempt.idempotencyKey,
        description: 'night',
        metadata: { orgId: c.orgId, productId: c.productId, attemptId, periodStart: '2026-12-31' },
      });
      chargeRef = charge.paymentRef;
    }
    return { ...c, attemptId, chargeRef };
  }

  it('gives back the charge the night made and the balance it held, then fulfils the checkout', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const c = await withPendingAttempt(rt, 'over', true);
    await paysQuietly(rt, c.paymentRef);
    expect(await settleCheckout(rt.deps, c.orgId, c.checkoutId)).toBe('paid');
    expect((await rt.store.listAttempts(c.orgId, c.productId)).map((a) => [a.id, a.status, a.failureCode])).toEqual([[c.attemptId, 'failed', 'superseded_by_checkout']]);
    expect(rt.sandbox.chargeList().find((x) => x.paymentRef === c.chargeRef)).toMatchObject({ received: '12.05', refunded: '12.05' });
    const replay = await rt.sandbox.refund({ paymentRef: c.chargeRef!, amount: Money.of('12.05', 'CHF'), idempotencyKey: `refund/${c.attemptId}`, metadata: {} });
    const payments = await rt.store.listPayments(c.orgId);
    expect(payments.filter((p) => p.productId === c.productId)).toEqual([
      {
        id: c.chargeRef,
        orgId: c.orgId,
        date: '2026-12-10',
        method: 'card',
        amount: '12.05',
        currency: 'CHF',
        gatewayRef: c.chargeRef,
        productId: c.productId,
        checkoutId: c.checkoutId,
        createdAt: NOW('2026-12-10'),
      },
      {
        id: `refund-${c.chargeRef}`,
        orgId: c.orgId,
        date: '2026-12-10',
        method: 'card',
        amount: '-12.05',
        currency: 'CHF',
        gatewayRef: replay.refundRef,
        productId: c.productId,
        checkoutId: c.checkoutId,
        refundOf: c.chargeRef,
        createdAt: NOW('2026-12-10'),
      },
    ]);
    expect((await rt.store.listLedger(c.orgId)).find((e) => e.id === `hold-release-${c.attemptId}`)).toMatchObject({
      reason: 'hold-release',
      ref: c.attemptId,
      amount: '2.00',
      balanceAfter: '2.00',
    });
    expect((await rt.store.getProduct(c.orgId, c.productId))!.expiry).toBe('2027-12-31');
  });

  it('refunds nothing and records no payment when the charge of the night was declined; the balance it held comes back', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const c = await withPendingAttempt(rt, 'declined', true, 'pm_card_chargeDeclined');
    await paysQuietly(rt, c.paymentRef);
    expect(await settleCheckout(rt.deps, c.orgId, c.checkoutId)).toBe('paid');
    expect((await rt.store.listAttempts(c.orgId, c.productId)).map((a) => [a.status, a.failureCode])).toEqual([['failed', 'superseded_by_checkout']]);
    // The provider's list: the declined charge received nothing and nothing was given back.
    expect(rt.sandbox.chargeList().filter((x) => x.metadata.attemptId === c.attemptId)).toEqual([]);
    expect((await rt.store.listPayments(c.orgId)).filter((p) => p.productId === c.productId)).toEqual([]);
    expect((await rt.store.listLedger(c.orgId)).filter((e) => e.id === `hold-release-${c.attemptId}`).map((e) => [e.amount, e.balanceAfter])).toEqual([['2.00', '2.00']]);
    expect((await rt.store.getProduct(c.orgId, c.productId))!.expiry).toBe('2027-12-31');
  });

  it('replays a charge the night had not finished with its own key, gives it back, and fulfils the checkout', async () => {
    const rt = await runtime('memory', { today: '2026-12-10' });
    const c = await withPendingAttempt(rt, 'half', false);
    await paysQuietly(rt, c.paymentRef);
    expect(await settleCheckout(rt.deps, c.orgId, c.checkoutId)).toBe('paid');
    const replayed = rt.sandbox.chargeList().filter((x) => x.metadata.attemptId === c.attemptId);
    expect(replayed).toEqual([
      {
        paymentRef: expect.any(String),
        currency: 'CHF',
        received: '12.05',
        refunded: '12.05',
        metadata: { orgId: c.orgId, productId: c.productId, attemptId: c.attemptId, periodStart: '2026-12-31' },
      },
    ]);
    expect((await rt.store.listPayments(c.orgId)).filter((p) => p.productId === c.productId).map((p) => [p.id, p.amount, p.method])).toEqual([
      [replayed[0]!.paymentRef, '12.05', 'card'],
      [`refund-${replayed[0]!.paymentRef}`, '-12.05', 'card'],
    ]);
  });
});
