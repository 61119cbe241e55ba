import type { PaymentMethodKind } from '../../shared/domain/payment-methods.ts';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RatePacer } from '../../shared/adapters/stripe/rate-pacer.ts';
import { readStripeConfig } from '../../shared/adapters/stripe/stripe-config.ts';
import { STRIPE_API_VERSION, StripePaymentGateway, type StripePaymentGatewayOptions } from '../../shared/adapters/stripe/stripe-payment-gateway.ts';
import { StripeWebhookVerifier } from '../../shared/adapters/stripe/stripe-webhook-verifier.ts';
import { Money } from '../../shared/domain/money.ts';
import { GatewayRequestError, InvalidSignatureError, TransientGatewayError, type ChargeRequest } from '../../shared/ports/payment-gateway.ts';
import { FakeStripeServer, parseForm, parseSearchQuery } from '../support/fake-stripe-server.ts';

/** A pacer that never waits, so tests that are not about pacing do not spend wall time on it. */
class CountingPacer extends RatePacer {
  calls = 0;
  constructor() {
    super({ ratePerSecond: 25, now: () => 0, sleep: async () => {} });
  }
  override acquire(): Promise<void> {
    this.calls++;
    return super.acquire();
  }
}

let fake: FakeStripeServer;
let sleeps: number[];

beforeAll(async () => {
  fake = await FakeStripeServer.start();
});
afterAll(async () => {
  await fake?.stop();
});
beforeEach(() => {
  fake.clearRequests();
  sleeps = [];
});

