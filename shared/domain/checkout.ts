/**
 * A checkout: what a customer chose to pay now (renewals of a selection of
 * products, a pending order, or a prepaid-balance top-up), priced once, paid
 * from the balance and/or one on-session method, and settled only from the
 * payment provider's confirmed state.
 *
 * Numbers are not given here: the final invoice gets its number and date when
 * the money is there (settlement), a pro-forma gets one from its own series
 * when it is issued for a bank transfer.
 */
import { Decimal } from 'decimal.js';
import { addMonths, type IsoDate } from './calendar.ts';
import { BusinessRuleError, ValidationError } from './errors.ts';
import type { Currency } from './money.ts';
import { Money } from './money.ts';
import { assertMethodAcceptsCurrency, type PaymentMethodKind } from './payment-methods.ts';
import type { PriceLineInput } from './pricing.ts';
import type { RateEntry, VatRateTable } from './vat.ts';

/** Ways to pay a checkout: an on-session provider method, a bank transfer against a pro-forma, or the balance alone. */
export type CheckoutMethod = PaymentMethodKind | 'iban' | 'balance';

export const CHECKOUT_METHODS = ['card', 'postfinance', 'twint', 'paypal', 'iban', 'balance'] as const satisfies readonly CheckoutMethod[];

/** One transaction settles the whole selection (DynamoDB takes 100 writes): 25 products leave ample room. */
export const MAX_SELECTION = 25;

/** docs/domain.md R-34: an order blocked for security is cancelled and refunded after 10 days without reaction. */
export const SECURITY_HOLD_DAYS = 10;

/** An unpaid card/Twint/PayPal checkout is abandoned after this: its balance hold is released. */
export const CHECKOUT_EXPIRY_DAYS = 2;

export type CheckoutStatus =
  /** Waiting for the provider (card, Twint, PayPal) or the transfer (IBAN). */
  | 'awaiting_payment'
  /** Paid and fulfilled: final invoice issued, products renewed, or balance credited. */
  | 'paid'
  /** Paid, but held for an identity check: nothing fulfilled yet. */
  | 'held'
  /** Abandoned or cancelled before payment; any balance hold released. */
  | 'canceled'
  /** A full refund is under way: recorded before the provider is called, so a crash resumes it. */
  | 'refunding'
  /** Paid, then refunded in full (security hold expired, cancellation); a credit note exists. */
  | 'refunded';

export interface CheckoutItem {
  productId: string;
  productName: string;
  typeId: string;
  periodMonths: number;
  /** A pending order starts when paid; a renewal extends the current expiry. */
  kind: 'renewal' | 'order';
  unitPrice: string;
  quantity: number;
  /** The period quoted for a renewal: from the expiry as it stood, exactly what the invoice will name. */
  periodFrom?: IsoDate;
  periodTo?: IsoDate;
  /**
   * The day a new order was quoted, as if its period started then: priced by the rates of that period
   * (docs/domain.md R-26). Its period starts when it is paid, so its invoice follows the rates from that
   * day for the amount quoted. Absent on orders quoted at one rate, before orders were quoted so.
   */
  quotedFrom?: IsoDate;
}

export interface Checkout {
  id: string;
  orgId: string;
  purpose: 'renewal' | 'top-up';
  /** Who asked (user id), for the audit trail. */
  requestedBy: string;
  /** The caller's idempotency key: the same request returns the same checkout. */
  requestId: string;
  createdOn: IsoDate;
  createdAt: string;
  currency: Currency;
  items: CheckoutItem[];
  /** With VAT, as priced on the creation day. */
  totalNet: string;
  totalVat: string;
  total: string;
  /** Taken from the prepaid balance when the checkout was created (held until settled or released). */
  balancePart: string;
  /** Left for the method. */
  chargePart: string;
  /** VAT treatment fixed when priced, so the invoice issued at settlement totals exactly what was paid. */
  /**
   * The VAT treatment quoted. `rates`: the country's rate table the quote priced the renewals' periods at
   * (docs/domain.md R-26), kept so the pro-forma and the invoice price them alike whatever the configuration
   * says by then; absent on checkouts quoted at one rate.
   */
  vat: { kind: string; rate: string; country: string; mention?: string; rates?: RateEntry[] };
  /** The partner's discount on every line, fixed when priced for the same reason (docs/domain.md R-5: partners). */
  discountPercent?: string;
  method: CheckoutMethod;
  saveMethod: boolean;
  /** The request's content: a key reused with another request is refused. */
  requestFingerprint: string;
  status: CheckoutStatus;
  paymentRef?: string;
  clientSecret?: string;
  /** Paid on the provider's hosted page: where the customer pays, and where they come back to. */
  paymentUrl?: string;
  returnUrl?: string;
  proformaNumber?: string;
  /** The reference the bank transfer must quote (the pro-forma's). */
  paymentReference?: string;
  invoiceNumber?: string;
  creditNoteNumber?: string;
  /** Last failure the provider reported; the customer may retry with another method. */
  lastFailure?: { code: string; message: string };
  heldSince?: IsoDate;
  /** Why and from which status a refund was started. */
  refund?: { reason: string; from: CheckoutStatus; since: IsoDate };
  /** The method saved at payment, which the renewed products switch to. */
  savedMethodId?: string;
  settledAt?: string;
  version: number;
}

