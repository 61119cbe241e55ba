/**
 * A local stand-in for the part of Stripe's REST API the Stripe adapter uses,
 * so its tests run without network and can assert on every byte it sends.
 *
 * What it reproduces from Stripe, because the adapter depends on it:
 * - form-encoded bodies with bracket notation, and 400 `parameter_unknown` for
 *   parameters this API version does not know (e.g. payment_method_types);
 * - idempotency: same key and same parameters replay the stored response with
 *   `Idempotent-Replayed: true`, other parameters give 400 `idempotency_error`;
 *   only requests that reached an endpoint are stored (faults are not);
 * - Stripe's test payment methods (pm_card_visa, pm_card_chargeDeclined,
 *   pm_card_authenticationRequired, ...) and their 402 card errors, which carry
 *   the failed PaymentIntent;
 * - events for what happens, listed newest first with cursor pagination;
 * - PaymentIntent search (`GET /v1/payment_intents/search`) for exact-match
 *   clauses of Stripe's search query language (`metadata['key']:'value'`,
 *   `status:'succeeded'`, joined by spaces, AND or OR, negated with `-`),
 *   with `page`/`next_page` pagination and 400 for a query it cannot parse.
 *   Unlike Stripe, results are searchable at once and come oldest first
 *   (Stripe promises no order).
 * Response objects start from copies of Stripe's published examples in
 * test/fixtures/stripe, with the fields the scenario decides filled in.
 *
 * Fake-only: `pm_fake_processing` leaves a PaymentIntent in `processing` until
 * `completeProcessing` is called, standing in for a slow payment method.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type Form = { [key: string]: FormValue };
type Json = Record<string, unknown>;

export interface RecordedRequest {
  method: string;
  /** Without the query string. */
  path: string;
  /** Lower-cased names, as Node reports them. */
  headers: Record<string, string | undefined>;
  /** The query string, parsed like the body. */
  query: Form;
  /** The form body, parsed from bracket notation; every leaf is the string that was sent. */
  body: Form;
}

export type Fault = 'rate_limit' | 'server_error' | 'close' | 'hang';

/** How a test payment method answers a confirmation. */
export type MethodBehaviour =
  { outcome: 'succeed' } | { outcome: 'decline'; code: string; declineCode?: string; message: string } | { outcome: 'authenticate' } | { outcome: 'process' };

export interface FakeStripeOptions {
  apiKey?: string;
  /** Unix seconds for `created` fields; settable later through `now`. */
  now?: () => number;
}

const FIXTURES = new URL('../fixtures/stripe/', import.meta.url);
function fixture(name: string): Json {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as Json;
}
const TEMPLATES = {
  paymentIntent: fixture('payment_intent'),
  customer: fixture('customer'),
  refund: fixture('refund'),
  paymentMethod: fixture('payment_method'),
  setupIntent: fixture('setup_intent'),
  checkoutSession: fixture('checkout_session'),
  event: fixture('event'),
  charge: fixture('charge'),
  list: fixture('list'),
};

const API_VERSION = '2026-10-28.endive';

const DECLINED = 'Your card was declined.';
const TEST_METHODS: Record<string, { card: { brand: string; last4: string }; behaviour: MethodBehaviour }> = {
  pm_card_visa: { card: { brand: 'visa', last4: '4242' }, behaviour: { outcome: 'succeed' } },
  pm_card_mastercard: { card: { brand: 'mastercard', last4: '4444' }, behaviour: { outcome: 'succeed' } },
  pm_card_chargeDeclined: {
    card: { brand: 'visa', last4: '0002' },
    behaviour: { outcome: 'decline', code: 'card_declined', declineCode: 'generic_decline', message: DECLINED },
  },
  pm_card_chargeDeclinedInsufficientFunds: {
    card: { brand: 'visa', last4: '9995' },
    behaviour: { outcome: 'decline', code: 'card_declined', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  },
  pm_card_chargeDeclinedExpiredCard: {
    card: { brand: 'visa', last4: '0069' },
    behaviour: { outcome: 'decline', code: 'expired_card', declineCode: 'expired_card', message: 'Your card has expired.' },
  },
  pm_card_authenticationRequired: { card: { brand: 'visa', last4: '3184' }, behaviour: { outcome: 'authenticate' } },
  pm_fake_processing: { card: { brand: 'visa', last4: '1111' }, behaviour: { outcome: 'process' } },
};

/** Parameters each endpoint accepts; anything else is refused as Stripe does. */
const PI_PARAMS = new Set([
  'amount',
  'currency',
  'customer',
  'payment_method',
  'off_session',
  'confirm',
  'description',
  'metadata',
  'allowed_payment_method_types',
  'setup_future_usage',
  'expand',
  'receipt_email',
  'statement_descriptor_suffix',
  'capture_method',
  'automatic_payment_methods',
  'return_url',
]);
/** Checkout Session creation's parameters, as the SDK's Checkout.SessionCreateParams lists them for the pinned API version. */
const SESSION_PARAMS = new Set([
  'adaptive_pricing',
  'after_expiration',
  'allow_promotion_codes',
  'allowed_payment_method_types',
  'automatic_tax',
  'billing_address_collection',
  'branding_settings',
  'cancel_url',
  'client_reference_id',
  'consent_collection',
  'currency',
  'custom_fields',
  'custom_text',
  'customer',
  'customer_account',
  'customer_creation',
  'customer_email',
  'customer_update',
  'discounts',
  'excluded_payment_method_types',
  'expand',
  'expires_at',
  'integration_identifier',
  'invoice_creation',
  'line_items',
  'locale',
  'managed_payments',
  'metadata',
  'mode',
  'name_collection',
  'optional_items',
  'origin_context',
  'payment_intent_data',
  'payment_method_collection',
  'payment_method_configuration',
  'payment_method_data',
  'payment_method_options',
  'permissions',
  'phone_number_collection',
  'redirect_on_completion',
  'return_url',
  'saved_payment_method_options',
  'setup_intent_data',
  'shipping_address_collection',
  'shipping_options',
  'submit_type',
  'subscription_data',
  'success_url',
  'tax_id_collection',
  'ui_mode',
  'wallet_options',
]);
/** What payment_intent_data may carry (Checkout.SessionCreateParams.PaymentIntentData). */
const SESSION_PI_PARAMS = new Set([
  'application_fee_amount',
  'capture_method',
  'description',
  'metadata',
  'on_behalf_of',
  'receipt_email',
  'setup_future_usage',
  'shipping',
  'statement_descriptor',
  'statement_descriptor_suffix',
  'transfer_data',
  'transfer_group',
]);
/** SetupIntent creation's parameters, as the SDK's SetupIntentCreateParams lists them for the pinned API version. */
const SETUP_INTENT_PARAMS = new Set([
  'allowed_payment_method_types',
  'attach_to_self',
  'automatic_payment_methods',
  'confirm',
  'confirmation_token',
  'customer',
  'customer_account',
  'description',
  'excluded_payment_method_types',
  'expand',
  'flow_directions',
  'mandate_data',
  'metadata',
  'on_behalf_of',
  'payment_method',
  'payment_method_configuration',
  'payment_method_data',
  'payment_method_options',
  'return_url',
  'single_use',
  'usage',
  'use_stripe_sdk',
]);
const CUSTOMER_PARAMS = new Set(['name', 'email', 'metadata', 'description', 'phone', 'preferred_locales', 'expand']);
const REFUND_PARAMS = new Set(['payment_intent', 'charge', 'amount', 'metadata', 'reason', 'expand']);
const SEARCH_PARAMS = new Set(['query', 'limit', 'page', 'expand']);
/** PaymentIntent fields the fake can search on besides metadata, all compared as exact strings. */
const PI_SEARCH_FIELDS = new Set(['status', 'currency', 'customer', 'amount', 'payment_method', 'description']);
const CHF_ONLY_TYPES = new Set(['twint']);
const KNOWN_TYPES = new Set(['card', 'twint', 'paypal', 'sepa_debit', 'klarna', 'link']);

interface Stored {
  fingerprint: string;
  status: number;
  body: Json;
}

interface Reply {
  status: number;
  body: Json;
}

class StripeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Json,
  ) {
    super(String((body.error as Json | undefined)?.message));
  }
}

