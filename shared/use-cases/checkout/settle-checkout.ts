import { addDays, type IsoDate } from '../../domain/calendar.ts';
import { checkoutExpiryDays, paymentCovers, SECURITY_HOLD_DAYS, type Checkout } from '../../domain/checkout.ts';
import { BusinessRuleError, ConflictError, NotFoundError } from '../../domain/errors.ts';
import { Money } from '../../domain/money.ts';
import type { Organisation } from '../../domain/organisation.ts';
import { renewalAttemptId } from '../../domain/product.ts';
import { servesAutomaticRenewal, type PaymentMethodKind } from '../../domain/payment-methods.ts';
import { WriteConflict, type Change } from '../../ports/unit-of-work.ts';
import type { LifecycleCommand, PaymentRecord } from '../../domain/records.ts';
import { billingContext } from '../manage-partners.ts';
import { authoriseBilling, type Actor } from '../actor.ts';
import type { PaymentState } from '../../ports/payment-gateway.ts';
import { loadOrg, retryOnConflict } from '../renewal-deps.ts';
import type { CheckoutDeps } from './checkout-deps.ts';
import { ensureCustomer } from '../provider-customer.ts';
import { balanceMove, checkoutEmail, issueCheckoutInvoice, loadCheckoutProducts, renewCheckoutProducts, savedMethodFrom, type ReceivedPayment } from './fulfil-checkout.ts';
import { nextCreditNote, refundsBooked } from './refund-booking.ts';

export type SettleOutcome = 'paid' | 'held' | 'payment-failed' | 'canceled' | 'refunded' | 'waiting' | 'unchanged' | 'not-found';

const expected = (c: Checkout) => ({ version: c.version, status: c.status });

/**
 * Settles a checkout from the provider's current state of its payment, never
 * from the order events arrive in: a late failure event after a success reads
 * "succeeded" and changes nothing; a duplicate finds the checkout settled.
 *
 * 1. Read the checkout and, from the provider, its payment's state now.
 * 2. Succeeded, for exactly the amount due: issue the final invoice, record
 *    the payment, and renew the products (or credit the top-up); with an
 *    identity check pending, hold the order instead of fulfilling it.
 * 3. Failed: note the failure (the customer may retry with another method).
 * 4. Cancelled: release the balance hold.
 * 5. Paid after the checkout was abandoned: refund, never keep unexplained money.
 * Everything of one outcome is one transaction conditioned on the checkout's
 * version and status, so concurrent settlers apply it once.
 */
export function settleCheckout(deps: CheckoutDeps, orgId: string, checkoutId: string): Promise<SettleOutcome> {
  return retryOnConflict(async () => {
    const checkout = await deps.store.getCheckout(orgId, checkoutId);
    if (!checkout) return 'not-found';
    if (!checkout.paymentRef) return 'waiting';
    const state = await deps.gateway.getPayment(checkout.paymentRef);
    if (!state) return 'waiting';
    if (checkout.status === 'canceled' && state.status === 'succeeded') return refundCheckout(deps, checkout, 'checkout_expired', state);
    if (checkout.status === 'refunding') return refundCheckout(deps, checkout, checkout.refund?.reason ?? 'resumed', state);
    if (checkout.status !== 'awaiting_payment') return 'unchanged';

    switch (state.status) {
      case 'succeeded':
        // Refunded at the provider before we settled it: nothing to fulfil, the money is booked in and out.
        if (state.amountRefunded.isPositive()) return refundCheckout(deps, checkout, 'refunded_by_provider', state);
        if (!paymentCovers(checkout, state.amountReceived)) {
          await note(deps, checkout, { code: 'amount_mismatch', message: `received ${state.amountReceived.format()} for ${checkout.chargePart} due` });
          return 'unchanged';
        }
        return fulfil(deps, checkout, state);
      case 'canceled':
        return cancel(deps, checkout, 'payment_canceled');
      case 'requires_payment_method':
        if (!state.failureCode) return 'waiting';
        await note(deps, checkout, { code: state.failureCode, message: state.failureMessage ?? 'The payment failed' });
        return 'payment-failed';
      default:
        return 'waiting';
    }
  });
}

