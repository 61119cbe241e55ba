import { describe, expect, it } from 'vitest';
import { setMember, setIdentityCheck } from '../../shared/use-cases/manage-organisation.ts';
import { linkToPartner, setPartnerProfile } from '../../shared/use-cases/manage-partners.ts';
import { SYSTEM } from '../../shared/use-cases/actor.ts';
import { renewProduct } from '../../shared/use-cases/renew-product.ts';
import { camt, ntry, tx } from '../support/camt-builder.ts';
import { expectError, useHttpStacks } from '../support/http-stacks.ts';
import { aProduct, anOrg, useDynamoDbLocal } from '../support/local-stack.ts';

/**
 * The routes the portal and the finance console are built on, through the
 * local HTTP API (each answer checked against the OpenAPI document by the
 * client). Figures by hand: a `.ch` domain is CHF 13.00 a year; VAT 8.1 %.
 */
const db = useDynamoDbLocal();
const stack = useHttpStacks(db.endpoint);
const FINANCE = 'billing:finance';

describe('GET /v1/me', () => {
  it("lists the user's organisations with their rights, and a partner's clients as their administrator", async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme' });
    await anOrg(s.rt, { id: 'reseller', currency: 'EUR', country: 'FR' });
    await anOrg(s.rt, { id: 'client' });
    await setPartnerProfile(s.rt.deps, 'reseller', { discountPercent: '10' });
    await linkToPartner(s.rt.deps, 'client', { partnerId: 'reseller', billToPartner: false });
    await setMember(s.rt.deps, SYSTEM, 'acme', { userId: 'carla', email: 'carla@acme.ch', name: 'Carla', role: 'collaborator', billingRights: false, productIds: [] });
    await setMember(s.rt.deps, SYSTEM, 'reseller', { userId: 'carla', email: 'carla@acme.ch', name: 'Carla', role: 'administrator', billingRights: true, productIds: [] });

    // Through Stripe: no PostFinance card; Twint in CHF only; the bank transfer always.
    const CHF = ['card', 'twint', 'paypal', 'iban'];
    const EUR = ['card', 'paypal', 'iban'];
    const me = await s.call('GET', '/v1/me', { token: await s.tokenFor('carla') });
    expect(me.status).toBe(200);
    expect(me.json).toEqual({
      userId: 'carla',
      finance: false,
      organisations: [
        { orgId: 'acme', name: 'Org acme', currency: 'CHF', country: 'CH', language: 'fr', role: 'collaborator', billingRights: false, wholeOrganisation: false, methods: CHF },
        {
          orgId: 'reseller',
          name: 'Org reseller',
          currency: 'EUR',
          country: 'FR',
          language: 'fr',
          role: 'administrator',
          billingRights: true,
          wholeOrganisation: true,
          methods: EUR,
        },
        {
          orgId: 'client',
          name: 'Org client',
          currency: 'CHF',
          country: 'CH',
          language: 'fr',
          role: 'administrator',
          billingRights: true,
          wholeOrganisation: true,
          viaPartner: 'reseller',
          methods: CHF,
        },
      ],
    });
    const stranger = await s.call('GET', '/v1/me', { token: await s.tokenFor('nobody', FINANCE) });
    expect(stranger.json).toEqual({ userId: 'nobody', finance: true, organisations: [] });
    expectError(await s.call('GET', '/v1/me'), 401, 'unauthorized');
  });
});

