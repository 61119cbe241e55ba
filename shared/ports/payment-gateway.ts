import type { Money } from '../domain/money.ts';
import type { CardBrand, PaymentMethodKind } from '../domain/payment-methods.ts';

/** Off-session charge of a saved method (automatic renewals). */
export interface ChargeRequest {
  orgId: string;
  /** The provider's customer the saved method belongs to: an off-session charge always names it. */
  customerRef: string;
  paymentMethodRef: string;
  /** The saved method's kind: the charge allows that payment method type only (no redirect can be asked). */
  methodKind: PaymentMethodKind;
  amount: Money;
  /** Same key, same charge: a retried message never charges twice. */
  idempotencyKey: string;
  description: string;
  metadata: Record<string, string>;
}

export type ChargeResult =
  | { status: 'succeeded'; paymentRef: string }
  | { status: 'declined'; paymentRef?: string; code: string; message: string }
  | { status: 'requires_action'; paymentRef: string; code: 'authentication_required'; message: string };

/** Rate limits, time-outs, connection errors: retry later with the same key. */
export class TransientGatewayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransientGatewayError';
  }
}

/** The provider refused the request itself (bad parameters, unknown object): retrying will not help. */
export class GatewayRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'GatewayRequestError';
  }
}

export interface CustomerRequest {
  orgId: string;
  name: string;
  email?: string;
  /** Creating the customer twice for one organisation must return the same one. */
  idempotencyKey: string;
}

/** An on-session payment the customer completes in the front end (checkout, top-up). */
export interface PaymentRequest {
  orgId: string;
  customerRef: string;
  amount: Money;
  /** The kinds the customer may pay with (Stripe payment_method_types). */
  methodKinds: PaymentMethodKind[];
  /** Save the method for later off-session renewals (setup_future_usage: off_session). */
  saveMethod: boolean;
  idempotencyKey: string;
  description: string;
  /** Links the payment back to what it pays: organisation, invoice, purpose. */
  metadata: Record<string, string>;
  /**
   * Paid on the provider's own page (Stripe Checkout) rather than in the
   * caller's front end: where the customer is sent back to, and what the
   * page lists. The payment is then known by the page's session.
   */
  hosted?: HostedPage;
}

export interface HostedPage {
  successUrl: string;
  cancelUrl: string;
  lines: { name: string; unitAmount: Money; quantity: number }[];
  /** Unix seconds; the page stops taking payments then (Stripe: 30 minutes to 24 hours ahead). */
  expiresAt: number;
}

/** A method saved outside any payment (Stripe SetupIntent): the customer confirms it in the front end; the provider's event saves it. */
export interface SetupRequest {
  orgId: string;
  customerRef: string;
  kind: PaymentMethodKind;
  idempotencyKey: string;
  /** Saved on the provider's hosted page (Stripe Checkout in setup mode), then back to the caller. */
  hosted?: { successUrl: string; cancelUrl: string; currency: Money['currency'] };
}

export interface CreatedSetup {
  setupRef: string;
  /** For the front end (Stripe.js confirmSetup); never stored. None for a hosted page. */
  clientSecret?: string;
  /** A hosted page: where to send the customer. */
  url?: string;
}

export type PaymentStatus = 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'succeeded' | 'canceled';

/** The provider's current view of a payment: settlement acts on this, never on event order. */
export interface PaymentState {
  paymentRef: string;
  status: PaymentStatus;
  amount: Money;
  amountReceived: Money;
  amountRefunded: Money;
  metadata: Record<string, string>;
  customerRef?: string;
  paymentMethodRef?: string;
  failureCode?: string;
  failureMessage?: string;
}

export interface CreatedPayment {
  paymentRef: string;
  /** Handed to the front end (Stripe.js confirmPayment); none for a hosted page. */
  clientSecret?: string;
  /** A hosted page: where to send the customer. */
  url?: string;
  status: PaymentStatus;
}

export interface RefundRequest {
  paymentRef: string;
  amount: Money;
  idempotencyKey: string;
  metadata: Record<string, string>;
}

export interface RefundResult {
  refundRef: string;
  status: 'succeeded' | 'pending' | 'failed';
  amount: Money;
}

/** A saved method as the provider describes it; never card data beyond brand and last 4. */
export interface GatewayPaymentMethod {
  ref: string;
  kind: PaymentMethodKind;
  brand?: CardBrand;
  label: string;
  customerRef?: string;
}

/** A provider event, verified or listed; `object` is the provider's payload object. */
export interface GatewayEvent {
  id: string;
  type: string;
  /** Unix seconds. */
  created: number;
  object: Record<string, unknown>;
}

export interface PaymentGateway {
  /**
   * The methods a customer can pay with on-session through this provider.
   * A checkout for any other is refused before anything is written (Stripe
   * has no PostFinance card, for instance).
   */
  readonly onSessionMethods: readonly PaymentMethodKind[];
  /** Off-session charge of a saved method. */
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** The current state of a charge made earlier, by its provider id. */
  retrieve(paymentRef: string): Promise<ChargeResult | undefined>;
  /**
   * The charge made for an attempt, found by the `attemptId` in its metadata
   * (the newest if several). Idempotency keys expire after 24 hours while a
   * message can wait days in a queue: this is how a late retry learns that
   * the first charge went through, instead of charging again.
   */
  findChargeByAttempt(attemptId: string): Promise<ChargeResult | undefined>;
  /** The provider's customer for an organisation (created on first use). */
  ensureCustomer(request: CustomerRequest): Promise<string>;
  /** An on-session payment for the front end to confirm. */
  createPayment(request: PaymentRequest): Promise<CreatedPayment>;
  /** A setup for saving a method for off-session renewals, without paying now. */
  createSetup(request: SetupRequest): Promise<CreatedSetup>;
  /** The payment's current state, re-read from the provider. */
  getPayment(paymentRef: string): Promise<PaymentState | undefined>;
  refund(request: RefundRequest): Promise<RefundResult>;
  getPaymentMethod(ref: string): Promise<GatewayPaymentMethod | undefined>;
  /**
   * Events created from `since` and, given `until`, before it (Unix seconds), oldest first: the
   * reconciliation path for lost webhooks.
   */
  listEvents(since: number, types: readonly string[], until?: number): Promise<GatewayEvent[]>;
}

/** Checks a webhook's signature on its raw body and returns the event; throws on anything else. */
export interface WebhookVerifier {
  /** May be asynchronous: in AWS the signing secret is fetched from Secrets Manager on first use. */
  verify(rawBody: string, signatureHeader: string | undefined): GatewayEvent | Promise<GatewayEvent>;
}

export class InvalidSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSignatureError';
  }
}
