import { chfRateAtIssue } from '../chf-rate.ts';
import { Decimal } from 'decimal.js';
import { sellerOfOrg } from '../sellers.ts';
import { addMonths, type IsoDate } from '../../domain/calendar.ts';
import { checkoutLine, quotedPeriod, quotedRates, type Checkout, type CheckoutItem } from '../../domain/checkout.ts';
import { toInvoice, type Invoice, type InvoicePayment } from '../../domain/invoice.ts';
import { Money } from '../../domain/money.ts';
import type { Organisation } from '../../domain/organisation.ts';
import { savedMethodId, servesAutomaticRenewal, type SavedPaymentMethod } from '../../domain/payment-methods.ts';
import { priceInvoice } from '../../domain/pricing.ts';
import { AUTO_RENEW_CUTOFF_DAYS } from '../../domain/catalogue.ts';
import { daysBetween } from '../../domain/calendar.ts';
import { nextActionDate, renewed, renewsAutomatically, type Product } from '../../domain/product.ts';
import type { VatTreatment } from '../../domain/vat.ts';
import { seriesIdFor } from '../../domain/seller.ts';
import { WriteConflict, type Change } from '../../ports/unit-of-work.ts';
import { emailRecipient, type LedgerEntry, type LifecycleCommand, type OutboxEmail } from '../../domain/records.ts';
import type { GatewayPaymentMethod } from '../../ports/payment-gateway.ts';
import { loadProduct, typeOf } from '../renewal-deps.ts';
import type { CheckoutDeps } from './checkout-deps.ts';

/** The provider's part of a settled checkout. */
export interface ReceivedPayment {
  ref: string;
  amount: Money;
  /** How it came; the checkout's method when absent. */
  via?: InvoicePayment['method'];
  /** The method the customer used, when the provider says (saved for renewals when asked). */
  method?: GatewayPaymentMethod;
}

export function vatOf(checkout: Checkout): VatTreatment {
  return {
    kind: checkout.vat.kind as VatTreatment['kind'],
    rate: new Decimal(checkout.vat.rate),
    country: checkout.vat.country,
    ...(checkout.vat.mention ? { mention: checkout.vat.mention } : {}),
  };
}

/** The period a checkout line pays: a pending order starts on the day it is paid, a renewal at the current expiry. */
export function periodFor(product: Product, periodMonths: number, today: IsoDate): { from: IsoDate; to: IsoDate } {
  const from = product.status === 'pending' ? today : product.expiry;
  return { from, to: addMonths(from, periodMonths) };
}

/** What an order's line came to when quoted, VAT included: what its invoice bills, whatever day it is paid. */
function quotedGross(checkout: Checkout, item: CheckoutItem): Money {
  return priceInvoice([checkoutLine(checkout, item, quotedPeriod(item))], vatOf(checkout), checkout.currency, { rates: quotedRates(checkout) }).total;
}

/**
 * The final invoice of a renewal checkout, numbered on the day the money is
 * there. Prices and VAT are those the customer accepted; the periods start
 * at each product's expiry as it stands now, a new order's today.
 */
export async function issueCheckoutInvoice(
  deps: Pick<CheckoutDeps, 'store' | 'seller' | 'sellers'>,
  checkout: Checkout,
  org: Organisation,
  products: Map<string, Product>,
  today: IsoDate,
  payment: ReceivedPayment | ReceivedPayment[] | undefined,
): Promise<Invoice> {
  const currency = checkout.currency;
  const priced = priceInvoice(
    checkout.items.map((item) => {
      const period = periodFor(products.get(item.productId)!, item.periodMonths, today);
      // The product was taken by the checkout, so nothing else moved its expiry: the period is the one quoted.
      // A product read after a concurrent settler of this very checkout renewed it shows the next period:
      // that read is stale, so the unit of work is re-run from the checkout (then found paid). Anything
      // else would be a broken rule, and money is never booked on a period nobody quoted.
      if (item.periodFrom && (item.periodFrom !== period.from || item.periodTo !== period.to)) {
        throw new WriteConflict(['product']);
      }
      return checkoutLine(checkout, item, period, item.quotedFrom ? quotedGross(checkout, item) : undefined);
    }),
    vatOf(checkout),
    currency,
    { rates: quotedRates(checkout) },
  );
  if (!priced.total.equals(Money.of(checkout.total, currency))) {
    // Same prices, same rate, same rounding: a difference is a bug, and money must not move on it.
    throw new Error(`checkout ${checkout.id}: invoice total ${priced.total.format()} differs from the ${checkout.total} accepted`);
  }
  const year = Number(today.slice(0, 4));
  const seller = sellerOfOrg(deps, org);
  const seriesId = seriesIdFor(seller, org.id);
  const sequence = (await deps.store.lastInvoiceSequence('INV', seriesId, year)) + 1;
  const payments: { method: InvoicePayment['method']; amount: Money; ref?: string }[] = [{ method: 'balance', amount: Money.of(checkout.balancePart, currency) }];
  for (const p of Array.isArray(payment) ? payment : payment ? [payment] : []) {
    payments.push({ method: p.via ?? (checkout.method === 'iban' ? 'transfer' : checkout.method), amount: p.amount, ref: p.ref });
  }
  const chfRate = await chfRateAtIssue(deps.store, seller, currency, today);
  return toInvoice(priced, { series: 'INV', seller, seriesId, year, sequence }, org, today, payments, {
    ...(chfRate ? { chfRate } : {}),
    checkoutId: checkout.id,
    ...(checkout.proformaNumber ? { refersTo: checkout.proformaNumber } : {}),
  });
}

