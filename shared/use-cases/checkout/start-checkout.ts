import { createHash } from 'node:crypto';
import { assertNotTerminating } from '../../domain/termination.ts';
import { sellerOfOrg } from '../sellers.ts';
import * as z from 'zod';
import {
  assertChargeable,
  assertCheckoutMethod,
  checkoutLine,
  quotedPeriod,
  quotedRates,
  CHECKOUT_METHODS,
  MAX_SELECTION,
  MIN_CHARGE,
  splitPayment,
  type Checkout,
  type CheckoutItem,
  type CheckoutMethod,
} from '../../domain/checkout.ts';
import { BusinessRuleError, ConflictError, NotFoundError, ValidationError } from '../../domain/errors.ts';
import { toInvoice } from '../../domain/invoice.ts';
import { paymentReferenceFor } from '../../domain/payment-reference.ts';
import { seriesIdFor } from '../../domain/seller.ts';
import { Money } from '../../domain/money.ts';
import type { Organisation } from '../../domain/organisation.ts';
import type { PaymentMethodKind } from '../../domain/payment-methods.ts';
import { priceInvoice } from '../../domain/pricing.ts';
import { assertAllowedPeriod, assertWithinLongestPeriod, renewalAttemptId, type Product } from '../../domain/product.ts';
import { vatTreatment } from '../../domain/vat.ts';
import { WriteConflict, type Change } from '../../ports/unit-of-work.ts';
import { GatewayRequestError, type HostedPage } from '../../ports/payment-gateway.ts';
import { TOP_UP_MIN } from '../../domain/top-up.ts';
import { authoriseBilling, type Actor } from '../actor.ts';
import { loadOrg, retryOnConflict, typeOf } from '../renewal-deps.ts';
import { viewOf, type CheckoutView } from './checkout-view.ts';
import { parseInput } from '../validation.ts';
import type { CheckoutDeps } from './checkout-deps.ts';
import { ensureCustomer } from '../provider-customer.ts';
import { billingContext } from '../manage-partners.ts';
import { assertNotInOpenCheckout } from './open-checkout.ts';
import { balanceMove, checkoutEmail, issueCheckoutInvoice, periodFor, renewCheckoutProducts, vatOf } from './fulfil-checkout.ts';

export const requestId = z.string().trim().min(8, 'must be at least 8 characters (use a UUID)').max(100);

/**
 * Where the provider's hosted payment page sends the customer back (the
 * portal): https, or http on this machine for the local portal. Without it the
 * front end confirms the payment itself with the client secret.
 */
export const returnUrl = z
  .string()
  .max(500)
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'https:' || (u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname));
    } catch {
      return false;
    }
  }, 'must be an https URL (or http on 127.0.0.1 or localhost)')
  .optional();

export const CheckoutInput = z
  .object({
    items: z
      .array(
        z.object({
          productId: z.string().min(1).max(100),
          periodMonths: z.number().int().positive().max(120).optional(),
        }),
      )
      .min(1, 'select at least one product')
      .max(MAX_SELECTION, `select at most ${MAX_SELECTION} products at once`),
    method: z.enum(CHECKOUT_METHODS, { message: `must be one of ${CHECKOUT_METHODS.join(', ')}` }),
    useBalance: z.boolean().default(true),
    saveMethod: z.boolean().default(true),
    returnUrl,
    requestId,
  })
  // A misspelt field (usebalance) must be refused, not silently ignored with its default applied.
  .strict();

/** The same request (organisation and key) always names the same checkout. */
function checkoutIdFor(orgId: string, requestKey: string): string {
  return `co_${createHash('sha256').update(`${orgId}\n${requestKey}`).digest('hex').slice(0, 24)}`;
}

export function fingerprint(input: unknown): string {
  return createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 32);
}

/** Provider kinds a checkout method may be paid with at the provider. */
function providerKinds(method: CheckoutMethod): PaymentMethodKind[] {
  return method === 'iban' || method === 'balance' ? [] : [method];
}

