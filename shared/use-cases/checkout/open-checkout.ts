import { holdsItsProducts, type Checkout } from '../../domain/checkout.ts';
import { ConflictError } from '../../domain/errors.ts';
import type { Invoice } from '../../domain/invoice.ts';
import type { Product } from '../../domain/product.ts';
import type { CheckoutReads, DocumentReads } from '../../ports/billing-store.ts';

/**
 * The checkout that still takes a product (waiting for its money, or paid and
 * held for an identity check), if any. Only a product carrying a mark costs a
 * read; a mark whose checkout has ended counts for nothing.
 */
export async function openCheckoutOf(store: Pick<CheckoutReads, 'getCheckout'>, product: Product): Promise<Checkout | undefined> {
  if (!product.openCheckoutId) return undefined;
  const checkout = await store.getCheckout(product.orgId, product.openCheckoutId);
  return checkout && holdsItsProducts(checkout) ? checkout : undefined;
}

/** The invoice a bank reversal opened again for the product's period, while it is still open. */
export async function reopenedInvoiceOf(store: Pick<DocumentReads, 'findInvoice'>, product: Product): Promise<Invoice | undefined> {
  if (!product.awaitsInvoice) return undefined;
  const invoice = await store.findInvoice(product.awaitsInvoice);
  return invoice?.status === 'open' ? invoice : undefined;
}

/** One period is bought once: a product in an open checkout (or a reopened invoice) is paid there, or once that ends. */
export async function assertNotInOpenCheckout(
  store: Pick<CheckoutReads, 'getCheckout'> & Pick<DocumentReads, 'findInvoice'>,
  product: Product,
  ownCheckoutId?: string,
): Promise<void> {
  const reopened = await reopenedInvoiceOf(store, product);
  if (reopened) {
    throw new ConflictError(
      `${product.name} is still owed on invoice ${reopened.number} (${reopened.amountDue ?? reopened.total} ${reopened.currency}), which the bank took back; pay that invoice with its QR-bill`,
      'product_awaits_invoice',
    );
  }
  const open = await openCheckoutOf(store, product);
  if (open && open.id !== ownCheckoutId) {
    const what = open.status === 'held' ? 'is paid and held for an identity check' : `waits for its payment (${open.method})`;
    throw new ConflictError(`${product.name} is already in checkout ${open.id}, which ${what}; pay or cancel that one first`, 'product_in_open_checkout');
  }
}
