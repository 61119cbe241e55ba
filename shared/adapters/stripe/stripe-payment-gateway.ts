import Stripe from 'stripe';
import { isCurrency, Money, type Currency } from '../../domain/money.ts';
import type { CardBrand, PaymentMethodKind } from '../../domain/payment-methods.ts';
import {
  GatewayRequestError,
  TransientGatewayError,
  type ChargeRequest,
  type ChargeResult,
  type CreatedPayment,
  type CreatedSetup,
  type CustomerRequest,
  type GatewayEvent,
  type GatewayPaymentMethod,
  type HostedPage,
  type PaymentGateway,
  type PaymentRequest,
  type PaymentState,
  type PaymentStatus,
  type RefundRequest,
  type RefundResult,
  type SetupRequest,
} from '../../ports/payment-gateway.ts';
import { RatePacer, realSleep } from './rate-pacer.ts';
import type { StripeConfig } from './stripe-config.ts';

/**
 * Pinned rather than taken from the SDK constant: an SDK upgrade that moves
 * the API version then fails to compile here, so the change gets reviewed
 * instead of silently altering how Stripe answers.
 */
export const STRIPE_API_VERSION = '2026-10-28.endive' satisfies Stripe.LatestApiVersion;

export interface StripePaymentGatewayOptions {
  secretKey: string;
  /** host/port/protocol: only to point at a local fake; production talks to api.stripe.com. */
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  /** Per request; a charge that hangs longer is retried later with the same idempotency key. */
  timeoutMs?: number;
  pacer?: RatePacer;
  /** How often a 429 is retried here before the caller gets a TransientGatewayError. */
  maxRateLimitRetries?: number;
  /** First back-off after a 429; doubles on each further one. */
  rateLimitBackoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Stripe caps list pages at 100. */
const PAGE_SIZE = 100;
/** PaymentIntents read per attempt search: an attempt is charged once, or a few times when retried. */
const SEARCH_LIMIT = 10;

/** Stripe offers cards, Twint and PayPal among our methods; it has no PostFinance card. */
export const STRIPE_ON_SESSION_METHODS: readonly PaymentMethodKind[] = ['card', 'twint', 'paypal'];

export class StripePaymentGateway implements PaymentGateway {
  readonly onSessionMethods = STRIPE_ON_SESSION_METHODS;
  private readonly stripe: Stripe;
  private readonly pacer: RatePacer;
  private readonly maxRateLimitRetries: number;
  private readonly rateLimitBackoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  static fromConfig(config: StripeConfig, overrides: Partial<StripePaymentGatewayOptions> = {}): StripePaymentGateway {
    return new StripePaymentGateway({
      secretKey: config.secretKey,
      host: config.apiHost,
      port: config.apiPort,
      protocol: config.apiProtocol,
      pacer: new RatePacer({ ratePerSecond: config.maxRequestsPerSecond }),
      ...overrides,
    });
  }

  constructor(options: StripePaymentGatewayOptions) {
    this.stripe = new Stripe(options.secretKey, {
      apiVersion: STRIPE_API_VERSION,
      // The SDK's own retries would bypass the pacer and our 429 policy, so they are off; it still
      // retries a reset connection once, with the same idempotency key, which is harmless.
      maxNetworkRetries: 0,
      timeout: options.timeoutMs ?? 20_000,
      host: options.host,
      port: options.port,
      protocol: options.protocol,
      appInfo: { name: 'renewal-billing-engine' },
    });
    this.sleep = options.sleep ?? realSleep;
    this.pacer = options.pacer ?? new RatePacer();
    this.maxRateLimitRetries = options.maxRateLimitRetries ?? 3;
    this.rateLimitBackoffMs = options.rateLimitBackoffMs ?? 500;
  }

