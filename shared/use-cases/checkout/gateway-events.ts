import { Money } from '../../domain/money.ts';
import { WriteConflict, type Change } from '../../ports/unit-of-work.ts';
import type { StoredGatewayEvent } from '../../domain/records.ts';
import type { GatewayEvent, PaymentState } from '../../ports/payment-gateway.ts';
import { loadOrg, retryOnConflict } from '../renewal-deps.ts';
import type { CheckoutDeps, SettlementMessage } from './checkout-deps.ts';
import { balanceMove, checkoutEmail, savedMethodFrom } from './fulfil-checkout.ts';
import { nextCreditNote, nextRefundRecordId, refundsBooked } from './refund-booking.ts';
import { settleCheckout } from './settle-checkout.ts';

/** The provider events the engine acts on; any other is stored and acknowledged. */
export const HANDLED_EVENT_TYPES = [
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'charge.refunded',
  'setup_intent.succeeded',
  'payment_method.detached',
] as const;

/** Stored events outlive Stripe's 3 days of webhook retries and the reconciliation window. */
const EVENT_RETENTION_SECONDS = 35 * 24 * 3600;

/** An event that arrived before what it is about was recorded (a refund before its renewal's commit). */
const RETRY_LATER = 'retry-later';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The webhook endpoint's whole job: check the signature on the raw body,
 * store the event once by its id, and queue it for settlement. Nothing is
 * settled here, so the provider gets its 2xx fast and a crash loses nothing:
 * a redelivered event that was stored but never queued is queued again.
 */
export async function receiveWebhook(deps: CheckoutDeps, rawBody: string, signature: string | undefined): Promise<{ eventId: string; duplicate: boolean }> {
  const event = await deps.verifier.verify(rawBody, signature);
  if (isRenewalPaymentEvent(event)) return { eventId: event.id, duplicate: false };
  const stored = await storeEvent(deps, event);
  if (stored.status === 'received') await deps.settlementQueue.send([{ eventId: event.id }]);
  return { eventId: event.id, duplicate: !stored.isNew };
}

/**
 * An off-session renewal's own payment event (its PaymentIntent carries an attempt and no checkout): the
 * renewal worker settles it with the product in one transaction, and a night left pending finds the charge
 * by its attempt, so nothing is kept or queued for it. Checked on the signed event; a renewal's refund
 * (charge.refunded) is kept and settled like any other.
 */
function isRenewalPaymentEvent(event: GatewayEvent): boolean {
  if (!event.type.startsWith('payment_intent.')) return false;
  const metadata = event.object.metadata;
  if (typeof metadata !== 'object' || metadata === null) return false;
  const { attemptId, checkoutId } = metadata as Record<string, unknown>;
  return typeof attemptId === 'string' && attemptId !== '' && checkoutId === undefined;
}

/** The fields of an event's object that settlement reads; the rest stays at the provider, by the event's id. */
const SETTLEMENT_FIELDS = ['id', 'object', 'status', 'payment_intent', 'payment_method', 'customer', 'amount', 'amount_refunded', 'currency', 'metadata'] as const;

/**
 * What is stored of an event's object: only what settlement reads (it acts on
 * the object's current state, re-read from the provider). A validly signed
 * event can be far larger than a DynamoDB item's 400 KB (an expanded
 * Checkout Session with its line items, a charge with its refunds); what is
 * kept is small and bounded (Stripe caps metadata at 50 keys of 500 characters).
 */
export function settlementView(object: Record<string, unknown>): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const field of SETTLEMENT_FIELDS) {
    const value = object[field];
    if (value === undefined || value === null) continue;
    // An expanded reference keeps its id only.
    view[field] = field !== 'metadata' && typeof value === 'object' && !Array.isArray(value) ? str((value as { id?: unknown }).id) : value;
  }
  return view;
}

async function storeEvent(deps: CheckoutDeps, event: GatewayEvent): Promise<StoredGatewayEvent & { isNew: boolean }> {
  const now = deps.clock.now();
  const stored: StoredGatewayEvent = {
    id: event.id,
    type: event.type,
    created: event.created,
    objectId: str(event.object.id) ?? '',
    payload: JSON.stringify(settlementView(event.object)),
    status: 'received',
    receivedAt: now,
    expiresAt: Math.floor(Date.parse(now) / 1000) + EVENT_RETENTION_SECONDS,
  };
  try {
    await deps.store.commit([{ type: 'gatewayEvent', event: stored, expectedStatus: null }]);
    return { ...stored, isNew: true };
  } catch (err) {
    if (!(err instanceof WriteConflict)) throw err;
    const existing = await deps.store.getGatewayEvent(event.id);
    if (!existing) throw err;
    return { ...existing, isNew: false };
  }
}