describe('POST /v1/orgs/{orgId}/checkout/quote', () => {
  it('prices a selection as the checkout would, balance first, and writes nothing', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme', balance: '20.00' });
    await aProduct(s.rt, 'acme', { id: 'one', expiry: '2026-12-31', autoRenew: false });
    await aProduct(s.rt, 'acme', { id: 'two', expiry: '2027-01-15', autoRenew: false });
    const owner = await s.tokenFor('owner-acme');

    const quote = await s.call('POST', '/v1/orgs/acme/checkout/quote', { token: owner, body: { items: [{ productId: 'one' }, { productId: 'two', periodMonths: 24 }] } });
    expect(quote.status).toBe(200);
    // 13.00 + 26.00 = 39.00 net; VAT 8.1 % = 3.159 → 3.16; 42.16 in all, 20.00 of it from the balance.
    expect(quote.json).toMatchObject({
      currency: 'CHF',
      totalNet: '39.00',
      totalVat: '3.16',
      total: '42.16',
      vatRate: '8.1',
      balance: '20.00',
      balanceUsed: '20.00',
      amountDue: '22.16',
    });
    expect((quote.json.items as { productId: string; periodFrom: string; periodTo: string }[]).map((i) => [i.productId, i.periodFrom, i.periodTo])).toEqual([
      // A renewal's period starts at the product's expiry (docs/domain.md).
      ['one', '2026-12-31', '2027-12-31'],
      ['two', '2027-01-15', '2029-01-15'],
    ]);
    const without = await s.call('POST', '/v1/orgs/acme/checkout/quote', { token: owner, body: { items: [{ productId: 'one' }], useBalance: false } });
    expect(without.json).toMatchObject({ total: '14.05', balanceUsed: '0.00', amountDue: '14.05' });

    expect(await s.rt.store.listCheckoutsInStatus('awaiting_payment', '2026-12-31')).toEqual([]);
    expect((await s.rt.store.getOrganisation('acme'))!.balance).toBe('20.00');
    // In EUR, no Twint (CHF only).
    await anOrg(s.rt, { id: 'euro', currency: 'EUR' });
    await aProduct(s.rt, 'euro', { id: 'eu-one', expiry: '2026-12-31', autoRenew: false });
    const euro = await s.call('POST', '/v1/orgs/euro/checkout/quote', { token: await s.tokenFor('owner-euro'), body: { items: [{ productId: 'eu-one' }] } });
    expect(euro.json.methods).toEqual(['card', 'paypal', 'iban']);
    expectError(await s.call('POST', '/v1/orgs/acme/checkout/quote', { token: owner, body: { items: [{ productId: 'one', periodMonths: 7 }] } }), 400, 'period_not_allowed');
    expectError(await s.call('POST', '/v1/orgs/acme/checkout/quote', { token: owner, body: { items: [] } }), 400, 'invalid_input');
    expectError(await s.call('POST', '/v1/orgs/acme/checkout/quote', { token: await s.tokenFor('owner-other'), body: { items: [{ productId: 'one' }] } }), 403, 'forbidden');
  });
});