async function note(deps: CheckoutDeps, checkout: Checkout, failure: { code: string; message: string }): Promise<void> {
  if (checkout.lastFailure?.code === failure.code && checkout.lastFailure.message === failure.message) return;
  await deps.store.commit([{ type: 'checkout', checkout: { ...checkout, lastFailure: failure, version: checkout.version + 1 }, expected: expected(checkout) }]);
}

async function fulfil(deps: CheckoutDeps, checkout: Checkout, state: PaymentState): Promise<SettleOutcome> {
  const org = await loadOrg(deps.store, checkout.orgId);
  const today = deps.clock.today();
  const now = deps.clock.now();
  const method = state.paymentMethodRef ? await deps.gateway.getPaymentMethod(state.paymentMethodRef) : undefined;
  const payment: ReceivedPayment = { ref: state.paymentRef, amount: state.amountReceived, ...(method ? { method } : {}) };
  const held = org.identityCheck === 'required';
  const changes: Change[] = [];
  let commands: LifecycleCommand[] = [];
  const next: Checkout = { ...checkout, status: held ? 'held' : 'paid', settledAt: now, version: checkout.version + 1 };
  if (held) next.heldSince = today;
  // A decline the customer got past is history, not the checkout's state.
  delete next.lastFailure;

  if (checkout.purpose === 'renewal') {
    // An automatic charge started for one of these products since the checkout was created: the
    // customer's own payment wins, that charge is given back, then the products are read afresh.
    if (await supersedePendingAttempts(deps, checkout)) throw new WriteConflict(['attempt']);
    const products = await loadCheckoutProducts(deps, checkout);
    if ([...products.values()].some((p) => p.status === 'terminated')) return refundCheckout(deps, checkout, 'product_terminated', state);
    // A night may hold an attempt between the look above and this commit (holding does not move the
    // product's version): the commit then fails and the look is taken again.
    for (const p of products.values()) changes.push({ type: 'noPendingAttempt', orgId: p.orgId, attemptId: renewalAttemptId(p) });
    const invoice = await issueCheckoutInvoice(deps, checkout, org, products, today, payment);
    next.invoiceNumber = invoice.number;
    changes.push({ type: 'invoice', invoice });
    const saved = checkout.saveMethod ? savedMethodFrom(org.id, method, now) : undefined;
    if (saved && servesAutomaticRenewal(saved)) {
      changes.push({ type: 'paymentMethod', method: saved });
      next.savedMethodId = saved.id;
    }
    if (!held) {
      const renewed = renewCheckoutProducts(deps, checkout, org, products, today, saved);
      changes.push(...renewed.changes);
      commands = renewed.commands;
    }
  } else if (!held) {
    changes.push(
      balanceMove(org, Money.of(checkout.chargePart, checkout.currency), {
        id: `top-up-${checkout.id}`,
        date: today,
        reason: 'top-up',
        ref: checkout.id,
        createdAt: now,
      }).change,
    );
  }
  changes.push({ type: 'payment', payment: paymentRecord(checkout, state, today, now, next.invoiceNumber) });
  changes.push({ type: 'checkout', checkout: next, expected: expected(checkout) });
  const template = held ? 'checkout-held' : checkout.purpose === 'top-up' ? 'top-up-credited' : 'checkout-paid';
  changes.push(checkoutEmail(org, next, template, today, now, next.invoiceNumber ? { invoice: next.invoiceNumber } : {}));
  await deps.store.commit(changes);
  if (commands.length > 0) await deps.lifecycleQueue.send(commands.map((c) => ({ date: c.date, commandId: c.id })));
  return held ? 'held' : 'paid';
}

function paymentRecord(checkout: Checkout, state: PaymentState, today: IsoDate, now: string, invoiceNumber?: string): PaymentRecord {
  return {
    id: state.paymentRef,
    orgId: checkout.orgId,
    date: today,
    method: checkout.method as PaymentMethodKind,
    amount: state.amountReceived.toString(),
    currency: checkout.currency,
    gatewayRef: state.paymentRef,
    checkoutId: checkout.id,
    ...(invoiceNumber ? { invoiceNumber } : {}),
    createdAt: now,
  };
}