/**
 * Pays a selection of products at once (docs/domain.md R-14: one invoice groups the
 * selected products), or a pending order.
 *
 * 1. Check billing rights on the organisation and on every product chosen.
 * 2. Validate the selection: products exist, are not terminated, not in
 *    another open checkout or automatic payment, periods allowed and never
 *    past the type's longest period from today, the method accepted in the
 *    organisation's currency.
 * 3. Price it once (VAT of the buyer on this day) and split it: prepaid
 *    balance first, the rest on the method.
 * 4. Balance covers all: settle now, in one transaction (invoice, products,
 *    balance). IBAN: issue a pro-forma. Card, Twint, PayPal: record the
 *    checkout, take its products (the night and other checkouts leave them
 *    alone until it ends) and hold the balance part, then create the provider payment
 *    with an idempotency key of the checkout, and return its client secret.
 * The caller's request id makes a retried request return the same checkout.
 */
export async function startCheckout(deps: CheckoutDeps, orgId: string, raw: unknown, actor: Actor): Promise<CheckoutView> {
  const input = parseInput(CheckoutInput, raw);
  await authoriseBilling(deps.store, actor, orgId);
  for (const item of input.items) await authoriseBilling(deps.store, actor, orgId, item.productId);
  const ids = input.items.map((i) => i.productId);
  if (new Set(ids).size !== ids.length) throw new ValidationError('items: a product is selected twice', 'duplicate_product');
  const { requestId: key, ...request } = input;
  const firstSeen = new Map<string, string>();
  return begin(deps, orgId, actor, key, fingerprint(request), (org, today, id) => priceSelection(deps, org, input, today, id, firstSeen));
}

export interface Priced {
  purpose: Checkout['purpose'];
  items: CheckoutItem[];
  method: CheckoutMethod;
  useBalance: boolean;
  saveMethod: boolean;
  totalNet: Money;
  totalVat: Money;
  total: Money;
  vat: Checkout['vat'];
  discountPercent?: string;
  products?: Map<string, Product>;
  returnUrl?: string;
}

async function priceSelection(
  deps: CheckoutDeps,
  org: Organisation,
  input: z.infer<typeof CheckoutInput>,
  today: string,
  ownId: string,
  firstSeen: Map<string, string>,
): Promise<Priced> {
  assertCheckoutMethod(input.method, org.currency, 'renewal');
  const products = new Map<string, Product>();
  const items: CheckoutItem[] = [];
  for (const sel of input.items) {
    const product = await deps.store.getProduct(org.id, sel.productId);
    if (!product) throw new NotFoundError(`Product ${sel.productId} not found in organisation ${org.id}`, 'product_not_found');
    if (product.status === 'terminated') {
      throw new BusinessRuleError(`${product.name} is terminated and can no longer be renewed`, 'product_terminated');
    }
    assertNotTerminating(product);
    // Our own checkout, created by a concurrent retry of this very request, is not "another" one.
    await assertNotInOpenCheckout(deps.store, product, ownId);
    // Another payment renewed it while this request was being made: what the customer saw is no longer what
    // they would buy (the next period, not this one), so they must look again rather than pay twice.
    const state = `${product.expiry}|${product.status}`;
    const seen = firstSeen.get(product.id);
    if (seen !== undefined && seen !== state) {
      throw new ConflictError(`${product.name} was just renewed by another payment; look at it again before paying`, 'product_changed');
    }
    firstSeen.set(product.id, state);
    const attempts = await deps.store.listAttempts(org.id, product.id);
    if (attempts.some((a) => a.status === 'pending')) {
      throw new ConflictError(`An automatic payment for ${product.name} is in progress; try again in a few minutes`, 'payment_in_progress');
    }
    const type = typeOf(deps.catalogue, product);
    const periodMonths = sel.periodMonths ?? product.periodMonths;
    assertAllowedPeriod(type, periodMonths);
    const period = periodFor(product, periodMonths, today);
    assertWithinLongestPeriod(type, period.to, today, product.name);
    products.set(product.id, product);
    items.push({
      // A renewal's period is known; an order's starts when paid, so it is quoted as if paid today (R-26).
      ...(product.status === 'pending' ? { quotedFrom: period.from } : { periodFrom: period.from, periodTo: period.to }),
      productId: product.id,
      productName: product.name,
      typeId: type.id,
      periodMonths,
      kind: product.status === 'pending' ? 'order' : 'renewal',
      unitPrice: type.prices[org.currency],
      quantity: periodMonths / type.basePeriodMonths,
    });
  }
  const vat = vatTreatment({ sellerCountry: sellerOfOrg(deps, org).country, buyerCountry: org.country, buyerVatNumber: org.vatNumber, date: today, rates: deps.vatRates });
  // A partner's client pays its partner's prices, whoever clicks (docs/domain.md R-5).
  const { discountPercent } = await billingContext(deps.store, org);
  const discount = discountPercent ? { discountPercent: discountPercent.toString() } : {};
  // Renewals and orders are quoted by the rates in force over their periods (R-26), and the table is kept on the checkout.
  const rates = deps.vatRates[vat.country] && (vat.kind === 'domestic' || vat.kind === 'eu-b2c') ? [...deps.vatRates[vat.country]!] : undefined;
  const priced = priceInvoice(
    items.map((i) => checkoutLine({ currency: org.currency, ...discount }, i, quotedPeriod(i))),
    vat,
    org.currency,
    { rates: rates ? { [vat.country]: rates } : undefined },
  );
  return {
    purpose: 'renewal',
    items,
    method: input.method,
    useBalance: input.useBalance,
    saveMethod: input.saveMethod,
    totalNet: priced.totalNet,
    totalVat: priced.totalVat,
    total: priced.total,
    vat: { kind: vat.kind, rate: vat.rate.toString(), country: vat.country, ...(vat.mention ? { mention: vat.mention } : {}), ...(rates ? { rates } : {}) },
    ...discount,
    products,
    ...(input.returnUrl ? { returnUrl: input.returnUrl } : {}),
  };
}