  async charge(req: ChargeRequest): Promise<ChargeResult> {
    // Stripe's shape for charging a saved method with the customer away: the customer it belongs to, and the
    // one payment method type it is. Without a type list Stripe falls back to the dashboard's automatic
    // methods, which may redirect, and refuses a confirmed intent that has no return_url.
    const params: Stripe.PaymentIntentCreateParams = {
      amount: req.amount.toMinorUnits(),
      currency: req.amount.currency.toLowerCase(),
      customer: req.customerRef,
      payment_method: req.paymentMethodRef,
      allowed_payment_method_types: [stripeMethodType(req.methodKind)],
      off_session: true,
      confirm: true,
      description: req.description,
      metadata: req.metadata,
    };
    let pi: Stripe.PaymentIntent;
    try {
      pi = await this.send(() => this.stripe.paymentIntents.create(params, { idempotencyKey: req.idempotencyKey }));
    } catch (err) {
      const refused = cardErrorResult(err);
      if (refused) return refused;
      throw toGatewayError(err, 'charge');
    }
    // A replayed idempotent request returns the first response verbatim, so a
    // "processing" answer may be stale: read the PaymentIntent's current state.
    if (pi.status === 'processing') pi = (await this.findPaymentIntent(pi.id, 'charge')) ?? pi;
    return chargeResult(pi);
  }

  async retrieve(paymentRef: string): Promise<ChargeResult | undefined> {
    const pi = await this.findPaymentIntent(paymentRef, 'retrieve');
    return pi && chargeResult(pi);
  }

  /**
   * Stripe's Search API indexes new and updated objects within about a
   * minute (longer during outages), so this is for late retries, not for
   * reading back a charge made a moment ago.
   */
  async findChargeByAttempt(attemptId: string): Promise<ChargeResult | undefined> {
    const params: Stripe.PaymentIntentSearchParams = { query: `metadata['attemptId']:'${searchQueryString(attemptId)}'`, limit: SEARCH_LIMIT };
    let found: Stripe.ApiSearchResult<Stripe.PaymentIntent>;
    try {
      found = await this.send(() => this.stripe.paymentIntents.search(params));
    } catch (err) {
      throw toGatewayError(err, 'findChargeByAttempt');
    }
    // Checked again here in case the search matches more loosely than exact equality (e.g. ignoring case).
    const newest = found.data
      .filter((pi) => pi.metadata?.attemptId === attemptId)
      .reduce<Stripe.PaymentIntent | undefined>((best, pi) => (best && !isNewer(pi, best) ? best : pi), undefined);
    return newest && chargeResult(newest);
  }

  async ensureCustomer(req: CustomerRequest): Promise<string> {
    const params: Stripe.CustomerCreateParams = {
      name: req.name,
      metadata: { orgId: req.orgId },
      ...(req.email ? { email: req.email } : {}),
    };
    try {
      // Stripe keeps idempotency keys for 24 hours: the caller stores the id so it never asks twice after that.
      const customer = await this.send(() => this.stripe.customers.create(params, { idempotencyKey: req.idempotencyKey }));
      return customer.id;
    } catch (err) {
      throw toGatewayError(err, 'ensureCustomer');
    }
  }

  async createPayment(req: PaymentRequest): Promise<CreatedPayment> {
    const types = [...new Set(req.methodKinds.map(stripeMethodType))];
    if (types.length === 0) throw new GatewayRequestError('a payment needs at least one payment method kind', 'method_not_supported');
    if (req.hosted) return this.createHostedPage(req, req.hosted, types);
    const params: Stripe.PaymentIntentCreateParams = {
      amount: req.amount.toMinorUnits(),
      currency: req.amount.currency.toLowerCase(),
      customer: req.customerRef,
      // Called payment_method_types before API version 2026-10-28; that parameter is gone now.
      allowed_payment_method_types: types,
      description: req.description,
      metadata: req.metadata,
      ...(req.saveMethod ? { setup_future_usage: 'off_session' as const } : {}),
    };
    let pi: Stripe.PaymentIntent;
    try {
      pi = await this.send(() => this.stripe.paymentIntents.create(params, { idempotencyKey: req.idempotencyKey }));
    } catch (err) {
      throw toGatewayError(err, 'createPayment');
    }
    if (!pi.client_secret) throw new GatewayRequestError(`Stripe returned PaymentIntent ${pi.id} without a client secret`, 'unexpected_response');
    return { paymentRef: pi.id, clientSecret: pi.client_secret, status: paymentStatus(pi) };
  }

