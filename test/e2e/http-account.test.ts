import { describe, expect, it } from 'vitest';
import { setMember } from '../../shared/use-cases/manage-organisation.ts';
import { addProduct } from '../../shared/use-cases/manage-products.ts';
import type { HttpStack } from '../support/http-client.ts';
import { expectError, useHttpStacks } from '../support/http-stacks.ts';
import { aProduct, anOrg, useDynamoDbLocal } from '../support/local-stack.ts';

/**
 * The customer's account through the local HTTP API, as the provider's
 * Manager shows it: auto-renewal per product and for all, invoices with
 * filters and their PDFs, the balance with its ledger, saved methods, and
 * pending orders. Every answer is also checked against the OpenAPI
 * document by the HTTP client. Expected figures are worked by hand: a
 * `.ch` domain is CHF 13.00 a year, VAT 8.1 % → 1.05, total 14.05.
 */
const db = useDynamoDbLocal();
const stack = useHttpStacks(db.endpoint);

/** acme on 2026-12-10: a card saved, 20.00 on the balance, products 10, 20 and 202 days from expiry. */
async function acme(s: HttpStack) {
  await anOrg(s.rt, { id: 'acme', method: 'pm_card_visa', balance: '20.00' });
  await aProduct(s.rt, 'acme', { id: 'near', expiry: '2026-12-20', autoRenew: false });
  await aProduct(s.rt, 'acme', { id: 'far', expiry: '2026-12-30', autoRenew: false });
  await aProduct(s.rt, 'acme', { id: 'later', expiry: '2027-06-30', autoRenew: false });
  return { owner: await s.tokenFor('owner-acme') };
}

const sorted = (r: { changed: string[]; unchanged: string[]; refused: { productId: string }[] }) => ({
  changed: [...r.changed].sort(),
  unchanged: [...r.unchanged].sort(),
  refused: r.refused.map((x) => x.productId).sort(),
});