/**
 * Settles one stored event (the settlement queue's consumer).
 *
 * 1. Read the stored event; a processed one is acknowledged and left alone.
 * 2. Act on the object's current state at the provider, not on the event's
 *    copy: payments settle their checkout, refunds are recorded, saved and
 *    detached methods update the organisation.
 * 3. Mark the event processed with what was done.
 */
export async function processGatewayEvent(deps: CheckoutDeps, msg: SettlementMessage): Promise<string> {
  const event = await deps.store.getGatewayEvent(msg.eventId);
  if (!event) throw new Error(`event ${msg.eventId} is not stored`);
  if (event.status === 'processed') return 'already-processed';
  const object = JSON.parse(event.payload) as Record<string, unknown>;
  const outcome = await act(deps, event.type, object);
  // Left unprocessed: the nightly reconciliation comes back to it once what it needs is recorded.
  if (outcome === RETRY_LATER) return outcome;
  try {
    await deps.store.commit([{ type: 'gatewayEvent', event: { ...event, status: 'processed', processedAt: deps.clock.now(), outcome }, expectedStatus: 'received' }]);
  } catch (err) {
    // A concurrent delivery of the same event finished first: its work is the same.
    if (!(err instanceof WriteConflict)) throw err;
  }
  return outcome;
}

async function act(deps: CheckoutDeps, type: string, object: Record<string, unknown>): Promise<string> {
  switch (type) {
    case 'payment_intent.succeeded':
    case 'payment_intent.payment_failed':
    case 'payment_intent.canceled':
      return settlePayment(deps, str(object.id));
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
    case 'checkout.session.async_payment_failed':
      return settlePayment(deps, str(object.payment_intent));
    case 'charge.refunded':
      return recordRefund(deps, str(object.payment_intent));
    case 'setup_intent.succeeded':
      return saveMethod(deps, object);
    case 'payment_method.detached':
      return detachMethod(deps, str(object.id));
    default:
      return 'ignored';
  }
}

async function settlePayment(deps: CheckoutDeps, paymentRef: string | undefined): Promise<string> {
  if (!paymentRef) return 'no-payment';
  const state = await deps.gateway.getPayment(paymentRef);
  if (!state) return 'unknown-payment';
  const { orgId, checkoutId, attemptId } = state.metadata;
  if (orgId && checkoutId) return `checkout-${await settleCheckout(deps, orgId, checkoutId)}`;
  // Off-session renewals are settled by the nightly worker in the same transaction as the product.
  if (attemptId) return 'renewal-attempt';
  return 'unknown-payment';
}

/**
 * A refund made at the provider (the dashboard, a dispute): recorded against
 * the checkout it gives back, for the part not booked yet, with a credit note
 * for that part; the refund that completes it reverses the rest of the
 * invoice and gives back what the balance paid. A top-up given back leaves
 * the balance too (it may go below zero when the money was already spent:
 * the next top-up pays it off).
 * Every booking moves the checkout's version, so it is serialised with the
 * engine's own refund of the same checkout.
 */