function gateway(overrides: Partial<StripePaymentGatewayOptions> = {}): StripePaymentGateway {
  return new StripePaymentGateway({
    ...fake.connection(),
    pacer: new CountingPacer(),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
}

const key = () => `test-${randomUUID()}`;

async function aCustomer(gw = gateway()): Promise<string> {
  return gw.ensureCustomer({ orgId: `org-${randomUUID()}`, name: 'Muster AG', email: 'billing@muster.ch', idempotencyKey: key() });
}

function aCharge(customerRef: string, overrides: Partial<ChargeRequest> = {}): ChargeRequest {
  return {
    orgId: 'org-1',
    customerRef,
    paymentMethodRef: 'pm_card_visa',
    methodKind: 'card',
    amount: Money.of('14.05', 'CHF'),
    idempotencyKey: key(),
    description: 'Renewal of shop.example.ch from 2026-12-31',
    metadata: { orgId: 'org-1', productId: 'shop', attemptId: 'att-1', periodStart: '2026-12-31' },
    ...overrides,
  };
}

const piCount = () => fake.listPaymentIntents().length;
const lastPost = (path: string) => fake.requestsTo('POST', path).at(-1)!;

describe('StripePaymentGateway.charge', () => {
  it('sends an off-session, confirmed PaymentIntent in minor units with our idempotency key and metadata', async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);
    const req = aCharge(customer);

    const result = await gw.charge(req);

    const sent = lastPost('/v1/payment_intents');
    expect(sent.body).toEqual({
      amount: '1405',
      currency: 'chf',
      payment_method: 'pm_card_visa',
      customer,
      allowed_payment_method_types: ['card'],
      off_session: 'true',
      confirm: 'true',
      description: 'Renewal of shop.example.ch from 2026-12-31',
      metadata: { orgId: 'org-1', productId: 'shop', attemptId: 'att-1', periodStart: '2026-12-31' },
    });
    expect(sent.headers['idempotency-key']).toBe(req.idempotencyKey);
    expect(sent.headers['stripe-version']).toBe(STRIPE_API_VERSION);
    expect(sent.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent.headers.authorization).toBe('Bearer sk_test_fake');
    expect(result).toEqual({ status: 'succeeded', paymentRef: expect.stringMatching(/^pi_/) });
    const pi = fake.listPaymentIntents().find((p) => p.id === (result as { paymentRef: string }).paymentRef);
    expect(pi).toMatchObject({ status: 'succeeded', amount: 1405, amount_received: 1405, currency: 'chf', customer });
  });

  it('charges a saved card, Twint and PayPal off-session in the shape Stripe takes: their customer and their one type', async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);
    fake.addPaymentMethod({ id: `pm_saved_card_${customer}`, type: 'card', card: { brand: 'visa', last4: '4242' }, customer });
    fake.addPaymentMethod({ id: `pm_saved_twint_${customer}`, type: 'twint', customer });
    fake.addPaymentMethod({ id: `pm_saved_paypal_${customer}`, type: 'paypal', paypal: { payer_email: 'anna@example.ch' }, customer });
    for (const kind of ['card', 'twint', 'paypal'] as const) {
      const result = await gw.charge(aCharge(customer, { paymentMethodRef: `pm_saved_${kind}_${customer}`, methodKind: kind }));
      expect(result, kind).toMatchObject({ status: 'succeeded' });
      expect(lastPost('/v1/payment_intents').body).toMatchObject({ customer, allowed_payment_method_types: [kind], off_session: 'true', confirm: 'true' });
    }
  });

  it('has a fake Stripe that refuses what Stripe refuses: a confirmed intent that may redirect without a return_url, a saved method without its customer', async () => {
    const customer = await aCustomer();
    const owned = `pm_owned_${customer}`;
    fake.addPaymentMethod({ id: owned, type: 'card', card: { brand: 'visa', last4: '4242' }, customer });
    const post = (body: Record<string, string>) =>
      fetch(`${fake.connection().protocol}://${fake.connection().host}:${fake.connection().port}/v1/payment_intents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fake.connection().secretKey}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body).toString(),
      }).then(async (r) => ({ status: r.status, error: ((await r.json()) as { error?: { message: string; param?: string } }).error }));
    const base = { amount: '1405', currency: 'chf', off_session: 'true', confirm: 'true' };
    // The engine's old shape: no type list, no customer.
    expect(await post({ ...base, payment_method: owned })).toMatchObject({
      status: 400,
      error: { param: 'return_url', message: expect.stringMatching(/^A return_url must be specified/) },
    });
    expect(await post({ ...base, payment_method: owned, 'allowed_payment_method_types[0]': 'card' })).toMatchObject({
      status: 400,
      error: { param: 'customer', message: expect.stringContaining(`belongs to the Customer ${customer}`) },
    });
    expect(
      await post({ ...base, payment_method: owned, customer, 'automatic_payment_methods[enabled]': 'true', 'automatic_payment_methods[allow_redirects]': 'never' }),
    ).toMatchObject({ status: 200 });
  });

  it('sends EUR amounts in cents too', async () => {
    await gateway().charge(aCharge(await aCustomer(), { amount: Money.of('1234.5', 'EUR') }));
    expect(lastPost('/v1/payment_intents').body).toMatchObject({ amount: '123450', currency: 'eur' });
  });

  it('a replay with the same key returns the first PaymentIntent and creates no second one', async () => {
    const gw = gateway();
    const req = aCharge(await aCustomer(gw));
    const before = piCount();

    const first = await gw.charge(req);
    const second = await gw.charge(req);

    expect(second).toEqual(first);
    expect(piCount()).toBe(before + 1);
    const sent = fake.requestsTo('POST', '/v1/payment_intents');
    expect(sent.map((r) => r.headers['idempotency-key'])).toEqual([req.idempotencyKey, req.idempotencyKey]);
  });

  it('refuses a key reused with other parameters as a request error, not as a decline', async () => {
    const gw = gateway();
    const req = aCharge(await aCustomer(gw));
    await gw.charge(req);
    await expect(gw.charge({ ...req, amount: Money.of('20.00', 'CHF') })).rejects.toMatchObject({
      name: 'GatewayRequestError',
      code: 'idempotency_error',
    });
  });

  it('maps a declined card to a decline with the issuer reason and the failed PaymentIntent', async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);

    const generic = await gw.charge(aCharge(customer, { paymentMethodRef: 'pm_card_chargeDeclined' }));
    const funds = await gw.charge(aCharge(customer, { paymentMethodRef: 'pm_card_chargeDeclinedInsufficientFunds' }));

    expect(generic).toEqual({ status: 'declined', code: 'generic_decline', message: 'Your card was declined.', paymentRef: expect.stringMatching(/^pi_/) });
    expect(funds).toMatchObject({ status: 'declined', code: 'insufficient_funds', message: 'Your card has insufficient funds.' });
    const pi = fake.listPaymentIntents().find((p) => p.id === (generic as { paymentRef: string }).paymentRef);
    expect(pi).toMatchObject({ status: 'requires_payment_method', last_payment_error: { code: 'card_declined', decline_code: 'generic_decline' } });
  });

  it('replays a decline for the same key without a second attempt', async () => {
    const gw = gateway();
    const req = aCharge(await aCustomer(gw), { paymentMethodRef: 'pm_card_chargeDeclined' });
    const before = piCount();
    const first = await gw.charge(req);
    expect(await gw.charge(req)).toEqual(first);
    expect(piCount()).toBe(before + 1);
  });

  it('maps a card that needs 3-D Secure to requires_action with the PaymentIntent to complete on-session', async () => {
    const gw = gateway();
    const result = await gw.charge(aCharge(await aCustomer(gw), { paymentMethodRef: 'pm_card_authenticationRequired' }));

    expect(result).toEqual({
      status: 'requires_action',
      code: 'authentication_required',
      paymentRef: expect.stringMatching(/^pi_/),
      message: 'Your card was declined. This transaction requires authentication.',
    });
    // Read back later, the same PaymentIntent still says so.
    expect(await gw.retrieve((result as { paymentRef: string }).paymentRef)).toEqual(result);
  });

  it('retries a 429 with exponential back-off and the same key, then succeeds with one PaymentIntent', async () => {
    const pacer = new CountingPacer();
    const gw = gateway({ pacer });
    const req = aCharge(await aCustomer(gw));
    const before = piCount();
    pacer.calls = 0;
    fake.injectFault('rate_limit', 2);

    const result = await gw.charge(req);

    expect(result.status).toBe('succeeded');
    expect(sleeps).toEqual([500, 1000]);
    expect(pacer.calls).toBe(3); // every attempt waits on the pacer, retries included
    const sent = fake.requestsTo('POST', '/v1/payment_intents');
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((r) => r.headers['idempotency-key']))).toEqual(new Set([req.idempotencyKey]));
    expect(piCount()).toBe(before + 1);
  });

  it('gives up on a persistent 429 after the configured retries with a TransientGatewayError', async () => {
    const gw = gateway({ maxRateLimitRetries: 3, rateLimitBackoffMs: 100 });
    const req = aCharge(await aCustomer(gw));
    const before = piCount();
    fake.injectFault('rate_limit', 4);

    await expect(gw.charge(req)).rejects.toBeInstanceOf(TransientGatewayError);

    expect(sleeps).toEqual([100, 200, 400]);
    expect(fake.requestsTo('POST', '/v1/payment_intents')).toHaveLength(4);
    expect(piCount()).toBe(before);
  });

  it('maps a 500 to TransientGatewayError without retrying; a later retry with the same key charges once', async () => {
    const gw = gateway();
    const req = aCharge(await aCustomer(gw));
    const before = piCount();
    fake.injectFault('server_error');

    await expect(gw.charge(req)).rejects.toBeInstanceOf(TransientGatewayError);
    expect(fake.requestsTo('POST', '/v1/payment_intents')).toHaveLength(1);
    expect(sleeps).toEqual([]);

    expect((await gw.charge(req)).status).toBe('succeeded');
    expect(piCount()).toBe(before + 1);
  });

  it('maps a closed connection to TransientGatewayError (the SDK retries a reset once, with the same key)', async () => {
    const gw = gateway();
    const req = aCharge(await aCustomer(gw));
    fake.injectFault('close', 2);

    await expect(gw.charge(req)).rejects.toBeInstanceOf(TransientGatewayError);

    const sent = fake.requestsTo('POST', '/v1/payment_intents');
    expect(sent.map((r) => r.headers['idempotency-key'])).toEqual([req.idempotencyKey, req.idempotencyKey]);
  });

  it('maps a time-out to TransientGatewayError', async () => {
    const gw = gateway({ timeoutMs: 200 });
    const req = aCharge(await aCustomer(gw));
    fake.injectFault('hang');
    await expect(gw.charge(req)).rejects.toBeInstanceOf(TransientGatewayError);
  });

  it("maps an invalid request (unknown payment method) to GatewayRequestError with Stripe's code", async () => {
    const gw = gateway();
    const err = await gw.charge(aCharge(await aCustomer(gw), { paymentMethodRef: 'pm_does_not_exist' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayRequestError);
    expect(err).toMatchObject({ code: 'resource_missing', message: expect.stringContaining("No such PaymentMethod: 'pm_does_not_exist'") });
  });

  it("treats a rejected API key as transient: a configuration fault must not settle customers' payments", async () => {
    const gw = gateway({ secretKey: 'sk_test_wrong' });
    await expect(gw.charge(aCharge('cus_x'))).rejects.toThrow(/STRIPE_SECRET_KEY/);
    await expect(gw.charge(aCharge('cus_x'))).rejects.toBeInstanceOf(TransientGatewayError);
  });

  it('a PaymentIntent still processing is transient; retried with the same key it is read back once settled', async () => {
    const gw = gateway();
    const req = aCharge(await aCustomer(gw), { paymentMethodRef: 'pm_fake_processing' });

    await expect(gw.charge(req)).rejects.toBeInstanceOf(TransientGatewayError);
    const pi = fake.listPaymentIntents().find((p) => p.payment_method === 'pm_fake_processing' && p.status === 'processing')!;
    fake.completeProcessing(pi.id as string, 'succeeded');

    expect(await gw.charge(req)).toEqual({ status: 'succeeded', paymentRef: pi.id });
    expect(fake.listPaymentIntents().filter((p) => p.id === pi.id)).toHaveLength(1);
  });
});

describe('StripePaymentGateway.retrieve', () => {
  it('maps succeeded and declined PaymentIntents, and is undefined for an unknown one', async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);
    const ok = (await gw.charge(aCharge(customer))) as { paymentRef: string };
    const ko = (await gw.charge(aCharge(customer, { paymentMethodRef: 'pm_card_chargeDeclined' }))) as { paymentRef: string };

    expect(await gw.retrieve(ok.paymentRef)).toEqual({ status: 'succeeded', paymentRef: ok.paymentRef });
    expect(await gw.retrieve(ko.paymentRef)).toEqual({ status: 'declined', paymentRef: ko.paymentRef, code: 'generic_decline', message: 'Your card was declined.' });
    expect(await gw.retrieve('pi_unknown')).toBeUndefined();
    expect(fake.requestsTo('GET', `/v1/payment_intents/${ok.paymentRef}`)).toHaveLength(1);
  });
});

describe('StripePaymentGateway.findChargeByAttempt', () => {
  const anAttempt = () => `att-${randomUUID()}`;
  const searches = () => fake.requestsTo('GET', '/v1/payment_intents/search');

  /** Runs `fn` with the fake's clock at `seconds`, so PaymentIntents get that `created`. */
  async function at<T>(seconds: number, fn: () => Promise<T>): Promise<T> {
    const clock = fake.now;
    fake.now = () => seconds;
    try {
      return await fn();
    } finally {
      fake.now = clock;
    }
  }

  async function chargeFor(gw: StripePaymentGateway, customer: string, attemptId: string, paymentMethodRef = 'pm_card_visa') {
    return gw.charge(aCharge(customer, { paymentMethodRef, metadata: { orgId: 'org-1', productId: 'shop', attemptId, periodStart: '2026-12-31' } }));
  }

  it('finds the succeeded charge made for an attempt, by the attemptId in its metadata', async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);
    const attemptId = anAttempt();
    const charged = await chargeFor(gw, customer, attemptId);
    await chargeFor(gw, customer, anAttempt()); // another attempt's charge is not a match

    expect(charged.status).toBe('succeeded');
    expect(await gw.findChargeByAttempt(attemptId)).toEqual(charged);
  });

  it('is undefined for an attempt that was never charged', async () => {
    expect(await gateway().findChargeByAttempt(anAttempt())).toBeUndefined();
    expect(searches()).toHaveLength(1);
  });

  it('picks the newest PaymentIntent by created, wherever Stripe lists it', async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);

    // Declined, then retried successfully: the fake lists the older first.
    const retried = anAttempt();
    await at(1_000, () => chargeFor(gw, customer, retried, 'pm_card_chargeDeclined'));
    const success = await at(2_000, () => chargeFor(gw, customer, retried));
    expect(await gw.findChargeByAttempt(retried)).toEqual(success);

    // Created out of order (the newer listed first), so neither end of the list is the answer by position.
    const shuffled = anAttempt();
    const newer = await at(2_000, () => chargeFor(gw, customer, shuffled, 'pm_card_chargeDeclinedInsufficientFunds'));
    await at(1_000, () => chargeFor(gw, customer, shuffled, 'pm_card_chargeDeclined'));
    expect(await gw.findChargeByAttempt(shuffled)).toEqual(newer);
    expect(newer).toMatchObject({ status: 'declined', code: 'insufficient_funds' });
  });

  it('prefers the succeeded one of two created in the same second', async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);
    const attemptId = anAttempt();
    const success = await at(3_000, () => chargeFor(gw, customer, attemptId));
    await at(3_000, () => chargeFor(gw, customer, attemptId, 'pm_card_chargeDeclined'));
    expect(await gw.findChargeByAttempt(attemptId)).toEqual(success);
  });

  it('sends a GET search for the attemptId in metadata, escaping quotes and backslashes, through the pacer', async () => {
    const pacer = new CountingPacer();
    const gw = gateway({ pacer });
    const customer = await aCustomer(gw);
    const suffix = randomUUID();
    const attemptId = `att-o'brien\\${suffix}`;
    const charged = await chargeFor(gw, customer, attemptId);
    fake.clearRequests();
    pacer.calls = 0;

    expect(await gw.findChargeByAttempt(attemptId)).toEqual(charged);

    expect(fake.requests).toHaveLength(1);
    const [sent] = searches();
    // att-o'brien\<uuid> is sent as 'att-o\'brien\\<uuid>'.
    expect(sent!.query).toEqual({ query: `metadata['attemptId']:'att-o\\'brien\\\\${suffix}'`, limit: '10' });
    expect(sent!.body).toEqual({});
    expect(sent!.headers.authorization).toBe('Bearer sk_test_fake');
    expect(pacer.calls).toBe(1);
    // An id that tries to add a clause of its own finds nothing rather than every PaymentIntent.
    expect(await gw.findChargeByAttempt("x' OR status:'succeeded")).toBeUndefined();
  });

  it('maps a declined charge to declined with the issuer reason', async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);
    const attemptId = anAttempt();
    const declined = await chargeFor(gw, customer, attemptId, 'pm_card_chargeDeclined');

    expect(await gw.findChargeByAttempt(attemptId)).toEqual({
      status: 'declined',
      paymentRef: (declined as { paymentRef: string }).paymentRef,
      code: 'generic_decline',
      message: 'Your card was declined.',
    });
  });

  it('retries a 429 with back-off, and maps a 500 to TransientGatewayError', async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);
    const attemptId = anAttempt();
    const charged = await chargeFor(gw, customer, attemptId);

    fake.injectFault('rate_limit');
    expect(await gw.findChargeByAttempt(attemptId)).toEqual(charged);
    expect(sleeps).toEqual([500]);

    fake.injectFault('server_error');
    await expect(gw.findChargeByAttempt(attemptId)).rejects.toBeInstanceOf(TransientGatewayError);
    expect(searches()).toHaveLength(3);
  });
});