  /**
   * A Stripe Checkout Session: the customer pays on Stripe's page and comes
   * back to the portal. The PaymentIntent it makes carries the checkout's
   * metadata, so the usual payment_intent.* and checkout.session.* webhooks
   * settle it; until then the payment is known by the session's id.
   */
  private async createHostedPage(req: PaymentRequest, page: HostedPage, types: Stripe.Checkout.SessionCreateParams.AllowedPaymentMethodType[]): Promise<CreatedPayment> {
    const currency = req.amount.currency.toLowerCase();
    const params: Stripe.Checkout.SessionCreateParams = {
      mode: 'payment',
      customer: req.customerRef,
      line_items: page.lines.map((l) => ({ quantity: l.quantity, price_data: { currency, unit_amount: l.unitAmount.toMinorUnits(), product_data: { name: l.name } } })),
      allowed_payment_method_types: types,
      payment_intent_data: {
        description: req.description,
        metadata: req.metadata,
        // The method paid with is saved for the nightly renewals, which switches auto-renewal on (docs/domain.md R-9).
        ...(req.saveMethod ? { setup_future_usage: 'off_session' as const } : {}),
      },
      metadata: req.metadata,
      ...(req.metadata.checkoutId ? { client_reference_id: req.metadata.checkoutId } : {}),
      success_url: page.successUrl,
      cancel_url: page.cancelUrl,
      expires_at: page.expiresAt,
    };
    let session: Stripe.Checkout.Session;
    try {
      session = await this.send(() => this.stripe.checkout.sessions.create(params, { idempotencyKey: req.idempotencyKey }));
    } catch (err) {
      throw toGatewayError(err, 'createPayment');
    }
    if (!session.url) throw new GatewayRequestError(`Stripe returned Checkout Session ${session.id} without a URL`, 'unexpected_response');
    return { paymentRef: session.id, url: session.url, status: 'requires_payment_method' };
  }

  async createSetup(req: SetupRequest): Promise<CreatedSetup> {
    if (req.hosted) return this.createHostedSetup(req, req.hosted);
    const params: Stripe.SetupIntentCreateParams = {
      customer: req.customerRef,
      allowed_payment_method_types: [stripeMethodType(req.kind)],
      // Saved to be charged while the customer is away: the nightly renewals.
      usage: 'off_session',
      // setup_intent.succeeded names the organisation, checked against the customer (gateway-events.ts).
      metadata: { orgId: req.orgId },
    };
    let si: Stripe.SetupIntent;
    try {
      si = await this.send(() => this.stripe.setupIntents.create(params, { idempotencyKey: req.idempotencyKey }));
    } catch (err) {
      throw toGatewayError(err, 'createSetup');
    }
    if (!si.client_secret) throw new GatewayRequestError(`Stripe returned SetupIntent ${si.id} without a client secret`, 'unexpected_response');
    return { setupRef: si.id, clientSecret: si.client_secret };
  }