async function recordRefund(deps: CheckoutDeps, paymentRef: string | undefined): Promise<string> {
  if (!paymentRef) return 'no-payment';
  const state = await deps.gateway.getPayment(paymentRef);
  const { orgId, checkoutId, attemptId } = state?.metadata ?? {};
  if (state && orgId && !checkoutId && attemptId) return recordRenewalRefund(deps, orgId, state);
  if (!state || !orgId || !checkoutId) return 'unknown-payment';
  return retryOnConflict(async () => {
    const checkout = await deps.store.getCheckout(orgId, checkoutId);
    if (!checkout || checkout.method === 'balance' || checkout.method === 'iban') return 'unknown-checkout';
    // Refunded before it was settled: settlement books the payment and its refund together.
    if (checkout.status === 'awaiting_payment' || checkout.status === 'canceled') return `checkout-${await settleCheckout(deps, orgId, checkoutId)}`;
    // Our own refunds (security holds, late payments) already recorded everything.
    if (checkout.status === 'refunded' || checkout.status === 'refunding') return 'already-recorded';
    const refunded = state.amountRefunded;
    if (!refunded.isPositive()) return 'nothing-refunded';
    const currency = checkout.currency;
    const booked = refundsBooked(await deps.store.listPayments(orgId), paymentRef, currency);
    const toBook = refunded.minus(booked);
    // The same refund delivered again (on any day), or an older state read after a newer one was booked.
    if (!toBook.isPositive()) return 'already-recorded';
    const today = deps.clock.today();
    const now = deps.clock.now();
    const org = await loadOrg(deps.store, orgId);
    const full = refunded.gte(Money.of(checkout.chargePart, currency));
    const changes: Change[] = [];
    // Undone in full, the order gives back what the balance paid of it too.
    const balanceBack = full && checkout.purpose === 'renewal' ? Money.of(checkout.balancePart, currency) : Money.zero(currency);
    let creditNoteNumber: string | undefined;
    const invoice = checkout.invoiceNumber ? await deps.store.findInvoice(checkout.invoiceNumber) : undefined;
    if (invoice) {
      // A partial refund credits its amount; the refund that completes it credits all the invoice has left.
      const note = await nextCreditNote(deps, invoice, today, full ? 'rest' : toBook, [
        { method: 'balance', amount: balanceBack },
        { method: checkout.method, amount: toBook, ref: paymentRef },
      ]);
      creditNoteNumber = note.number;
      changes.push({ type: 'invoice', invoice: note });
    }
    if (balanceBack.isPositive()) {
      changes.push(balanceMove(org, balanceBack, { id: `refund-${checkout.id}`, date: today, reason: 'refund', ref: creditNoteNumber ?? checkoutId, createdAt: now }).change);
    }
    const recordId = nextRefundRecordId(paymentRef, booked);
    changes.push({
      type: 'payment',
      payment: {
        id: recordId,
        orgId,
        date: today,
        method: checkout.method,
        amount: toBook.negate().toString(),
        currency,
        gatewayRef: paymentRef,
        checkoutId,
        refundOf: paymentRef,
        ...(creditNoteNumber ? { invoiceNumber: creditNoteNumber } : {}),
        createdAt: now,
      },
    });
    // A held top-up was never credited: releasing the hold credits only what is left.
    if (checkout.purpose === 'top-up' && checkout.status === 'paid') {
      changes.push(balanceMove(org, toBook.negate(), { id: recordId, date: today, reason: 'top-up-refund', ref: creditNoteNumber ?? checkoutId, createdAt: now }).change);
    }
    const next = full
      ? { ...checkout, status: 'refunded' as const, ...(creditNoteNumber ? { creditNoteNumber } : {}), version: checkout.version + 1 }
      : { ...checkout, version: checkout.version + 1 };
    changes.push({ type: 'checkout', checkout: next, expected: { version: checkout.version, status: checkout.status } });
    if (full) {
      changes.push(checkoutEmail(org, next, 'order-refunded', today, now, { reason: 'refunded_by_provider', ...(creditNoteNumber ? { creditNote: creditNoteNumber } : {}) }));
    }
    // A conflict (another worker booked from the same total, or the checkout moved) re-reads and books what is left.
    await deps.store.commit(changes);
    return full ? 'refund-recorded' : 'partial-refund-recorded';
  });
}

/**
 * A refund made at the provider of an automatic renewal's charge, for the
 * part not booked yet: a negative payment and a credit note for that part.
 * The refund that completes it reverses the rest of the invoice, and the
 * part the prepaid balance paid goes back to the balance, so the whole
 * invoice is undone. The product keeps its period: whoever refunded decides
 * what happens to the service.
 */
