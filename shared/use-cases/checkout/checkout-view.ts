import type { Checkout, CheckoutItem, CheckoutMethod } from '../../domain/checkout.ts';
import type { Product } from '../../domain/product.ts';
import { periodFor } from './fulfil-checkout.ts';

/** What the customer (and the front end) sees of a checkout. */
export interface CheckoutView {
  checkoutId: string;
  purpose: Checkout['purpose'];
  status: Checkout['status'];
  currency: string;
  items: (CheckoutItem & { periodFrom?: string; periodTo?: string })[];
  totalNet: string;
  totalVat: string;
  total: string;
  vatMention?: string;
  balanceUsed: string;
  amountDue: string;
  method: CheckoutMethod;
  /** For Stripe.js: confirm this PaymentIntent in the browser; or send the customer to the hosted page's `url`. */
  payment?: { provider: 'stripe'; paymentRef: string; clientSecret?: string; url?: string };
  /** Bank transfer: the pro-forma to pay against, and the reference to quote. */
  proformaNumber?: string;
  paymentReference?: string;
  invoiceNumber?: string;
  creditNoteNumber?: string;
  lastFailure?: { code: string; message: string };
}

export function viewOf(c: Checkout, products?: Map<string, Product>, today?: string): CheckoutView {
  return {
    checkoutId: c.id,
    purpose: c.purpose,
    status: c.status,
    currency: c.currency,
    items: c.items.map((i) => {
      const p = products?.get(i.productId);
      return p && today && c.status === 'awaiting_payment' ? { ...i, ...periodFrom(p, i.periodMonths, today) } : i;
    }),
    totalNet: c.totalNet,
    totalVat: c.totalVat,
    total: c.total,
    ...(c.vat.mention ? { vatMention: c.vat.mention } : {}),
    balanceUsed: c.balancePart,
    amountDue: c.chargePart,
    method: c.method,
    ...(c.paymentRef && (c.clientSecret || c.paymentUrl) && c.status === 'awaiting_payment'
      ? {
          payment: {
            provider: 'stripe' as const,
            paymentRef: c.paymentRef,
            ...(c.clientSecret ? { clientSecret: c.clientSecret } : {}),
            ...(c.paymentUrl ? { url: c.paymentUrl } : {}),
          },
        }
      : {}),
    ...(c.proformaNumber ? { proformaNumber: c.proformaNumber } : {}),
    ...(c.paymentReference ? { paymentReference: c.paymentReference } : {}),
    ...(c.invoiceNumber ? { invoiceNumber: c.invoiceNumber } : {}),
    ...(c.creditNoteNumber ? { creditNoteNumber: c.creditNoteNumber } : {}),
    ...(c.lastFailure ? { lastFailure: c.lastFailure } : {}),
  };
}

function periodFrom(p: Product, months: number, today: string) {
  const { from, to } = periodFor(p, months, today);
  return { periodFrom: from, periodTo: to };
}