export class FakeStripeServer {
  readonly host = '127.0.0.1';
  readonly apiKey: string;
  /** Every request in arrival order, faults included. */
  readonly requests: RecordedRequest[] = [];
  /** Caps `limit` on list endpoints, so pagination can be tested with few objects. */
  maxPageSize = 100;
  now: () => number;

  private readonly paymentIntents = new Map<string, Json>();
  private readonly charges = new Map<string, Json>();
  private readonly customers = new Map<string, Json>();
  private readonly sessions = new Map<string, Json>();
  private readonly sessionPaymentData = new Map<string, Form>();
  private readonly refunds = new Map<string, Json>();
  private readonly paymentMethods = new Map<string, Json>();
  private readonly behaviours = new Map<string, MethodBehaviour>();
  private readonly events: Json[] = [];
  private readonly idempotency = new Map<string, Stored>();
  private readonly faults: Fault[] = [];
  private readonly sockets = new Set<Socket>();
  private server!: Server;
  private portNumber = 0;

  private constructor(options: FakeStripeOptions) {
    this.apiKey = options.apiKey ?? 'sk_test_fake';
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
    for (const [id, { card, behaviour }] of Object.entries(TEST_METHODS)) {
      this.addPaymentMethod({ id, type: 'card', card }, behaviour);
    }
  }

