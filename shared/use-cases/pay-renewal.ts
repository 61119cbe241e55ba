import type { Decimal } from 'decimal.js';
import type { IsoDate } from '../domain/calendar.ts';
import type { ProductType } from '../domain/catalogue.ts';
import { priceRenewal, toInvoice, type Invoice } from '../domain/invoice.ts';
import { Money } from '../domain/money.ts';
import type { Organisation } from '../domain/organisation.ts';
import { seriesIdFor } from '../domain/seller.ts';
import { sellerOfOrg } from './sellers.ts';
import { chfRateAtIssue } from './chf-rate.ts';
import type { ExchangeRate } from '../domain/exchange-rates.ts';
import { assertMethodAcceptsCurrency, type SavedPaymentMethod } from '../domain/payment-methods.ts';
import { renewed, type Product } from '../domain/product.ts';
import { WriteConflict, type Change } from '../ports/unit-of-work.ts';
import type { PaymentAttempt } from '../domain/records.ts';
import type { BillingDeps } from './renewal-deps.ts';
import { PROVISIONAL_SEQUENCE } from './numbering.ts';
import { ensureCustomer } from './provider-customer.ts';

export interface RenewalPaymentInput {
  org: Organisation;
  product: Product;
  type: ProductType;
  night: IsoDate;
  periodMonths: number;
  /** Business identity of this attempt: product, period start and attempt number. */
  attemptId: string;
  /** Saved method for what the balance does not cover; absent means balance only. */
  method?: SavedPaymentMethod;
  /**
   * The attempt as the caller already knows it: `null` when none can exist (the product names no
   * pending attempt of this id), so no read is made; absent, it is read. A guess of `null` that
   * proves wrong costs nothing but a read: the hold is conditioned on the attempt not existing.
   */
  knownAttempt?: PaymentAttempt | null;
  /**
   * The charge goes to the paced charge queue, whose worker reads and checks the method: here a
   * method id is enough to know there is one to charge.
   */
  deferToMethod?: string;
  /** The product's organisation when `org` is the partner billed for it. */
  client?: Organisation;
  /** The night's CHF rate as its plan read it (RenewalMessage.chfRate): then the invoice reads none. */
  chfRate?: ExchangeRate | null;
  /** The partner's discount on the line. */
  discountPercent?: Decimal;
  /** A charge is needed: hand the renewal to the paced charge queue instead of calling the provider here. */
  deferCharge?: boolean;
  /**
   * Record the attempt even when the balance pays it all, so a replay of the
   * same request finds it settled (a manual renewal's request id); the night
   * needs no such record, its product version already says the night was done.
   */
  recordBalanceAttempt?: boolean;
  /**
   * The caller commits through `commitNumbered`, which reads the counter and numbers the invoice at the last
   * moment: the invoice carries a provisional number until then, instead of a counter read made twice.
   */
  numberAtCommit?: boolean;
}

export type RenewalPaymentOutcome =
  | { kind: 'paid'; changes: Change[]; product: Product; invoice: Invoice; collected: Money }
  | { kind: 'failed'; changes: Change[]; code: string; message: string; requiresCustomer: boolean }
  /** Nothing done: the method must be charged, and charges run on their own, rate-limited queue. */
  | { kind: 'deferred' };

/**
 * Pays one renewal: prepaid balance first, the rest on the saved method.
 *
 * 1. Price the renewal (VAT on the issue day) and split it: balance, then method.
 * 2. Balance covers all: the debit goes in the caller's commit, nothing else to call.
 * 3. Otherwise record the attempt as pending and hold the balance part, in one
 *    transaction, before the provider is called; a retry after a crash finds
 *    the same attempt, the same split and the same idempotency key.
 * 4. Charge the method with that key.
 * 5. Return the writes that settle it (invoice, payment, attempt state, or the
 *    release of the held balance), for the caller to commit with the product.
 */