async function recordRenewalRefund(deps: CheckoutDeps, orgId: string, state: PaymentState): Promise<string> {
  return retryOnConflict(async () => {
    const payments = await deps.store.listPayments(orgId);
    const payment = payments.find((p) => p.gatewayRef === state.paymentRef && !p.refundOf);
    // The night's commit that records the charge has not happened yet: come back later.
    if (!payment) return RETRY_LATER;
    const refunded = state.amountRefunded;
    if (!refunded.isPositive()) return 'nothing-refunded';
    const booked = refundsBooked(payments, state.paymentRef, payment.currency);
    const toBook = refunded.minus(booked);
    // The same refund delivered again (on any day), an older state read after a newer one was booked,
    // or the engine's own refund of a charge a customer's checkout superseded.
    if (!toBook.isPositive()) return 'already-recorded';
    if (!payment.invoiceNumber) return RETRY_LATER;
    const invoice = await deps.store.findInvoice(payment.invoiceNumber);
    if (!invoice) return RETRY_LATER;
    const org = await loadOrg(deps.store, orgId);
    const today = deps.clock.today();
    const now = deps.clock.now();
    const full = refunded.gte(Money.of(payment.amount, invoice.currency));
    const changes: Change[] = [];
    // Undone in full, the renewal gives back what the balance paid of it too.
    const balanceBack = full
      ? Money.sum(
          invoice.payments.filter((p) => p.method === 'balance').map((p) => Money.of(p.amount, invoice.currency)),
          invoice.currency,
        )
      : Money.zero(invoice.currency);
    // A partial refund credits its amount; the refund that completes it credits all the invoice has left.
    const note = await nextCreditNote(deps, invoice, today, full ? 'rest' : toBook, [
      { method: 'balance', amount: balanceBack },
      { method: payment.method, amount: toBook, ref: state.paymentRef },
    ]);
    const creditNoteNumber = note.number;
    changes.push({ type: 'invoice', invoice: note });
    if (balanceBack.isPositive()) {
      changes.push(balanceMove(org, balanceBack, { id: `refund-${invoice.number}`, date: today, reason: 'refund', ref: note.number, createdAt: now }).change);
    }
    changes.push({
      type: 'payment',
      payment: {
        id: nextRefundRecordId(state.paymentRef, booked),
        orgId,
        date: today,
        method: payment.method,
        amount: toBook.negate().toString(),
        currency: invoice.currency,
        gatewayRef: state.paymentRef,
        refundOf: state.paymentRef,
        invoiceNumber: creditNoteNumber,
        ...(payment.productId ? { productId: payment.productId } : {}),
        createdAt: now,
      },
    });
    // A conflict (another worker booked from the same total) re-reads and books what is left.
    await deps.store.commit(changes);
    return full ? 'renewal-refund-recorded' : 'partial-renewal-refund-recorded';
  });
}

/** A method saved outside a checkout (a SetupIntent): the organisation can use it for automatic renewals. */
async function saveMethod(deps: CheckoutDeps, object: Record<string, unknown>): Promise<string> {
  const ref = str(object.payment_method);
  const orgId = str((object.metadata as Record<string, unknown> | undefined)?.orgId);
  if (!ref || !orgId) return 'no-organisation';
  const org = await deps.store.getOrganisation(orgId);
  const customer = str(object.customer);
  // A SetupIntent of another customer must not attach a method to this organisation.
  if (!org || (customer && org.gatewayCustomerRef && customer !== org.gatewayCustomerRef)) return 'customer-mismatch';
  const saved = savedMethodFrom(orgId, await deps.gateway.getPaymentMethod(ref), deps.clock.now());
  if (!saved) return 'unknown-method';
  await deps.store.commit([{ type: 'paymentMethod', method: saved }]);
  return 'method-saved';
}

/**
 * A method removed at the provider can no longer be charged: it is marked
 * detached, the products that renewed with it fall back to the prepaid
 * balance, and the billing contacts are told to choose another method.
 */
async function detachMethod(deps: CheckoutDeps, ref: string | undefined): Promise<string> {
  if (!ref) return 'no-method';
  const method = await deps.store.findPaymentMethodByRef(ref);
  if (!method || method.gatewayRef !== ref) return 'unknown-method';
  if (method.detachedAt) return 'already-detached';
  const now = deps.clock.now();
  const today = deps.clock.today();
  const affected = (await deps.store.listProducts(method.orgId)).filter((p) => p.paymentMethodId === method.id);
  for (const p of affected) {
    await retryOnConflict(async () => {
      const current = await deps.store.getProduct(p.orgId, p.id);
      if (!current || current.paymentMethodId !== method.id) return;
      const next = { ...current, version: current.version + 1 };
      delete next.paymentMethodId;
      await deps.store.commit([{ type: 'product', product: next, expectedVersion: current.version }]);
    });
  }
  const org = await loadOrg(deps.store, method.orgId);
  await deps.store.commit([
    { type: 'paymentMethod', method: { ...method, detachedAt: now } },
    {
      type: 'email',
      email: {
        id: `${method.id}#payment-method-removed`,
        date: today,
        orgId: org.id,
        to: org.billingContacts,
        template: 'payment-method-removed',
        data: { method: method.label, products: affected.map((p) => p.name).join(', ') },
        createdAt: now,
      },
    },
  ]);
  return `method-detached (${affected.length} product(s) fall back to the balance)`;
}

export interface ReconcileResult {
  /** Where the provider's list was read from (Unix seconds). */
  from: number;
  listed: number;
  /** Listed, never stored: their webhook was lost. */
  missing: number;
  /** Sent to settlement: the missing ones, and those stored but never processed. */
  queued: number;
  /** The hours listed one after the other (the last open-ended, up to the newest event). */
  windows: number;
  /** Every window listed; false when the run stopped at its time limit (the watermark says where the next one starts). */
  complete: boolean;
}