export async function begin(
  deps: CheckoutDeps,
  orgId: string,
  actor: Actor,
  requestKey: string,
  requestFingerprint: string,
  price: (org: Organisation, today: string, id: string) => Promise<Priced>,
): Promise<CheckoutView> {
  const id = checkoutIdFor(orgId, requestKey);
  return retryOnConflict(async () => {
    // Checked on every try: a concurrent request with the same key may have just created it.
    const existing = await deps.store.getCheckout(orgId, id);
    if (existing) return resume(deps, existing, requestFingerprint);
    const org = await loadOrg(deps.store, orgId);
    const today = deps.clock.today();
    const now = deps.clock.now();
    const p = await price(org, today, id);
    const { balancePart, chargePart } = splitPayment(p.total, Money.of(org.balance, org.currency), p.useBalance, p.method);
    if (chargePart.isPositive()) assertProviderOffers(deps, p.method);
    // Only a card provider has a minimum; a bank transfer of 0.10 is fine.
    if (p.method !== 'iban') {
      try {
        assertChargeable(chargePart);
      } catch (err) {
        if (p.purpose !== 'top-up' || !(err instanceof BusinessRuleError)) throw err;
        throw new BusinessRuleError(
          `A deposit by ${p.method} must be at least ${MIN_CHARGE} ${org.currency} (the card provider's minimum); a bank transfer (method iban) takes any deposit from ${TOP_UP_MIN}`,
          'amount_too_small',
        );
      }
    }
    const checkout: Checkout = {
      id,
      orgId,
      purpose: p.purpose,
      requestedBy: actor.kind === 'user' ? actor.userId : 'system',
      requestId: requestKey,
      requestFingerprint,
      createdOn: today,
      createdAt: now,
      currency: org.currency,
      items: p.items,
      totalNet: p.totalNet.toString(),
      totalVat: p.totalVat.toString(),
      total: p.total.toString(),
      vat: p.vat,
      ...(p.discountPercent ? { discountPercent: p.discountPercent } : {}),
      balancePart: balancePart.toString(),
      chargePart: chargePart.toString(),
      // Nothing left for a method: the balance pays it all, whatever was chosen.
      method: chargePart.isZero() ? 'balance' : p.method,
      saveMethod: p.saveMethod,
      ...(p.returnUrl ? { returnUrl: p.returnUrl } : {}),
      status: 'awaiting_payment',
      version: 1,
    };

    try {
      if (chargePart.isZero()) {
        await payFromBalance(deps, checkout, org, p.products ?? new Map(), today);
        return viewOf((await deps.store.getCheckout(orgId, id))!);
      }
      const changes: Change[] = [{ type: 'checkout', checkout, expected: null }];
      // The products are taken by this checkout until it ends: conditioned on the versions read, so of two
      // checkouts racing for a product one commits and the other, re-reading, finds it taken. The night's
      // attempt must not be in flight either (holding one does not move the product's version).
      for (const product of p.products?.values() ?? []) {
        changes.push({ type: 'product', product: { ...product, openCheckoutId: id, version: product.version + 1 }, expectedVersion: product.version });
        changes.push({ type: 'noPendingAttempt', orgId, attemptId: renewalAttemptId(product) });
      }
      if (balancePart.isPositive()) {
        changes.push(balanceMove(org, balancePart.negate(), { id: `checkout-hold-${id}`, date: today, reason: 'checkout-hold', ref: id, createdAt: now }).change);
      }
      if (checkout.method === 'iban') {
        const proforma = await proformaFor(deps, checkout, org, today);
        checkout.proformaNumber = proforma.number;
        if (proforma.paymentReference) checkout.paymentReference = proforma.paymentReference;
        changes.push({ type: 'invoice', invoice: proforma });
      }
      await deps.store.commit(changes);
    } catch (err) {
      // Another request with the same key won the race: answer with its checkout.
      if (err instanceof WriteConflict && (await deps.store.getCheckout(orgId, id))) {
        return resume(deps, (await deps.store.getCheckout(orgId, id))!, requestFingerprint);
      }
      throw err;
    }
    if (checkout.method === 'iban') return viewOf(checkout, p.products, today);
    return attachProviderPayment(deps, checkout, org, p.products);
  });
}