/** An unpaid checkout is given up: the balance it held goes back. */
async function cancel(deps: CheckoutDeps, checkout: Checkout, reason: string): Promise<SettleOutcome> {
  const org = await loadOrg(deps.store, checkout.orgId);
  await deps.store.commit(await cancellation(deps, org, checkout, reason));
  return 'canceled';
}

/**
 * What giving up an unpaid checkout writes: the checkout cancelled, its
 * pro-forma void, and one move back to the balance of what it held and what
 * transfers brought for it. `late` is a transfer that arrived for an order
 * that can no longer be fulfilled: it goes to the balance with the rest, in
 * the same ledger entry (one balance write per transaction).
 */
export async function cancellation(deps: CheckoutDeps, org: Organisation, checkout: Checkout, reason: string, late?: { amount: Money; entryId: string }): Promise<Change[]> {
  const today = deps.clock.today();
  const now = deps.clock.now();
  const changes: Change[] = [
    {
      type: 'checkout',
      checkout: {
        ...checkout,
        status: 'canceled',
        lastFailure: { code: reason, message: CANCEL_REASONS[reason] ?? 'The checkout was cancelled before payment' },
        version: checkout.version + 1,
      },
      expected: expected(checkout),
    },
  ];
  const held = Money.of(checkout.balancePart, checkout.currency);
  let partPaid = Money.zero(checkout.currency);
  let proformaNumber: string | undefined;
  if (checkout.proformaNumber) {
    // Nothing is due on it any more; a transfer that still quotes it goes to the balance, for finance to see.
    const proforma = await deps.store.findInvoice(checkout.proformaNumber);
    if (proforma?.status === 'open') {
      proformaNumber = proforma.number;
      changes.push({
        type: 'invoiceUpdate',
        invoice: { ...proforma, status: 'void' },
        expected: { status: 'open', ...(proforma.amountDue !== undefined ? { amountDue: proforma.amountDue } : {}) },
      });
      // Part payments received for it are the customer's money: they go to the balance with the hold.
      partPaid = Money.sum(
        proforma.payments.filter((p) => p.method === 'transfer').map((p) => Money.of(p.amount, checkout.currency)),
        checkout.currency,
      );
    }
  }
  const transfers = partPaid.plus(late?.amount ?? Money.zero(checkout.currency));
  const back = held.plus(transfers.isPositive() ? transfers : Money.zero(checkout.currency));
  if (back.isPositive()) {
    const entry = late
      ? { id: late.entryId, reason: 'overpayment' as const, ref: checkout.proformaNumber ?? checkout.id }
      : partPaid.isPositive()
        ? { id: `proforma-void-${proformaNumber}`, reason: 'overpayment' as const, ref: proformaNumber! }
        : { id: `hold-release-${checkout.id}`, reason: 'hold-release' as const, ref: checkout.id };
    changes.push(balanceMove(org, back, { ...entry, date: today, createdAt: now }).change);
  }
  return changes;
}

const CANCEL_REASONS: Record<string, string> = {
  product_terminated: 'A product of the order was terminated before the transfer arrived',
  canceled_by_customer: 'The customer cancelled the order before paying it',
};

/**
 * The customer gives up an order not paid yet (back from the payment page
 * without paying, or a transfer they will not make): its products are free
 * again for another payment, what the balance held goes back, the pro-forma
 * is void. Asked of the provider first: a payment that went through after
 * all is refused the cancel (its webhook settles the order); a payment made
 * later still, on a page left open, is refunded as for any cancelled checkout.
 */