  /** Stripe Checkout in setup mode: its SetupIntent carries the organisation, and setup_intent.succeeded saves the method. */
  private async createHostedSetup(req: SetupRequest, page: NonNullable<SetupRequest['hosted']>): Promise<CreatedSetup> {
    const params: Stripe.Checkout.SessionCreateParams = {
      mode: 'setup',
      customer: req.customerRef,
      currency: page.currency.toLowerCase(),
      allowed_payment_method_types: [stripeMethodType(req.kind)],
      setup_intent_data: { metadata: { orgId: req.orgId } },
      metadata: { orgId: req.orgId },
      success_url: page.successUrl,
      cancel_url: page.cancelUrl,
    };
    let session: Stripe.Checkout.Session;
    try {
      session = await this.send(() => this.stripe.checkout.sessions.create(params, { idempotencyKey: req.idempotencyKey }));
    } catch (err) {
      throw toGatewayError(err, 'createSetup');
    }
    if (!session.url) throw new GatewayRequestError(`Stripe returned Checkout Session ${session.id} without a URL`, 'unexpected_response');
    return { setupRef: session.id, url: session.url };
  }

  async getPayment(paymentRef: string): Promise<PaymentState | undefined> {
    if (paymentRef.startsWith(SESSION_PREFIX)) return this.getSessionPayment(paymentRef);
    // The refunded amount lives on the charge, hence the expansion.
    const pi = await this.findPaymentIntent(paymentRef, 'getPayment', ['latest_charge']);
    return pi && paymentState(pi);
  }

  /** A hosted page's payment: its PaymentIntent's state once the customer has paid (or tried), the page's before. */
  private async getSessionPayment(sessionRef: string): Promise<PaymentState | undefined> {
    const session = await this.findSession(sessionRef, 'getPayment', ['payment_intent.latest_charge']);
    if (!session) return undefined;
    const pi = session.payment_intent;
    if (pi && typeof pi === 'object') return paymentState(pi);
    const currency = currencyOf(session.currency ?? '');
    const customerRef = idOf(session.customer);
    return {
      paymentRef: session.id,
      // An open page has not been paid yet; an expired one never will be.
      status: session.status === 'expired' ? 'canceled' : 'requires_payment_method',
      amount: Money.fromMinorUnits(session.amount_total ?? 0, currency),
      amountReceived: Money.zero(currency),
      amountRefunded: Money.zero(currency),
      metadata: { ...session.metadata },
      ...(customerRef ? { customerRef } : {}),
    };
  }

  async refund(req: RefundRequest): Promise<RefundResult> {
    const params: Stripe.RefundCreateParams = {
      payment_intent: await this.paymentIntentOf(req.paymentRef),
      amount: req.amount.toMinorUnits(),
      metadata: req.metadata,
    };
    try {
      const refund = await this.send(() => this.stripe.refunds.create(params, { idempotencyKey: req.idempotencyKey }));
      return {
        refundRef: refund.id,
        status: refundStatus(refund.status),
        amount: Money.fromMinorUnits(refund.amount, currencyOf(refund.currency)),
      };
    } catch (err) {
      throw toGatewayError(err, 'refund');
    }
  }

  async getPaymentMethod(ref: string): Promise<GatewayPaymentMethod | undefined> {
    let pm: Stripe.PaymentMethod;
    try {
      pm = await this.send(() => this.stripe.paymentMethods.retrieve(ref));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw toGatewayError(err, 'getPaymentMethod');
    }
    return describeMethod(pm);
  }

  async listEvents(since: number, types: readonly string[], until?: number): Promise<GatewayEvent[]> {
    const newestFirst: Stripe.Event[] = [];
    let startingAfter: string | undefined;
    // Paged by hand rather than with the SDK's auto-pagination so every page goes through the pacer.
    for (;;) {
      const params: Stripe.EventListParams = {
        created: until === undefined ? { gte: since } : { gte: since, lt: until },
        limit: PAGE_SIZE,
        ...(types.length > 0 ? { types: [...types] } : {}),
        ...(startingAfter ? { starting_after: startingAfter } : {}),
      };
      let page: Stripe.ApiList<Stripe.Event>;
      try {
        page = await this.send(() => this.stripe.events.list(params));
      } catch (err) {
        throw toGatewayError(err, 'listEvents');
      }
      newestFirst.push(...page.data);
      startingAfter = page.data.at(-1)?.id;
      if (!page.has_more || !startingAfter) break;
    }
    return newestFirst.reverse().map(listedEvent);
  }