  /** Listens on a free port of 127.0.0.1; call `stop()` when done. */
  static async start(options: FakeStripeOptions = {}): Promise<FakeStripeServer> {
    const fake = new FakeStripeServer(options);
    fake.server = createServer((req, res) => {
      fake.handle(req, res).catch((err: unknown) => {
        // A bug in the fake must show up as a failing request, not as an unhandled rejection.
        if (!res.headersSent) send(res, 500, errorBody({ type: 'api_error', message: `fake-stripe-server: ${String(err)}` }));
      });
    });
    fake.server.on('connection', (socket) => {
      fake.sockets.add(socket);
      socket.on('close', () => fake.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(0, fake.host, resolve);
    });
    fake.portNumber = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  get port(): number {
    return this.portNumber;
  }

  /** What StripePaymentGateway needs to talk to this server instead of api.stripe.com. */
  connection(): { secretKey: string; host: string; port: number; protocol: 'http' } {
    return { secretKey: this.apiKey, host: this.host, port: this.port, protocol: 'http' };
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Fake-only: what the customer does on Stripe's hosted page, paying with a
   * test method. The page makes its PaymentIntent (with payment_intent_data)
   * and confirms it; a success completes the session. A decline leaves the
   * page open for another try, as Stripe's does.
   */
  payHostedPage(sessionId: string, paymentMethod: string): Json {
    const session = this.sessions.get(sessionId);
    if (!session) throw new Error(`no session ${sessionId}`);
    const data = this.sessionPaymentData.get(sessionId) ?? {};
    let pi = typeof session.payment_intent === 'string' ? this.paymentIntents.get(session.payment_intent) : undefined;
    if (!pi) {
      const body: Form = {
        amount: String(session.amount_total),
        currency: String(session.currency),
        ...(typeof session.customer === 'string' ? { customer: session.customer } : {}),
        allowed_payment_method_types: (session.payment_method_types as string[]).length > 0 ? (session.payment_method_types as string[]) : ['card'],
        ...(data.metadata ? { metadata: data.metadata } : {}),
        ...(data.description ? { description: data.description } : {}),
        ...(data.setup_future_usage ? { setup_future_usage: data.setup_future_usage } : {}),
      };
      pi = this.paymentIntents.get(this.createPaymentIntent(body, undefined).id as string)!;
      session.payment_intent = pi.id;
    }
    const behaviour = this.behaviours.get(paymentMethod) ?? { outcome: 'succeed' };
    pi.payment_method = paymentMethod;
    // On the hosted page the customer passes 3-D Secure: an authentication-required card succeeds.
    if (behaviour.outcome === 'succeed' || behaviour.outcome === 'authenticate') this.succeed(pi, paymentMethod, undefined);
    else if (behaviour.outcome === 'decline') this.fail(pi, paymentMethod, behaviour, undefined);
    if (pi.status === 'succeeded') {
      Object.assign(session, { status: 'complete', payment_status: 'paid' });
      this.record('checkout.session.completed', session, undefined);
    }
    return structuredClone(session);
  }

  /** The next `count` requests fail this way before reaching any endpoint (and are not stored for idempotency). */
  injectFault(fault: Fault, count = 1): void {
    for (let i = 0; i < count; i++) this.faults.push(fault);
  }

  requestsTo(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  listPaymentIntents(): Json[] {
    return [...this.paymentIntents.values()].map((pi) => structuredClone(pi));
  }

  listCustomers(): Json[] {
    return [...this.customers.values()].map((c) => structuredClone(c));
  }

  /** A payment method beyond Stripe's test ones, e.g. a Twint wallet or a CB card. */
  addPaymentMethod(
    pm: { id: string; type: string; card?: { brand: string; last4: string; displayBrand?: string }; paypal?: { payer_email: string }; customer?: string },
    behaviour: MethodBehaviour = { outcome: 'succeed' },
  ): void {
    const object = structuredClone(TEMPLATES.paymentMethod);
    delete object.card;
    Object.assign(object, { id: pm.id, type: pm.type, customer: pm.customer ?? null, metadata: {}, created: this.now() });
    if (pm.card) {
      const card = structuredClone(TEMPLATES.paymentMethod.card) as Json;
      Object.assign(card, {
        brand: pm.card.brand,
        display_brand: pm.card.displayBrand ?? pm.card.brand,
        last4: pm.card.last4,
        networks: { available: [pm.card.brand], preferred: null },
        generated_from: null,
        wallet: null,
      });
      object.card = card;
    } else if (pm.type === 'paypal') {
      object.paypal = { country: 'CH', payer_email: pm.paypal?.payer_email ?? null, payer_id: 'PAYER123' };
    } else {
      object[pm.type] = {};
    }
    this.paymentMethods.set(pm.id, object);
    this.behaviours.set(pm.id, behaviour);
  }

  /** An event as Stripe would have recorded it, for listEvents tests. */
  addEvent(type: string, object: Json, created = this.now()): Json {
    const event = structuredClone(TEMPLATES.event);
    Object.assign(event, {
      id: newId('evt'),
      type,
      created,
      api_version: API_VERSION,
      data: { object: structuredClone(object) },
      request: { id: null, idempotency_key: null },
    });
    this.events.push(event);
    return event;
  }

  /** Fake-only: settles a PaymentIntent left in `processing` by pm_fake_processing. */
  completeProcessing(id: string, outcome: 'succeeded' | 'failed'): void {
    const pi = this.paymentIntents.get(id);
    if (!pi || pi.status !== 'processing') throw new Error(`${id} is not processing`);
    const pmId = pi.payment_method as string;
    if (outcome === 'succeeded') {
      this.succeed(pi, pmId);
    } else {
      this.fail(pi, pmId, { outcome: 'decline', code: 'card_declined', declineCode: 'generic_decline', message: DECLINED });
    }
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', `http://${this.host}`);
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      headers,
      query: parseForm(url.search.slice(1)),
      body: parseForm(raw),
    };
    this.requests.push(recorded);

    const fault = this.faults.shift();
    if (fault === 'close') {
      req.socket.destroy();
      return;
    }
    if (fault === 'hang') return;
    if (fault === 'rate_limit') {
      return send(
        res,
        429,
        errorBody({
          type: 'invalid_request_error',
          code: 'rate_limit',
          message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
        }),
      );
    }
    if (fault === 'server_error') {
      return send(res, 500, errorBody({ type: 'api_error', message: 'Sorry, something went wrong. We have already been notified of the problem.' }));
    }

    if (headers.authorization !== `Bearer ${this.apiKey}`) {
      return send(res, 401, errorBody({ type: 'invalid_request_error', message: 'Invalid API Key provided.' }));
    }

    const key = recorded.method === 'POST' ? headers['idempotency-key'] : undefined;
    const fingerprint = `${recorded.method} ${recorded.path} ${canonical(recorded.body)}`;
    if (key) {
      const stored = this.idempotency.get(key);
      if (stored && stored.fingerprint !== fingerprint) {
        return send(
          res,
          400,
          errorBody({
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          }),
          key,
        );
      }
      if (stored) return send(res, stored.status, stored.body, key, true);
    }

    let reply: Reply;
    try {
      reply = { status: 200, body: this.route(recorded, key) };
    } catch (err) {
      if (!(err instanceof StripeHttpError)) throw err;
      reply = { status: err.status, body: err.body };
    }
    // Stripe saves the result once the endpoint ran: successes and card errors, not refusals of the request itself.
    if (key && (reply.status === 200 || reply.status === 402)) this.idempotency.set(key, { fingerprint, ...reply });
    send(res, reply.status, reply.body, key);
  }

  private route(req: RecordedRequest, key: string | undefined): Json {
    const { method, path } = req;
    let m: RegExpMatchArray | null;
    if (method === 'POST' && path === '/v1/payment_intents') return this.createPaymentIntent(req.body, key);
    // Before the retrieval route, which would take "search" for an id.
    if (method === 'GET' && path === '/v1/payment_intents/search') return this.searchPaymentIntents(req.query, path);
    if (method === 'GET' && (m = path.match(/^\/v1\/payment_intents\/([^/]+)$/))) {
      return this.expandIntent(this.found(this.paymentIntents, decodeURIComponent(m[1]!), 'payment_intent', 404), req.query.expand);
    }
    if (method === 'POST' && path === '/v1/customers') return this.createCustomer(req.body, key);
    if (method === 'POST' && path === '/v1/setup_intents') return this.createSetupIntent(req.body, key);
    if (method === 'POST' && path === '/v1/checkout/sessions') return this.createSession(req.body, key);
    if (method === 'GET' && (m = path.match(/^\/v1\/checkout\/sessions\/([^/]+)$/))) {
      return this.expandSession(this.found(this.sessions, decodeURIComponent(m[1]!), 'checkout.session', 404), req.query.expand);
    }
    if (method === 'POST' && path === '/v1/refunds') return this.createRefund(req.body, key);
    if (method === 'GET' && (m = path.match(/^\/v1\/payment_methods\/([^/]+)$/))) {
      return structuredClone(this.found(this.paymentMethods, decodeURIComponent(m[1]!), 'PaymentMethod', 404));
    }
    if (method === 'GET' && path === '/v1/events') return this.listEvents(req.query);
    throw invalid(404, `Unrecognized request URL (${method}: ${path}).`);
  }

  // ---- endpoints ----------------------------------------------------------------------------

  private createPaymentIntent(body: Form, key: string | undefined): Json {
    rejectUnknown(body, PI_PARAMS);
    const amount = integerParam(body, 'amount');
    const currency = stringParam(body, 'currency', true)!;
    if (!/^[a-z]{3}$/.test(currency)) throw invalid(400, `Invalid currency: ${currency}.`, 'parameter_invalid_string', 'currency');
    if (amount < 50) throw invalid(400, 'Amount must be at least 0.50 chf', 'amount_too_small', 'amount');
    const customer = stringParam(body, 'customer');
    if (customer && !this.customers.has(customer)) throw invalid(400, `No such customer: '${customer}'`, 'resource_missing', 'customer');
    const pmId = stringParam(body, 'payment_method');
    if (pmId && !this.paymentMethods.has(pmId)) throw invalid(400, `No such PaymentMethod: '${pmId}'`, 'resource_missing', 'payment_method');
    const confirm = booleanParam(body, 'confirm');
    const offSession = booleanParam(body, 'off_session');
    if (offSession && !confirm) throw invalid(400, 'off_session can only be used when confirm=true.', 'parameter_invalid_empty', 'off_session');
    const allowed = arrayParam(body, 'allowed_payment_method_types');
    for (const type of allowed) {
      if (!KNOWN_TYPES.has(type)) throw invalid(400, `The payment method type "${type}" is invalid.`, 'payment_method_unsupported_type', 'allowed_payment_method_types');
      if (CHF_ONLY_TYPES.has(type) && currency !== 'chf') {
        throw invalid(
          400,
          `The currency provided (${currency}) is invalid for one or more payment method types on this PaymentIntent. The payment method type ${type} supports: chf.`,
          'payment_intent_invalid_parameter',
          'currency',
        );
      }
    }
    const pmType = pmId ? (this.paymentMethods.get(pmId)!.type as string) : undefined;
    const automatic = objectParam(body, 'automatic_payment_methods');
    // What Stripe refuses of a confirmed intent: with neither a type list nor automatic methods that never
    // redirect, it falls back to the dashboard's methods, some of which redirect, and needs a return_url.
    if (confirm && allowed.length === 0 && !stringParam(body, 'return_url') && !(automatic?.enabled === 'true' && automatic.allow_redirects === 'never')) {
      throw invalid(
        400,
        'A return_url must be specified because this Payment Intent is configured to automatically accept the payment methods enabled in the Dashboard, some of which may require a full page redirect to succeed. If you do not want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.',
        'parameter_missing',
        'return_url',
      );
    }
    // A saved method belongs to its customer: charging it off-session must name that customer.
    const owner = pmId ? (this.paymentMethods.get(pmId)!.customer as string | null) : null;
    if (offSession && owner && customer !== owner) {
      throw invalid(
        400,
        `The provided PaymentMethod ${pmId} belongs to the Customer ${owner}. Please include the Customer in the \`customer\` parameter on the PaymentIntent.`,
        'parameter_missing',
        'customer',
      );
    }
    if (pmType && allowed.length > 0 && !allowed.includes(pmType)) {
      throw invalid(
        400,
        `The PaymentMethod provided (${pmType}) is not allowed for this PaymentIntent. Please attach a PaymentMethod of one of the following types: ${allowed.join(', ')}.`,
        'payment_intent_incompatible_payment_method',
        'payment_method',
      );
    }

    const id = newId('pi');
    const pi = structuredClone(TEMPLATES.paymentIntent);
    Object.assign(pi, {
      id,
      amount,
      amount_capturable: 0,
      amount_received: 0,
      currency,
      customer: customer ?? null,
      description: stringParam(body, 'description') ?? null,
      metadata: metadataParam(body),
      payment_method: pmId ?? null,
      payment_method_types: allowed.length > 0 ? allowed : [pmType ?? 'card'],
      allowed_payment_method_types: allowed.length > 0 ? allowed : null,
      automatic_payment_methods: allowed.length > 0 || pmId ? null : { enabled: true, allow_redirects: 'always' },
      setup_future_usage: stringParam(body, 'setup_future_usage') ?? null,
      client_secret: `${id}_secret_${randomBytes(12).toString('hex')}`,
      created: this.now(),
      status: pmId ? 'requires_confirmation' : 'requires_payment_method',
      // The published example fills these with placeholders; a fresh PaymentIntent has none of them.
      canceled_at: null,
      last_payment_error: null,
      latest_charge: null,
      next_action: null,
      processing: null,
      shipping: null,
      transfer_data: null,
      payment_method_configuration_details: null,
    });
    this.paymentIntents.set(id, pi);
    this.record('payment_intent.created', pi, key);

    if (confirm && pmId) {
      const behaviour = this.behaviours.get(pmId) ?? { outcome: 'succeed' };
      if (behaviour.outcome === 'succeed') this.succeed(pi, pmId, key);
      else if (behaviour.outcome === 'process') {
        pi.status = 'processing';
        this.record('payment_intent.processing', pi, key);
      } else if (behaviour.outcome === 'authenticate' && !offSession) {
        pi.status = 'requires_action';
        pi.next_action = { type: 'use_stripe_sdk', use_stripe_sdk: {} };
        this.record('payment_intent.requires_action', pi, key);
      } else {
        const failure: MethodBehaviour =
          behaviour.outcome === 'authenticate'
            ? {
                outcome: 'decline',
                code: 'authentication_required',
                declineCode: 'authentication_required',
                message: 'Your card was declined. This transaction requires authentication.',
              }
            : behaviour;
        const error = this.fail(pi, pmId, failure, key);
        throw new StripeHttpError(402, { error: { ...error, payment_intent: structuredClone(pi) } });
      }
    }
    return this.expandIntent(pi, body.expand);
  }

  private createSession(body: Form, key: string | undefined): Json {
    rejectUnknown(body, SESSION_PARAMS);
    const mode = stringParam(body, 'mode', true)!;
    if (mode !== 'payment' && mode !== 'setup') throw invalid(400, `The fake speaks mode=payment and mode=setup, got ${mode}`, 'parameter_invalid_string', 'mode');
    const customer = stringParam(body, 'customer');
    if (customer && !this.customers.has(customer)) throw invalid(400, `No such customer: '${customer}'`, 'resource_missing', 'customer');
    if (!stringParam(body, 'success_url')) throw invalid(400, 'You must provide a success_url for a hosted Checkout Session.', 'parameter_missing', 'success_url');
    const items = body.line_items ?? [];
    if (mode === 'setup') {
      if (Array.isArray(items) && items.length > 0) throw invalid(400, 'line_items is not allowed in setup mode.', 'parameter_invalid_empty', 'line_items');
      if (!stringParam(body, 'currency')) throw invalid(400, 'currency is required in setup mode with these payment method types.', 'parameter_missing', 'currency');
    } else if (!Array.isArray(items) || items.length === 0) throw invalid(400, 'line_items is required in payment mode.', 'parameter_missing', 'line_items');
    if (!Array.isArray(items)) throw invalid(400, 'Invalid array: line_items', 'parameter_invalid_array', 'line_items');
    let amountTotal = 0;
    let currency: string | undefined = stringParam(body, 'currency');
    items.forEach((item, i) => {
      if (typeof item !== 'object' || Array.isArray(item)) throw invalid(400, `Invalid hash: line_items[${i}]`, 'parameter_invalid_hash', `line_items[${i}]`);
      const quantity = integerParam(item, 'quantity');
      const price = item.price_data;
      if (typeof price !== 'object' || Array.isArray(price)) throw invalid(400, `Missing price_data in line_items[${i}]`, 'parameter_missing', `line_items[${i}][price_data]`);
      const unit = integerParam(price, 'unit_amount');
      const cur = stringParam(price, 'currency', true)!;
      if (currency && cur !== currency) throw invalid(400, 'All line items must be in the same currency.', 'parameter_invalid_string', `line_items[${i}][price_data][currency]`);
      currency = cur;
      const product = price.product_data;
      if (typeof product !== 'object' || Array.isArray(product) || !stringParam(product, 'name')) {
        throw invalid(400, `Missing product_data[name] in line_items[${i}]`, 'parameter_missing', `line_items[${i}][price_data][product_data][name]`);
      }
      amountTotal += unit * quantity;
    });
    for (const type of arrayParam(body, 'allowed_payment_method_types')) {
      if (!KNOWN_TYPES.has(type)) throw invalid(400, `The payment method type "${type}" is invalid.`, 'payment_method_unsupported_type', 'allowed_payment_method_types');
    }
    const piData = body.payment_intent_data;
    if (piData !== undefined) {
      if (typeof piData !== 'object' || Array.isArray(piData)) throw invalid(400, 'Invalid hash: payment_intent_data', 'parameter_invalid_hash', 'payment_intent_data');
      rejectUnknown(piData, SESSION_PI_PARAMS);
      const usage = stringParam(piData, 'setup_future_usage');
      if (usage && usage !== 'off_session' && usage !== 'on_session')
        throw invalid(400, 'Invalid setup_future_usage', 'parameter_invalid_string', 'payment_intent_data[setup_future_usage]');
    }
    // Stripe: a session expires between 30 minutes and 24 hours after it is created.
    const expiresAt = body.expires_at === undefined ? this.now() + 24 * 3600 : integerParam(body, 'expires_at');
    if (expiresAt < this.now() + 1800 || expiresAt > this.now() + 24 * 3600) {
      throw invalid(400, 'The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.', 'parameter_invalid_integer', 'expires_at');
    }
    const id = `cs_test_${randomBytes(24).toString('base64url').replace(/[-_]/g, 'x')}`;
    const session = structuredClone(TEMPLATES.checkoutSession);
    Object.assign(session, {
      id,
      mode,
      url: `https://checkout.stripe.com/c/pay/${id}`,
      amount_total: mode === 'setup' ? null : amountTotal,
      amount_subtotal: mode === 'setup' ? null : amountTotal,
      currency: currency ?? null,
      customer: customer ?? null,
      client_reference_id: stringParam(body, 'client_reference_id') ?? null,
      metadata: metadataParam(body),
      success_url: stringParam(body, 'success_url') ?? null,
      cancel_url: stringParam(body, 'cancel_url') ?? null,
      expires_at: expiresAt,
      created: this.now(),
      status: 'open',
      payment_status: 'unpaid',
      payment_intent: null,
      payment_method_types: arrayParam(body, 'allowed_payment_method_types'),
      livemode: false,
    });
    // Kept for the payment the page makes when the customer pays (payHostedPage).
    this.sessionPaymentData.set(id, (piData as Form | undefined) ?? {});
    this.sessions.set(id, session);
    this.record('checkout.session.created', session, key);
    return structuredClone(session);
  }

  private expandSession(session: Json, expand: FormValue | undefined): Json {
    const copy = structuredClone(session);
    const paths = expand === undefined ? [] : asStringArray(expand, 'expand');
    if (typeof copy.payment_intent === 'string' && paths.some((p) => p === 'payment_intent' || p.startsWith('payment_intent.'))) {
      const inner = paths.filter((p) => p.startsWith('payment_intent.')).map((p) => p.slice('payment_intent.'.length));
      copy.payment_intent = this.expandIntent(this.paymentIntents.get(copy.payment_intent)!, inner);
    }
    return copy;
  }

  private createCustomer(body: Form, key: string | undefined): Json {
    rejectUnknown(body, CUSTOMER_PARAMS);
    const customer = structuredClone(TEMPLATES.customer);
    Object.assign(customer, {
      id: newId('cus'),
      name: stringParam(body, 'name') ?? null,
      email: stringParam(body, 'email') ?? null,
      description: stringParam(body, 'description') ?? null,
      metadata: metadataParam(body),
      created: this.now(),
      currency: null,
      discount: null,
      shipping: null,
    });
    this.customers.set(customer.id as string, customer);
    this.record('customer.created', customer, key);
    return structuredClone(customer);
  }

  private createSetupIntent(body: Form, key: string | undefined): Json {
    rejectUnknown(body, SETUP_INTENT_PARAMS);
    const customer = stringParam(body, 'customer');
    if (customer && !this.customers.has(customer)) throw invalid(400, `No such customer: '${customer}'`, 'resource_missing', 'customer');
    const usage = stringParam(body, 'usage') ?? 'off_session';
    if (usage !== 'off_session' && usage !== 'on_session') throw invalid(400, `Invalid usage: must be one of off_session or on_session`, 'parameter_invalid_string', 'usage');
    const allowed = arrayParam(body, 'allowed_payment_method_types');
    for (const type of allowed) {
      if (!KNOWN_TYPES.has(type)) throw invalid(400, `The payment method type "${type}" is invalid.`, 'payment_method_unsupported_type', 'allowed_payment_method_types');
    }
    const id = newId('seti');
    const si = structuredClone(TEMPLATES.setupIntent);
    Object.assign(si, {
      id,
      client_secret: `${id}_secret_${newId('s').slice(2)}`,
      created: this.now(),
      customer: customer ?? null,
      usage,
      status: 'requires_payment_method',
      payment_method: null,
      payment_method_types: allowed.length > 0 ? allowed : ['card'],
      metadata: metadataParam(body),
      livemode: false,
    });
    this.record('setup_intent.created', si, key);
    return structuredClone(si);
  }

  private createRefund(body: Form, key: string | undefined): Json {
    rejectUnknown(body, REFUND_PARAMS);
    const piId = stringParam(body, 'payment_intent');
    if (!piId) throw invalid(400, 'One of the following params should be provided for this request: payment_intent or charge.', 'parameter_missing', 'payment_intent');
    const pi = this.found(this.paymentIntents, piId, 'payment_intent', 400, 'payment_intent');
    const charge = typeof pi.latest_charge === 'string' ? this.charges.get(pi.latest_charge) : undefined;
    if (pi.status !== 'succeeded' || !charge) {
      throw invalid(400, `This PaymentIntent (${piId}) does not have a successful charge to refund.`, 'charge_not_refundable', 'payment_intent');
    }
    const remaining = (charge.amount as number) - (charge.amount_refunded as number);
    if (remaining === 0) throw invalid(400, `Charge ${charge.id as string} has already been refunded.`, 'charge_already_refunded');
    const amount = body.amount === undefined ? remaining : integerParam(body, 'amount');
    if (amount > remaining) {
      throw invalid(400, `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, 'amount_too_large', 'amount');
    }
    charge.amount_refunded = (charge.amount_refunded as number) + amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    const refund = structuredClone(TEMPLATES.refund);
    Object.assign(refund, {
      id: newId('re'),
      amount,
      charge: charge.id,
      currency: pi.currency,
      payment_intent: pi.id,
      metadata: metadataParam(body),
      reason: stringParam(body, 'reason') ?? null,
      status: 'succeeded',
      balance_transaction: newId('txn'),
      created: this.now(),
    });
    this.refunds.set(refund.id as string, refund);
    this.record('refund.created', refund, key);
    this.record('charge.refunded', charge, key);
    return structuredClone(refund);
  }

  private listEvents(query: Form): Json {
    const created = query.created;
    const types = query.types === undefined ? undefined : asStringArray(query.types, 'types');
    const type = typeof query.type === 'string' ? query.type : undefined;
    const limit = Math.min(query.limit === undefined ? 10 : integerParam(query, 'limit'), 100, this.maxPageSize);
    const matching = this.events
      .filter((e) => inRange(e.created as number, created))
      .filter((e) => !types || types.includes(e.type as string))
      .filter((e) => !type || e.type === type)
      .reverse();
    let start = 0;
    if (typeof query.starting_after === 'string') {
      const at = matching.findIndex((e) => e.id === query.starting_after);
      if (at < 0) throw invalid(400, `No such event: '${query.starting_after}'`, 'resource_missing', 'starting_after');
      start = at + 1;
    }
    const page = matching.slice(start, start + limit);
    return { ...structuredClone(TEMPLATES.list), url: '/v1/events', data: structuredClone(page), has_more: start + limit < matching.length };
  }

  private searchPaymentIntents(query: Form, url: string): Json {
    rejectUnknown(query, SEARCH_PARAMS);
    const matches = parseSearchQuery(stringParam(query, 'query', true)!, PI_SEARCH_FIELDS);
    const limit = query.limit === undefined ? 10 : integerParam(query, 'limit');
    if (limit < 1 || limit > 100) throw invalid(400, `Invalid limit: must be between 1 and 100`, 'parameter_invalid_integer', 'limit');
    let start = 0;
    const page = stringParam(query, 'page');
    if (page !== undefined) {
      const offset = /^page_(\d+)$/.exec(page);
      if (!offset) throw invalid(400, `Invalid page: ${page}`, 'parameter_invalid_string', 'page');
      start = Number(offset[1]);
    }
    const hits = [...this.paymentIntents.values()].filter(matches);
    const end = start + Math.min(limit, this.maxPageSize);
    const hasMore = end < hits.length;
    return {
      object: 'search_result',
      data: hits.slice(start, end).map((pi) => this.expandIntent(pi, undefined)),
      has_more: hasMore,
      next_page: hasMore ? `page_${end}` : null,
      url,
    };
  }

  // ---- state changes ------------------------------------------------------------------------

  private succeed(pi: Json, pmId: string, key?: string): void {
    const charge = this.newCharge(pi, pmId, 'succeeded');
    Object.assign(pi, { status: 'succeeded', amount_received: pi.amount, latest_charge: charge.id, last_payment_error: null, next_action: null });
    this.record('charge.succeeded', charge, key);
    this.record('payment_intent.succeeded', pi, key);
  }

  /** Returns the card error Stripe puts both on the PaymentIntent and in the 402 answer. */
  private fail(pi: Json, pmId: string, failure: Extract<MethodBehaviour, { outcome: 'decline' }>, key?: string): Json {
    const charge = this.newCharge(pi, pmId, 'failed', failure);
    const error: Json = {
      type: 'card_error',
      code: failure.code,
      ...(failure.declineCode ? { decline_code: failure.declineCode } : {}),
      message: failure.message,
      charge: charge.id,
      doc_url: `https://stripe.com/docs/error-codes/${failure.code.replaceAll('_', '-')}`,
      payment_method: structuredClone(this.paymentMethods.get(pmId)),
    };
    Object.assign(pi, { status: 'requires_payment_method', latest_charge: charge.id, last_payment_error: error, next_action: null });
    this.record('charge.failed', charge, key);
    this.record('payment_intent.payment_failed', pi, key);
    return structuredClone(error);
  }

  private newCharge(pi: Json, pmId: string, status: 'succeeded' | 'failed', failure?: Extract<MethodBehaviour, { outcome: 'decline' }>): Json {
    const pm = this.paymentMethods.get(pmId)!;
    const charge = structuredClone(TEMPLATES.charge);
    const ok = status === 'succeeded';
    const details = structuredClone(TEMPLATES.charge.payment_method_details) as Json;
    if (pm.type === 'card') {
      Object.assign(details.card as Json, { brand: (pm.card as Json).brand, last4: (pm.card as Json).last4, network: (pm.card as Json).brand });
    } else {
      delete details.card;
      Object.assign(details, { type: pm.type, [pm.type as string]: {} });
    }
    delete charge.refunds; // not part of a charge unless expanded, since API version 2022-11-15
    Object.assign(charge, {
      id: newId('ch'),
      amount: pi.amount,
      amount_captured: ok ? pi.amount : 0,
      amount_refunded: 0,
      balance_transaction: ok ? newId('txn') : null,
      captured: ok,
      paid: ok,
      refunded: false,
      status,
      created: this.now(),
      currency: pi.currency,
      customer: pi.customer,
      description: pi.description,
      metadata: structuredClone(pi.metadata),
      payment_intent: pi.id,
      payment_method: pmId,
      payment_method_details: details,
      failure_code: failure?.code ?? null,
      failure_message: failure?.message ?? null,
      outcome: {
        advice_code: null,
        network_advice_code: null,
        network_decline_code: null,
        network_status: ok ? 'approved_by_network' : 'declined_by_network',
        reason: failure?.declineCode ?? null,
        risk_level: 'normal',
        seller_message: ok ? 'Payment complete.' : 'The bank did not return any further details with this decline.',
        type: ok ? 'authorized' : 'issuer_declined',
      },
      source: null,
      transfer_data: null,
    });
    this.charges.set(charge.id as string, charge);
    return charge;
  }

  private record(type: string, object: Json, key: string | undefined): void {
    const event = this.addEvent(type, object);
    event.request = { id: newId('req'), idempotency_key: key ?? null };
  }

  private expandIntent(pi: Json, expand: FormValue | undefined): Json {
    const copy = structuredClone(pi);
    const paths = expand === undefined ? [] : asStringArray(expand, 'expand');
    if (paths.includes('latest_charge') && typeof copy.latest_charge === 'string') {
      copy.latest_charge = structuredClone(this.charges.get(copy.latest_charge) ?? null);
    }
    return copy;
  }

  private found(map: Map<string, Json>, id: string, what: string, status: 400 | 404, param?: string): Json {
    const object = map.get(id);
    if (!object) throw invalid(status, `No such ${what}: '${id}'`, 'resource_missing', param ?? 'id');
    return object;
  }
}

// ---- helpers --------------------------------------------------------------------------------

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
}

function errorBody(error: { type: string; code?: string; message: string; param?: string }): Json {
  return {
    error: {
      ...error,
      ...(error.code ? { doc_url: `https://stripe.com/docs/error-codes/${error.code.replaceAll('_', '-')}` } : {}),
      request_log_url: `https://dashboard.stripe.com/test/logs/${newId('req')}`,
    },
  };
}

function invalid(status: 400 | 404, message: string, code?: string, param?: string): StripeHttpError {
  return new StripeHttpError(status, errorBody({ type: 'invalid_request_error', message, ...(code ? { code } : {}), ...(param ? { param } : {}) }));
}

function send(res: ServerResponse, status: number, body: Json, key?: string, replayed = false): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'request-id': newId('req'),
    'stripe-version': API_VERSION,
    ...(key ? { 'idempotency-key': key } : {}),
    ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
  });
  res.end(payload);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Stable JSON, so that "the same parameters" does not depend on their order. */
function canonical(value: FormValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(value[k]!)}`)
    .join(',')}}`;
}

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Parses `a[b][0]=x&a[c]=y` into `{ a: { b: ['x'], c: 'y' } }`. Objects whose
 * keys are all indexes become arrays, as Stripe reads `types[0]=...`; `[]`
 * appends, as in `types[]=...`.
 */