/**
 * The checkout's products, each as the period it quoted sees it. One case
 * moves an expiry under an open checkout: a bank reversal took back the
 * period before the quoted one (the product waits for that reopened
 * invoice). The checkout still sells what it quoted, on top of the period
 * now owed, so the product is seen at the quoted start; the owed invoice
 * stays open for its own money.
 */
export async function loadCheckoutProducts(deps: Pick<CheckoutDeps, 'store'>, checkout: Checkout): Promise<Map<string, Product>> {
  const list = await Promise.all(
    checkout.items.map(async (item) => {
      const product = await loadProduct(deps.store, checkout.orgId, item.productId);
      if (!product.awaitsInvoice || !item.periodFrom || item.periodFrom === product.expiry) return product;
      const owed = await deps.store.findInvoice(product.awaitsInvoice);
      const taken = owed?.lines.find((l) => l.productId === product.id && l.periodFrom === product.expiry && l.periodTo === item.periodFrom);
      if (!taken) return product;
      const seen: Product = { ...product, expiry: item.periodFrom };
      // Sold on top of it, the product no longer waits for the owed invoice to be charged or sold again.
      delete seen.awaitsInvoice;
      return seen;
    }),
  );
  return new Map(list.map((p) => [p.id, p]));
}

/**
 * Applies a paid renewal checkout to its products: each is extended by its
 * period from its current expiry (a pending order starts today), unblocked
 * if it was blocked, and switched to auto-renewal with the method just used
 * when the customer saved it (docs/domain.md R-8). Every product write is conditioned
 * on the version read.
 */
export function renewCheckoutProducts(
  deps: Pick<CheckoutDeps, 'catalogue' | 'clock'>,
  checkout: Checkout,
  org: Organisation,
  products: Map<string, Product>,
  today: IsoDate,
  saved: SavedPaymentMethod | undefined,
): { changes: Change[]; commands: LifecycleCommand[] } {
  const changes: Change[] = [];
  const commands: LifecycleCommand[] = [];
  const now = deps.clock.now();
  for (const item of checkout.items) {
    const product = products.get(item.productId)!;
    const type = typeOf(deps.catalogue, product);
    const start = product.status === 'pending' ? { ...product, expiry: today } : product;
    const next: Product = { ...renewed(start, item.periodMonths), periodMonths: item.periodMonths, version: product.version + 1 };
    // Paid: the checkout no longer takes it.
    delete next.openCheckoutId;
    if (saved && servesAutomaticRenewal(saved) && renewsAutomatically(type) && daysBetween(today, next.expiry) >= AUTO_RENEW_CUTOFF_DAYS) {
      next.autoRenew = true;
      next.paymentMethodId = saved.id;
    }
    const after = product.lastNight && product.lastNight >= today ? product.lastNight : today;
    const upcoming = nextActionDate(next, type, after, org.reminderDaysBefore);
    if (upcoming) next.nextActionDate = upcoming;
    else delete next.nextActionDate;
    changes.push({ type: 'product', product: next, expectedVersion: product.version });
    if (product.status === 'blocked') {
      commands.push({
        id: `${product.id}#unblock#${checkout.id}`,
        date: today,
        orgId: org.id,
        productId: product.id,
        action: 'unblock',
        status: 'pending',
        createdAt: now,
      });
    }
  }
  for (const command of commands) changes.push({ type: 'lifecycle', command, expectedStatus: null });
  return { changes, commands };
}

/** A method the customer chose to save at payment, as the organisation's saved method. */
export function savedMethodFrom(orgId: string, method: GatewayPaymentMethod | undefined, createdAt: string): SavedPaymentMethod | undefined {
  if (!method) return undefined;
  return {
    id: savedMethodId(method.ref),
    orgId,
    kind: method.kind,
    label: method.label,
    gatewayRef: method.ref,
    createdAt,
    ...(method.brand ? { brand: method.brand } : {}),
  };
}

/** A balance movement with its ledger entry, conditioned on the balance read. */
export function balanceMove(org: Organisation, delta: Money, entry: Pick<LedgerEntry, 'id' | 'date' | 'reason' | 'ref' | 'createdAt'>): { change: Change; after: Money } {
  const after = Money.of(org.balance, org.currency).plus(delta);
  return {
    after,
    change: {
      type: 'balance',
      orgId: org.id,
      from: org.balance,
      to: after.toString(),
      entry: { ...entry, orgId: org.id, amount: delta.toString(), currency: org.currency, balanceAfter: after.toString() },
    },
  };
}

export function checkoutEmail(org: Organisation, checkout: Checkout, template: OutboxEmail['template'], date: IsoDate, createdAt: string, data: Record<string, string>): Change {
  return {
    type: 'email',
    email: {
      id: `${checkout.id}#${template}`,
      date,
      orgId: org.id,
      to: org.billingContacts,
      template,
      data: { checkout: checkout.id, total: checkout.total, currency: checkout.currency, ...data },
      recipient: emailRecipient(org),
      createdAt,
    },
  };
}