describe('StripePaymentGateway.createSetup', () => {
  it('creates an off-session SetupIntent for the customer with its one method type and the organisation, under our idempotency key', async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);
    const req = { orgId: 'org-1', customerRef: customer, kind: 'twint' as const, idempotencyKey: key() };
    const created = await gw.createSetup(req);
    const sent = lastPost('/v1/setup_intents');
    expect(sent.body).toEqual({ customer, allowed_payment_method_types: ['twint'], usage: 'off_session', metadata: { orgId: 'org-1' } });
    expect(sent.headers['idempotency-key']).toBe(req.idempotencyKey);
    expect(created).toEqual({ setupRef: expect.stringMatching(/^seti_/), clientSecret: expect.stringMatching(/^seti_.+_secret_/) });
    // The same key again: the first SetupIntent, not a second one.
    expect(await gw.createSetup(req)).toEqual(created);
  });

  it('saves a method on the hosted page: a Checkout Session in setup mode whose SetupIntent names the organisation', async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);
    const back = 'https://portal.example.ch/payment-methods?org=org-1';
    const req = { orgId: 'org-1', customerRef: customer, kind: 'card' as const, idempotencyKey: key(), hosted: { successUrl: back, cancelUrl: back, currency: 'CHF' as const } };
    const created = await gw.createSetup(req);
    expect(lastPost('/v1/checkout/sessions').body).toEqual({
      mode: 'setup',
      customer,
      currency: 'chf',
      allowed_payment_method_types: ['card'],
      setup_intent_data: { metadata: { orgId: 'org-1' } },
      metadata: { orgId: 'org-1' },
      success_url: back,
      cancel_url: back,
    });
    expect(created).toEqual({ setupRef: expect.stringMatching(/^cs_test_/), url: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\//) });
  });

  it("maps Stripe's refusal of an unknown customer to GatewayRequestError", async () => {
    await expect(gateway().createSetup({ orgId: 'o', customerRef: 'cus_nobody', kind: 'card', idempotencyKey: key() })).rejects.toMatchObject({
      name: 'GatewayRequestError',
      code: 'resource_missing',
    });
  });
});

