import { holdsItsProducts, type Checkout } from '../../domain/checkout.ts';
import { ConflictError } from '../../domain/errors.ts';
import type { Product } from '../../domain/product.ts';
import type { BillingStore } from '../../ports/billing-store.ts';

/**
 * The checkout that still takes a product (waiting for its money, or paid and
 * held for an identity check), if any. Only a product carrying a mark costs a
 * read; a mark whose checkout has ended counts for nothing.
 */
export async function openCheckoutOf(store: Pick<BillingStore, 'getCheckout'>, product: Product): Promise<Checkout | undefined> {
  if (!product.openCheckoutId) return undefined;
  const checkout = await store.getCheckout(product.orgId, product.openCheckoutId);
  return checkout && holdsItsProducts(checkout) ? checkout : undefined;
}

/** One period is bought once: a product in an open checkout is paid there, or once that checkout ends. */
export async function assertNotInOpenCheckout(store: Pick<BillingStore, 'getCheckout'>, product: Product, ownCheckoutId?: string): Promise<void> {
  const open = await openCheckoutOf(store, product);
  if (open && open.id !== ownCheckoutId) {
    const what = open.status === 'held' ? 'is paid and held for an identity check' : `waits for its payment (${open.method})`;
    throw new ConflictError(`${product.name} is already in checkout ${open.id}, which ${what}; pay or cancel that one first`, 'product_in_open_checkout');
  }
}