  /** A hosted page's PaymentIntent (refunds are made on it); a PaymentIntent id as it is. */
  private async paymentIntentOf(paymentRef: string): Promise<string> {
    if (!paymentRef.startsWith(SESSION_PREFIX)) return paymentRef;
    const session = await this.findSession(paymentRef, 'refund');
    const pi = session && idOf(session.payment_intent);
    if (!pi) throw new GatewayRequestError(`Checkout Session ${paymentRef} has no payment to refund`, 'charge_not_refundable');
    return pi;
  }

  private async findSession(id: string, action: string, expand?: string[]): Promise<Stripe.Checkout.Session | undefined> {
    try {
      return await this.send(() => this.stripe.checkout.sessions.retrieve(id, expand ? { expand } : {}));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw toGatewayError(err, action);
    }
  }

  /** undefined when Stripe does not know the id (404). */
  private async findPaymentIntent(id: string, action: string, expand?: string[]): Promise<Stripe.PaymentIntent | undefined> {
    try {
      return await this.send(() => this.stripe.paymentIntents.retrieve(id, expand ? { expand } : {}));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw toGatewayError(err, action);
    }
  }

  /**
   * Paces the call and retries 429s with exponential back-off. The request
   * options (and so the idempotency key) are captured in `call`, so a retry
   * is the very same request and can never charge twice.
   */
  private async send<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await this.pacer.acquire();
      try {
        return await call();
      } catch (err) {
        if (!(err instanceof Stripe.errors.StripeRateLimitError) || attempt >= this.maxRateLimitRetries) throw err;
        await this.sleep(this.rateLimitBackoffMs * 2 ** attempt);
      }
    }
  }
}

// ---- mapping Stripe's answers onto the port ----------------------------------------------------

/** Stripe Checkout Session ids: a hosted page's payment is known by its session until it has a PaymentIntent. */
const SESSION_PREFIX = 'cs_';

function paymentState(pi: Stripe.PaymentIntent): PaymentState {
  const currency = currencyOf(pi.currency);
  const charge = typeof pi.latest_charge === 'object' ? pi.latest_charge : null;
  const failure = pi.last_payment_error;
  const state: PaymentState = {
    paymentRef: pi.id,
    status: paymentStatus(pi),
    amount: Money.fromMinorUnits(pi.amount, currency),
    amountReceived: Money.fromMinorUnits(pi.amount_received, currency),
    amountRefunded: Money.fromMinorUnits(charge?.amount_refunded ?? 0, currency),
    metadata: { ...pi.metadata },
  };
  const customerRef = idOf(pi.customer);
  if (customerRef) state.customerRef = customerRef;
  const paymentMethodRef = idOf(pi.payment_method);
  if (paymentMethodRef) state.paymentMethodRef = paymentMethodRef;
  const failureCode = failure?.decline_code ?? failure?.code;
  if (failureCode) state.failureCode = failureCode;
  if (failure?.message) state.failureMessage = failure.message;
  return state;
}

/** The outcome of an off-session charge as Stripe reports it in the PaymentIntent. */
function chargeResult(pi: Stripe.PaymentIntent): ChargeResult {
  const failure = pi.last_payment_error;
  switch (pi.status) {
    case 'succeeded':
      return { status: 'succeeded', paymentRef: pi.id };
    case 'requires_action':
      return { status: 'requires_action', code: 'authentication_required', paymentRef: pi.id, message: failure?.message ?? AUTH_MESSAGE };
    case 'requires_payment_method':
      // An off-session charge that needed 3-D Secure fails back to requires_payment_method with this code.
      if (isAuthenticationRequired(failure?.code, failure?.decline_code)) {
        return { status: 'requires_action', code: 'authentication_required', paymentRef: pi.id, message: failure?.message ?? AUTH_MESSAGE };
      }
      return {
        status: 'declined',
        paymentRef: pi.id,
        code: failure?.decline_code ?? failure?.code ?? 'payment_incomplete',
        message: failure?.message ?? 'The payment has no successful attempt',
      };
    case 'canceled':
      return { status: 'declined', paymentRef: pi.id, code: 'canceled', message: `The payment was canceled (${pi.cancellation_reason ?? 'no reason given'})` };
    case 'processing':
      throw new TransientGatewayError(`PaymentIntent ${pi.id} is still processing; read it again later`);
    default:
      throw new GatewayRequestError(`PaymentIntent ${pi.id} is in status ${pi.status}, which an off-session charge never reaches`, 'unexpected_status');
  }
}