/** A replayed request: the same checkout, finishing its provider payment if a crash interrupted it. */
async function resume(deps: CheckoutDeps, checkout: Checkout, requestFingerprint: string): Promise<CheckoutView> {
  if (checkout.requestFingerprint !== requestFingerprint) {
    throw new ConflictError('This idempotency key was already used for a different request', 'idempotency_key_reused');
  }
  if (checkout.status === 'awaiting_payment' && !checkout.paymentRef && checkout.method !== 'iban' && checkout.method !== 'balance') {
    return attachProviderPayment(deps, checkout, await loadOrg(deps.store, checkout.orgId));
  }
  return viewOf(checkout);
}

/**
 * Creates the provider payment for the part the balance does not cover. The
 * idempotency key is the checkout's, so a retry after a crash gets the same
 * PaymentIntent, never a second one.
 */
async function attachProviderPayment(deps: CheckoutDeps, checkout: Checkout, org: Organisation, products?: Map<string, Product>): Promise<CheckoutView> {
  let created: Awaited<ReturnType<CheckoutDeps['gateway']['createPayment']>>;
  try {
    created = await createProviderPayment(deps, checkout, org);
  } catch (err) {
    if (!(err instanceof GatewayRequestError)) throw err;
    // The provider refused the payment itself (not a passing fault): a checkout that cannot be paid must hold
    // nothing, so it is cancelled at once (its balance hold goes back, its products are free again).
    await cancelUnstarted(deps, checkout, err);
    throw new BusinessRuleError(`The payment provider refused this payment: ${err.message}`, err.code);
  }
  return retryOnConflict(async () => {
    const current = (await deps.store.getCheckout(checkout.orgId, checkout.id))!;
    if (current.paymentRef) return viewOf(current, products, deps.clock.today());
    const next: Checkout = {
      ...current,
      paymentRef: created.paymentRef,
      ...(created.clientSecret ? { clientSecret: created.clientSecret } : {}),
      ...(created.url ? { paymentUrl: created.url } : {}),
      version: current.version + 1,
    };
    await deps.store.commit([{ type: 'checkout', checkout: next, expected: { version: current.version, status: current.status } }]);
    return viewOf(next, products, deps.clock.today());
  });
}

async function createProviderPayment(deps: CheckoutDeps, checkout: Checkout, org: Organisation) {
  const customerRef = await ensureCustomer(deps, org);
  return deps.gateway.createPayment({
    orgId: org.id,
    customerRef,
    amount: Money.of(checkout.chargePart, checkout.currency),
    methodKinds: providerKinds(checkout.method),
    saveMethod: checkout.saveMethod && checkout.purpose === 'renewal' && checkout.method !== 'postfinance',
    idempotencyKey: `checkout/${checkout.id}`,
    description: checkout.purpose === 'top-up' ? `Prepaid balance top-up for ${org.name}` : `Renewal of ${checkout.items.length} product(s) for ${org.name}`,
    metadata: { orgId: org.id, checkoutId: checkout.id, purpose: checkout.purpose },
    ...(checkout.returnUrl ? { hosted: hostedPage(checkout, checkout.returnUrl, deps.clock.now()) } : {}),
  });
}

/** A hosted page stays open a day at most (Stripe's limit): less than the checkout's own expiry. */
const HOSTED_PAGE_SECONDS = 23 * 3600;