export async function payRenewal(deps: BillingDeps, input: RenewalPaymentInput): Promise<RenewalPaymentOutcome> {
  const { store, gateway, clock } = deps;
  const { org, product, type, night, periodMonths, method } = input;
  const seller = sellerOfOrg(deps, org);
  const now = clock.now();
  const priced = priceRenewal(product, type, org, seller, night, periodMonths, {
    vatRates: deps.vatRates,
    ...(input.discountPercent ? { discountPercent: input.discountPercent } : {}),
    ...(input.client ? { client: input.client } : {}),
  });
  const total = priced.total;
  const year = Number(night.slice(0, 4));

  const issue = async (payments: Parameters<typeof toInvoice>[4]): Promise<Invoice> => {
    const seriesId = seriesIdFor(seller, org.id);
    const sequence = input.numberAtCommit ? PROVISIONAL_SEQUENCE : (await store.lastInvoiceSequence('INV', seriesId, year)) + 1;
    const chfRate = await chfRateAtIssue(store, seller, org.currency, night, input.chfRate);
    return toInvoice(priced, { series: 'INV', seller, seriesId, year, sequence }, org, night, payments, chfRate ? { chfRate } : {});
  };

  // Attempts live with the product, whoever pays, so every path that checks for one in flight finds it.
  let attempt = input.knownAttempt === null ? undefined : (input.knownAttempt ?? (await store.getAttempt(product.orgId, input.attemptId)));
  const resumed = attempt?.status === 'pending';
  if (attempt?.status === 'succeeded') {
    // Settled with its product in one transaction: our product read is stale, so re-read and see it renewed.
    throw new WriteConflict(['attempt']);
  }
  if (attempt?.status === 'failed') {
    // A replayed request whose attempt already failed reports the same failure and moves nothing.
    return {
      kind: 'failed',
      changes: [],
      code: attempt.failureCode ?? 'payment_failed',
      message: `Payment attempt ${attempt.id} already failed`,
      requiresCustomer: attempt.failureCode === 'authentication_required',
    };
  }
  if (resumed && input.deferCharge) return { kind: 'deferred' };

  if (!attempt) {
    const balance = Money.of(org.balance, org.currency);
    const balancePart = balance.isPositive() ? balance.min(total) : Money.zero(org.currency);
    const chargePart = total.minus(balancePart);

    if (chargePart.isZero()) {
      const invoice = await issue([{ method: 'balance', amount: balancePart }]);
      const newBalance = balance.minus(balancePart);
      const record: Change[] = input.recordBalanceAttempt
        ? [
            {
              type: 'attempt',
              attempt: {
                id: input.attemptId,
                orgId: product.orgId,
                productId: product.id,
                periodStart: product.expiry,
                attempt: 1,
                night,
                idempotencyKey: `renewal/${input.attemptId}`,
                currency: org.currency,
                total: total.toString(),
                balancePart: balancePart.toString(),
                chargePart: '0.00',
                status: 'succeeded',
                invoiceNumber: invoice.number,
                createdAt: now,
              },
              expectedStatus: null,
            },
          ]
        : [];
      return {
        kind: 'paid',
        product: renewed(product, periodMonths),
        invoice,
        collected: total,
        changes: [
          ...record,
          {
            type: 'balance',
            orgId: org.id,
            from: org.balance,
            to: newBalance.toString(),
            entry: {
              id: `renewal-${input.attemptId}`,
              orgId: org.id,
              date: night,
              amount: balancePart.negate().toString(),
              currency: org.currency,
              reason: 'renewal',
              ref: invoice.number,
              balanceAfter: newBalance.toString(),
              createdAt: now,
            },
          },
          { type: 'invoice', invoice },
        ],
      };
    }
    // Balance-paid renewals finish at full speed; those that need the provider wait their turn on its queue.
    if (input.deferCharge && input.deferToMethod) return { kind: 'deferred' };
    if (!method) {
      return failure('insufficient_balance', `The prepaid balance (${balance.format()}) does not cover ${total.format()} and no payment method is saved for automatic renewal`);
    }
    try {
      assertMethodAcceptsCurrency(method.kind, org.currency);
    } catch (err) {
      return failure('method_currency_not_supported', (err as Error).message);
    }
    if (input.deferCharge) return { kind: 'deferred' };

    attempt = {
      id: input.attemptId,
      orgId: product.orgId,
      productId: product.id,
      periodStart: product.expiry,
      attempt: product.failedAttempts + 1,
      night,
      idempotencyKey: `renewal/${input.attemptId}`,
      currency: org.currency,
      total: total.toString(),
      balancePart: balancePart.toString(),
      chargePart: chargePart.toString(),
      paymentMethodId: method.id,
      status: 'pending',
      createdAt: now,
    };
    // Held only if the product is still as read: a worker with a stale copy must not charge a period
    // that another worker, or a checkout, has just paid.
    // The product names the attempt, so the night reads it only then (`knownAttempt`).
    const hold: Change[] = [
      { type: 'attempt', attempt, expectedStatus: null },
      { type: 'productAttemptMark', orgId: product.orgId, productId: product.id, version: product.version, attemptId: attempt.id },
    ];
    if (balancePart.isPositive()) hold.push(balanceChange(org.balance, balancePart.negate(), 'renewal-hold', attempt, now));
    try {
      await store.commit(hold);
    } catch (err) {
      // Guessed absent but there: one recorded before products named their attempts. Resume it.
      if (input.knownAttempt === null && err instanceof WriteConflict && err.conflicts.includes('attempt')) {
        const { knownAttempt: _guess, ...rest } = input;
        return payRenewal(deps, rest);
      }
      throw err;
    }
    org.balance = Money.of(org.balance, org.currency).minus(balancePart).toString();
  }

  // An attempt ends with the method it was started with, even if the product's method changed since: its
  // charge may already have gone through (or be going through in another worker) with that method and key,
  // and only the same request can learn or settle that. A method removed at the provider is refused there.
  const charging = method?.id === attempt.paymentMethodId ? method : attempt.paymentMethodId ? await store.getPaymentMethod(org.id, attempt.paymentMethodId) : undefined;
  if (!charging) throw new Error(`attempt ${attempt.id} was started with payment method ${attempt.paymentMethodId ?? '(none)'}, which is not saved for ${org.id}`);
  const chargePart = Money.of(attempt.chargePart, attempt.currency);
  const balancePart = Money.of(attempt.balancePart, attempt.currency);
  // A retry of an attempt recorded earlier: its charge may have gone through before a crash, and the
  // provider forgets idempotency keys after 24 hours, so ask for that charge before making one.
  const earlier = resumed ? await gateway.findChargeByAttempt(attempt.id) : undefined;
  const result =
    earlier ??
    (await gateway.charge({
      orgId: org.id,
      customerRef: await ensureCustomer(deps, org),
      paymentMethodRef: charging.gatewayRef,
      methodKind: charging.kind,
      amount: chargePart,
      idempotencyKey: attempt.idempotencyKey,
      description: `Renewal of ${product.name} from ${product.expiry}`,
      metadata: { orgId: org.id, productId: product.id, attemptId: attempt.id, periodStart: attempt.periodStart },
    }));

  if (result.status === 'succeeded') {
    const invoice = await issue([
      { method: 'balance', amount: balancePart },
      { method: charging.kind, amount: chargePart, ref: result.paymentRef },
    ]);
    return {
      kind: 'paid',
      product: renewed(product, periodMonths),
      invoice,
      collected: Money.of(attempt.total, attempt.currency),
      changes: [
        { type: 'attempt', attempt: { ...attempt, status: 'succeeded', gatewayRef: result.paymentRef, invoiceNumber: invoice.number }, expectedStatus: 'pending' },
        { type: 'invoice', invoice },
        {
          type: 'payment',
          payment: {
            id: result.paymentRef,
            orgId: org.id,
            date: night,
            method: charging.kind,
            amount: chargePart.toString(),
            currency: attempt.currency,
            gatewayRef: result.paymentRef,
            invoiceNumber: invoice.number,
            productId: product.id,
            createdAt: now,
          },
        },
      ],
    };
  }

  const settled: PaymentAttempt = {
    ...attempt,
    status: 'failed',
    failureCode: result.code,
    ...(result.paymentRef ? { gatewayRef: result.paymentRef } : {}),
  };
  const changes: Change[] = [{ type: 'attempt', attempt: settled, expectedStatus: 'pending' }];
  if (balancePart.isPositive()) changes.push(balanceChange(org.balance, balancePart, 'hold-release', attempt, now));
  return { kind: 'failed', changes, code: result.code, message: result.message, requiresCustomer: result.status === 'requires_action' };

  function failure(code: string, message: string): RenewalPaymentOutcome {
    return { kind: 'failed', changes: [], code, message, requiresCustomer: false };
  }

  function balanceChange(current: string, delta: Money, reason: 'renewal-hold' | 'hold-release', a: PaymentAttempt, createdAt: string): Change {
    const after = Money.of(current, org.currency).plus(delta);
    return {
      type: 'balance',
      orgId: org.id,
      from: current,
      to: after.toString(),
      entry: {
        id: `${reason}-${a.id}`,
        orgId: org.id,
        date: night,
        amount: delta.toString(),
        currency: org.currency,
        reason,
        ref: a.id,
        balanceAfter: after.toString(),
        createdAt,
      },
    };
  }
}
