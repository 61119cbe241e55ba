/**
 * The core scenarios of stripe-gateway.test.ts against Stripe's real test mode,
 * to catch where the fake server and Stripe disagree. Runs only with an
 * sk_test_ key in STRIPE_SECRET_KEY and never in CI (no network there):
 *
 *   STRIPE_SECRET_KEY=sk_test_... npx vitest run --config test/vitest.config.ts test/integration/stripe-live.test.ts
 */
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { RatePacer } from '../../shared/adapters/stripe/rate-pacer.ts';
import { STRIPE_API_VERSION, StripePaymentGateway } from '../../shared/adapters/stripe/stripe-payment-gateway.ts';
import { Money } from '../../shared/domain/money.ts';
import { GatewayRequestError, type ChargeRequest } from '../../shared/ports/payment-gateway.ts';

const secretKey = process.env.STRIPE_SECRET_KEY ?? '';
const isTestKey = secretKey.startsWith('sk_test_');
const inCi = Boolean(process.env.CI);
const runLive = isTestKey && !inCi;
const title = runLive
  ? 'StripePaymentGateway against Stripe test mode'
  : inCi
    ? 'StripePaymentGateway against Stripe test mode (skipped: never in CI, there is no network)'
    : 'StripePaymentGateway against Stripe test mode (skipped: STRIPE_SECRET_KEY is not a test key)';

describe.skipIf(!runLive)(title, () => {
  // Built in beforeAll: a skipped describe still runs its body, and the SDK refuses an empty key.
  let gw: StripePaymentGateway;
  // Setup only (attaching test cards to a customer), which the port does not offer.
  let stripe: Stripe;
  beforeAll(() => {
    // Test mode allows 25 requests per second; stay well below it.
    gw = new StripePaymentGateway({ secretKey, pacer: new RatePacer({ ratePerSecond: 10 }) });
    stripe = new Stripe(secretKey, { apiVersion: STRIPE_API_VERSION });
  });
  const run = randomUUID();
  const key = (what: string) => `live-${run}-${what}`;

  async function customerWith(testMethod: string): Promise<{ customer: string; method: string }> {
    const customer = await gw.ensureCustomer({ orgId: `org-live-${run}`, name: 'Live Test AG', idempotencyKey: key(`cus-${testMethod}`) });
    const method = await stripe.paymentMethods.attach(testMethod, { customer });
    return { customer, method: method.id };
  }

  const charge = (customerRef: string, paymentMethodRef: string, what: string): ChargeRequest => ({
    orgId: `org-live-${run}`,
    customerRef,
    paymentMethodRef,
    methodKind: 'card',
    amount: Money.of('14.05', 'CHF'),
    idempotencyKey: key(what),
    description: 'Live test renewal',
    metadata: { orgId: `org-live-${run}`, attemptId: what },
  });

  it('charges a saved card off-session, replays the key, refunds part and reads the state back', async () => {
    const { customer, method } = await customerWith('pm_card_visa');

    const req = charge(customer, method, 'visa');
    const result = await gw.charge(req);
    expect(result).toEqual({ status: 'succeeded', paymentRef: expect.stringMatching(/^pi_/) });
    expect(await gw.charge(req)).toEqual(result);
    const paymentRef = (result as { paymentRef: string }).paymentRef;
    expect(await gw.retrieve(paymentRef)).toEqual(result);

    const refund = await gw.refund({ paymentRef, amount: Money.of('5.00', 'CHF'), idempotencyKey: key('refund'), metadata: { creditNote: 'live' } });
    expect(refund.refundRef).toMatch(/^re_/);
    expect(['succeeded', 'pending']).toContain(refund.status);

    const state = await gw.getPayment(paymentRef);
    expect(state).toMatchObject({ status: 'succeeded', customerRef: customer, paymentMethodRef: method, metadata: req.metadata });
    expect(state!.amountReceived.equals(Money.of('14.05', 'CHF'))).toBe(true);
    expect(state!.amountRefunded.equals(Money.of('5.00', 'CHF'))).toBe(true);

    expect(await gw.getPaymentMethod(method)).toMatchObject({ kind: 'card', brand: 'visa', label: 'Visa •••• 4242', customerRef: customer });
  });

  it('maps a declined card to a decline', async () => {
    // chargeCustomerFail attaches fine and declines every charge, like a card that expired since it was saved.
    const { customer, method } = await customerWith('pm_card_chargeCustomerFail');
    expect(await gw.charge(charge(customer, method, 'declined'))).toMatchObject({ status: 'declined', paymentRef: expect.stringMatching(/^pi_/) });
  });

  it('maps a card that needs authentication to requires_action', async () => {
    const { customer, method } = await customerWith('pm_card_authenticationRequired');
    expect(await gw.charge(charge(customer, method, 'auth'))).toMatchObject({ status: 'requires_action', code: 'authentication_required' });
  });

  it('creates an on-session payment for the front end and refuses PostFinance', async () => {
    const customer = await gw.ensureCustomer({ orgId: `org-live-${run}`, name: 'Live Test AG', idempotencyKey: key('cus-checkout') });
    const created = await gw.createPayment({
      orgId: `org-live-${run}`,
      customerRef: customer,
      amount: Money.of('120.00', 'CHF'),
      methodKinds: ['card'],
      saveMethod: true,
      idempotencyKey: key('checkout'),
      description: 'Live test top-up',
      metadata: { orgId: `org-live-${run}` },
    });
    expect(created).toMatchObject({ status: 'requires_payment_method', clientSecret: expect.stringContaining('_secret_') });
    await expect(
      gw.createPayment({
        orgId: 'x',
        customerRef: customer,
        amount: Money.of('1.00', 'CHF'),
        methodKinds: ['postfinance'],
        saveMethod: false,
        idempotencyKey: key('pf'),
        description: '',
        metadata: {},
      }),
    ).rejects.toBeInstanceOf(GatewayRequestError);
  });

  it('lists recent events oldest first', async () => {
    const since = Math.floor(Date.now() / 1000) - 3600;
    const listed = await gw.listEvents(since, ['payment_intent.succeeded']);
    const created = listed.map((e) => e.created);
    expect(created).toEqual([...created].sort((a, b) => a - b));
    expect(listed.every((e) => e.type === 'payment_intent.succeeded')).toBe(true);
  });
});