export async function cancelCheckout(deps: CheckoutDeps, orgId: string, checkoutId: string, actor: Actor): Promise<Checkout> {
  await authoriseBilling(deps.store, actor, orgId);
  const found = await deps.store.getCheckout(orgId, checkoutId);
  if (!found) throw new NotFoundError(`Checkout ${checkoutId} not found`, 'checkout_not_found');
  if (found.status === 'awaiting_payment' && found.paymentRef) {
    const state = await deps.gateway.getPayment(found.paymentRef);
    if (state?.status === 'succeeded' || state?.status === 'processing') {
      throw new ConflictError('The payment of this order went through (or is being processed); it is settled as soon as the provider confirms it', 'payment_received');
    }
  }
  return retryOnConflict(async () => {
    const checkout = (await deps.store.getCheckout(orgId, checkoutId))!;
    if (checkout.status !== 'awaiting_payment') {
      throw new BusinessRuleError(`Checkout ${checkoutId} is ${checkout.status} and can no longer be cancelled`, 'checkout_not_cancellable');
    }
    await cancel(deps, checkout, 'canceled_by_customer');
    return (await deps.store.getCheckout(orgId, checkoutId))!;
  });
}

/**
 * Gives a paid checkout's money back in full: the provider part through a
 * refund (keyed by the checkout, so a retry refunds once), the balance part
 * back to the balance, a credit note for the invoice if one was issued, and
 * an e-mail.
 */
export async function refundCheckout(deps: CheckoutDeps, checkout: Checkout, reason: string, known?: PaymentState): Promise<SettleOutcome> {
  const org = await loadOrg(deps.store, checkout.orgId);
  const today = deps.clock.today();
  const now = deps.clock.now();
  const currency = checkout.currency;
  const charged = Money.of(checkout.chargePart, currency);
  let current = checkout;
  if (current.status !== 'refunding') {
    // Recorded first: the provider's refund webhook may arrive before this finishes, and must not book it again.
    current = { ...checkout, status: 'refunding', refund: { reason, from: checkout.status, since: today }, version: checkout.version + 1 };
    await deps.store.commit([{ type: 'checkout', checkout: current, expected: expected(checkout) }]);
  }
  const wasCanceled = current.refund?.from === 'canceled';
  // Money refunded before it was ever booked (late payment, unfulfillable order) is booked with its refund.
  const unbooked = wasCanceled || current.refund?.from === 'awaiting_payment';
  const changes: Change[] = [];
  let refundRef: string | undefined;
  if (current.paymentRef && charged.isPositive()) {
    const state = known ?? (await readPayment(deps, current.paymentRef));
    const left = state.amountReceived.minus(state.amountRefunded);
    if (left.isPositive()) {
      const refund = await deps.gateway.refund({
        paymentRef: current.paymentRef,
        amount: left.min(charged),
        idempotencyKey: `refund/${current.id}`,
        metadata: { orgId: org.id, checkoutId: current.id, reason },
      });
      refundRef = refund.refundRef;
    }
    if (unbooked) {
      changes.push({ type: 'payment', payment: paymentRecord(current, state, today, now) });
    }
  }
  // Book what the provider has refunded in all (re-read after our refund, never assumed: a failed read
  // fails the step, which is retried), less what earlier records (a refund made at the provider, booked
  // from its webhook) already say: never more, never twice.
  let toBook = charged;
  let bookedBefore = Money.zero(currency);
  if (charged.isPositive() && current.paymentRef) {
    const after = await readPayment(deps, current.paymentRef);
    bookedBefore = refundsBooked(await deps.store.listPayments(org.id), current.paymentRef, currency);
    toBook = after.amountRefunded.min(charged).minus(bookedBefore);
  }
  let creditNoteNumber: string | undefined;
  if (current.invoiceNumber) {
    const invoice = await deps.store.findInvoice(current.invoiceNumber);
    if (!invoice) throw new NotFoundError(`Invoice ${current.invoiceNumber} not found`, 'invoice_not_found');
    // The rest of the invoice: refunds made at the provider before were credited by notes of their own.
    const note = await nextCreditNote(deps, invoice, today, 'rest', [
      { method: 'balance', amount: Money.of(current.balancePart, currency) },
      ...(current.method !== 'balance' && current.method !== 'iban'
        ? [{ method: current.method, amount: charged.minus(bookedBefore), ...(refundRef ? { ref: refundRef } : {}) }]
        : []),
    ]);
    creditNoteNumber = note.number;
    changes.push({ type: 'invoice', invoice: note });
  }
  if (toBook.isPositive() && current.paymentRef && current.method !== 'balance' && current.method !== 'iban') {
    changes.push({
      type: 'payment',
      payment: {
        id: `refund-${current.paymentRef}`,
        orgId: org.id,
        date: today,
        method: current.method,
        amount: toBook.negate().toString(),
        currency,
        gatewayRef: refundRef ?? current.paymentRef,
        checkoutId: current.id,
        refundOf: current.paymentRef,
        ...(creditNoteNumber ? { invoiceNumber: creditNoteNumber } : {}),
        createdAt: now,
      },
    });
  }
  const balancePart = Money.of(current.balancePart, currency);
  // A cancelled checkout already got its balance hold back.
  if (balancePart.isPositive() && !wasCanceled) {
    changes.push(balanceMove(org, balancePart, { id: `refund-${current.id}`, date: today, reason: 'refund', ref: creditNoteNumber ?? current.id, createdAt: now }).change);
  }
  const next: Checkout = {
    ...current,
    status: 'refunded',
    ...(creditNoteNumber ? { creditNoteNumber } : {}),
    lastFailure: { code: reason, message: refundReasons[reason] ?? reason },
    version: current.version + 1,
  };
  changes.push({ type: 'checkout', checkout: next, expected: expected(current) });
  changes.push(checkoutEmail(org, next, 'order-refunded', today, now, { reason, ...(creditNoteNumber ? { creditNote: creditNoteNumber } : {}) }));
  await deps.store.commit(changes);
  return 'refunded';
}