describe('GET /v1/orgs/{orgId}/products, a page at a time', () => {
  it('pages the products in expiry order by cursor, a collaborator seeing only theirs, and refuses a forged cursor', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme' });
    // Seven products expiring on the 1st to the 7th of January.
    for (let d = 1; d <= 7; d++) await aProduct(s.rt, 'acme', { id: `p${d}`, expiry: `2027-01-0${d}`, autoRenew: false });
    await setMember(s.rt.deps, SYSTEM, 'acme', { userId: 'colin', email: 'colin@acme.ch', name: 'Colin', role: 'collaborator', billingRights: false, productIds: ['p2', 'p6'] });
    const walk = async (token: string) => {
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const res = await s.call('GET', `/v1/orgs/acme/products?due=all&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
        expect(res.status).toBe(200);
        pages.push((res.json.products as { id: string }[]).map((p) => p.id));
        cursor = res.json.nextCursor as string | undefined;
      } while (cursor && pages.length < 10);
      return pages;
    };
    expect(await walk(await s.tokenFor('owner-acme'))).toEqual([['p1', 'p2', 'p3'], ['p4', 'p5', 'p6'], ['p7']]);
    // The same reads, fewer shown: a page never reads twice to fill itself.
    expect(await walk(await s.tokenFor('colin'))).toEqual([['p2'], ['p6'], []]);
    const owner = await s.tokenFor('owner-acme');
    expectError(await s.call('GET', `/v1/orgs/acme/products?cursor=${Buffer.from('not a position').toString('base64url')}`, { token: owner }), 400, 'invalid_cursor');
    expectError(await s.call('GET', '/v1/orgs/acme/products?limit=0', { token: owner }), 400, 'invalid_query');
    expectError(await s.call('GET', '/v1/orgs/acme/products?limit=501', { token: owner }), 400, 'invalid_query');
  });
});

describe('checkout on the hosted page (returnUrl)', () => {
  it("sends the customer to the sandbox's stand-in for Stripe Checkout, whose lines add up to the amount due", async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme' });
    await aProduct(s.rt, 'acme', { id: 'one', expiry: '2026-12-31', autoRenew: false });
    const owner = await s.tokenFor('owner-acme');
    const started = await s.call('POST', '/v1/orgs/acme/checkout', {
      token: owner,
      headers: { 'idempotency-key': 'hosted-0001' },
      body: { items: [{ productId: 'one' }], method: 'card', returnUrl: 'http://127.0.0.1:8787/portal/' },
    });
    expect(started.status).toBe(201);
    const payment = started.json.payment as { paymentRef: string; url: string; clientSecret?: string };
    expect(payment.url).toBe(`/sandbox/checkout/${payment.paymentRef}`);
    expect(payment.clientSecret).toBeUndefined();
    const page = s.sandbox.hostedPage(payment.paymentRef)!;
    expect(page.lines).toEqual([
      { name: 'one.ch (12 months)', unitAmount: '13.00', quantity: 1 },
      { name: 'VAT 8.1 %', unitAmount: '1.05', quantity: 1 },
    ]);
    expect(page.successUrl).toBe(`http://127.0.0.1:8787/portal/?checkout=${String(started.json.checkoutId)}&outcome=success`);
    expectError(
      await s.call('POST', '/v1/orgs/acme/checkout', {
        token: owner,
        headers: { 'idempotency-key': 'hosted-0002' },
        body: { items: [{ productId: 'one' }], method: 'card', returnUrl: 'http://evil.example/' },
      }),
      400,
      'invalid_input',
    );
  });
});

describe('POST /v1/orgs/{orgId}/checkouts/{checkoutId}/cancel', () => {
  it('gives up an unpaid order: the product can be paid another way, the balance held comes back, the pro-forma is void', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme', balance: '5.00' });
    await aProduct(s.rt, 'acme', { id: 'one', expiry: '2026-12-31', autoRenew: false });
    const owner = await s.tokenFor('owner-acme');
    const start = (key: string, method: string) =>
      s.call('POST', '/v1/orgs/acme/checkout', { token: owner, headers: { 'idempotency-key': key }, body: { items: [{ productId: 'one' }], method } });

    const card = await start('cancel-card-01', 'card');
    // 14.05 due, 5.00 of it held from the balance: 9.05 on the card.
    expect(card.json).toMatchObject({ balanceUsed: '5.00', amountDue: '9.05' });
    expect((await s.rt.store.getOrganisation('acme'))!.balance).toBe('0.00');
    expectError(await start('cancel-iban-01', 'iban'), 409, 'product_in_open_checkout');

    const canceled = await s.call('POST', `/v1/orgs/acme/checkouts/${String(card.json.checkoutId)}/cancel`, { token: owner });
    expect(canceled.json).toMatchObject({ status: 'canceled', lastFailure: { code: 'canceled_by_customer' } });
    expect((await s.rt.store.getOrganisation('acme'))!.balance).toBe('5.00');

    const iban = await start('cancel-iban-02', 'iban');
    expect(iban.json).toMatchObject({ status: 'awaiting_payment', proformaNumber: 'PRO-CH-2026-000001' });
    await s.call('POST', `/v1/orgs/acme/checkouts/${String(iban.json.checkoutId)}/cancel`, { token: owner });
    expect((await s.rt.store.findInvoice('PRO-CH-2026-000001'))!.status).toBe('void');

    // Paid on the provider's page, its webhook not yet settled: the cancel is refused, the webhook then settles it.
    const racing = await start('cancel-card-03', 'card');
    await s.sandbox.confirmPayment((racing.json.payment as { paymentRef: string }).paymentRef, 'pm_card_visa');
    expectError(await s.call('POST', `/v1/orgs/acme/checkouts/${String(racing.json.checkoutId)}/cancel`, { token: owner }), 409, 'payment_received');
    expect((await s.call('GET', `/v1/orgs/acme/checkouts/${String(racing.json.checkoutId)}`, { token: owner })).json).toMatchObject({ status: 'paid' });

    // Paid and settled: nothing left to cancel.
    const paid = await start('cancel-card-02', 'card');
    await s.confirm((paid.json.payment as { paymentRef: string }).paymentRef, 'pm_card_visa');
    expectError(await s.call('POST', `/v1/orgs/acme/checkouts/${String(paid.json.checkoutId)}/cancel`, { token: owner }), 422, 'checkout_not_cancellable');
    expectError(await s.call('POST', `/v1/orgs/acme/checkouts/${String(paid.json.checkoutId)}/cancel`, { token: await s.tokenFor('owner-other') }), 403, 'forbidden');
  });
});