describe('StripePaymentGateway.ensureCustomer', () => {
  it('creates the customer with the organisation in metadata, once per idempotency key', async () => {
    const gw = gateway();
    const req = { orgId: 'org-42', name: 'Beispiel GmbH', email: 'finance@beispiel.ch', idempotencyKey: key() };
    const before = fake.listCustomers().length;

    const id = await gw.ensureCustomer(req);
    const again = await gw.ensureCustomer(req);

    expect(id).toMatch(/^cus_/);
    expect(again).toBe(id);
    expect(fake.listCustomers()).toHaveLength(before + 1);
    const sent = lastPost('/v1/customers');
    expect(sent.body).toEqual({ name: 'Beispiel GmbH', email: 'finance@beispiel.ch', metadata: { orgId: 'org-42' } });
    expect(sent.headers['idempotency-key']).toBe(req.idempotencyKey);
  });
});

describe('StripePaymentGateway.createPayment', () => {
  const payment = (customerRef: string) => ({
    orgId: 'org-1',
    customerRef,
    amount: Money.of('120.00', 'CHF'),
    methodKinds: ['card', 'twint', 'paypal'] as const,
    saveMethod: true,
    idempotencyKey: key(),
    description: 'Balance top-up',
    metadata: { orgId: 'org-1', purpose: 'top-up' },
  });

  it('creates an unconfirmed PaymentIntent for the front end, saving the method for renewals', async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);
    const req = { ...payment(customer), methodKinds: [...payment(customer).methodKinds] };

    const created = await gw.createPayment(req);

    const sent = lastPost('/v1/payment_intents');
    expect(sent.body).toEqual({
      amount: '12000',
      currency: 'chf',
      customer,
      allowed_payment_method_types: ['card', 'twint', 'paypal'],
      setup_future_usage: 'off_session',
      description: 'Balance top-up',
      metadata: { orgId: 'org-1', purpose: 'top-up' },
    });
    expect(sent.headers['idempotency-key']).toBe(req.idempotencyKey);
    expect(created).toEqual({ paymentRef: expect.stringMatching(/^pi_/), clientSecret: expect.stringMatching(/^pi_.+_secret_/), status: 'requires_payment_method' });
  });

  it('does not ask to save the method when the customer does not want it', async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);
    await gw.createPayment({ ...payment(customer), methodKinds: ['card'], saveMethod: false });
    const body = lastPost('/v1/payment_intents').body;
    expect(body).not.toHaveProperty('setup_future_usage');
    expect(body.allowed_payment_method_types).toEqual(['card']);
  });

  it('refuses PostFinance, which Stripe does not offer, before sending anything', async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);
    fake.clearRequests();
    const err = await gw.createPayment({ ...payment(customer), methodKinds: ['card', 'postfinance'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayRequestError);
    expect(err).toMatchObject({ message: 'PostFinance is not available through Stripe', code: 'method_not_supported' });
    expect(fake.requests).toHaveLength(0);
  });

  it("passes on Stripe's refusal of Twint in EUR as a request error", async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);
    await expect(gw.createPayment({ ...payment(customer), amount: Money.of('50.00', 'EUR'), methodKinds: ['twint'] })).rejects.toMatchObject({
      name: 'GatewayRequestError',
      code: 'payment_intent_invalid_parameter',
    });
  });
});

