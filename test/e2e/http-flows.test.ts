import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { runNight, type LocalRuntime } from '../../functions/local-runtime.ts';
import { SANDBOX_WEBHOOK_SECRET, signWebhookPayload } from '../../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import type { HttpAnswer, HttpStack } from '../support/http-client.ts';
import { expectError, useHttpStacks } from '../support/http-stacks.ts';
import { aProduct, anOrg, useDynamoDbLocal } from '../support/local-stack.ts';
import { setMember } from '../../shared/use-cases/manage-organisation.ts';

/**
 * The customer's front end and Stripe, through the local HTTP server only:
 * bearer tokens, the checkout and top-up routes, the sandbox confirm route
 * standing in for Stripe.js, and signed webhooks. Set-up (organisations,
 * products) uses the use cases; what HTTP does not show is read from the store.
 */
const db = useDynamoDbLocal();

interface CheckoutBody {
  checkoutId: string;
  status: string;
  total: string;
  totalVat: string;
  balanceUsed: string;
  amountDue: string;
  method: string;
  payment?: { provider: string; paymentRef: string; clientSecret: string };
  proformaNumber?: string;
  invoiceNumber?: string;
  lastFailure?: { code: string; message: string };
}

interface ProductBody {
  id: string;
  expiry: string;
  autoRenew: boolean;
}

const stack = useHttpStacks(db.endpoint);

const asCheckout = (a: HttpAnswer) => a.json as unknown as CheckoutBody;

async function ledgerSum(rt: LocalRuntime, orgId: string): Promise<string> {
  return (await rt.store.listLedger(orgId)).reduce((s, e) => s.plus(e.amount), new Decimal(0)).toFixed(2);
}

async function balanceOf(rt: LocalRuntime, orgId: string): Promise<string> {
  return (await rt.store.getOrganisation(orgId))!.balance;
}

/** PaymentIntents the sandbox holds (created on-session or off-session). */
function intentCount(s: HttpStack): number {
  return (s.sandbox as unknown as { intents: Map<string, unknown> }).intents.size;
}

async function productsOf(s: HttpStack, orgId: string, token: string): Promise<Map<string, ProductBody>> {
  const res = await s.call('GET', `/v1/orgs/${orgId}/products?due=all`, { token });
  expect(res.status).toBe(200);
  return new Map((res.json.products as ProductBody[]).map((p) => [p.id, p]));
}

function postCheckout(s: HttpStack, orgId: string, token: string, key: string, body: Record<string, unknown>) {
  return s.call('POST', `/v1/orgs/${orgId}/checkout`, { token, headers: { 'idempotency-key': key }, body });
}

function postTopUp(s: HttpStack, orgId: string, token: string, key: string, body: Record<string, unknown>) {
  return s.call('POST', `/v1/orgs/${orgId}/balance/top-ups`, { token, headers: { 'idempotency-key': key }, body });
}

async function getCheckout(s: HttpStack, orgId: string, token: string, checkoutId: string): Promise<CheckoutBody> {
  const res = await s.call('GET', `/v1/orgs/${orgId}/checkouts/${checkoutId}`, { token });
  expect(res.status).toBe(200);
  return asCheckout(res);
}