export function parseForm(encoded: string): Form {
  const root: Form = {};
  for (const pair of encoded.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    const match = rawKey.match(/^([^[\]]+)((?:\[[^[\]]*\])*)$/);
    if (!match) continue;
    const path = [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1]!)];
    if (path.some((segment) => UNSAFE_KEYS.has(segment))) continue;
    let node: Form = root;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i] === '' ? String(Object.keys(node).length) : path[i]!;
      if (i === path.length - 1) {
        node[segment] = value;
      } else {
        const next = node[segment];
        node = node[segment] = typeof next === 'object' && !Array.isArray(next) ? next : {};
      }
    }
  }
  return arraysFromIndexes(root) as Form;
}

function arraysFromIndexes(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const converted: Form = {};
  for (const k of keys) converted[k] = arraysFromIndexes(value[k]!);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => converted[k]!);
  }
  return converted;
}

function decode(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, ' '));
}

function rejectUnknown(body: Form, allowed: ReadonlySet<string>): void {
  for (const name of Object.keys(body)) {
    if (!allowed.has(name)) throw invalid(400, `Received unknown parameter: ${name}`, 'parameter_unknown', name);
  }
}

function stringParam(body: Form, name: string, required = false): string | undefined {
  const value = body[name];
  if (value === undefined) {
    if (required) throw invalid(400, `Missing required param: ${name}.`, 'parameter_missing', name);
    return undefined;
  }
  if (typeof value !== 'string') throw invalid(400, `Invalid string: ${name}`, 'parameter_invalid_string', name);
  return value;
}