describe('StripePaymentGateway.createPayment on the hosted page (Stripe Checkout)', () => {
  const hosted = (customerRef: string, expiresAt = Math.floor(Date.now() / 1000) + 3600) => ({
    orgId: 'org-1',
    customerRef,
    // 2 x 80.00 + 1 x 12.00 net, 8.1 % VAT on 172.00 = 13.93: 185.93 in all.
    amount: Money.of('185.93', 'CHF'),
    methodKinds: ['card', 'twint'] as PaymentMethodKind[],
    saveMethod: true,
    idempotencyKey: key(),
    description: 'Renewal of 2 product(s) for Muster AG',
    metadata: { orgId: 'org-1', checkoutId: 'co_1', purpose: 'renewal' },
    hosted: {
      successUrl: 'https://portal.example.ch/pay?checkout=co_1&outcome=success',
      cancelUrl: 'https://portal.example.ch/pay?checkout=co_1&outcome=cancel',
      expiresAt,
      lines: [
        { name: 'muster.ch (24 months)', unitAmount: Money.of('80.00', 'CHF'), quantity: 2 },
        { name: 'Mail (12 months)', unitAmount: Money.of('12.00', 'CHF'), quantity: 1 },
        { name: 'VAT 8.1 %', unitAmount: Money.of('13.93', 'CHF'), quantity: 1 },
      ],
    },
  });

  it('creates a Checkout Session with the customer, the lines, setup_future_usage and the metadata on its PaymentIntent, under our key', async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);
    const req = hosted(customer);

    const created = await gw.createPayment(req);

    const sent = lastPost('/v1/checkout/sessions');
    expect(sent.body).toEqual({
      mode: 'payment',
      customer,
      line_items: [
        { quantity: '2', price_data: { currency: 'chf', unit_amount: '8000', product_data: { name: 'muster.ch (24 months)' } } },
        { quantity: '1', price_data: { currency: 'chf', unit_amount: '1200', product_data: { name: 'Mail (12 months)' } } },
        { quantity: '1', price_data: { currency: 'chf', unit_amount: '1393', product_data: { name: 'VAT 8.1 %' } } },
      ],
      allowed_payment_method_types: ['card', 'twint'],
      payment_intent_data: { description: 'Renewal of 2 product(s) for Muster AG', metadata: req.metadata, setup_future_usage: 'off_session' },
      metadata: req.metadata,
      client_reference_id: 'co_1',
      success_url: req.hosted.successUrl,
      cancel_url: req.hosted.cancelUrl,
      expires_at: String(req.hosted.expiresAt),
    });
    expect(sent.headers['idempotency-key']).toBe(req.idempotencyKey);
    expect(created).toEqual({
      paymentRef: expect.stringMatching(/^cs_test_/),
      url: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\//),
      status: 'requires_payment_method',
    });
    // Stripe's own total of the lines is what is charged.
    expect(fake.requestsTo('POST', '/v1/checkout/sessions')).toHaveLength(1);
    expect(await gw.createPayment(req)).toEqual(created);
  });

  it('reads an unpaid page as waiting for a method, then the PaymentIntent it made once paid; a refund goes to that PaymentIntent', async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);
    const { paymentRef } = await gw.createPayment(hosted(customer));

    const open = await gw.getPayment(paymentRef);
    expect(open).toMatchObject({ paymentRef, status: 'requires_payment_method', metadata: { checkoutId: 'co_1' }, customerRef: customer });
    expect(open!.amount.equals(Money.of('185.93', 'CHF'))).toBe(true);
    expect(open!.amountReceived.isZero()).toBe(true);

    fake.payHostedPage(paymentRef, 'pm_card_chargeDeclined');
    expect(await gw.getPayment(paymentRef)).toMatchObject({ status: 'requires_payment_method', failureCode: 'generic_decline' });

    fake.payHostedPage(paymentRef, 'pm_card_visa');
    const paid = await gw.getPayment(paymentRef);
    expect(paid).toMatchObject({
      paymentRef: expect.stringMatching(/^pi_/),
      status: 'succeeded',
      metadata: { orgId: 'org-1', checkoutId: 'co_1' },
      paymentMethodRef: 'pm_card_visa',
    });
    expect(paid!.amountReceived.equals(Money.of('185.93', 'CHF'))).toBe(true);
    expect(fake.listPaymentIntents().find((pi) => pi.id === paid!.paymentRef)).toMatchObject({ setup_future_usage: 'off_session' });

    await gw.refund({ paymentRef, amount: Money.of('12.00', 'CHF'), idempotencyKey: key(), metadata: {} });
    expect(lastPost('/v1/refunds').body).toMatchObject({ payment_intent: paid!.paymentRef, amount: '1200' });
    expect((await gw.getPayment(paymentRef))!.amountRefunded.equals(Money.of('12.00', 'CHF'))).toBe(true);
  });

  it("passes on Stripe's refusal of a page that would stay open more than 24 hours", async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);
    await expect(gw.createPayment(hosted(customer, Math.floor(Date.now() / 1000) + 25 * 3600))).rejects.toMatchObject({
      name: 'GatewayRequestError',
      code: 'parameter_invalid_integer',
    });
  });
});