describe('customer flows through the local HTTP API', () => {
  it('pays a selection with the balance and a card: one invoice, both products extended, the balance used up', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme', balance: '5.00' });
    await aProduct(s.rt, 'acme', { id: 'a-ch', expiry: '2026-12-31', autoRenew: false });
    await aProduct(s.rt, 'acme', { id: 'b-ch', expiry: '2027-01-15', autoRenew: false });
    const token = await s.tokenFor('owner-acme');

    const started = await postCheckout(s, 'acme', token, 'flow-balance-card-0001', {
      items: [{ productId: 'a-ch' }, { productId: 'b-ch' }],
      method: 'card',
      useBalance: true,
    });
    expect(started.status).toBe(201);
    // 2 × 13.00 net, VAT 8.1 % per line: 2 × 1.05.
    expect(started.json).toMatchObject({ status: 'awaiting_payment', total: '28.10', totalVat: '2.10', balanceUsed: '5.00', amountDue: '23.10' });
    const view = asCheckout(started);
    expect(view.payment).toMatchObject({ provider: 'stripe', clientSecret: expect.stringMatching(/_secret_/) });
    expect(await balanceOf(s.rt, 'acme')).toBe('0.00');

    const confirmed = await s.confirm(view.payment!.paymentRef, 'pm_card_visa');
    expect(confirmed.status).toBe(200);
    expect(confirmed.json).toEqual({ paymentRef: view.payment!.paymentRef, status: 'succeeded' });

    const paid = await getCheckout(s, 'acme', token, view.checkoutId);
    expect(paid).toMatchObject({ status: 'paid', invoiceNumber: 'INV-CH-2026-000001', amountDue: '23.10', balanceUsed: '5.00' });
    expect(paid.payment).toBeUndefined();

    const products = await productsOf(s, 'acme', token);
    expect(products.get('a-ch')).toMatchObject({ expiry: '2027-12-31', autoRenew: true });
    expect(products.get('b-ch')).toMatchObject({ expiry: '2028-01-15', autoRenew: true });

    const invoices = await s.rt.store.listInvoices('acme');
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({ number: 'INV-CH-2026-000001', total: '28.10' });
    expect(invoices[0]!.payments).toEqual([
      { method: 'balance', amount: '5.00' },
      { method: 'card', amount: '23.10', ref: view.payment!.paymentRef },
    ]);
    const payments = await s.rt.store.listPayments('acme');
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ amount: '23.10', invoiceNumber: 'INV-CH-2026-000001', checkoutId: view.checkoutId });
    expect(await balanceOf(s.rt, 'acme')).toBe('0.00');
    expect(await ledgerSum(s.rt, 'acme')).toBe('0.00');
    expect((await s.rt.store.listOutbox('2026-12-10')).map((m) => m.template)).toEqual(['checkout-paid']);
  });

  it('keeps the checkout open after a declined card and settles it once with the next card', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'decl' });
    await aProduct(s.rt, 'decl', { id: 'decl-ch', expiry: '2026-12-31', autoRenew: false });
    const token = await s.tokenFor('owner-decl');

    const started = await postCheckout(s, 'decl', token, 'flow-decline-0001', { items: [{ productId: 'decl-ch' }], method: 'card' });
    expect(started.status).toBe(201);
    const view = asCheckout(started);

    const declined = await s.confirm(view.payment!.paymentRef, 'pm_card_chargeDeclined');
    expect(declined.status).toBe(200);
    expect(declined.json).toMatchObject({ status: 'requires_payment_method' });
    const open = await getCheckout(s, 'decl', token, view.checkoutId);
    expect(open).toMatchObject({ status: 'awaiting_payment', lastFailure: { code: 'card_declined' } });
    // The front end can still confirm the same PaymentIntent.
    expect(open.payment?.paymentRef).toBe(view.payment!.paymentRef);
    expect(await s.rt.store.listInvoices('decl')).toHaveLength(0);

    expect((await s.confirm(view.payment!.paymentRef, 'pm_card_visa')).json).toMatchObject({ status: 'succeeded' });
    expect(await getCheckout(s, 'decl', token, view.checkoutId)).toMatchObject({ status: 'paid', invoiceNumber: 'INV-CH-2026-000001' });
    expect(await s.rt.store.listInvoices('decl')).toHaveLength(1);
    expect(await s.rt.store.listPayments('decl')).toHaveLength(1);
    expect((await productsOf(s, 'decl', token)).get('decl-ch')).toMatchObject({ expiry: '2027-12-31' });
  });

  it('lets the customer pay on-session after the night asked for authentication', async () => {
    const s = await stack('2026-12-01');
    const { method } = await anOrg(s.rt, { id: 'sca', method: 'pm_card_authenticationRequired' });
    await aProduct(s.rt, 'sca', { id: 'sca-ch', expiry: '2026-12-31', paymentMethodId: method!.id });

    // The first automatic attempt is 14 days before expiry.
    s.clock.day = '2026-12-17';
    const night = await runNight(s.rt, '2026-12-17');
    expect(night.deadLetters).toEqual([]);
    expect((await s.rt.store.listOutbox('2026-12-17')).map((m) => m.template)).toContain('authentication-required');
    expect(await s.rt.store.listInvoices('sca')).toHaveLength(0);

    s.clock.day = '2026-12-18';
    const token = await s.tokenFor('owner-sca');
    expect((await productsOf(s, 'sca', token)).get('sca-ch')).toMatchObject({ expiry: '2026-12-31' });
    const started = await postCheckout(s, 'sca', token, 'flow-sca-0001', { items: [{ productId: 'sca-ch' }], method: 'card' });
    expect(started.status).toBe(201);
    const view = asCheckout(started);
    expect(view).toMatchObject({ status: 'awaiting_payment', amountDue: '14.05' });

    // On-session, the customer passes 3-D Secure with the same card.
    expect((await s.confirm(view.payment!.paymentRef, 'pm_card_authenticationRequired')).json).toMatchObject({ status: 'succeeded' });
    expect(await getCheckout(s, 'sca', token, view.checkoutId)).toMatchObject({ status: 'paid', invoiceNumber: 'INV-CH-2026-000001' });
    expect((await productsOf(s, 'sca', token)).get('sca-ch')).toMatchObject({ expiry: '2027-12-31' });
    expect(await s.rt.store.listInvoices('sca')).toHaveLength(1);
    expect(await s.rt.store.listPayments('sca')).toHaveLength(1);
  });

  it('acknowledges duplicate and reordered webhooks and settles once', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'dup' });
    await aProduct(s.rt, 'dup', { id: 'dup-ch', expiry: '2026-12-31', autoRenew: false });
    const token = await s.tokenFor('owner-dup');
    const captured: { raw: string; signature: string }[] = [];
    s.sandbox.onWebhook(async (raw, signature) => void captured.push({ raw, signature }));

    const view = asCheckout(await postCheckout(s, 'dup', token, 'flow-dup-0001', { items: [{ productId: 'dup-ch' }], method: 'card' }));
    await s.confirm(view.payment!.paymentRef, 'pm_card_chargeDeclined');
    await s.confirm(view.payment!.paymentRef, 'pm_card_visa');
    expect(await getCheckout(s, 'dup', token, view.checkoutId)).toMatchObject({ status: 'paid' });

    const typeOf = (c: { raw: string }) => (JSON.parse(c.raw) as { type: string }).type;
    const idOf = (c: { raw: string }) => (JSON.parse(c.raw) as { id: string }).id;
    const failure = captured.find((c) => typeOf(c) === 'payment_intent.payment_failed')!;
    const success = captured.find((c) => typeOf(c) === 'payment_intent.succeeded')!;
    expect(failure).toBeDefined();
    expect(success).toBeDefined();

    // Stripe retries: the success twice, then the older failure after it.
    for (const c of [success, success, failure]) {
      const res = await s.postWebhook(c.raw, c.signature);
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ received: true });
    }
    // A failure event never seen before, arriving after the success: the provider's state decides.
    const late = JSON.stringify({ ...(JSON.parse(failure.raw) as Record<string, unknown>), id: 'evt_late_failure_1' });
    const lateRes = await s.postWebhook(late, signWebhookPayload(late, SANDBOX_WEBHOOK_SECRET, s.nowSeconds()));
    expect(lateRes.status).toBe(200);
    expect(await s.rt.store.getGatewayEvent('evt_late_failure_1')).toMatchObject({ status: 'processed' });

    expect(await getCheckout(s, 'dup', token, view.checkoutId)).toMatchObject({ status: 'paid', invoiceNumber: 'INV-CH-2026-000001' });
    expect(await s.rt.store.listInvoices('dup')).toHaveLength(1);
    expect(await s.rt.store.listPayments('dup')).toHaveLength(1);
    expect(await s.rt.store.getGatewayEvent(idOf(success))).toMatchObject({ status: 'processed' });
    expect((await productsOf(s, 'dup', token)).get('dup-ch')).toMatchObject({ expiry: '2027-12-31' });
    expect(s.rt.settlementQueue.depth).toBe(0);
    expect(s.rt.settlementQueue.deadLetters).toEqual([]);
  });

  it("accepts a validly signed event of 450 and 600 KB (over an item's 400 KB) and settles from it", async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'big' });
    await aProduct(s.rt, 'big', { id: 'big-ch', expiry: '2026-12-31', autoRenew: false });
    const token = await s.tokenFor('owner-big');
    const captured: string[] = [];
    s.sandbox.onWebhook(async (raw) => void captured.push(raw));
    const view = asCheckout(await postCheckout(s, 'big', token, 'flow-big-0001', { items: [{ productId: 'big-ch' }], method: 'card' }));
    await s.confirm(view.payment!.paymentRef, 'pm_card_visa');
    const success = JSON.parse(captured.find((raw) => raw.includes('"payment_intent.succeeded"'))!) as { id: string; data: { object: Record<string, unknown> } };
    for (const [id, kb] of [
      ['evt_big_450', 450],
      ['evt_big_600', 600],
    ] as const) {
      // An expanded object as Stripe may send it: the payment with a long list of line items.
      const lines = Array.from({ length: kb * 4 }, (_, i) => ({ id: `li_${i}`, description: 'x'.repeat(220) }));
      const raw = JSON.stringify({ ...success, id, data: { object: { ...success.data.object, line_items: { data: lines } } } });
      expect(Buffer.byteLength(raw)).toBeGreaterThan(kb * 1000);
      const res = await s.postWebhook(raw, signWebhookPayload(raw, SANDBOX_WEBHOOK_SECRET, s.nowSeconds()));
      expect(res.status, `${kb} KB`).toBe(200);
      const stored = (await s.rt.store.getGatewayEvent(id))!;
      expect(stored).toMatchObject({ status: 'processed', objectId: view.payment!.paymentRef });
      expect(stored.payload.length).toBeLessThan(2_000);
    }
    expect(await getCheckout(s, 'big', token, view.checkoutId)).toMatchObject({ status: 'paid' });
    expect(await s.rt.store.listInvoices('big')).toHaveLength(1);
  });

  it('lets a collaborator read only the documents whose every product is theirs, and export nothing of the whole organisation', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'docs', balance: '100' });
    await aProduct(s.rt, 'docs', { id: 'docs-a', expiry: '2026-12-31', autoRenew: false });
    await aProduct(s.rt, 'docs', { id: 'docs-b', expiry: '2026-12-31', autoRenew: false });
    await setMember(s.rt.deps, { kind: 'user', userId: 'owner-docs' }, 'docs', {
      userId: 'collab-a',
      email: 'a@docs.ch',
      name: 'A',
      role: 'collaborator',
      billingRights: true,
      productIds: ['docs-a'],
    });
    const owner = await s.tokenFor('owner-docs');
    const collab = await s.tokenFor('collab-a');
    // One invoice for both products, one for docs-a alone (paid from the balance, so issued at once).
    expect((await postCheckout(s, 'docs', owner, 'docs-both-001', { items: [{ productId: 'docs-a' }, { productId: 'docs-b' }], method: 'balance' })).status).toBe(201);
    expect((await postCheckout(s, 'docs', collab, 'docs-mine-001', { items: [{ productId: 'docs-a' }], method: 'balance' })).status).toBe(201);
    // A PDF answer is not JSON: read the status and the body's first bytes.
    const pdf = async (n: string, token: string) => {
      const res = await fetch(`${s.server.url}/v1/orgs/docs/invoices/${n}.pdf`, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, head: (await res.text()).slice(0, 60) };
    };
    expect(await pdf('INV-CH-2026-000001', owner)).toMatchObject({ status: 200, head: expect.stringMatching(/^%PDF-/) });
    expect(await pdf('INV-CH-2026-000001', collab)).toEqual({ status: 403, head: expect.stringContaining('"code":"forbidden"') });
    expect(await pdf('INV-CH-2026-000002', collab)).toMatchObject({ status: 200, head: expect.stringMatching(/^%PDF-/) });
    const exported = await s.call('POST', '/v1/exports', {
      token: collab,
      headers: { 'idempotency-key': 'docs-export-01' },
      body: { from: '2026-12-01', to: '2026-12-31', orgId: 'docs' },
    });
    expectError(exported, 403, 'forbidden');
  });

  it('refuses forged, tampered, stale and unsigned webhooks with 400 and stores nothing', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'forge' });
    await aProduct(s.rt, 'forge', { id: 'forge-ch', expiry: '2026-12-31', autoRenew: false });
    const token = await s.tokenFor('owner-forge');
    const view = asCheckout(await postCheckout(s, 'forge', token, 'flow-forge-0001', { items: [{ productId: 'forge-ch' }], method: 'card' }));
    const paymentRef = view.payment!.paymentRef;

    const now = s.nowSeconds();
    const event = (id: string, amount: number) =>
      JSON.stringify({
        id,
        object: 'event',
        type: 'payment_intent.succeeded',
        created: now,
        livemode: false,
        data: { object: { id: paymentRef, object: 'payment_intent', amount, amount_received: amount, currency: 'chf', status: 'succeeded', metadata: {} } },
      });
    const forged = event('evt_forged_http_1', 1405);
    const original = event('evt_tampered_http_1', 1405);
    const stale = event('evt_stale_http_1', 1405);
    const unsigned = event('evt_unsigned_http_1', 1405);
    const attempts: [string, string, string | null][] = [
      ['evt_forged_http_1', forged, signWebhookPayload(forged, 'whsec_not_the_secret', now)],
      ['evt_tampered_http_1', original.replace('"amount":1405', '"amount":1'), signWebhookPayload(original, SANDBOX_WEBHOOK_SECRET, now)],
      ['evt_stale_http_1', stale, signWebhookPayload(stale, SANDBOX_WEBHOOK_SECRET, now - 301)],
      ['evt_unsigned_http_1', unsigned, null],
    ];
    for (const [id, body, signature] of attempts) {
      const res = await s.postWebhook(body, signature);
      expectError(res, 400, 'invalid_signature');
      expect(await s.rt.store.getGatewayEvent(id)).toBeUndefined();
    }
    expect(s.rt.settlementQueue.depth).toBe(0);
    expect(await getCheckout(s, 'forge', token, view.checkoutId)).toMatchObject({ status: 'awaiting_payment' });
    expect(await s.rt.store.listInvoices('forge')).toHaveLength(0);

    // The same event, correctly signed within the tolerance, is accepted (and settles nothing: the provider says unpaid).
    const fresh = await s.postWebhook(stale, signWebhookPayload(stale, SANDBOX_WEBHOOK_SECRET, now - 299));
    expect(fresh.status).toBe(200);
    expect(await s.rt.store.getGatewayEvent('evt_stale_http_1')).toMatchObject({ id: 'evt_stale_http_1' });
    expect(await getCheckout(s, 'forge', token, view.checkoutId)).toMatchObject({ status: 'awaiting_payment' });
  });

  it("answers 403 to another organisation's user on every route, with none of the organisation's data", async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme', balance: '2.00' });
    await anOrg(s.rt, { id: 'globex' });
    await aProduct(s.rt, 'acme', { id: 'acme-secret', expiry: '2026-12-31', autoRenew: false });
    const acme = await s.tokenFor('owner-acme');
    const globex = await s.tokenFor('owner-globex');
    const key = 'flow-foreign-0001';
    const body = { items: [{ productId: 'acme-secret' }], method: 'card' };
    const view = asCheckout(await postCheckout(s, 'acme', acme, key, body));
    expect(view.status).toBe('awaiting_payment');

    const answers = [
      await s.call('GET', '/v1/orgs/acme/products?due=all', { token: globex }),
      // The owner's very key and body: a replay must not hand out the owner's checkout.
      await postCheckout(s, 'acme', globex, key, body),
      await postCheckout(s, 'acme', globex, 'flow-foreign-0002', body),
      await s.call('GET', `/v1/orgs/acme/checkouts/${view.checkoutId}`, { token: globex }),
      await postTopUp(s, 'acme', globex, 'flow-foreign-0003', { amount: '50', method: 'card' }),
    ];
    for (const res of answers) {
      expectError(res, 403, 'forbidden');
      for (const secret of ['acme-secret', 'acme-secret.ch', view.checkoutId, view.payment!.paymentRef, view.payment!.clientSecret, view.amountDue, view.total]) {
        expect(res.text).not.toContain(secret);
      }
    }
    expect(await s.rt.store.listCheckouts('acme')).toHaveLength(1);
    expect(await s.rt.store.listCheckouts('globex')).toHaveLength(0);
    expect(intentCount(s)).toBe(1);
    expect(await balanceOf(s.rt, 'acme')).toBe('0.00');
  });

  it('tops up the balance within 0.10 to 9999: by card when paid, by bank transfer against a pro-forma', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'topup' });
    const token = await s.tokenFor('owner-topup');

    expectError(await postTopUp(s, 'topup', token, 'flow-topup-0001', { amount: '0.09', method: 'card' }), 400, 'top_up_out_of_range');
    expectError(await postTopUp(s, 'topup', token, 'flow-topup-0002', { amount: '9999.01', method: 'card' }), 400, 'top_up_out_of_range');
    // 0.10 passes the deposit range but is below the provider's 0.50 minimum charge: the engine refuses
    // a card top-up under 0.50 (start-checkout.ts assertChargeable), so 0.10 is reachable by bank transfer only.
    expectError(await postTopUp(s, 'topup', token, 'flow-topup-0003', { amount: '0.10', method: 'card' }), 422, 'amount_too_small');
    expect(await s.rt.store.listCheckouts('topup')).toHaveLength(0);
    expect(intentCount(s)).toBe(0);

    const card = await postTopUp(s, 'topup', token, 'flow-topup-0004', { amount: '0.50', method: 'card' });
    expect(card.status).toBe(201);
    const cardView = asCheckout(card);
    expect(cardView).toMatchObject({ status: 'awaiting_payment', purpose: 'top-up', amountDue: '0.50' });
    expect(await balanceOf(s.rt, 'topup')).toBe('0.00');
    expect((await s.confirm(cardView.payment!.paymentRef, 'pm_card_visa')).json).toMatchObject({ status: 'succeeded' });
    expect(await getCheckout(s, 'topup', token, cardView.checkoutId)).toMatchObject({ status: 'paid' });
    expect(await balanceOf(s.rt, 'topup')).toBe('0.50');
    expect(await ledgerSum(s.rt, 'topup')).toBe('0.50');
    expect(await s.rt.store.listPayments('topup')).toHaveLength(1);

    const largest = await postTopUp(s, 'topup', token, 'flow-topup-0005', { amount: '9999', method: 'iban' });
    expect(largest.status).toBe(201);
    expect(largest.json).toMatchObject({ status: 'awaiting_payment', purpose: 'top-up', method: 'iban', amountDue: '9999.00', proformaNumber: 'PRO-CH-2026-000001' });
    expect(asCheckout(largest).payment).toBeUndefined();
    // A bank transfer is credited when the money arrives, not when the pro-forma is issued.
    expect(await balanceOf(s.rt, 'topup')).toBe('0.50');
    expect(await ledgerSum(s.rt, 'topup')).toBe('0.50');
    expect((await s.rt.store.listInvoices('topup')).map((i) => [i.number, i.total])).toEqual([['PRO-CH-2026-000001', '9999.00']]);
  });

  // A bank transfer has no provider minimum: the documented 0.10 minimum deposit holds.
  it('accepts the smallest deposit, 0.10, by bank transfer against a pro-forma', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'tiny' });
    const res = await postTopUp(s, 'tiny', await s.tokenFor('owner-tiny'), 'flow-topup-tiny-0001', { amount: '0.10', method: 'iban' });
    expect(res.json).toMatchObject({ status: 'awaiting_payment', method: 'iban', amountDue: '0.10', proformaNumber: 'PRO-CH-2026-000001' });
    expect(res.status).toBe(201);
  });

  it('refuses PostFinance and Twint for an organisation paying in EUR with 422', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'euro', currency: 'EUR', balance: '3.00' });
    await aProduct(s.rt, 'euro', { id: 'euro-ch', expiry: '2026-12-31', autoRenew: false });
    const token = await s.tokenFor('owner-euro');

    expectError(await postCheckout(s, 'euro', token, 'flow-eur-0001', { items: [{ productId: 'euro-ch' }], method: 'postfinance' }), 422, 'method_currency_not_supported');
    const twint = await postCheckout(s, 'euro', token, 'flow-eur-0002', { items: [{ productId: 'euro-ch' }], method: 'twint' });
    expectError(twint, 422, 'method_currency_not_supported');
    expect((twint.json.error as { message: string }).message).toMatch(/Twint accepts only invoices in CHF/);
    expect(await s.rt.store.listCheckouts('euro')).toHaveLength(0);
    expect(await balanceOf(s.rt, 'euro')).toBe('3.00');
    expect(intentCount(s)).toBe(0);
  });

  it('answers a repeated Idempotency-Key with the same checkout and one PaymentIntent, and 409 for another body', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'idem', balance: '1.00' });
    await aProduct(s.rt, 'idem', { id: 'idem-ch', expiry: '2026-12-31', autoRenew: false });
    await aProduct(s.rt, 'idem', { id: 'other-ch', expiry: '2026-12-31', autoRenew: false });
    const token = await s.tokenFor('owner-idem');
    const key = 'flow-idem-0001';
    const body = { items: [{ productId: 'idem-ch' }], method: 'card' };

    // A client that did not get the first answer sends the very same request again.
    const a = await postCheckout(s, 'idem', token, key, body);
    const b = await postCheckout(s, 'idem', token, key, body);
    for (const res of [a, b]) expect(res.status).toBe(201);
    const [va, vb] = [a, b].map(asCheckout);
    expect(vb!.checkoutId).toBe(va!.checkoutId);
    expect(vb!.payment?.paymentRef).toBe(va!.payment?.paymentRef);
    expect(vb!.payment?.clientSecret).toBe(va!.payment?.clientSecret);
    expect(va).toMatchObject({ balanceUsed: '1.00', amountDue: '13.05' });
    expect(intentCount(s)).toBe(1);
    expect(await s.rt.store.listCheckouts('idem')).toHaveLength(1);
    // The balance was held once.
    expect(await balanceOf(s.rt, 'idem')).toBe('0.00');
    expect(await ledgerSum(s.rt, 'idem')).toBe('0.00');

    expectError(await postCheckout(s, 'idem', token, key, { items: [{ productId: 'other-ch' }], method: 'card' }), 409, 'idempotency_key_reused');
    expectError(await postCheckout(s, 'idem', token, key, { ...body, useBalance: false }), 409, 'idempotency_key_reused');
    expect(await s.rt.store.listCheckouts('idem')).toHaveLength(1);
    expect(intentCount(s)).toBe(1);
  });

  // Two requests with one key racing: the second's lookup misses, the first then commits, and the
  // second must still answer with the first's checkout, not "product in another open checkout".
  it("answers a request racing its twin (same Idempotency-Key) with the twin's checkout", async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'race' });
    await aProduct(s.rt, 'race', { id: 'race-ch', expiry: '2026-12-31', autoRenew: false });
    const token = await s.tokenFor('owner-race');
    const body = { items: [{ productId: 'race-ch' }], method: 'card' };
    const first = asCheckout(await postCheckout(s, 'race', token, 'flow-race-0001', body));

    const store = s.rt.store;
    const realGetCheckout = store.getCheckout.bind(store);
    let missed = false;
    store.getCheckout = async (orgId, checkoutId) => {
      if (!missed && checkoutId === first.checkoutId) {
        missed = true;
        return undefined;
      }
      return realGetCheckout(orgId, checkoutId);
    };
    const twin = await postCheckout(s, 'race', token, 'flow-race-0001', body);
    expect(missed).toBe(true);
    expect(twin.json).toMatchObject({ checkoutId: first.checkoutId });
    expect(twin.status).toBe(201);
  });
});