function integerParam(body: Form, name: string): number {
  const value = stringParam(body, name, true)!;
  if (!/^\d+$/.test(value)) throw invalid(400, `Invalid integer: ${value}`, 'parameter_invalid_integer', name);
  return Number(value);
}

function booleanParam(body: Form, name: string): boolean {
  const value = stringParam(body, name);
  if (value === undefined) return false;
  if (value !== 'true' && value !== 'false') throw invalid(400, `Invalid boolean: ${value}`, 'parameter_invalid_boolean', name);
  return value === 'true';
}

function arrayParam(body: Form, name: string): string[] {
  const value = body[name];
  return value === undefined ? [] : asStringArray(value, name);
}

function asStringArray(value: FormValue, name: string): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  throw invalid(400, `Invalid array: ${name}`, 'parameter_invalid_array', name);
}

/** A hash parameter such as automatic_payment_methods[enabled]=true, as strings. */
function objectParam(body: Form, name: string): Record<string, string> | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(400, `Invalid hash: ${name}`, 'parameter_invalid_hash', name);
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function metadataParam(body: Form): Record<string, string> {
  const value = body.metadata;
  if (value === undefined || value === '') return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(400, 'Invalid hash: metadata', 'parameter_invalid_hash', 'metadata');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalid(400, `Invalid metadata value for ${k}`, 'parameter_invalid_string', `metadata[${k}]`);
    out[k] = v;
  }
  return out;
}