describe('StripePaymentGateway.getPayment and refund', () => {
  it('refunds in minor units with our key and reports the refunded amount on the payment', async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);
    const { paymentRef } = (await gw.charge(aCharge(customer))) as { paymentRef: string };
    const refundKey = key();

    const refund = await gw.refund({ paymentRef, amount: Money.of('5.00', 'CHF'), idempotencyKey: refundKey, metadata: { creditNote: 'CN-1' } });

    const sent = lastPost('/v1/refunds');
    expect(sent.body).toEqual({ payment_intent: paymentRef, amount: '500', metadata: { creditNote: 'CN-1' } });
    expect(sent.headers['idempotency-key']).toBe(refundKey);
    expect(refund.refundRef).toMatch(/^re_/);
    expect(refund.status).toBe('succeeded');
    expect(refund.amount.equals(Money.of('5.00', 'CHF'))).toBe(true);
    // Same key: the same refund, not a second one.
    expect((await gw.refund({ paymentRef, amount: Money.of('5.00', 'CHF'), idempotencyKey: refundKey, metadata: { creditNote: 'CN-1' } })).refundRef).toBe(refund.refundRef);

    const state = await gw.getPayment(paymentRef);
    expect(fake.requestsTo('GET', `/v1/payment_intents/${paymentRef}`).at(-1)!.query).toEqual({ expand: ['latest_charge'] });
    expect(state).toMatchObject({ paymentRef, status: 'succeeded', customerRef: customer, paymentMethodRef: 'pm_card_visa', metadata: aCharge(customer).metadata });
    expect(state!.amount.equals(Money.of('14.05', 'CHF'))).toBe(true);
    expect(state!.amountReceived.equals(Money.of('14.05', 'CHF'))).toBe(true);
    expect(state!.amountRefunded.equals(Money.of('5.00', 'CHF'))).toBe(true);
  });

  it('refuses to refund more than is left', async () => {
    const gw = gateway();
    const { paymentRef } = (await gw.charge(aCharge(await aCustomer(gw)))) as { paymentRef: string };
    await expect(gw.refund({ paymentRef, amount: Money.of('14.06', 'CHF'), idempotencyKey: key(), metadata: {} })).rejects.toMatchObject({
      name: 'GatewayRequestError',
      code: 'amount_too_large',
    });
  });

  it('reports the failure of a declined payment, and undefined for an unknown one', async () => {
    const gw = gateway();
    const { paymentRef } = (await gw.charge(aCharge(await aCustomer(gw), { paymentMethodRef: 'pm_card_chargeDeclined' }))) as { paymentRef: string };
    const state = await gw.getPayment(paymentRef);
    expect(state).toMatchObject({ status: 'requires_payment_method', failureCode: 'generic_decline', failureMessage: 'Your card was declined.' });
    expect(state!.amountReceived.isZero()).toBe(true);
    expect(state!.amountRefunded.isZero()).toBe(true);
    expect(await gw.getPayment('pi_unknown')).toBeUndefined();
  });
});

describe('StripePaymentGateway.getPaymentMethod', () => {
  it('describes cards by brand and last 4, and wallets by kind', async () => {
    fake.addPaymentMethod({ id: 'pm_test_cb', type: 'card', card: { brand: 'visa', displayBrand: 'cartes_bancaires', last4: '1001' } });
    fake.addPaymentMethod({ id: 'pm_test_twint', type: 'twint', customer: 'cus_twint' });
    fake.addPaymentMethod({ id: 'pm_test_paypal', type: 'paypal', paypal: { payer_email: 'anna@example.ch' } });
    const gw = gateway();

    expect(await gw.getPaymentMethod('pm_card_visa')).toEqual({ ref: 'pm_card_visa', kind: 'card', brand: 'visa', label: 'Visa •••• 4242' });
    expect(await gw.getPaymentMethod('pm_card_mastercard')).toEqual({ ref: 'pm_card_mastercard', kind: 'card', brand: 'mastercard', label: 'Mastercard •••• 4444' });
    expect(await gw.getPaymentMethod('pm_test_cb')).toEqual({ ref: 'pm_test_cb', kind: 'card', brand: 'cb', label: 'CB •••• 1001' });
    expect(await gw.getPaymentMethod('pm_test_twint')).toEqual({ ref: 'pm_test_twint', kind: 'twint', label: 'TWINT', customerRef: 'cus_twint' });
    expect(await gw.getPaymentMethod('pm_test_paypal')).toEqual({ ref: 'pm_test_paypal', kind: 'paypal', label: 'PayPal (anna@example.ch)' });
    expect(await gw.getPaymentMethod('pm_unknown')).toBeUndefined();
  });

  it('refuses a method type the engine does not take', async () => {
    fake.addPaymentMethod({ id: 'pm_test_sepa', type: 'sepa_debit' });
    await expect(gateway().getPaymentMethod('pm_test_sepa')).rejects.toMatchObject({ name: 'GatewayRequestError', code: 'method_not_supported' });
  });
});

