import { createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Money, type Currency } from '../../domain/money.ts';
import type { PaymentMethodKind } from '../../domain/payment-methods.ts';
import {
  GatewayRequestError,
  type ChargeRequest,
  type ChargeResult,
  type CreatedPayment,
  type CreatedSetup,
  type CustomerRequest,
  type GatewayEvent,
  type GatewayPaymentMethod,
  type PaymentGateway,
  type PaymentRequest,
  type PaymentState,
  type PaymentStatus,
  type RefundRequest,
  type RefundResult,
  type SetupRequest,
} from '../../ports/payment-gateway.ts';

/**
 * Stripe's test payment methods, without Stripe: the default gateway when no
 * key is configured. Like Stripe, a repeated idempotency key returns the
 * first result, a key reused with other parameters is an error, and every
 * outcome is also announced as a signed webhook event (Stripe's signature
 * scheme), so local runs settle through the same webhook path as production.
 */
type Failure = { status: 'declined' | 'requires_action'; code: string; message: string };

const BEHAVIOUR: Record<string, Failure | 'succeeds'> = {
  pm_card_visa: 'succeeds',
  pm_card_mastercard: 'succeeds',
  pm_card_cb: 'succeeds',
  pm_card_ch: 'succeeds',
  pm_twint: 'succeeds',
  pm_paypal: 'succeeds',
  pm_card_chargeDeclined: { status: 'declined', code: 'card_declined', message: 'Your card was declined.' },
  pm_card_chargeDeclinedInsufficientFunds: { status: 'declined', code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  pm_card_chargeDeclinedExpiredCard: { status: 'declined', code: 'expired_card', message: 'Your card has expired.' },
  pm_card_authenticationRequired: {
    status: 'requires_action',
    code: 'authentication_required',
    message: 'Your card was declined. This transaction requires authentication.',
  },
};

const METHOD_INFO: Record<string, Omit<GatewayPaymentMethod, 'ref'>> = {
  pm_card_visa: { kind: 'card', brand: 'visa', label: 'Visa •••• 4242' },
  pm_card_mastercard: { kind: 'card', brand: 'mastercard', label: 'Mastercard •••• 4444' },
  pm_card_cb: { kind: 'card', brand: 'cb', label: 'CB •••• 1001' },
  pm_card_ch: { kind: 'card', brand: 'visa', label: 'Visa •••• 0005' },
  pm_twint: { kind: 'twint', label: 'Twint' },
  pm_paypal: { kind: 'paypal', label: 'PayPal' },
  pm_card_chargeDeclined: { kind: 'card', brand: 'visa', label: 'Visa •••• 0002' },
  pm_card_chargeDeclinedInsufficientFunds: { kind: 'card', brand: 'visa', label: 'Visa •••• 9995' },
  pm_card_chargeDeclinedExpiredCard: { kind: 'card', brand: 'visa', label: 'Visa •••• 0069' },
  pm_card_authenticationRequired: { kind: 'card', brand: 'visa', label: 'Visa •••• 3184' },
};

/** Stripe's minimum charge is 0.50 in CHF and EUR. */
const MIN_MINOR_UNITS = 50;

interface SandboxIntent {
  id: string;
  status: PaymentStatus;
  currency: Currency;
  amount: string;
  amountReceived: string;
  amountRefunded: string;
  metadata: Record<string, string>;
  customerRef?: string;
  paymentMethodRef?: string;
  methodKinds: PaymentMethodKind[];
  saveMethod: boolean;
  failureCode?: string;
  failureMessage?: string;
  /** Paid on the sandbox's stand-in for Stripe Checkout (GET /sandbox/checkout/{id} of the local server). */
  hosted?: SandboxHostedPage;
}

/** What the stand-in for Stripe's hosted page shows and where it sends the customer back to. */
export interface SandboxHostedPage {
  successUrl: string;
  cancelUrl: string;
  lines: { name: string; unitAmount: string; quantity: number }[];
  expiresAt: number;
}

type JournalLine =
  | { t: 'key'; key: string; fingerprint: string; result: unknown }
  | { t: 'pi'; pi: SandboxIntent }
  | { t: 'event'; event: GatewayEvent }
  | { t: 'customer'; key: string; id: string }
  | { t: 'setup'; setup: SandboxSetup };

/** A SetupIntent: saved as the customer confirms it, through setup_intent.succeeded. */
interface SandboxSetup {
  id: string;
  orgId: string;
  customerRef: string;
  kind: PaymentMethodKind;
  status: 'requires_payment_method' | 'succeeded';
  paymentMethodRef?: string;
  hosted?: { successUrl: string; cancelUrl: string };
}

/** Receives each event as Stripe would POST it: the raw JSON body and its `Stripe-Signature` header. */
export type WebhookSink = (rawBody: string, signature: string) => Promise<void>;

export interface SandboxOptions {
  /** With a journal file the sandbox remembers its objects across processes, as Stripe would. */
  journal?: string;
  /** Secret the events are signed with (the local webhook endpoint's `whsec_...`). */
  webhookSecret?: string;
  /** Clock for event timestamps (Unix seconds); the wall clock by default. */
  nowSeconds?: () => number;
}

/** Stripe's webhook signature: `t=<unix>,v1=<hex hmac-sha256 of "t.payload">`. */
export function signWebhookPayload(payload: string, secret: string, timestamp: number): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

export const SANDBOX_WEBHOOK_SECRET = 'whsec_local_sandbox';

export class SandboxPaymentGateway implements PaymentGateway {
  /** As Stripe: cards, Twint and PayPal, no PostFinance card. */
  readonly onSessionMethods: readonly PaymentMethodKind[] = ['card', 'twint', 'paypal'];
  private readonly byKey = new Map<string, { fingerprint: string; result: unknown }>();
  private readonly inflight = new Map<string, { fingerprint: string; promise: Promise<unknown> }>();
  private readonly intents = new Map<string, SandboxIntent>();
  private readonly setups = new Map<string, SandboxSetup>();
  private readonly customers = new Map<string, string>();
  private readonly events: GatewayEvent[] = [];
  private readonly sinks: WebhookSink[] = [];
  private undelivered = 0;
  private seq = 0;
  private readonly journal: string | undefined;
  private readonly secret: string;
  private readonly nowSeconds: () => number;
  /** Every off-session charge request, for tests that count charges. */
  readonly calls: ChargeRequest[] = [];

  constructor(opts: SandboxOptions | string = {}) {
    const o = typeof opts === 'string' ? { journal: opts } : opts;
    this.journal = o.journal;
    this.secret = o.webhookSecret ?? SANDBOX_WEBHOOK_SECRET;
    this.nowSeconds = o.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
    if (this.journal && existsSync(this.journal)) {
      for (const line of readFileSync(this.journal, 'utf8').split('\n')) {
        if (line.trim()) this.apply(JSON.parse(line) as JournalLine);
      }
    }
  }

  /** Where events are POSTed (the webhook handler, in process); several sinks all receive each event. */
  onWebhook(sink: WebhookSink): void {
    this.sinks.push(sink);
  }

  async charge(req: ChargeRequest): Promise<ChargeResult> {
    this.calls.push(req);
    return this.idempotent(req.idempotencyKey, `charge|${req.paymentMethodRef}|${req.amount.currency}|${req.amount.toString()}`, async () => {
      const pi = this.newIntent(req.amount, req.metadata, req.customerRef, [], false);
      pi.paymentMethodRef = req.paymentMethodRef;
      if (req.amount.toMinorUnits() < MIN_MINOR_UNITS) {
        return this.fail(pi, { status: 'declined', code: 'amount_too_small', message: 'Amount must be at least 0.50' }, false);
      }
      return this.confirmIntent(pi, req.paymentMethodRef, true);
    });
  }

  async retrieve(paymentRef: string): Promise<ChargeResult | undefined> {
    const pi = this.intents.get(paymentRef);
    if (!pi) return undefined;
    if (pi.status === 'succeeded') return { status: 'succeeded', paymentRef };
    if (pi.failureCode === 'authentication_required') {
      return { status: 'requires_action', paymentRef, code: 'authentication_required', message: pi.failureMessage ?? '' };
    }
    return { status: 'declined', paymentRef, code: pi.failureCode ?? 'payment_incomplete', message: pi.failureMessage ?? `payment is ${pi.status}` };
  }

  async findChargeByAttempt(attemptId: string): Promise<ChargeResult | undefined> {
    const found = [...this.intents.values()].filter((pi) => pi.metadata.attemptId === attemptId).at(-1);
    return found ? this.retrieve(found.id) : undefined;
  }

  async ensureCustomer(req: CustomerRequest): Promise<string> {
    const known = this.customers.get(req.idempotencyKey);
    if (known) return known;
    const id = `cus_sandbox_${req.orgId}`;
    this.write({ t: 'customer', key: req.idempotencyKey, id });
    return id;
  }

  async createPayment(req: PaymentRequest): Promise<CreatedPayment> {
    if (req.methodKinds.includes('postfinance')) {
      throw new GatewayRequestError('PostFinance is not available through the card provider; pay by card, Twint, PayPal or bank transfer', 'method_not_supported');
    }
    const fingerprint = `payment|${req.customerRef}|${req.amount.currency}|${req.amount.toString()}|${req.methodKinds.join(',')}`;
    return this.idempotent(req.idempotencyKey, fingerprint, async () => {
      const pi = this.newIntent(req.amount, req.metadata, req.customerRef, req.methodKinds, req.saveMethod);
      if (req.hosted) {
        const { successUrl, cancelUrl, expiresAt, lines } = req.hosted;
        const sum = lines.reduce((total, l) => total.plus(l.unitAmount.times(l.quantity)), Money.zero(req.amount.currency));
        // Stripe computes the page's amount from its lines: they must add up to what is charged.
        if (!sum.equals(req.amount)) throw new GatewayRequestError(`The page's lines add up to ${sum.format()}, not ${req.amount.format()}`, 'parameter_invalid');
        pi.hosted = { successUrl, cancelUrl, expiresAt, lines: lines.map((l) => ({ name: l.name, unitAmount: l.unitAmount.toString(), quantity: l.quantity })) };
        this.save(pi);
        return { paymentRef: pi.id, url: `/sandbox/checkout/${pi.id}`, status: pi.status };
      }
      this.save(pi);
      return { paymentRef: pi.id, clientSecret: `${pi.id}_secret_sandbox`, status: pi.status };
    });
  }

  async createSetup(req: SetupRequest): Promise<CreatedSetup> {
    if (req.kind === 'postfinance') {
      throw new GatewayRequestError('PostFinance is not available through the card provider; save a card, Twint or PayPal', 'method_not_supported');
    }
    return this.idempotent(req.idempotencyKey, `setup|${req.customerRef}|${req.kind}`, async () => {
      const setup: SandboxSetup = {
        id: `seti_sandbox_${this.nextSeq()}`,
        orgId: req.orgId,
        customerRef: req.customerRef,
        kind: req.kind,
        status: 'requires_payment_method',
        ...(req.hosted ? { hosted: { successUrl: req.hosted.successUrl, cancelUrl: req.hosted.cancelUrl } } : {}),
      };
      this.write({ t: 'setup', setup });
      return req.hosted ? { setupRef: setup.id, url: `/sandbox/checkout/${setup.id}` } : { setupRef: setup.id, clientSecret: `${setup.id}_secret_sandbox` };
    });
  }

  /** What Stripe.js confirmSetup does with a test method: a known method of the setup's kind is saved (setup_intent.succeeded), another refused. */
  async confirmSetup(setupRef: string, paymentMethodRef: string): Promise<'succeeded'> {
    const setup = this.setups.get(setupRef);
    if (!setup) throw new GatewayRequestError(`No such setup_intent: '${setupRef}'`, 'resource_missing');
    if (setup.status === 'succeeded') return 'succeeded';
    const info = METHOD_INFO[paymentMethodRef];
    if (!info || info.kind !== setup.kind) throw new GatewayRequestError(`${paymentMethodRef} is not a ${setup.kind} test method`, 'payment_method_invalid');
    const done: SandboxSetup = { ...setup, status: 'succeeded', paymentMethodRef };
    this.write({ t: 'setup', setup: done });
    await this.emit('setup_intent.succeeded', {
      id: setup.id,
      object: 'setup_intent',
      customer: setup.customerRef,
      payment_method: paymentMethodRef,
      status: 'succeeded',
      usage: 'off_session',
      metadata: { orgId: setup.orgId },
    });
    return 'succeeded';
  }

  /**
   * What Stripe.js does in the customer's browser: confirm an on-session
   * payment with a test method. Outcomes arrive as webhooks, as with Stripe.
   */
  async confirmPayment(paymentRef: string, paymentMethodRef: string): Promise<PaymentStatus> {
    const pi = this.intents.get(paymentRef);
    if (!pi) throw new GatewayRequestError(`No such payment_intent: '${paymentRef}'`, 'resource_missing');
    if (pi.status === 'succeeded' || pi.status === 'canceled') return pi.status;
    const kind = METHOD_INFO[paymentMethodRef]?.kind ?? 'card';
    if (pi.methodKinds.length > 0 && !pi.methodKinds.includes(kind)) {
      throw new GatewayRequestError(`The payment method type ${kind} is not allowed for this payment`, 'payment_method_not_allowed');
    }
    // On-session, the customer passes 3-D Secure, so authentication-required cards succeed here.
    const onSession = paymentMethodRef === 'pm_card_authenticationRequired' ? 'pm_card_visa_3ds' : paymentMethodRef;
    await this.confirmIntent(pi, onSession, false, paymentMethodRef);
    return pi.status;
  }

  /** The stand-in hosted page of a setup (a method saved without paying). */
  hostedSetup(setupRef: string): { kind: PaymentMethodKind; status: SandboxSetup['status']; successUrl: string; cancelUrl: string } | undefined {
    const setup = this.setups.get(setupRef);
    return setup?.hosted ? { kind: setup.kind, status: setup.status, ...setup.hosted } : undefined;
  }

  /** The stand-in hosted page of a payment: what it lists, its state, where it sends the customer. */
  hostedPage(
    paymentRef: string,
  ): (SandboxHostedPage & { amount: string; currency: Currency; status: PaymentStatus; failureMessage?: string; methodKinds: PaymentMethodKind[] }) | undefined {
    const pi = this.intents.get(paymentRef);
    if (!pi?.hosted) return undefined;
    return {
      ...pi.hosted,
      amount: pi.amount,
      currency: pi.currency,
      status: pi.status,
      methodKinds: pi.methodKinds,
      ...(pi.failureMessage ? { failureMessage: pi.failureMessage } : {}),
    };
  }

  async getPayment(paymentRef: string): Promise<PaymentState | undefined> {
    const pi = this.intents.get(paymentRef);
    if (!pi) return undefined;
    return {
      paymentRef: pi.id,
      status: pi.status,
      amount: Money.of(pi.amount, pi.currency),
      amountReceived: Money.of(pi.amountReceived, pi.currency),
      amountRefunded: Money.of(pi.amountRefunded, pi.currency),
      metadata: { ...pi.metadata },
      ...(pi.customerRef ? { customerRef: pi.customerRef } : {}),
      ...(pi.paymentMethodRef ? { paymentMethodRef: pi.paymentMethodRef } : {}),
      ...(pi.failureCode ? { failureCode: pi.failureCode } : {}),
      ...(pi.failureMessage ? { failureMessage: pi.failureMessage } : {}),
    };
  }

  async refund(req: RefundRequest): Promise<RefundResult> {
    return this.idempotent(req.idempotencyKey, `refund|${req.paymentRef}|${req.amount.toString()}`, async () => {
      const pi = this.intents.get(req.paymentRef);
      if (!pi || pi.status !== 'succeeded') throw new GatewayRequestError(`Payment ${req.paymentRef} cannot be refunded`, 'charge_not_refundable');
      const received = Money.of(pi.amountReceived, pi.currency);
      const refunded = Money.of(pi.amountRefunded, pi.currency).plus(req.amount);
      if (refunded.gt(received)) {
        throw new GatewayRequestError(`Refund of ${req.amount.format()} exceeds what is left of ${received.format()}`, 'amount_too_large');
      }
      pi.amountRefunded = refunded.toString();
      this.save(pi);
      const refundRef = `re_sandbox_${this.nextSeq()}`;
      await this.emit('charge.refunded', { id: `ch_${pi.id}`, object: 'charge', payment_intent: pi.id, amount_refunded: refunded.toMinorUnits(), metadata: req.metadata });
      return { refundRef, status: 'succeeded' as const, amount: req.amount };
    });
  }

  async getPaymentMethod(ref: string): Promise<GatewayPaymentMethod | undefined> {
    const info = METHOD_INFO[ref];
    return info ? { ref, ...info } : undefined;
  }

  async listEvents(since: number, types: readonly string[], until?: number): Promise<GatewayEvent[]> {
    return this.events.filter((e) => e.created >= since && (until === undefined || e.created < until) && (types.length === 0 || types.includes(e.type)));
  }

  /**
   * Stripe gives up on some deliveries (an endpoint down longer than its three days of retries): the events
   * made during `work` are listed by the events API, for reconciliation, but never POSTed to any sink.
   */
  async withoutDelivery<T>(work: () => Promise<T>): Promise<T> {
    this.undelivered++;
    try {
      return await work();
    } finally {
      this.undelivered--;
    }
  }

  /** What happens at Stripe outside the engine (the dashboard, the customer portal), announced like Stripe does. */
  async simulateEvent(type: string, object: Record<string, unknown>): Promise<void> {
    await this.emit(type, object);
  }

  /** Stripe prunes idempotency keys after about 24 hours: a retry after that is a new request. */
  forgetIdempotencyKeys(): void {
    this.byKey.clear();
  }

  /** One key pruned, the others kept. */
  forgetIdempotencyKey(key: string): void {
    this.byKey.delete(key);
  }

  /** Successful charges, one per idempotency key. */
  succeededCharges(): number {
    return [...this.intents.values()].filter((pi) => pi.status === 'succeeded' && pi.methodKinds.length === 0).length;
  }

  /**
   * The provider's own list of the money it took: every succeeded payment with
   * what it received and refunded (decimal strings) and its metadata. Tests
   * compare the engine's books with this, never with the engine's records alone.
   */
  chargeList(): { paymentRef: string; currency: Currency; received: string; refunded: string; metadata: Record<string, string> }[] {
    return [...this.intents.values()]
      .filter((pi) => pi.status === 'succeeded')
      .map((pi) => ({ paymentRef: pi.id, currency: pi.currency, received: pi.amountReceived, refunded: pi.amountRefunded, metadata: { ...pi.metadata } }));
  }

  /** Events not yet delivered to a sink are kept: reconciliation finds them through listEvents. */
  eventLog(): readonly GatewayEvent[] {
    return this.events;
  }

  private async confirmIntent(pi: SandboxIntent, methodRef: string, offSession: boolean, shownRef = methodRef): Promise<ChargeResult> {
    pi.paymentMethodRef = shownRef;
    const behaviour =
      methodRef === 'pm_card_visa_3ds'
        ? 'succeeds'
        : (BEHAVIOUR[methodRef] ?? {
            status: 'declined' as const,
            code: 'resource_missing',
            message: `No such PaymentMethod: '${methodRef}'`,
          });
    if (behaviour !== 'succeeds') return this.fail(pi, behaviour, offSession);
    pi.status = 'succeeded';
    pi.amountReceived = pi.amount;
    delete pi.failureCode;
    delete pi.failureMessage;
    this.save(pi);
    await this.emit('payment_intent.succeeded', this.piObject(pi));
    if (pi.saveMethod)
      await this.emit('setup_intent.succeeded', { id: `seti_${pi.id}`, object: 'setup_intent', customer: pi.customerRef ?? null, payment_method: shownRef, metadata: pi.metadata });
    return { status: 'succeeded', paymentRef: pi.id };
  }

  private async fail(pi: SandboxIntent, f: Failure, offSession: boolean): Promise<ChargeResult> {
    pi.status = f.status === 'requires_action' && !offSession ? 'requires_action' : 'requires_payment_method';
    pi.failureCode = f.code;
    pi.failureMessage = f.message;
    this.save(pi);
    await this.emit('payment_intent.payment_failed', this.piObject(pi));
    return f.status === 'requires_action'
      ? { status: 'requires_action', paymentRef: pi.id, code: 'authentication_required', message: f.message }
      : { status: 'declined', paymentRef: pi.id, code: f.code, message: f.message };
  }

  private newIntent(amount: Money, metadata: Record<string, string>, customerRef: string | undefined, methodKinds: PaymentMethodKind[], saveMethod: boolean): SandboxIntent {
    return {
      id: `pi_sandbox_${this.nextSeq()}`,
      status: 'requires_payment_method',
      currency: amount.currency,
      amount: amount.toString(),
      amountReceived: '0.00',
      amountRefunded: '0.00',
      metadata: { ...metadata },
      methodKinds,
      saveMethod,
      ...(customerRef ? { customerRef } : {}),
    };
  }

  private piObject(pi: SandboxIntent): Record<string, unknown> {
    return {
      id: pi.id,
      object: 'payment_intent',
      amount: Money.of(pi.amount, pi.currency).toMinorUnits(),
      amount_received: Money.of(pi.amountReceived, pi.currency).toMinorUnits(),
      currency: pi.currency.toLowerCase(),
      status: pi.status,
      customer: pi.customerRef ?? null,
      payment_method: pi.paymentMethodRef ?? null,
      metadata: pi.metadata,
      last_payment_error: pi.failureCode ? { code: pi.failureCode, message: pi.failureMessage } : null,
    };
  }

  private async emit(type: string, object: Record<string, unknown>): Promise<void> {
    const event: GatewayEvent = { id: `evt_sandbox_${this.nextSeq()}`, type, created: this.nowSeconds(), object };
    this.write({ t: 'event', event });
    if (this.sinks.length === 0 || this.undelivered > 0) return;
    const payload = JSON.stringify({ id: event.id, object: 'event', type, created: event.created, livemode: false, data: { object } });
    const signature = signWebhookPayload(payload, this.secret, event.created);
    for (const sink of this.sinks) await sink(payload, signature);
  }

  private async idempotent<T>(key: string, fingerprint: string, work: () => Promise<T>): Promise<T> {
    const known = this.byKey.get(key);
    if (known) {
      if (known.fingerprint !== fingerprint) {
        throw new GatewayRequestError(`idempotency key ${key} was used with other parameters (${known.fingerprint})`, 'idempotency_error');
      }
      return known.result as T;
    }
    // Two concurrent requests with one key get one result, as Stripe serialises them.
    const running = this.inflight.get(key);
    if (running) {
      if (running.fingerprint !== fingerprint) {
        throw new GatewayRequestError(`idempotency key ${key} is in use with other parameters`, 'idempotency_error');
      }
      return running.promise as Promise<T>;
    }
    const promise = work().then((result) => {
      this.write({ t: 'key', key, fingerprint, result });
      return result;
    });
    this.inflight.set(key, { fingerprint, promise });
    try {
      return await promise;
    } finally {
      this.inflight.delete(key);
    }
  }

  private save(pi: SandboxIntent): void {
    this.write({ t: 'pi', pi: { ...pi, metadata: { ...pi.metadata } } });
  }

  private nextSeq(): string {
    // Unique across processes sharing one journal, and still ordered within one.
    return `${(++this.seq).toString(36).padStart(4, '0')}${randomBytes(5).toString('hex')}`;
  }

  private write(line: JournalLine): void {
    this.apply(line);
    if (this.journal) {
      mkdirSync(dirname(this.journal), { recursive: true });
      appendFileSync(this.journal, JSON.stringify(line) + '\n');
    }
  }

  private apply(line: JournalLine): void {
    switch (line.t) {
      case 'key':
        this.byKey.set(line.key, { fingerprint: line.fingerprint, result: line.result });
        break;
      case 'pi':
        this.intents.set(line.pi.id, { ...line.pi });
        break;
      case 'event':
        this.events.push(line.event);
        break;
      case 'customer':
        this.customers.set(line.key, line.id);
        break;
      case 'setup':
        this.setups.set(line.setup.id, { ...line.setup });
        break;
    }
  }
}