/**
 * What the hosted page lists: the products at their net price and the VAT,
 * whose sum is the total to the cent. With a part paid from the balance the
 * page cannot show a negative line, so it shows the one amount left to pay.
 */
function hostedPage(checkout: Checkout, back: string, now: string): HostedPage {
  const currency = checkout.currency;
  const withCheckout = (outcome: string) => {
    const u = new URL(back);
    u.searchParams.set('checkout', checkout.id);
    u.searchParams.set('outcome', outcome);
    return u.toString();
  };
  const charge = Money.of(checkout.chargePart, currency);
  const vat = Money.of(checkout.totalVat, currency);
  const net = checkout.items.map((i) => ({ name: `${i.productName} (${i.periodMonths} months)`, unitAmount: Money.of(i.unitPrice, currency), quantity: i.quantity }));
  const itemised = checkout.purpose === 'renewal' && Money.of(checkout.balancePart, currency).isZero() && !checkout.discountPercent;
  const lines = itemised
    ? [...net, ...(vat.isPositive() ? [{ name: `VAT ${checkout.vat.rate} %`, unitAmount: vat, quantity: 1 }] : [])]
    : [
        {
          name:
            checkout.purpose === 'top-up' ? 'Prepaid balance top-up' : `${checkout.items.length} product(s), after ${checkout.balancePart} ${currency} from the prepaid balance`,
          unitAmount: charge,
          quantity: 1,
        },
      ];
  return { successUrl: withCheckout('success'), cancelUrl: withCheckout('cancel'), lines, expiresAt: Math.floor(Date.parse(now) / 1000) + HOSTED_PAGE_SECONDS };
}

/** A method the provider does not offer is refused before anything is written or held. */
function assertProviderOffers(deps: Pick<CheckoutDeps, 'gateway'>, method: CheckoutMethod): void {
  if (method === 'iban' || method === 'balance' || deps.gateway.onSessionMethods.includes(method)) return;
  const offered = [...deps.gateway.onSessionMethods, 'iban'].join(', ');
  throw new BusinessRuleError(
    `${method === 'postfinance' ? 'PostFinance cards are' : `${method} is`} not offered by this shop's payment provider; pay with ${offered} (bank transfer)`,
    'method_unavailable',
  );
}

/** Cancels a checkout whose provider payment could not be created, giving its balance hold back. */
async function cancelUnstarted(deps: CheckoutDeps, checkout: Checkout, cause: GatewayRequestError): Promise<void> {
  await retryOnConflict(async () => {
    const current = await deps.store.getCheckout(checkout.orgId, checkout.id);
    if (!current || current.status !== 'awaiting_payment' || current.paymentRef) return;
    const org = await loadOrg(deps.store, checkout.orgId);
    const changes: Change[] = [
      {
        type: 'checkout',
        checkout: { ...current, status: 'canceled', lastFailure: { code: cause.code, message: cause.message }, version: current.version + 1 },
        expected: { version: current.version, status: current.status },
      },
    ];
    const held = Money.of(current.balancePart, current.currency);
    if (held.isPositive()) {
      changes.push(
        balanceMove(org, held, { id: `hold-release-${current.id}`, date: deps.clock.today(), reason: 'hold-release', ref: current.id, createdAt: deps.clock.now() }).change,
      );
    }
    await deps.store.commit(changes);
  });
}

export { ensureCustomer };

/** The prepaid balance covers everything: pay, invoice and renew in one transaction. */
async function payFromBalance(deps: CheckoutDeps, checkout: Checkout, org: Organisation, products: Map<string, Product>, today: string): Promise<void> {
  const now = deps.clock.now();
  const invoice = await issueCheckoutInvoice(deps, checkout, org, products, today, undefined);
  const renewedProducts = renewCheckoutProducts(deps, checkout, org, products, today, undefined);
  const paid: Checkout = { ...checkout, status: 'paid', invoiceNumber: invoice.number, settledAt: now };
  const changes: Change[] = [
    { type: 'checkout', checkout: paid, expected: null },
    balanceMove(org, Money.of(checkout.balancePart, checkout.currency).negate(), {
      id: `checkout-${checkout.id}`,
      date: today,
      reason: 'renewal',
      ref: invoice.number,
      createdAt: now,
    }).change,
    { type: 'invoice', invoice },
    ...renewedProducts.changes,
    checkoutEmail(org, paid, 'checkout-paid', today, now, { invoice: invoice.number }),
  ];
  await deps.store.commit(changes);
  if (renewedProducts.commands.length > 0) {
    await deps.lifecycleQueue.send(renewedProducts.commands.map((c) => ({ date: c.date, commandId: c.id })));
  }
}