describe("the customer's account over HTTP", () => {
  it('switches auto-renewal per product and for all, refusing it under 14 days with the rule', async () => {
    const s = await stack('2026-12-10');
    const { owner } = await acme(s);

    const near = await s.call('PUT', '/v1/orgs/acme/products/near/auto-renew', { token: owner, body: { on: true, paymentMethodId: 'pm-pm_card_visa' } });
    expectError(near, 422, 'auto_renew_too_late');
    expect((near.json.error as { message: string }).message).toContain('less than 14 days away. Renew it manually first.');

    const far = await s.call('PUT', '/v1/orgs/acme/products/far/auto-renew', { token: owner, body: { on: true, paymentMethodId: 'pm-pm_card_visa' } });
    expect(far.status).toBe(200);
    expect(far.json).toEqual({ changed: ['far'], unchanged: [], refused: [] });

    const all = await s.call('PUT', '/v1/orgs/acme/auto-renew', { token: owner, body: { on: true, paymentMethodId: 'pm-pm_card_visa' } });
    expect(all.status).toBe(200);
    expect(sorted(all.json as never)).toEqual({ changed: ['later'], unchanged: ['far'], refused: ['near'] });
    expect((all.json.refused as { code: string }[])[0]!.code).toBe('auto_renew_too_late');

    const stored = await s.rt.store.listProducts('acme');
    expect(Object.fromEntries(stored.map((p) => [p.id, p.autoRenew]))).toEqual({ near: false, far: true, later: true });

    const off = await s.call('PUT', '/v1/orgs/acme/auto-renew', { token: owner, body: { on: false } });
    expect(sorted(off.json as never)).toEqual({ changed: ['far', 'later'], unchanged: ['near'], refused: [] });

    expectError(await s.call('PUT', '/v1/orgs/acme/auto-renew', { token: owner, body: { on: 'yes' } }), 400, 'invalid_input');
    expectError(await s.call('PUT', '/v1/orgs/acme/products/far/auto-renew', { token: owner, body: { on: true, all: true } }), 400, 'invalid_input');
    expectError(await s.call('PUT', '/v1/orgs/acme/products/nothing/auto-renew', { token: owner, body: { on: false } }), 404, 'product_not_found');
  });

  it('lists the documents newest first with what is left to pay, filters them, and serves each PDF', async () => {
    const s = await stack('2026-12-10');
    const { owner } = await acme(s);
    const paid = await s.call('POST', '/v1/orgs/acme/checkout', {
      token: owner,
      headers: { 'idempotency-key': 'acct-balance-0001' },
      body: { items: [{ productId: 'far' }], method: 'balance' },
    });
    expect(paid.json).toMatchObject({ status: 'paid', invoiceNumber: 'INV-CH-2026-000001', total: '14.05' });
    const transfer = await s.call('POST', '/v1/orgs/acme/checkout', {
      token: owner,
      headers: { 'idempotency-key': 'acct-iban-0001' },
      body: { items: [{ productId: 'later' }], method: 'iban', useBalance: false },
    });
    expect(transfer.json).toMatchObject({ status: 'awaiting_payment', proformaNumber: 'PRO-CH-2026-000001', total: '14.05' });

    const list = await s.call('GET', '/v1/orgs/acme/invoices', { token: owner });
    expect(list.status).toBe(200);
    const docs = list.json.invoices as { number: string; status: string; amountDue: string; total: string; products: string[]; pdf: string }[];
    expect(docs.map((d) => [d.number, d.status, d.total, d.amountDue, d.products.join()])).toEqual([
      ['PRO-CH-2026-000001', 'open', '14.05', '14.05', 'later'],
      ['INV-CH-2026-000001', 'paid', '14.05', '0.00', 'far'],
    ]);

    const only = async (query: string) => ((await s.call('GET', `/v1/orgs/acme/invoices?${query}`, { token: owner })).json.invoices as { number: string }[]).map((d) => d.number);
    expect(await only('series=PRO')).toEqual(['PRO-CH-2026-000001']);
    expect(await only('status=paid')).toEqual(['INV-CH-2026-000001']);
    expect(await only('from=2026-12-11')).toEqual([]);
    expect(await only('from=2026-12-10&to=2026-12-10')).toHaveLength(2);
    expectError(await s.call('GET', '/v1/orgs/acme/invoices?from=2026-12-11&to=2026-12-10', { token: owner }), 400, 'invalid_query');
    expectError(await s.call('GET', '/v1/orgs/acme/invoices?from=2026-13-01', { token: owner }), 400, 'invalid_query');

    const pdf = await s.call('GET', docs[1]!.pdf, { token: owner });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.text.startsWith('%PDF-')).toBe(true);
  });

  it('shows the balance with its ledger, newest first, each movement adding up to the next', async () => {
    const s = await stack('2026-12-10');
    const { owner } = await acme(s);
    await s.call('POST', '/v1/orgs/acme/checkout', {
      token: owner,
      headers: { 'idempotency-key': 'acct-balance-0002' },
      body: { items: [{ productId: 'far' }], method: 'balance' },
    });

    const res = await s.call('GET', '/v1/orgs/acme/balance', { token: owner });
    expect(res.status).toBe(200);
    // 20.00 deposited, 14.05 paid from it: 5.95 left.
    expect(res.json).toMatchObject({ currency: 'CHF', balance: '5.95' });
    const ledger = res.json.ledger as { amount: string; balanceAfter: string; reason: string }[];
    expect(ledger.map((e) => [e.amount, e.balanceAfter])).toEqual([
      ['-14.05', '5.95'],
      ['20.00', '20.00'],
    ]);
    expect(ledger.at(-1)!.reason).toBe('top-up');
  });

  it('lists saved methods with what they renew, and forgets one only once nothing renews with it', async () => {
    const s = await stack('2026-12-10');
    const { owner } = await acme(s);
    await s.call('PUT', '/v1/orgs/acme/products/far/auto-renew', { token: owner, body: { on: true, paymentMethodId: 'pm-pm_card_visa' } });

    const list = await s.call('GET', '/v1/orgs/acme/payment-methods', { token: owner });
    expect(list.json).toEqual({ paymentMethods: [{ id: 'pm-pm_card_visa', kind: 'card', label: 'pm_card_visa', createdAt: expect.any(String), renews: ['far'] }] });
    expect(list.text).not.toContain('gatewayRef');

    const inUse = await s.call('DELETE', '/v1/orgs/acme/payment-methods/pm-pm_card_visa', { token: owner });
    expectError(inUse, 409, 'payment_method_in_use');
    expect((inUse.json.error as { message: string }).message).toContain('far.ch');
    expect(await s.rt.store.getPaymentMethod('acme', 'pm-pm_card_visa')).toBeDefined();

    await s.call('PUT', '/v1/orgs/acme/products/far/auto-renew', { token: owner, body: { on: false } });
    const removed = await s.call('DELETE', '/v1/orgs/acme/payment-methods/pm-pm_card_visa', { token: owner });
    expect(removed.status).toBe(200);
    expect(removed.json).toEqual({ removed: 'pm-pm_card_visa' });
    expect((await s.call('GET', '/v1/orgs/acme/payment-methods', { token: owner })).json).toEqual({ paymentMethods: [] });
    expect(await s.rt.store.findPaymentMethodByRef('pm_card_visa')).toBeUndefined();
    expectError(await s.call('DELETE', '/v1/orgs/acme/payment-methods/pm-pm_card_visa', { token: owner }), 404, 'payment_method_not_found');
  });

  it('adds a saved method through a SetupIntent: nothing is saved until the provider reports it confirmed, then it renews products', async () => {
    const s = await stack('2026-12-10');
    const { owner } = await acme(s);
    const setup = (kind: string, key: string, token = owner) =>
      s.call('POST', '/v1/orgs/acme/payment-methods/setup', { token, headers: { 'idempotency-key': key }, body: { kind } });
    const started = await setup('card', 'acct-setup-0001');
    expect(started.status, started.text).toBe(201);
    expect(started.json).toEqual({ provider: 'stripe', setupRef: expect.stringMatching(/^seti_/), clientSecret: expect.stringMatching(/^seti_.+_secret_/), kind: 'card' });
    // A retry with the same key: the same SetupIntent.
    expect((await setup('card', 'acct-setup-0001')).json).toEqual(started.json);
    const methods = async () =>
      ((await s.call('GET', '/v1/orgs/acme/payment-methods', { token: owner })).json.paymentMethods as { id: string; kind: string; label: string }[]).map((m) => m.label).sort();
    expect(await methods()).toEqual(['pm_card_visa']);

    // The customer confirms it in the browser (the sandbox stands in for Stripe.js); Stripe's event saves it.
    const ref = started.json.setupRef as string;
    expectError(await s.confirm(ref, 'pm_paypal'), 400, 'payment_method_invalid');
    expect((await s.confirm(ref, 'pm_card_mastercard')).json).toMatchObject({ status: 'succeeded' });
    expect(await methods()).toEqual(['Mastercard •••• 4444', 'pm_card_visa']);
    const saved = (await s.rt.store.findPaymentMethodByRef('pm_card_mastercard'))!;
    expect(saved).toMatchObject({ orgId: 'acme', kind: 'card', brand: 'mastercard' });
    const on = await s.call('PUT', '/v1/orgs/acme/products/far/auto-renew', { token: owner, body: { on: true, paymentMethodId: saved.id } });
    expect(on.json).toEqual({ changed: ['far'], unchanged: [], refused: [] });

    expectError(await setup('postfinance', 'acct-setup-0002'), 400, 'invalid_input');
    expectError(await s.call('POST', '/v1/orgs/acme/payment-methods/setup', { token: owner, body: { kind: 'card' } }), 400, 'invalid_header');
    expectError(await setup('card', 'acct-setup-0003', await s.tokenFor('mallory')), 403, 'forbidden');
  });

  it('lists the pending orders: a transfer awaited and a new product not paid yet', async () => {
    const s = await stack('2026-12-10');
    const { owner } = await acme(s);
    await addProduct(s.rt.deps, 'acme', { id: 'new-ch', typeId: 'domain-ch', name: 'new.ch', expiry: '2027-12-10', status: 'pending' });
    await s.call('POST', '/v1/orgs/acme/checkout', {
      token: owner,
      headers: { 'idempotency-key': 'acct-iban-0002' },
      body: { items: [{ productId: 'later' }], method: 'iban', useBalance: false },
    });
    await s.call('POST', '/v1/orgs/acme/checkout', {
      token: owner,
      headers: { 'idempotency-key': 'acct-balance-0003' },
      body: { items: [{ productId: 'far' }], method: 'balance' },
    });

    const res = await s.call('GET', '/v1/orgs/acme/orders', { token: owner });
    expect(res.status).toBe(200);
    const checkouts = res.json.checkouts as { status: string; proformaNumber?: string; items: { productId: string }[] }[];
    expect(checkouts.map((c) => [c.status, c.proformaNumber, c.items.map((i) => i.productId).join()])).toEqual([['awaiting_payment', 'PRO-CH-2026-000001', 'later']]);
    expect(res.json.products).toEqual([{ id: 'new-ch', name: 'new.ch', typeId: 'domain-ch' }]);
  });

  it('lets a collaborator see only what their products allow, and a stranger nothing', async () => {
    const s = await stack('2026-12-10');
    const { owner } = await acme(s);
    await s.call('POST', '/v1/orgs/acme/checkout', {
      token: owner,
      headers: { 'idempotency-key': 'acct-balance-0004' },
      body: { items: [{ productId: 'far' }], method: 'balance' },
    });
    await s.call('POST', '/v1/orgs/acme/checkout', {
      token: owner,
      headers: { 'idempotency-key': 'acct-balance-0005' },
      body: { items: [{ productId: 'near' }], method: 'balance' },
    });
    await setMember(s.rt.deps, { kind: 'system' }, 'acme', { userId: 'colla', email: 'c@acme.ch', name: 'C', role: 'collaborator', billingRights: true, productIds: ['far'] });
    await setMember(s.rt.deps, { kind: 'system' }, 'acme', { userId: 'viewer', email: 'v@acme.ch', name: 'V', role: 'collaborator', billingRights: false, productIds: ['far'] });
    const colla = await s.tokenFor('colla');
    const viewer = await s.tokenFor('viewer');
    const stranger = await s.tokenFor('owner-globex');

    const seen = await s.call('GET', '/v1/orgs/acme/invoices', { token: colla });
    expect((seen.json.invoices as { products: string[] }[]).map((d) => d.products.join())).toEqual(['far']);
    expectError(await s.call('GET', '/v1/orgs/acme/balance', { token: colla }), 403, 'forbidden');
    expectError(await s.call('GET', '/v1/orgs/acme/payment-methods', { token: colla }), 403, 'forbidden');
    expectError(await s.call('PUT', '/v1/orgs/acme/products/near/auto-renew', { token: colla, body: { on: false } }), 403, 'forbidden');
    for (const token of [viewer, stranger]) {
      for (const [method, path] of [
        ['GET', '/v1/orgs/acme/invoices'],
        ['GET', '/v1/orgs/acme/balance'],
        ['GET', '/v1/orgs/acme/payment-methods'],
        ['GET', '/v1/orgs/acme/orders'],
        ['PUT', '/v1/orgs/acme/auto-renew'],
        ['DELETE', '/v1/orgs/acme/payment-methods/pm-pm_card_visa'],
      ] as const) {
        const res = await s.call(method, path, { token, ...(method === 'PUT' ? { body: { on: false } } : {}) });
        expectError(res, 403, 'forbidden');
        expect(res.text).not.toMatch(/14\.05|5\.95|pm_card/);
      }
    }
    expect((await s.rt.store.listProducts('acme')).every((p) => p.autoRenew === false)).toBe(true);
  });
});