describe('the finance console routes', () => {
  it("answers a quarter's OSS return to finance only: the French consumer's VAT, in euros, by hand", async () => {
    const s = await stack('2027-01-15');
    await anOrg(s.rt, { id: 'fr', currency: 'EUR', country: 'FR', balance: '100.00' });
    await anOrg(s.rt, { id: 'ch', balance: '100.00' });
    for (const id of ['fr', 'ch']) {
      await aProduct(s.rt, id, { id: `dom-${id}`, expiry: '2027-01-29' });
      expect((await renewProduct(s.rt.deps, { orgId: id, productId: `dom-${id}`, night: '2027-01-15' })).status).toBe('done');
    }
    const finance = await s.tokenFor('fiona', FINANCE);
    const oss = await s.call('GET', '/v1/finance/oss-return?quarter=2027-Q1', { token: finance });
    expect(oss.status).toBe(200);
    // A Swiss seller: the non-Union scheme. The French consumer's .ch domain: EUR 13.50 + 20 % = 2.70; the Swiss sale is not OSS.
    expect(oss.json).toMatchObject({
      quarter: '2027-Q1',
      from: '2027-01-01',
      to: '2027-03-31',
      scheme: 'non-union',
      declared: [{ memberState: 'FR', rate: '20', net: '13.50', vat: '2.70' }],
    });
    expectError(await s.call('GET', '/v1/finance/oss-return?quarter=2027-Q5', { token: finance }), 400, 'invalid_query');
    expectError(await s.call('GET', '/v1/finance/oss-return?quarter=2027-Q1', { token: await s.tokenFor('owner-fr') }), 403, 'insufficient_scope');
  });

  it('imports a camt.054 file: a part payment, then the rest settles the pro-forma; an unknown reference waits for review', async () => {
    const s = await stack('2026-12-14');
    await anOrg(s.rt, { id: 'acme' });
    await aProduct(s.rt, 'acme', { id: 'one', expiry: '2026-12-31', autoRenew: false });
    const order = await s.call('POST', '/v1/orgs/acme/checkout', {
      token: await s.tokenFor('owner-acme'),
      headers: { 'idempotency-key': 'iban-0001' },
      body: { items: [{ productId: 'one' }], method: 'iban' },
    });
    const qrr = String(order.json.paymentReference);
    const finance = await s.tokenFor('fiona', FINANCE);
    const post = (xml: string, token = finance, type = 'application/xml') => s.call('POST', '/v1/finance/bank-statements', { token, body: xml, headers: { 'content-type': type } });

    const first = camt('MSG-1', [
      ntry({ ref: 'B-1', amount: '10.00', txs: [tx({ amount: '10.00', qrr })] }),
      ntry({ ref: 'B-2', amount: '50.00', txs: [tx({ amount: '50.00', qrr: '210000000003139471430009017' })] }),
    ]);
    const one = await post(first);
    expect(one.status).toBe(200);
    expect((one.json.credits as { outcome: string; amount: string }[]).map((c) => [c.outcome, c.amount])).toEqual([
      ['partial', '10.00'],
      ['unmatched', '50.00'],
    ]);
    expect(one.json).toMatchObject({ alreadyImported: false, entries: { credits: 2, reversals: 0, unreadable: 0, ignored: 0 } });
    expect((await post(first)).json).toMatchObject({ alreadyImported: true });

    const rest = await post(camt('MSG-2', [ntry({ ref: 'B-3', amount: '4.05', txs: [tx({ amount: '4.05', qrr })] })]));
    expect(rest.json).toMatchObject({ settled: { CHF: '4.05' } });
    expect((rest.json.credits as { outcome: string }[])[0]!.outcome).toBe('settled');
    expect((await s.rt.store.getProduct('acme', 'one'))!.expiry).toBe('2027-12-31');

    const review = await s.call('GET', '/v1/finance/bank-credits', { token: finance });
    // The part payment stays listed (with what it paid) beside the credit nobody's reference names.
    expect((review.json.credits as { id: string; outcome: string; amount: string }[]).map((c) => [c.id, c.outcome, c.amount])).toEqual([
      ['B-1', 'partial', '10.00'],
      ['B-2', 'unmatched', '50.00'],
    ]);

    expectError(await post(first, finance, 'text/plain'), 415, 'unsupported_media_type');
    expectError(await post('<Document/>'), 400, 'invalid_camt054');
    expectError(await post(first, await s.tokenFor('owner-acme')), 403, 'insufficient_scope');
  });

  it('lists the orders held for an identity check, releases one and cancels (refunds) another', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme' });
    await aProduct(s.rt, 'acme', { id: 'one', expiry: '2026-12-31', autoRenew: false });
    await aProduct(s.rt, 'acme', { id: 'two', expiry: '2026-12-31', autoRenew: false });
    await setIdentityCheck(s.rt.deps, 'acme', 'required');
    const owner = await s.tokenFor('owner-acme');
    const pay = async (productId: string) => {
      const started = await s.call('POST', '/v1/orgs/acme/checkout', {
        token: owner,
        headers: { 'idempotency-key': `held-${productId}-01` },
        body: { items: [{ productId }], method: 'card' },
      });
      const ref = (started.json.payment as { paymentRef: string }).paymentRef;
      await s.confirm(ref, 'pm_card_visa');
      return { checkoutId: String(started.json.checkoutId), ref };
    };
    const a = await pay('one');
    const b = await pay('two');
    const finance = await s.tokenFor('fiona', FINANCE);

    const held = await s.call('GET', '/v1/finance/held-orders', { token: finance });
    expect(
      (held.json.orders as { orgId: string; orgName: string; heldSince: string; checkout: { checkoutId: string; status: string; total: string } }[])
        .map((o) => [o.orgName, o.heldSince, o.checkout.checkoutId, o.checkout.status, o.checkout.total])
        .sort(),
    ).toEqual(
      [
        ['Org acme', '2026-12-10', a.checkoutId, 'held', '14.05'],
        ['Org acme', '2026-12-10', b.checkoutId, 'held', '14.05'],
      ].sort(),
    );

    const released = await s.call('POST', `/v1/finance/orgs/acme/orders/${a.checkoutId}/release`, { token: finance });
    expect(released.json).toMatchObject({ status: 'paid' });
    expect((await s.rt.store.getProduct('acme', 'one'))!.expiry).toBe('2027-12-31');

    const canceled = await s.call('POST', `/v1/finance/orgs/acme/orders/${b.checkoutId}/cancel`, { token: finance });
    expect(canceled.json).toMatchObject({ status: 'refunded' });
    // The card gave back all of it, as the provider's own record shows.
    expect((await s.sandbox.getPayment(b.ref))!.amountRefunded.toString()).toBe('14.05');
    expect((await s.rt.store.getProduct('acme', 'two'))!.expiry).toBe('2026-12-31');

    expect((await s.call('GET', '/v1/finance/held-orders', { token: finance })).json).toEqual({ orders: [] });
    expectError(await s.call('POST', `/v1/finance/orgs/acme/orders/${b.checkoutId}/release`, { token: finance }), 422, 'checkout_not_held');
    expectError(await s.call('GET', '/v1/finance/held-orders', { token: owner }), 403, 'insufficient_scope');
  });
});
