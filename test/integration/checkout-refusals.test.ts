import { afterEach, describe, expect, it } from 'vitest';
import { GatewayRequestError, type PaymentRequest } from '../../shared/ports/payment-gateway.ts';
import { startHttpStack, type HttpStack } from '../support/http-client.ts';
import { aProduct, anOrg, useDynamoDbLocal } from '../support/local-stack.ts';
import { RATE_COUNTERS, tableDigest } from '../support/table-digest.ts';

// A payment that cannot be made is refused with a clear 4xx and holds nothing:
// no balance hold, no product taken, no checkout left waiting.
const db = useDynamoDbLocal();

describe('checkouts the provider cannot take', () => {
  let stack: HttpStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  async function setUp() {
    stack = await startHttpStack(db.endpoint(), '2026-12-10');
    const { org } = await anOrg(stack.rt, { balance: '5' });
    await aProduct(stack.rt, org.id, { id: 'pf', expiry: '2026-12-31', autoRenew: false });
    return { orgId: org.id, token: await stack.tokenFor(`owner-${org.id}`) };
  }

  it('refuses PostFinance in CHF with 422 before writing anything, for a selection and for a top-up', async () => {
    const { orgId, token } = await setUp();
    const before = await tableDigest(stack!.rt, { ignore: RATE_COUNTERS });
    const pay = await stack!.call('POST', `/v1/orgs/${orgId}/checkout`, {
      token,
      headers: { 'idempotency-key': 'postfinance-0001' },
      body: { items: [{ productId: 'pf' }], method: 'postfinance', useBalance: true },
    });
    expect(pay.status).toBe(422);
    expect(pay.json.error).toMatchObject({ code: 'method_unavailable', message: expect.stringContaining('PostFinance cards are not offered') });
    const topUp = await stack!.call('POST', `/v1/orgs/${orgId}/balance/top-ups`, {
      token,
      headers: { 'idempotency-key': 'postfinance-0002' },
      body: { amount: '50', method: 'postfinance' },
    });
    expect(topUp.status).toBe(422);
    expect(topUp.json.error).toMatchObject({ code: 'method_unavailable' });
    expect(await tableDigest(stack!.rt, { ignore: RATE_COUNTERS })).toEqual(before);

    // Nothing is held: the same product can be paid by card at once, with the whole 5.00 balance.
    const card = await stack!.call('POST', `/v1/orgs/${orgId}/checkout`, {
      token,
      headers: { 'idempotency-key': 'postfinance-0003' },
      body: { items: [{ productId: 'pf' }], method: 'card', useBalance: true },
    });
    expect(card.status).toBe(201);
    expect([card.json.balanceUsed, card.json.amountDue]).toEqual(['5.00', '9.05']);
  });

  it('cancels a checkout the provider refuses to create: the balance hold comes back and the product is free', async () => {
    const { orgId, token } = await setUp();
    const sandbox = stack!.sandbox;
    const real = sandbox.createPayment.bind(sandbox);
    let refuse = true;
    sandbox.createPayment = async (req: PaymentRequest) => {
      if (refuse) throw new GatewayRequestError('This PaymentIntent configuration is not supported', 'parameter_invalid');
      return real(req);
    };
    const refused = await stack!.call('POST', `/v1/orgs/${orgId}/checkout`, {
      token,
      headers: { 'idempotency-key': 'refused-00001' },
      body: { items: [{ productId: 'pf' }], method: 'card', useBalance: true },
    });
    expect(refused.status).toBe(422);
    expect(refused.json.error).toMatchObject({ code: 'parameter_invalid', message: expect.stringContaining('refused this payment') });
    expect((await stack!.rt.store.getOrganisation(orgId))!.balance).toBe('5.00');

    refuse = false;
    const again = await stack!.call('POST', `/v1/orgs/${orgId}/checkout`, {
      token,
      headers: { 'idempotency-key': 'refused-00002' },
      body: { items: [{ productId: 'pf' }], method: 'card', useBalance: true },
    });
    expect(again.status).toBe(201);
  });

  it('tells a card deposit under the provider minimum to use a bank transfer, which takes 0.10', async () => {
    const { orgId, token } = await setUp();
    const small = await stack!.call('POST', `/v1/orgs/${orgId}/balance/top-ups`, {
      token,
      headers: { 'idempotency-key': 'small-card-001' },
      body: { amount: '0.20', method: 'card' },
    });
    expect(small.status).toBe(422);
    expect(small.json.error).toMatchObject({
      code: 'amount_too_small',
      message: expect.stringMatching(/at least 0\.50 CHF.*bank transfer \(method iban\) takes any deposit from 0\.10/),
    });
    const iban = await stack!.call('POST', `/v1/orgs/${orgId}/balance/top-ups`, {
      token,
      headers: { 'idempotency-key': 'small-iban-001' },
      body: { amount: '0.10', method: 'iban' },
    });
    expect(iban.status).toBe(201);
    expect(iban.json).toMatchObject({ amountDue: '0.10', proformaNumber: expect.stringMatching(/^PRO-CH-2026-/) });
  });
});