/**
 * A value for a single-quoted string in Stripe's search query language: quotes and
 * backslashes inside it are escaped with a backslash, so an id can never
 * close the string and add clauses of its own.
 */
function searchQueryString(value: string): string {
  return value.replace(/[\\']/g, (c) => `\\${c}`);
}

/** Newer by `created`; within the same second a succeeded charge wins, so it is never charged again. */
function isNewer(a: Stripe.PaymentIntent, b: Stripe.PaymentIntent): boolean {
  if (a.created !== b.created) return a.created > b.created;
  return a.status === 'succeeded' && b.status !== 'succeeded';
}

const AUTH_MESSAGE = 'The card issuer requires the customer to authenticate this payment';

function isAuthenticationRequired(code: string | undefined, declineCode: string | undefined): boolean {
  return code === 'authentication_required' || declineCode === 'authentication_required';
}

/** A card_error is an answer about the card, not a failure of the request: it becomes a result. */
function cardErrorResult(err: unknown): ChargeResult | undefined {
  if (!(err instanceof Stripe.errors.StripeCardError)) return undefined;
  const pi = err.payment_intent;
  if (pi && (isAuthenticationRequired(err.code, err.decline_code) || pi.status === 'requires_action')) {
    return { status: 'requires_action', code: 'authentication_required', paymentRef: pi.id, message: err.message };
  }
  // Without a PaymentIntent there is nothing the customer could authenticate, so it can only be a decline.
  return {
    status: 'declined',
    code: err.decline_code ?? err.code ?? 'card_declined',
    message: err.message,
    ...(pi ? { paymentRef: pi.id } : {}),
  };
}

/**
 * Rate limits, time-outs, lost connections and Stripe's own 5xx are worth a
 * later retry with the same key; bad parameters and unknown objects are not.
 */
function toGatewayError(err: unknown, action: string): Error {
  if (err instanceof TransientGatewayError || err instanceof GatewayRequestError) return err;
  if (!(err instanceof Stripe.errors.StripeError)) return err instanceof Error ? err : new Error(String(err));
  const what = `Stripe ${action}: ${err.message}`;
  if (err instanceof Stripe.errors.StripeRateLimitError) return new TransientGatewayError(`${what} (still rate limited after retries)`);
  if (err instanceof Stripe.errors.StripeConnectionError) return new TransientGatewayError(what);
  // A wrong or revoked key fails every payment of the night; that is an operator's problem, not a
  // customer's decline, so it must not settle anything: it is retried once the key is fixed.
  if (err instanceof Stripe.errors.StripeAuthenticationError || err instanceof Stripe.errors.StripePermissionError) {
    return new TransientGatewayError(`${what} (check STRIPE_SECRET_KEY)`);
  }
  if (err instanceof Stripe.errors.StripeIdempotencyError) return new GatewayRequestError(what, 'idempotency_error');
  if (err instanceof Stripe.errors.StripeInvalidRequestError) return new GatewayRequestError(what, err.code ?? 'invalid_request');
  if (err instanceof Stripe.errors.StripeCardError) return new GatewayRequestError(what, err.decline_code ?? err.code ?? 'card_error');
  // 409 (a concurrent request with the same key), 5xx and answers that are not JSON.
  return new TransientGatewayError(what);
}

function isMissing(err: unknown): boolean {
  return err instanceof Stripe.errors.StripeInvalidRequestError && (err.statusCode === 404 || err.code === 'resource_missing');
}

const PAYMENT_STATUSES: ReadonlySet<string> = new Set<PaymentStatus>([
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'succeeded',
  'canceled',
]);

function paymentStatus(pi: Stripe.PaymentIntent): PaymentStatus {
  // requires_capture needs capture_method=manual, which this adapter never sets.
  if (!PAYMENT_STATUSES.has(pi.status)) {
    throw new GatewayRequestError(`PaymentIntent ${pi.id} is in unexpected status ${pi.status}`, 'unexpected_status');
  }
  return pi.status as PaymentStatus;
}

function refundStatus(status: string | null): RefundResult['status'] {
  if (status === 'succeeded') return 'succeeded';
  if (status === 'failed' || status === 'canceled') return 'failed';
  // pending and requires_action settle later; the refund.updated event tells which way.
  return 'pending';
}

function currencyOf(stripeCurrency: string): Currency {
  const code = stripeCurrency.toUpperCase();
  if (!isCurrency(code)) throw new GatewayRequestError(`Stripe object in unsupported currency ${stripeCurrency}`, 'unsupported_currency');
  return code;
}

function idOf(ref: string | { id: string } | null): string | undefined {
  if (!ref) return undefined;
  return typeof ref === 'string' ? ref : ref.id;
}

/**
 * Stripe has no PostFinance payment method type (only cards, Twint, PayPal
 * among ours), so asking for it must fail loudly rather than show a checkout
 * without the method the customer chose.
 */
function stripeMethodType(kind: PaymentMethodKind): 'card' | 'twint' | 'paypal' {
  switch (kind) {
    case 'card':
    case 'twint':
    case 'paypal':
      return kind;
    case 'postfinance':
      throw new GatewayRequestError('PostFinance is not available through Stripe', 'method_not_supported');
  }
}

const BRANDS: Record<string, { brand?: CardBrand; name: string }> = {
  visa: { brand: 'visa', name: 'Visa' },
  mastercard: { brand: 'mastercard', name: 'Mastercard' },
  cartes_bancaires: { brand: 'cb', name: 'CB' },
  amex: { name: 'American Express' },
};

function describeMethod(pm: Stripe.PaymentMethod): GatewayPaymentMethod {
  const customerRef = idOf(pm.customer);
  const base = { ref: pm.id, ...(customerRef ? { customerRef } : {}) };
  switch (pm.type) {
    case 'card': {
      // display_brand is the network the customer sees (a co-badged CB card reports cartes_bancaires there).
      const network = pm.card?.display_brand ?? pm.card?.brand ?? 'unknown';
      const known = BRANDS[network];
      const name = known?.name ?? network.replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase());
      return { ...base, kind: 'card', ...(known?.brand ? { brand: known.brand } : {}), label: `${name} •••• ${pm.card?.last4 ?? '????'}` };
    }
    case 'twint':
      return { ...base, kind: 'twint', label: 'TWINT' };
    case 'paypal':
      return { ...base, kind: 'paypal', label: pm.paypal?.payer_email ? `PayPal (${pm.paypal.payer_email})` : 'PayPal' };
    default:
      throw new GatewayRequestError(`Stripe payment method ${pm.id} is of type ${pm.type}, which this engine does not take`, 'method_not_supported');
  }
}

function listedEvent(event: Stripe.Event): GatewayEvent {
  const object: unknown = event.data?.object;
  if (typeof object !== 'object' || object === null) {
    throw new GatewayRequestError(`Stripe event ${event.id} has no data.object`, 'unexpected_response');
  }
  return { id: event.id, type: event.type, created: event.created, object: object as Record<string, unknown> };
}