/** Read again behind the watermark: an event created just before a run may reach the provider's list only after it. */
const WATERMARK_OVERLAP_SECONDS = 3600;
/**
 * One hour of events is listed, settled and remembered before the next: a run that must stop leaves the
 * watermark where it stopped. An hour holds 72,000 renewal charges at the charge queue's pace (20 a second),
 * 720 pages: under three minutes at 5 requests a second.
 */
export const RECONCILE_WINDOW_SECONDS = 3600;
/** The provider's events API keeps 30 days: nothing older can be listed. */
export const PROVIDER_EVENT_DAYS = 30;
/** SQS takes 10 messages to a call. */
const SEND_BATCH = 10;

export interface ReconcileOptions {
  /** Nightly and hourly: start at the watermark (less an hour) and move it. By hand: the window given, the watermark left alone. */
  useWatermark?: boolean;
  /** Asked before each window after the first: true stops the run there (the Lambda's time is running out). */
  shouldStop?: () => boolean;
}

/**
 * The provider stops retrying a webhook after 3 days: this lists the
 * provider's events since a time and queues for settlement any that never
 * arrived or were never processed (hourly and nightly, and `billing stripe
 * reconcile --since`). Its cost follows the new events only:
 * 1. With `useWatermark`, the list starts at the watermark less an hour,
 *    never before `sinceSeconds` (the retry window's start); asked by hand, at
 *    `sinceSeconds`; never more than the provider's 30 days back.
 * 2. An hour at a time: what is stored of the hour's events is read 100 to a
 *    read (a renewal's own payment events are not looked up: the renewal
 *    settled them); processed ones cost nothing more. Missing ones are
 *    stored; both kinds are queued.
 * 3. After each hour the watermark moves to the oldest event left
 *    unprocessed (so a run whose settlement failed, or waited for what it
 *    needs, lists it again), else to the hour's end; a run stopped at its
 *    time limit is taken up there by the next.
 */
export async function reconcileGatewayEvents(deps: CheckoutDeps, sinceSeconds: number, opts: ReconcileOptions = {}): Promise<ReconcileResult> {
  const now = Math.floor(Date.parse(deps.clock.now()) / 1000);
  const watermark = opts.useWatermark ? await deps.store.getReconcileWatermark() : undefined;
  const asked = watermark === undefined ? sinceSeconds : Math.max(sinceSeconds, watermark - WATERMARK_OVERLAP_SECONDS);
  const from = Math.max(asked, now - PROVIDER_EVENT_DAYS * 86_400);
  const result: ReconcileResult = { from, listed: 0, missing: 0, queued: 0, windows: 0, complete: false };
  let oldestQueued = Infinity;
  let saved = watermark;
  for (let cursor = from; ;) {
    if (result.windows > 0 && opts.shouldStop?.()) return result;
    // The last window is open-ended: an event the clock calls future is listed all the same.
    const until = cursor + RECONCILE_WINDOW_SECONDS <= now ? cursor + RECONCILE_WINDOW_SECONDS : undefined;
    const events = await deps.gateway.listEvents(cursor, HANDLED_EVENT_TYPES, until);
    result.windows++;
    result.listed += events.length;
    const ours = events.filter((e) => !isRenewalPaymentEvent(e));
    const known = new Map((await deps.store.getGatewayEvents(ours.map((e) => e.id))).map((e) => [e.id, e]));
    const toQueue: GatewayEvent[] = [];
    for (const event of ours) {
      let stored: StoredGatewayEvent | undefined = known.get(event.id);
      if (!stored) {
        const kept = await storeEvent(deps, event);
        if (kept.isNew) result.missing++;
        stored = kept;
      }
      if (stored.status === 'received') toQueue.push(event);
    }
    for (let i = 0; i < toQueue.length; i += SEND_BATCH) await deps.settlementQueue.send(toQueue.slice(i, i + SEND_BATCH).map((e) => ({ eventId: e.id })));
    result.queued += toQueue.length;
    // A reduce, not Math.min(...): an hour's list can hold more events than a call takes arguments.
    oldestQueued = toQueue.reduce((m, e) => Math.min(m, e.created), oldestQueued);
    const reached = until ?? events.reduce((m, e) => Math.max(m, e.created), cursor);
    if (opts.useWatermark) {
      const mark = Number.isFinite(oldestQueued) ? oldestQueued : reached;
      if (mark !== saved) {
        await deps.store.putReconcileWatermark(mark);
        saved = mark;
      }
    }
    if (until === undefined) break;
    cursor = until;
  }
  result.complete = true;
  return result;
}