describe('StripePaymentGateway.listEvents', () => {
  let events: FakeStripeServer;
  beforeAll(async () => {
    events = await FakeStripeServer.start({ now: () => 1_800_000_000 });
  });
  afterAll(async () => {
    await events?.stop();
  });

  it('filters by time and type, follows every page and returns the oldest first', async () => {
    events.maxPageSize = 2;
    const pi = (n: number) => ({ id: `pi_${n}`, object: 'payment_intent', amount: 100 * n });
    events.addEvent('payment_intent.succeeded', pi(0), 900);
    const expected = [
      events.addEvent('payment_intent.succeeded', pi(1), 1000),
      events.addEvent('payment_intent.payment_failed', pi(2), 1001),
      events.addEvent('payment_intent.succeeded', pi(3), 1001),
      events.addEvent('payment_intent.succeeded', pi(4), 1002),
      events.addEvent('payment_intent.succeeded', pi(5), 1003),
    ];
    events.addEvent('customer.created', { id: 'cus_1', object: 'customer' }, 1004);
    const gw = new StripePaymentGateway({ ...events.connection(), pacer: new CountingPacer() });

    const listed = await gw.listEvents(1000, ['payment_intent.succeeded', 'payment_intent.payment_failed']);

    expect(listed.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect(listed[0]).toEqual({ id: expected[0]!.id, type: 'payment_intent.succeeded', created: 1000, object: pi(1) });
    const pages = events.requestsTo('GET', '/v1/events');
    expect(pages).toHaveLength(3);
    expect(pages[0]!.query).toEqual({ created: { gte: '1000' }, limit: '100', types: ['payment_intent.succeeded', 'payment_intent.payment_failed'] });
    expect(pages[1]!.query.starting_after).toBe(expected[3]!.id);
    expect(pages[2]!.query.starting_after).toBe(expected[1]!.id);
  });
});

describe('RatePacer', () => {
  /** A clock that moves only when someone sleeps: spacing is measured without wall time. */
  function fakeTime() {
    const t = { now: 0, sleeps: [] as number[] };
    return {
      t,
      options: {
        now: () => t.now,
        sleep: async (ms: number) => {
          t.sleeps.push(ms);
          t.now += ms;
        },
      },
    };
  }

  it('spaces requests 40 ms apart at the default 25 per second', async () => {
    const { t, options } = fakeTime();
    const pacer = new RatePacer(options);
    const sentAt: number[] = [];
    for (let i = 0; i < 5; i++) {
      await pacer.acquire();
      sentAt.push(t.now);
    }
    expect(sentAt).toEqual([0, 40, 80, 120, 160]);
  });

  it('queues concurrent callers in order instead of letting them through together', async () => {
    const sleeps: number[] = [];
    const pacer = new RatePacer({ ratePerSecond: 10, now: () => 0, sleep: async (ms) => void sleeps.push(ms) });
    await Promise.all([pacer.acquire(), pacer.acquire(), pacer.acquire(), pacer.acquire()]);
    expect(sleeps).toEqual([100, 200, 300]);
  });

  it('lets a configured burst through after a quiet spell, then paces again', async () => {
    const { t, options } = fakeTime();
    const pacer = new RatePacer({ ...options, ratePerSecond: 25, burst: 3 });
    t.now = 60_000;
    for (let i = 0; i < 4; i++) await pacer.acquire();
    expect(t.sleeps).toEqual([40]);
  });

  it('makes every gateway call wait on the pacer', async () => {
    const { t, options } = fakeTime();
    const gw = gateway({ pacer: new RatePacer(options) });
    await gw.getPaymentMethod('pm_card_visa');
    await gw.getPaymentMethod('pm_card_mastercard');
    await gw.retrieve('pi_unknown');
    expect(t.sleeps).toEqual([40, 40]);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new RatePacer({ ratePerSecond: 0 })).toThrow(RangeError);
    expect(() => new RatePacer({ burst: 0 })).toThrow(RangeError);
  });
});

describe('StripeWebhookVerifier', () => {
  const secret = 'whsec_test_secret';
  const now = 1_800_000_000;
  const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/stripe/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
  const object = { ...fixture('payment_intent'), id: 'pi_webhook', status: 'succeeded', amount: 1405, currency: 'chf', metadata: { orgId: 'org-1' } };
  const payload = JSON.stringify({ ...fixture('event'), id: 'evt_webhook', type: 'payment_intent.succeeded', created: now - 5, data: { object } });
  const sign = (body: string, opts: { secret?: string; timestamp?: number } = {}) =>
    Stripe.webhooks.generateTestHeaderString({ payload: body, secret: opts.secret ?? secret, timestamp: opts.timestamp ?? now });
  const verifier = new StripeWebhookVerifier(secret, { now: () => now * 1000 });

  it('accepts a correctly signed event and returns it', () => {
    expect(verifier.verify(payload, sign(payload))).toEqual({ id: 'evt_webhook', type: 'payment_intent.succeeded', created: now - 5, object });
  });

  it('refuses a missing header', () => {
    expect(() => verifier.verify(payload, undefined)).toThrow(InvalidSignatureError);
  });

  it('refuses a signature made with another secret', () => {
    expect(() => verifier.verify(payload, sign(payload, { secret: 'whsec_other' }))).toThrow(InvalidSignatureError);
  });

  it('refuses a body changed after signing', () => {
    const header = sign(payload);
    expect(() => verifier.verify(payload.replace('"amount":1405', '"amount":1'), header)).toThrow(InvalidSignatureError);
  });

  it('refuses a signature older than 300 seconds, accepts one just inside', () => {
    expect(() => verifier.verify(payload, sign(payload, { timestamp: now - 301 }))).toThrow(InvalidSignatureError);
    expect(verifier.verify(payload, sign(payload, { timestamp: now - 299 })).id).toBe('evt_webhook');
  });
});

