import { NotFoundError } from '../../domain/errors.ts';
import { authoriseBilling, type Actor } from '../actor.ts';
import type { CheckoutDeps } from './checkout-deps.ts';
import { viewOf, type CheckoutView } from './checkout-view.ts';

/** A checkout as its customer sees it, for someone with billing rights in its organisation. */
export async function getCheckout(deps: CheckoutDeps, orgId: string, checkoutId: string, actor: Actor): Promise<CheckoutView> {
  await authoriseBilling(deps.store, actor, orgId);
  const checkout = await deps.store.getCheckout(orgId, checkoutId);
  if (!checkout) throw new NotFoundError(`Checkout ${checkoutId} not found`, 'checkout_not_found');
  return viewOf(checkout);
}
