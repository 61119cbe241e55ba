import * as z from 'zod';
import { isIsoDate } from '../domain/calendar.ts';
import type { Catalogue } from '../domain/catalogue.ts';
import { ConflictError, ValidationError } from '../domain/errors.ts';
import { servesAutomaticRenewal } from '../domain/payment-methods.ts';
import { assertAllowedPeriod, renewsAutomatically, rescheduled, type Product } from '../domain/product.ts';
import type { CheckoutReads, DocumentReads, OrganisationReads, PaymentReads, ProductReads } from '../ports/billing-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { UnitOfWork } from '../ports/unit-of-work.ts';
import { assertNotInOpenCheckout } from './checkout/open-checkout.ts';
import { loadOrg, loadProduct, retryOnConflict, typeOf } from './renewal-deps.ts';
import { parseInput } from './validation.ts';

/*
 * The provider's own changes to a product, through the back-office: a
 * rename, another plan or period (priced from the next renewal: nothing
 * issued changes), another renewal method, a corrected expiry; and a move
 * to another organisation (a domain given to a customer's other company).
 * Both are refused while money is moving for the product (a checkout open,
 * an automatic payment pending, an invoice a bank reversal reopened), so a
 * payment always settles on the product it paid for.
 */

export interface ChangeProductDeps {
  store: UnitOfWork & OrganisationReads & ProductReads & Pick<PaymentReads, 'listAttempts'> & Pick<CheckoutReads, 'getCheckout'> & Pick<DocumentReads, 'findInvoice'>;
  catalogue: Catalogue;
  clock: Clock;
}

const isoDate = z.string().refine(isIsoDate, 'must be a date as YYYY-MM-DD');

export const ProductChange = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    typeId: z.string().min(1).optional(),
    periodMonths: z.number().int().positive().optional(),
    expiry: isoDate.optional(),
    autoRenew: z.boolean().optional(),
    /** `null` forgets the method (the balance alone then pays). */
    paymentMethodId: z.string().min(1).nullable().optional(),
  })
  .strict()
  .refine((c) => Object.values(c).some((v) => v !== undefined), 'name at least one field to change');

export const ProductMove = z.object({ toOrgId: z.string().min(1), paymentMethodId: z.string().min(1).optional() }).strict();

/** Money moving for the product: a checkout open, an automatic payment pending, an invoice reopened by the bank. */
async function assertNoMoneyMoving(deps: ChangeProductDeps, product: Product): Promise<void> {
  await assertNotInOpenCheckout(deps.store, product);
  const pending = (await deps.store.listAttempts(product.orgId, product.id)).find((a) => a.status === 'pending');
  if (pending) throw new ConflictError(`An automatic payment of ${product.name} is in progress; try again in a few minutes`, 'payment_in_progress');
}

async function assertRenewalMethod(deps: ChangeProductDeps, orgId: string, methodId: string): Promise<void> {
  const method = await deps.store.getPaymentMethod(orgId, methodId);
  if (!method) throw new ValidationError(`Payment method ${methodId} is not saved for organisation ${orgId}`, 'unknown_payment_method');
  if (!servesAutomaticRenewal(method)) throw new ValidationError(`${method.label} cannot be charged automatically; use a card, Twint or PayPal`, 'method_not_automatic');
}

/** Changes the fields given; the product's schedule follows (the date index with it). */
export async function changeProduct(deps: ChangeProductDeps, orgId: string, productId: string, raw: unknown): Promise<Product> {
  const input = parseInput(ProductChange, raw);
  const org = await loadOrg(deps.store, orgId);
  return retryOnConflict(async () => {
    const product = await loadProduct(deps.store, orgId, productId);
    if (product.status === 'terminated') throw new ConflictError(`${product.name} is terminated`, 'product_terminated');
    if (input.expiry !== undefined || input.typeId !== undefined || input.periodMonths !== undefined) await assertNoMoneyMoving(deps, product);
    const type = input.typeId ? deps.catalogue.get(input.typeId) : typeOf(deps.catalogue, product);
    if (!type) {
      throw new ValidationError(
        `Unknown product type ${input.typeId}; known: ${deps.catalogue
          .all()
          .map((t) => t.id)
          .join(', ')}`,
        'unknown_product_type',
      );
    }
    const periodMonths = input.periodMonths ?? (type.allowedPeriodsMonths.includes(product.periodMonths) ? product.periodMonths : type.allowedPeriodsMonths[0]!);
    assertAllowedPeriod(type, periodMonths);
    if (input.paymentMethodId) await assertRenewalMethod(deps, orgId, input.paymentMethodId);
    const next: Product = {
      ...product,
      typeId: type.id,
      periodMonths,
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.expiry !== undefined ? { expiry: input.expiry, failedAttempts: 0 } : {}),
      ...(input.autoRenew !== undefined ? { autoRenew: input.autoRenew } : {}),
      ...(input.paymentMethodId ? { paymentMethodId: input.paymentMethodId } : {}),
      version: product.version + 1,
    };
    if (input.paymentMethodId === null) delete next.paymentMethodId;
    // A corrected expiry opens a new period: the halt of the old one's automatic attempts no longer applies.
    if (input.expiry !== undefined) delete next.autoRenewHaltedFor;
    if (next.autoRenew && !renewsAutomatically(type)) throw new ValidationError(`${type.name} does not renew automatically: autoRenew must be false`, 'auto_renew_not_offered');
    const saved = rescheduled(next, type, deps.clock.today(), org.reminderDaysBefore);
    await deps.store.commit([{ type: 'product', product: saved, expectedVersion: product.version }]);
    return saved;
  });
}

/**
 * Moves a product to another organisation, in one commit: gone from the
 * first (at the version read), new in the second under the same id. Its
 * history (invoices, payments, attempts) stays with the organisation that
 * paid it. A saved method belongs to its organisation, so the product
 * renews automatically afterwards only with a method of the new one.
 */
export async function moveProduct(deps: ChangeProductDeps, orgId: string, productId: string, raw: unknown): Promise<Product> {
  const input = parseInput(ProductMove, raw);
  if (input.toOrgId === orgId) throw new ValidationError('toOrgId: the product is in that organisation already', 'same_organisation');
  await loadOrg(deps.store, orgId);
  const to = await loadOrg(deps.store, input.toOrgId);
  if (input.paymentMethodId) await assertRenewalMethod(deps, to.id, input.paymentMethodId);
  return retryOnConflict(async () => {
    const product = await loadProduct(deps.store, orgId, productId);
    if (product.status === 'terminated') throw new ConflictError(`${product.name} is terminated`, 'product_terminated');
    await assertNoMoneyMoving(deps, product);
    if (await deps.store.getProduct(to.id, product.id)) throw new ConflictError(`Organisation ${to.id} already has a product ${product.id}`, 'product_exists');
    const type = typeOf(deps.catalogue, product);
    const { paymentMethodId: _old, openCheckoutId: _checkout, awaitsInvoice: _invoice, termination: _termination, pendingAttemptId: _attempt, ...rest } = product;
    const moved: Product = {
      ...rest,
      orgId: to.id,
      autoRenew: product.autoRenew && input.paymentMethodId !== undefined,
      ...(input.paymentMethodId ? { paymentMethodId: input.paymentMethodId } : {}),
      version: product.version + 1,
    };
    const saved = rescheduled(moved, type, deps.clock.today(), to.reminderDaysBefore);
    await deps.store.commit([
      { type: 'productRemoved', orgId, productId: product.id, expectedVersion: product.version },
      { type: 'product', product: saved, expectedVersion: null },
    ]);
    return saved;
  });
}