describe('readStripeConfig', () => {
  it('is undefined without a key, so the engine keeps its sandbox gateway', () => {
    expect(readStripeConfig({})).toBeUndefined();
    expect(readStripeConfig({ STRIPE_SECRET_KEY: '  ' })).toBeUndefined();
  });

  it('reads the key, the webhook secret, the API endpoint override and the rate', () => {
    expect(
      readStripeConfig({
        STRIPE_SECRET_KEY: 'sk_test_fake',
        STRIPE_WEBHOOK_SECRET: 'whsec_fake',
        STRIPE_API_HOST: '127.0.0.1',
        STRIPE_API_PORT: '12111',
        STRIPE_API_PROTOCOL: 'http',
        STRIPE_MAX_RPS: '10',
      }),
    ).toEqual({ secretKey: 'sk_test_fake', webhookSecret: 'whsec_fake', apiHost: '127.0.0.1', apiPort: 12111, apiProtocol: 'http', maxRequestsPerSecond: 10 });
    expect(readStripeConfig({ STRIPE_SECRET_KEY: 'sk_test_fake' })).toEqual({ secretKey: 'sk_test_fake', maxRequestsPerSecond: 25 });
  });

  it('refuses malformed settings rather than silently talking to api.stripe.com', () => {
    expect(() => readStripeConfig({ STRIPE_SECRET_KEY: 'sk_test_fake', STRIPE_API_PORT: 'abc' })).toThrow(/STRIPE_API_PORT/);
    expect(() => readStripeConfig({ STRIPE_SECRET_KEY: 'sk_test_fake', STRIPE_API_PROTOCOL: 'ftp' })).toThrow(/STRIPE_API_PROTOCOL/);
    expect(() => readStripeConfig({ STRIPE_SECRET_KEY: 'sk_test_fake', STRIPE_MAX_RPS: '0' })).toThrow(/STRIPE_MAX_RPS/);
  });

  it('builds a gateway that reaches the configured endpoint', async () => {
    const config = readStripeConfig({
      STRIPE_SECRET_KEY: fake.apiKey,
      STRIPE_API_HOST: fake.host,
      STRIPE_API_PORT: String(fake.port),
      STRIPE_API_PROTOCOL: 'http',
    })!;
    const gw = StripePaymentGateway.fromConfig(config, { pacer: new CountingPacer() });
    expect(await gw.getPaymentMethod('pm_card_visa')).toMatchObject({ kind: 'card', brand: 'visa' });
  });
});

describe('fake Stripe search', () => {
  const pi = { id: 'pi_1', status: 'succeeded', currency: 'chf', amount: 1405, metadata: { attemptId: "a'b\\c", orgId: 'org-1' } };

  it('matches exact metadata and field clauses, with escapes, negation, AND and OR', () => {
    const fields = new Set(['status', 'currency', 'amount']);
    const matches = (q: string) => parseSearchQuery(q, fields)(pi);
    expect(matches("metadata['attemptId']:'a\\'b\\\\c'")).toBe(true);
    expect(matches('metadata["orgId"]:"org-1"')).toBe(true);
    expect(matches("metadata['orgId']:'org-2'")).toBe(false);
    expect(matches("metadata['missing']:'x'")).toBe(false);
    expect(matches("metadata['orgId']:'org-1' status:'succeeded' AND currency:'chf'")).toBe(true);
    expect(matches("metadata['orgId']:'org-1' AND -status:'succeeded'")).toBe(false);
    expect(matches("status:'canceled' OR amount:'1405'")).toBe(true);
  });

  it.each([
    ["metadata['orgId']:org-1"],
    ["metadata['orgId']~'org'"],
    ["metadata[orgId]:'org-1'"],
    ["metadata['orgId']:'org-1"],
    ["email:'a@b.ch'"],
    ["status:'a' AND currency:'chf' OR amount:'1'"],
    ["status:'a'currency:'chf'"],
    [''],
  ])('refuses %j as a query it cannot parse', (query) => {
    expect(() => parseSearchQuery(query, new Set(['status', 'currency', 'amount']))).toThrow(/Invalid search query/);
  });

  it('answers an unparseable query with 400 invalid_request_error, and a good one with a search_result', async () => {
    const get = async (query: string) => {
      const res = await fetch(`http://${fake.host}:${fake.port}/v1/payment_intents/search?query=${encodeURIComponent(query)}&limit=3`, {
        headers: { authorization: `Bearer ${fake.apiKey}` },
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    const bad = await get("metadata['attemptId']:att-1");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ type: 'invalid_request_error', param: 'query' });

    const good = await get(`metadata['attemptId']:'att-${randomUUID()}'`);
    expect(good).toEqual({ status: 200, body: { object: 'search_result', data: [], has_more: false, next_page: null, url: '/v1/payment_intents/search' } });
  });

  it('pages with next_page', async () => {
    const gw = gateway();
    const customer = await aCustomer(gw);
    const attemptId = `att-${randomUUID()}`;
    const refs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await gw.charge(aCharge(customer, { metadata: { attemptId } }));
      refs.push((result as { paymentRef: string }).paymentRef);
    }
    const page = async (extra: string) => {
      const res = await fetch(`http://${fake.host}:${fake.port}/v1/payment_intents/search?query=${encodeURIComponent(`metadata['attemptId']:'${attemptId}'`)}&limit=2${extra}`, {
        headers: { authorization: `Bearer ${fake.apiKey}` },
      });
      return (await res.json()) as { data: { id: string }[]; has_more: boolean; next_page: string | null };
    };
    const first = await page('');
    expect(first.has_more).toBe(true);
    const second = await page(`&page=${first.next_page!}`);
    expect(second).toMatchObject({ has_more: false, next_page: null });
    expect([...first.data, ...second.data].map((p) => p.id)).toEqual(refs);
  });
});

describe('fake Stripe form parsing', () => {
  it('reads bracket notation into objects and arrays, as Stripe does', () => {
    expect(parseForm('amount=1405&metadata[orgId]=org%201&types[0]=a&types[1]=b&list[]=x&list[]=y&created[gte]=5&q=a+b')).toEqual({
      amount: '1405',
      metadata: { orgId: 'org 1' },
      types: ['a', 'b'],
      list: ['x', 'y'],
      created: { gte: '5' },
      q: 'a b',
    });
    expect(parseForm('__proto__[x]=1&a[constructor]=2')).toEqual({});
  });
});