/**
 * Parses the exact-match part of Stripe's search query language into a
 * predicate: `field:'value'` or `metadata['key']:'value'` clauses (single or
 * double quotes, `\` escaping a quote or backslash inside), negated with a
 * leading `-`, joined by spaces or AND, or all by OR. Anything else, such as
 * `~`, `>` or an unknown field, is a 400 as Stripe answers for what it cannot
 * parse.
 */
export function parseSearchQuery(text: string, fields: ReadonlySet<string>): (object: Json) => boolean {
  let at = 0;
  const fail = (why: string): never => {
    throw invalid(400, `Invalid search query ${JSON.stringify(text)}: ${why} at position ${at}.`, 'parameter_invalid_string', 'query');
  };
  const skipSpaces = () => {
    while (text[at] === ' ') at++;
  };
  const quoted = (): string => {
    const quote = text[at];
    if (quote !== "'" && quote !== '"') return fail('expected a quoted string');
    let value = '';
    for (at++; at < text.length && text[at] !== quote; at++) {
      if (text[at] === '\\') {
        at++;
        if (at >= text.length) break;
      }
      value += text[at];
    }
    if (text[at] !== quote) fail('unterminated string');
    at++;
    return value;
  };
  type Clause = { negated: boolean; read: (object: Json) => unknown; value: string };
  const clause = (): Clause => {
    const negated = text[at] === '-';
    if (negated) at++;
    let read: Clause['read'];
    const name = /^[a-z_][a-z0-9_]*/i.exec(text.slice(at))?.[0];
    if (!name) return fail('expected a field');
    at += name.length;
    if (name === 'metadata') {
      if (text[at] !== '[') fail("expected metadata['key']");
      at++;
      const key = quoted();
      if (text[at] !== ']') fail("expected ']'");
      at++;
      read = (object) => (object.metadata as Record<string, unknown> | null | undefined)?.[key];
    } else {
      if (!fields.has(name)) fail(`the field ${name} is not searchable here`);
      read = (object) => object[name];
    }
    if (text[at] !== ':') fail("expected ':' (the fake supports exact matches only)");
    at++;
    return { negated, read, value: quoted() };
  };

  const clauses: Clause[] = [];
  let joiner: 'AND' | 'OR' | undefined;
  skipSpaces();
  for (;;) {
    clauses.push(clause());
    const before = at;
    skipSpaces();
    if (at >= text.length) break;
    if (at === before) fail('expected a space between clauses');
    const word = /^(and|or) +/i.exec(text.slice(at));
    if (word) {
      const next = word[1]!.toUpperCase() as 'AND' | 'OR';
      if (joiner && joiner !== next) fail('AND and OR cannot be combined');
      joiner = next;
      at += word[0].length;
    } else if (joiner === 'OR') {
      fail('AND and OR cannot be combined');
    } else {
      joiner = 'AND';
    }
  }
  const holds = (c: Clause, object: Json) => {
    const actual = c.read(object);
    const equal = (typeof actual === 'string' || typeof actual === 'number') && String(actual) === c.value;
    return equal !== c.negated;
  };
  return (object) => (joiner === 'OR' ? clauses.some((c) => holds(c, object)) : clauses.every((c) => holds(c, object)));
}

/** `created=123` or `created[gte]=...&created[lt]=...`. */
function inRange(created: number, filter: FormValue | undefined): boolean {
  if (filter === undefined) return true;
  if (typeof filter === 'string') return created === Number(filter);
  if (Array.isArray(filter)) throw invalid(400, 'Invalid created filter', 'parameter_invalid_integer', 'created');
  const bound = (k: string) => (typeof filter[k] === 'string' ? Number(filter[k]) : undefined);
  const gte = bound('gte');
  const gt = bound('gt');
  const lte = bound('lte');
  const lt = bound('lt');
  return (gte === undefined || created >= gte) && (gt === undefined || created > gt) && (lte === undefined || created <= lte) && (lt === undefined || created < lt);
}