/** The payment as the provider has it now; one it does not know is an error, not a guess. */
async function readPayment(deps: CheckoutDeps, paymentRef: string): Promise<PaymentState> {
  const state = await deps.gateway.getPayment(paymentRef);
  if (!state) throw new NotFoundError(`Payment ${paymentRef} is unknown to the payment provider`, 'payment_not_found');
  return state;
}

const refundReasons: Record<string, string> = {
  security_hold_expired: `The order was held for an identity check that was not completed within ${SECURITY_HOLD_DAYS} days`,
  identity_check_failed: 'The order was held for an identity check, which did not succeed',
  product_terminated: 'A product of the order was terminated before the payment arrived',
  checkout_expired: 'The payment arrived after the checkout had expired',
  refunded_by_provider: 'The payment was refunded at the payment provider',
};

/**
 * After the identity check: fulfils a held order (renews its products or
 * credits the top-up). The invoice was issued when the money arrived.
 */
export function releaseHold(deps: CheckoutDeps, orgId: string, checkoutId: string): Promise<Checkout> {
  return retryOnConflict(async () => {
    const checkout = await deps.store.getCheckout(orgId, checkoutId);
    if (!checkout) throw new NotFoundError(`Checkout ${checkoutId} not found`, 'checkout_not_found');
    if (checkout.status !== 'held') throw new BusinessRuleError(`Checkout ${checkoutId} is ${checkout.status}, not held`, 'checkout_not_held');
    const org = await loadOrg(deps.store, orgId);
    const today = deps.clock.today();
    const now = deps.clock.now();
    const next: Checkout = { ...checkout, status: 'paid', version: checkout.version + 1 };
    delete next.heldSince;
    const changes: Change[] = [{ type: 'checkout', checkout: next, expected: expected(checkout) }];
    let commands: LifecycleCommand[] = [];
    if (checkout.purpose === 'renewal') {
      // As at settlement: the customer's payment wins over an automatic charge started meanwhile.
      if (await supersedePendingAttempts(deps, checkout)) throw new WriteConflict(['attempt']);
      const products = await loadCheckoutProducts(deps, checkout);
      // Terminated while the order was held: nothing left to renew, the money goes back (as at settlement).
      if ([...products.values()].some((p) => p.status === 'terminated')) {
        await refundCheckout(deps, checkout, 'product_terminated');
        return (await deps.store.getCheckout(orgId, checkoutId)) ?? checkout;
      }
      for (const p of products.values()) changes.push({ type: 'noPendingAttempt', orgId: p.orgId, attemptId: renewalAttemptId(p) });
      const saved = checkout.savedMethodId ? await deps.store.getPaymentMethod(orgId, checkout.savedMethodId) : undefined;
      const renewed = renewCheckoutProducts(deps, checkout, org, products, today, saved);
      changes.push(...renewed.changes);
      commands = renewed.commands;
    } else {
      // Part of the deposit given back at the provider while it was held is not credited.
      const refunded = checkout.paymentRef ? refundsBooked(await deps.store.listPayments(orgId), checkout.paymentRef, checkout.currency) : Money.zero(checkout.currency);
      const credit = Money.of(checkout.chargePart, checkout.currency).minus(refunded);
      if (credit.isPositive()) {
        changes.push(balanceMove(org, credit, { id: `top-up-${checkout.id}`, date: today, reason: 'top-up', ref: checkout.id, createdAt: now }).change);
      }
    }
    changes.push(
      checkoutEmail(org, next, checkout.purpose === 'top-up' ? 'top-up-credited' : 'checkout-paid', today, now, next.invoiceNumber ? { invoice: next.invoiceNumber } : {}),
    );
    await deps.store.commit(changes);
    if (commands.length > 0) await deps.lifecycleQueue.send(commands.map((c) => ({ date: c.date, commandId: c.id })));
    return next;
  });
}

