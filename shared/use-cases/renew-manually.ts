import * as z from 'zod';
import { assertNotTerminating } from '../domain/termination.ts';
import { daysBetween } from '../domain/calendar.ts';
import { AUTO_RENEW_CUTOFF_DAYS } from '../domain/catalogue.ts';
import { BusinessRuleError, ConflictError, ValidationError } from '../domain/errors.ts';
import { servesAutomaticRenewal } from '../domain/payment-methods.ts';
import { assertAllowedPeriod, assertWithinLongestPeriod, nextActionDate, renewalPeriod, renewsAutomatically, type Product } from '../domain/product.ts';
import { assertNotInOpenCheckout } from './checkout/open-checkout.ts';
import type { Change } from '../ports/unit-of-work.ts';
import type { LifecycleCommand } from '../domain/records.ts';
import { authoriseBilling, SYSTEM, type Actor } from './actor.ts';
import { payRenewal } from './pay-renewal.ts';
import { loadOrg, loadProduct, retryOnConflict, typeOf, type BillingDeps } from './renewal-deps.ts';
import { parseInput } from './validation.ts';

export const ManualRenewalInput = z.object({
  productId: z.string().min(1),
  periodMonths: z.number().int().positive().optional(),
  /** Saved method for what the balance does not cover; omitted: the product's own, else balance only. */
  paymentMethodId: z.string().optional(),
  /** The caller's request id: a retried request pays once. */
  requestId: z.string().min(1).max(100),
});

export interface ManualRenewalResult {
  product: Product;
  invoiceNumber: string;
  total: string;
  unblocked: boolean;
  /** The request had been paid before: this is its first answer, nothing moved now. */
  replayed: boolean;
}

/**
 * Renews a product now, before or after its expiry, for one of its type's periods.
 *
 * 1. A request id paid before answers with its first result and moves nothing.
 * 2. Check billing rights, the period (never past the type's longest period
 *    from today), that the product is not terminated, not in an open
 *    checkout and has no automatic payment in flight.
 * 3. Pay: prepaid balance first, then the chosen saved method; a method that
 *    can renew automatically becomes the product's renewal method.
 * 4. Commit the extended expiry (and unblock), the invoice, the money and the
 *    attempt named by the request id in one transaction.
 * 5. A blocked product gets its unblock command.
 */
export async function renewManually(deps: BillingDeps, orgId: string, raw: unknown, actor: Actor = SYSTEM): Promise<ManualRenewalResult> {
  const input = parseInput(ManualRenewalInput, raw);
  await authoriseBilling(deps.store, actor, orgId, input.productId);
  // The request id alone names the renewal: the expiry it started from moves once it is paid.
  const attemptId = `${input.productId}#manual-${input.requestId}`;
  return retryOnConflict(async () => {
    const org = await loadOrg(deps.store, orgId);
    const product = await loadProduct(deps.store, orgId, input.productId);
    const earlier = await deps.store.getAttempt(orgId, attemptId);
    if (earlier?.status === 'succeeded' && earlier.invoiceNumber) {
      // A retry of a renewal already paid: the first answer again, and no money moves.
      return { product, invoiceNumber: earlier.invoiceNumber, total: earlier.total, unblocked: false, replayed: true };
    }
    if (product.status === 'terminated') {
      throw new BusinessRuleError(`${product.name} is terminated and can no longer be renewed`, 'product_terminated');
    }
    assertNotTerminating(product);
    const inFlight = (await deps.store.listAttempts(orgId, product.id)).find((a) => a.status === 'pending' && a.id !== attemptId);
    if (inFlight) {
      // Paying now could pay the same period twice while the automatic charge settles.
      throw new ConflictError(`An automatic payment for ${product.name} is in progress; try again in a few minutes`, 'payment_in_progress');
    }
    await assertNotInOpenCheckout(deps.store, product);
    const type = typeOf(deps.catalogue, product);
    const periodMonths = input.periodMonths ?? product.periodMonths;
    assertAllowedPeriod(type, periodMonths);
    const today = deps.clock.today();
    assertWithinLongestPeriod(type, renewalPeriod(product, periodMonths).to, today, product.name);
    const methodId = input.paymentMethodId ?? product.paymentMethodId;
    const method = methodId ? await deps.store.getPaymentMethod(orgId, methodId) : undefined;
    if (methodId && !method) throw new ValidationError(`Payment method ${methodId} is not saved for organisation ${orgId}`, 'unknown_payment_method');
    const paid = await payRenewal(deps, {
      org,
      product,
      type,
      night: today,
      periodMonths,
      attemptId,
      ...(method ? { method } : {}),
      recordBalanceAttempt: true,
    });
    if (paid.kind === 'failed') {
      if (paid.changes.length > 0) await deps.store.commit(paid.changes);
      throw new BusinessRuleError(`Payment failed: ${paid.message}`, paid.code);
    }
    // A customer waiting for an answer is charged now, never deferred.
    if (paid.kind === 'deferred') throw new Error('a manual renewal is never deferred');
    const next: Product = { ...paid.product, periodMonths, version: product.version + 1 };
    // docs/domain.md R-8: paying with a method that can renew automatically makes it the one that renews.
    const charged = paid.invoice.payments.some((p) => p.method !== 'balance');
    if (method && charged && servesAutomaticRenewal(method) && !method.detachedAt) {
      next.paymentMethodId = method.id;
      if (daysBetween(today, next.expiry) >= AUTO_RENEW_CUTOFF_DAYS && renewsAutomatically(type)) next.autoRenew = true;
    }
    const upcoming = nextActionDate(next, type, product.lastNight && product.lastNight >= today ? product.lastNight : today, org.reminderDaysBefore);
    if (upcoming) next.nextActionDate = upcoming;
    else delete next.nextActionDate;
    const changes: Change[] = [...paid.changes, { type: 'product', product: next, expectedVersion: product.version }];
    const unblock: LifecycleCommand | undefined =
      product.status === 'blocked'
        ? {
            id: `${product.id}#unblock#${paid.invoice.number}`,
            date: today,
            orgId,
            productId: product.id,
            action: 'unblock',
            status: 'pending',
            createdAt: deps.clock.now(),
          }
        : undefined;
    if (unblock) changes.push({ type: 'lifecycle', command: unblock, expectedStatus: null });
    await deps.store.commit(changes);
    if (unblock) await deps.lifecycleQueue.send([{ date: unblock.date, commandId: unblock.id }]);
    return { product: next, invoiceNumber: paid.invoice.number, total: paid.invoice.total, unblocked: unblock !== undefined, replayed: false };
  });
}