/**
 * The invoice line of one item as the customer was quoted it: the same for
 * the quote, the pro-forma and the final invoice, so the three cannot differ.
 */
export function checkoutLine(
  checkout: Pick<Checkout, 'currency' | 'discountPercent'>,
  item: CheckoutItem,
  period?: { from: IsoDate; to: IsoDate },
  agreedGross?: Money,
): PriceLineInput {
  return {
    description: `${item.productName} (${item.periodMonths} months)`,
    productId: item.productId,
    ...(period ? { periodFrom: period.from, periodTo: period.to } : {}),
    // An order quoted before orders were quoted by period was quoted, and is invoiced, at one rate.
    ...(item.kind === 'order' && !item.quotedFrom ? { atOneRate: true } : {}),
    ...(agreedGross ? { agreedGross } : {}),
    unitPrice: Money.of(item.unitPrice, checkout.currency),
    quantity: item.quantity,
    ...(checkout.discountPercent ? { discountPercent: new Decimal(checkout.discountPercent) } : {}),
  };
}

/** The period an item was quoted for: a renewal's from the expiry, an order's from the day it was quoted. */
export function quotedPeriod(item: CheckoutItem): { from: IsoDate; to: IsoDate } | undefined {
  if (item.periodFrom && item.periodTo) return { from: item.periodFrom, to: item.periodTo };
  return item.quotedFrom ? { from: item.quotedFrom, to: addMonths(item.quotedFrom, item.periodMonths) } : undefined;
}

/** The rate table a checkout was quoted at (its country's, as kept on it), for pricing its documents alike; none when quoted at one rate. */
export function quotedRates(checkout: Pick<Checkout, 'vat'>): VatRateTable | undefined {
  return checkout.vat.rates ? { [checkout.vat.country]: checkout.vat.rates } : undefined;
}

/** A checkout still to be paid, or paid and held: its products are taken until it ends. */
export function holdsItsProducts(checkout: Pick<Checkout, 'status'>): boolean {
  return checkout.status === 'awaiting_payment' || checkout.status === 'held';
}

/** docs/domain.md R-20: which methods a checkout can use, given the organisation's currency. */
export function assertCheckoutMethod(method: CheckoutMethod, currency: Currency, purpose: Checkout['purpose']): void {
  if (method === 'iban' || method === 'balance') {
    if (purpose === 'top-up' && method === 'balance') {
      throw new ValidationError('A top-up cannot be paid from the balance itself', 'method_not_allowed');
    }
    return;
  }
  if (purpose === 'top-up' && method !== 'card' && method !== 'postfinance') {
    throw new BusinessRuleError('Prepaid balance top-ups are paid by card, PostFinance (CHF) or bank transfer', 'method_not_allowed');
  }
  assertMethodAcceptsCurrency(method, currency);
}

/**
 * Splits a total between the prepaid balance and the method: the balance
 * first (docs/domain.md R-21), the rest on the method. A balance-only checkout must be
 * covered in full.
 */
export function splitPayment(total: Money, balance: Money, useBalance: boolean, method: CheckoutMethod): { balancePart: Money; chargePart: Money } {
  const available = useBalance || method === 'balance' ? balance.max(Money.zero(total.currency)) : Money.zero(total.currency);
  const balancePart = available.min(total);
  const chargePart = total.minus(balancePart);
  if (method === 'balance' && chargePart.isPositive()) {
    throw new BusinessRuleError(
      `The prepaid balance (${balance.format()}) does not cover ${total.format()}; choose a method for the remaining ${chargePart.format()}`,
      'insufficient_balance',
    );
  }
  return { balancePart, chargePart };
}

/** Stripe's smallest charge in CHF and EUR; a smaller rest is taken from the balance or refused. */
export const MIN_CHARGE = '0.50';

export function assertChargeable(chargePart: Money): void {
  if (chargePart.isPositive() && chargePart.lt(Money.of(MIN_CHARGE, chargePart.currency))) {
    throw new BusinessRuleError(
      `The amount left to pay (${chargePart.format()}) is below the provider's minimum of ${MIN_CHARGE}; top up the balance or pay without it`,
      'amount_too_small',
    );
  }
}

/** How long a checkout may wait for its money before it is cancelled and its balance hold released. */
export function checkoutExpiryDays(method: CheckoutMethod): number {
  // A bank transfer takes days; an abandoned card form does not come back.
  return method === 'iban' ? 30 : CHECKOUT_EXPIRY_DAYS;
}

/** Whether a provider payment can settle this checkout: exactly the amount asked, in its currency. */
export function paymentCovers(checkout: Checkout, received: Money): boolean {
  return received.currency === checkout.currency && received.equals(Money.of(checkout.chargePart, checkout.currency));
}