/**
 * After an identity check that failed: the held order is cancelled and its
 * money given back in full (the card refunded, the balance part returned,
 * the invoice credited), as when the hold runs out (docs/domain.md R-34).
 */
export function cancelHold(deps: CheckoutDeps, orgId: string, checkoutId: string): Promise<Checkout> {
  return retryOnConflict(async () => {
    const checkout = await deps.store.getCheckout(orgId, checkoutId);
    if (!checkout) throw new NotFoundError(`Checkout ${checkoutId} not found`, 'checkout_not_found');
    if (checkout.status !== 'held') throw new BusinessRuleError(`Checkout ${checkoutId} is ${checkout.status}, not held`, 'checkout_not_held');
    await refundCheckout(deps, checkout, 'identity_check_failed');
    return (await deps.store.getCheckout(orgId, checkoutId)) ?? checkout;
  });
}

/**
 * Resolves the automatic payment attempts still pending for a checkout's
 * products: the charge made (found by its attempt, or replayed with its own
 * idempotency key) is refunded, the balance it held is released, and the
 * attempt is closed as superseded, all recorded. Returns whether any was.
 */
async function supersedePendingAttempts(deps: CheckoutDeps, checkout: Checkout): Promise<boolean> {
  let any = false;
  for (const item of checkout.items) {
    for (const attempt of (await deps.store.listAttempts(checkout.orgId, item.productId)).filter((a) => a.status === 'pending')) {
      any = true;
      const product = await deps.store.getProduct(checkout.orgId, item.productId);
      const owner = await loadOrg(deps.store, checkout.orgId);
      const { payer } = await billingContext(deps.store, owner);
      const method = attempt.paymentMethodId ? await deps.store.getPaymentMethod(payer.id, attempt.paymentMethodId) : undefined;
      const chargePart = Money.of(attempt.chargePart, attempt.currency);
      const found = await deps.gateway.findChargeByAttempt(attempt.id);
      const charge =
        found ??
        (method
          ? await deps.gateway.charge({
              orgId: payer.id,
              customerRef: await ensureCustomer(deps, payer),
              paymentMethodRef: method.gatewayRef,
              methodKind: method.kind,
              amount: chargePart,
              idempotencyKey: attempt.idempotencyKey,
              description: `Renewal of ${product?.name ?? attempt.productId} from ${attempt.periodStart}`,
              metadata: { orgId: payer.id, productId: attempt.productId, attemptId: attempt.id, periodStart: attempt.periodStart },
            })
          : undefined);
      const today = deps.clock.today();
      const now = deps.clock.now();
      const changes: Change[] = [{ type: 'attempt', attempt: { ...attempt, status: 'failed', failureCode: 'superseded_by_checkout' }, expectedStatus: 'pending' }];
      if (charge?.status === 'succeeded') {
        const refund = await deps.gateway.refund({
          paymentRef: charge.paymentRef,
          amount: chargePart,
          idempotencyKey: `refund/${attempt.id}`,
          metadata: { orgId: payer.id, attemptId: attempt.id, reason: 'superseded_by_checkout' },
        });
        const record = (id: string, amount: Money, extra: Partial<PaymentRecord>): Change => ({
          type: 'payment',
          // No invoice: the charge paid no period. The checkout that superseded it explains both records.
          payment: {
            id,
            orgId: payer.id,
            date: today,
            method: method?.kind ?? 'card',
            amount: amount.toString(),
            currency: attempt.currency,
            gatewayRef: charge.paymentRef,
            productId: attempt.productId,
            checkoutId: checkout.id,
            createdAt: now,
            ...extra,
          },
        });
        changes.push(
          record(charge.paymentRef, chargePart, {}),
          record(`refund-${charge.paymentRef}`, chargePart.negate(), { refundOf: charge.paymentRef, gatewayRef: refund.refundRef }),
        );
      }
      const held = Money.of(attempt.balancePart, attempt.currency);
      if (held.isPositive()) {
        changes.push(balanceMove(payer, held, { id: `hold-release-${attempt.id}`, date: today, reason: 'hold-release', ref: attempt.id, createdAt: now }).change);
      }
      await deps.store.commit(changes);
    }
  }
  return any;
}