/** A pro-forma for a bank transfer: its own gapless series, open until the money arrives. */
async function proformaFor(deps: CheckoutDeps, checkout: Checkout, org: Organisation, today: string) {
  const year = Number(today.slice(0, 4));
  const seller = sellerOfOrg(deps, org);
  const seriesId = seriesIdFor(seller, org.id);
  const sequence = (await deps.store.lastInvoiceSequence('PRO', seriesId, year)) + 1;
  const currency = checkout.currency;
  const lines =
    checkout.purpose === 'top-up'
      ? [{ description: 'Prepaid balance top-up', unitPrice: Money.of(checkout.total, currency), quantity: 1 }]
      : checkout.items.map((i) => checkoutLine(checkout, i, quotedPeriod(i)));
  const priced = priceInvoice(lines, vatOf(checkout), currency, { rates: quotedRates(checkout) });
  const proforma = toInvoice(priced, { series: 'PRO', seller, seriesId, year, sequence }, org, today, [{ method: 'balance', amount: Money.of(checkout.balancePart, currency) }], {
    status: 'open',
    checkoutId: checkout.id,
  });
  // What the transfer must bring, and the reference that lets the bank statement name this document.
  proforma.amountDue = checkout.chargePart;
  proforma.paymentReference = paymentReferenceFor(seller, proforma);
  return proforma;
}

export const QuoteInput = z
  .object({
    items: CheckoutInput.shape.items,
    method: CheckoutInput.shape.method.default('iban'),
    useBalance: z.boolean().default(true),
  })
  .strict();

export interface Quote {
  currency: string;
  items: CheckoutItem[];
  totalNet: string;
  totalVat: string;
  total: string;
  vatRate: string;
  vatMention?: string;
  /** The prepaid balance now, what of it this selection would use, and what is left to pay by the method. */
  balance: string;
  balanceUsed: string;
  amountDue: string;
  /** The methods this organisation can pay the rest with here: its currency's, that the payment provider offers (bank transfer always). */
  methods: CheckoutMethod[];
}

/** What a checkout of this organisation can be paid with, by this shop's provider, in its currency. */
export function payableMethods(deps: Pick<CheckoutDeps, 'gateway'>, currency: Organisation['currency']): CheckoutMethod[] {
  return CHECKOUT_METHODS.filter((m) => {
    if (m === 'balance') return false;
    try {
      assertCheckoutMethod(m, currency, 'renewal');
      assertProviderOffers(deps, m);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * What a selection would cost if paid now, priced exactly as the checkout
 * will price it (periods, VAT of the buyer on this day, partner discount,
 * balance first), and refused for the same reasons; nothing is written. The
 * payments page shows it as the customer ticks products.
 */
export async function quoteCheckout(deps: CheckoutDeps, orgId: string, raw: unknown, actor: Actor): Promise<Quote> {
  const input = parseInput(QuoteInput, raw);
  await authoriseBilling(deps.store, actor, orgId);
  for (const item of input.items) await authoriseBilling(deps.store, actor, orgId, item.productId);
  const ids = input.items.map((i) => i.productId);
  if (new Set(ids).size !== ids.length) throw new ValidationError('items: a product is selected twice', 'duplicate_product');
  const org = await loadOrg(deps.store, orgId);
  const p = await priceSelection(deps, org, { ...input, saveMethod: false, requestId: 'quote' }, deps.clock.today(), '', new Map());
  const balance = Money.of(org.balance, org.currency);
  const { balancePart, chargePart } = splitPayment(p.total, balance, input.useBalance, input.method);
  return {
    currency: org.currency,
    items: p.items,
    totalNet: p.totalNet.toString(),
    totalVat: p.totalVat.toString(),
    total: p.total.toString(),
    vatRate: p.vat.rate,
    ...(p.vat.mention ? { vatMention: p.vat.mention } : {}),
    balance: balance.toString(),
    balanceUsed: balancePart.toString(),
    amountDue: chargePart.toString(),
    methods: payableMethods(deps, org.currency),
  };
}