export interface HousekeepingResult {
  holdsRefunded: number;
  checkoutsCanceled: number;
  checkoutsSettled: number;
}

/**
 * The nightly checkout clean-up: held orders past 10 days are cancelled and
 * refunded (docs/domain.md R-34); abandoned card/Twint/PayPal checkouts (2 days) release
 * their balance hold, unless the provider says they were paid after all; a
 * pro-forma unpaid after 30 days is voided and its checkout cancelled.
 */
export async function checkoutHousekeeping(deps: CheckoutDeps, today: IsoDate): Promise<HousekeepingResult> {
  const result: HousekeepingResult = { holdsRefunded: 0, checkoutsCanceled: 0, checkoutsSettled: 0 };
  for (const ref of await deps.store.listCheckoutsInStatus('held', addDays(today, -SECURITY_HOLD_DAYS))) {
    const outcome = await retryOnConflict(async () => {
      const checkout = await deps.store.getCheckout(ref.orgId, ref.checkoutId);
      return checkout?.status === 'held' ? refundCheckout(deps, checkout, 'security_hold_expired') : 'unchanged';
    });
    if (outcome === 'refunded') result.holdsRefunded++;
  }
  // Refunds a crash interrupted between the provider and our books.
  for (const ref of await deps.store.listCheckoutsInStatus('refunding', today)) {
    await retryOnConflict(async () => {
      const checkout = await deps.store.getCheckout(ref.orgId, ref.checkoutId);
      return checkout?.status === 'refunding' ? refundCheckout(deps, checkout, checkout.refund?.reason ?? 'resumed') : 'unchanged';
    });
  }
  for (const ref of await deps.store.listCheckoutsInStatus('awaiting_payment', today)) {
    const checkout = await deps.store.getCheckout(ref.orgId, ref.checkoutId);
    if (!checkout) continue;
    if (ref.date > addDays(today, -checkoutExpiryDays(checkout.method))) continue;
    if (checkout.method === 'iban') {
      // A pro-forma unpaid for 30 days gives its products back to the night (and the customer's balance hold back).
      const expired = await retryOnConflict(async () => {
        const current = await deps.store.getCheckout(ref.orgId, ref.checkoutId);
        return current?.status === 'awaiting_payment' ? cancel(deps, current, 'proforma_expired') : 'unchanged';
      });
      if (expired === 'canceled') result.checkoutsCanceled++;
      continue;
    }
    const outcome = await settleCheckout(deps, ref.orgId, ref.checkoutId);
    if (outcome === 'paid' || outcome === 'held') {
      result.checkoutsSettled++;
      continue;
    }
    const canceled = await retryOnConflict(async () => {
      const current = await deps.store.getCheckout(ref.orgId, ref.checkoutId);
      return current?.status === 'awaiting_payment' ? cancel(deps, current, 'checkout_expired') : 'unchanged';
    });
    if (canceled === 'canceled') result.checkoutsCanceled++;
  }
  return result;
}
