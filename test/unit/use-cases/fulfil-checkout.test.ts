import { describe, expect, it } from 'vitest';
import { Money } from '../../../shared/domain/money.ts';
import type { Product } from '../../../shared/domain/product.ts';
import { WriteConflict } from '../../../shared/ports/unit-of-work.ts';
import { issueCheckoutInvoice, loadCheckoutProducts, periodFor, renewCheckoutProducts, savedMethodFrom, vatOf } from '../../../shared/use-cases/checkout/fulfil-checkout.ts';
import { startCheckout } from '../../../shared/use-cases/checkout/start-checkout.ts';
import { renewProduct } from '../../../shared/use-cases/renew-product.ts';
import { aProduct, anOrg, runtime } from '../../support/local-stack.ts';

// What a paid checkout does to its products and its invoice, on the in-memory store. By hand: web hosting
// is CHF 9.90 a month, 10.70 with 8.1 % VAT (10.7019); it is blocked 3 days after expiry; auto-renewal may
// be switched on only 14 days or more before the new expiry.

const TODAY = '2026-12-10';
const owner = (orgId: string) => ({ kind: 'user' as const, userId: `owner-${orgId}` });
const visa = {
  id: 'pm-pm_card_visa',
  orgId: 'acme',
  kind: 'card' as const,
  brand: 'visa' as const,
  label: 'Visa •••• 4242',
  gatewayRef: 'pm_card_visa',
  createdAt: `${TODAY}T02:00:00.000Z`,
};

async function hostingCheckout(expiry: string, opts: { status?: Product['status']; lastNight?: string; method?: 'card' | 'iban'; balance?: string } = {}) {
  const rt = await runtime('memory', { today: TODAY });
  const { org } = await anOrg(rt, { id: 'acme', ...(opts.balance ? { balance: opts.balance } : {}) });
  const p = await aProduct(rt, org.id, { id: 'web', typeId: 'web-hosting', expiry, autoRenew: false, periodMonths: 1 });
  if (opts.status || opts.lastNight) {
    await rt.store.commit([
      {
        type: 'product',
        product: { ...p, ...(opts.status ? { status: opts.status } : {}), ...(opts.lastNight ? { lastNight: opts.lastNight } : {}), version: p.version + 1 },
        expectedVersion: p.version,
      },
    ]);
  }
  const view = await startCheckout(
    rt.deps,
    org.id,
    { items: [{ productId: 'web', periodMonths: 1 }], method: opts.method ?? 'card', requestId: `req-${expiry}-01` },
    owner(org.id),
  );
  const checkout = (await rt.store.getCheckout(org.id, view.checkoutId))!;
  const product = (await rt.store.getProduct(org.id, 'web'))!;
  return { rt, org: (await rt.store.getOrganisation(org.id))!, checkout, product, products: new Map([[product.id, product]]) };
}

describe('the products of a paid checkout', () => {
  it('are extended by their period, freed from the checkout, and unblocked with a command of their own', async () => {
    const { rt, org, checkout, product, products } = await hostingCheckout('2026-11-24', { status: 'blocked' });
    const { changes, commands } = renewCheckoutProducts(rt.deps, checkout, org, products, TODAY, undefined);
    const command = { id: `web#unblock#${checkout.id}`, date: TODAY, orgId: 'acme', productId: 'web', action: 'unblock', status: 'pending', createdAt: `${TODAY}T02:00:00.000Z` };
    expect(commands).toEqual([command]);
    expect(changes).toHaveLength(2);
    expect(changes[1]).toEqual({ type: 'lifecycle', command, expectedStatus: null });
    const next = (changes[0] as { product: Product }).product;
    expect(changes[0]).toMatchObject({ type: 'product', expectedVersion: product.version });
    expect(next).toMatchObject({ expiry: '2026-12-24', status: 'active', periodMonths: 1, version: product.version + 1, autoRenew: false, nextActionDate: '2026-12-17' });
    expect(next.openCheckoutId).toBeUndefined();
  });

  it('switch auto-renewal on with the saved card from 14 days before the new expiry, not 13, and never with PostFinance', async () => {
    const on = await hostingCheckout('2026-11-24');
    expect((renewCheckoutProducts(on.rt.deps, on.checkout, on.org, on.products, TODAY, visa).changes[0] as { product: Product }).product).toMatchObject({
      expiry: '2026-12-24',
      autoRenew: true,
      paymentMethodId: 'pm-pm_card_visa',
      // Attempts 14 days before the new expiry (today), then 3, 7 and 12 days later: the next is 12-13.
      nextActionDate: '2026-12-13',
    });
    const off = await hostingCheckout('2026-11-23');
    const late = (renewCheckoutProducts(off.rt.deps, off.checkout, off.org, off.products, TODAY, visa).changes[0] as { product: Product }).product;
    expect(late).toMatchObject({ expiry: '2026-12-23', autoRenew: false });
    expect(late.paymentMethodId).toBeUndefined();
    // PostFinance cannot be charged off-session.
    const postfinance = { ...visa, id: 'pm-pm_postfinance', kind: 'postfinance' as const, gatewayRef: 'pm_postfinance', label: 'PostFinance' };
    const far = await hostingCheckout('2027-01-31');
    expect((renewCheckoutProducts(far.rt.deps, far.checkout, far.org, far.products, TODAY, postfinance).changes[0] as { product: Product }).product).toMatchObject({
      expiry: '2027-02-28',
      autoRenew: false,
    });
  });

  it('start a pending order on the day it is paid', async () => {
    const { rt, org, checkout, products } = await hostingCheckout('2027-03-01', { status: 'pending' });
    const next = (renewCheckoutProducts(rt.deps, checkout, org, products, TODAY, undefined).changes[0] as { product: Product }).product;
    expect(next).toMatchObject({ status: 'active', expiry: '2027-01-10' });
    expect(periodFor(products.get('web')!, 1, TODAY)).toEqual({ from: TODAY, to: '2027-01-10' });
    expect(periodFor({ ...products.get('web')!, status: 'active' }, 2, TODAY)).toEqual({ from: '2027-03-01', to: '2027-05-01' });
  });

  it('take their next action after today when the last night ran before, and leave what is not blocked without a command', async () => {
    const { rt, org, checkout, products } = await hostingCheckout('2026-12-04', { lastNight: '2026-12-01' });
    // New expiry 2027-01-04: reminders on 12-05 (30 days before) and 12-28; 12-05 is past today, so 12-28 is next.
    const { changes, commands } = renewCheckoutProducts(rt.deps, checkout, org, products, TODAY, undefined);
    expect((changes[0] as { product: Product }).product).toMatchObject({ expiry: '2027-01-04', nextActionDate: '2026-12-28' });
    expect(commands).toEqual([]);
    expect(changes).toHaveLength(1);
  });

  it('take their next action after the last night run, when one ran ahead of today', async () => {
    const { rt, org, checkout, products } = await hostingCheckout('2026-12-20', { lastNight: '2026-12-11' });
    // New expiry 2027-01-20: reminders 30 and 7 days before (12-21, 01-13); with 12-11 already run, 12-21 is next.
    const next = (renewCheckoutProducts(rt.deps, checkout, org, products, TODAY, undefined).changes[0] as { product: Product }).product;
    expect(next).toMatchObject({ expiry: '2027-01-20', nextActionDate: '2026-12-21' });
  });
});

describe('the invoice of a paid checkout', () => {
  it('lists the balance part first, then what the provider received, by the checkout method or as given', async () => {
    const { rt, org, checkout, products } = await hostingCheckout('2027-01-31');
    const invoice = await issueCheckoutInvoice(rt.deps, checkout, org, products, TODAY, { ref: 'pi_1', amount: Money.of('10.70', 'CHF') });
    expect(invoice).toMatchObject({ number: 'INV-CH-2026-000001', total: '10.70', checkoutId: checkout.id, payments: [{ method: 'card', amount: '10.70', ref: 'pi_1' }] });
    expect(invoice.refersTo).toBeUndefined();
    const two = await issueCheckoutInvoice(rt.deps, checkout, org, products, TODAY, [
      { ref: 'bank-1', amount: Money.of('6.00', 'CHF'), via: 'transfer' },
      { ref: 'bank-2', amount: Money.of('4.70', 'CHF'), via: 'transfer' },
    ]);
    expect(two.payments).toEqual([
      { method: 'transfer', amount: '6.00', ref: 'bank-1' },
      { method: 'transfer', amount: '4.70', ref: 'bank-2' },
    ]);
    expect((await issueCheckoutInvoice(rt.deps, checkout, org, products, TODAY, undefined)).payments).toEqual([]);

    const mixed = await hostingCheckout('2027-01-31', { balance: '5.00' });
    expect(mixed.checkout).toMatchObject({ balancePart: '5.00', chargePart: '5.70' });
    expect((await issueCheckoutInvoice(mixed.rt.deps, mixed.checkout, mixed.org, mixed.products, TODAY, { ref: 'pi_2', amount: Money.of('5.70', 'CHF') })).payments).toEqual([
      { method: 'balance', amount: '5.00' },
      { method: 'card', amount: '5.70', ref: 'pi_2' },
    ]);
  });

  it('names the pro-forma it settles and books a transfer as such', async () => {
    const { rt, org, checkout, products } = await hostingCheckout('2027-01-31', { method: 'iban' });
    const invoice = await issueCheckoutInvoice(rt.deps, checkout, org, products, TODAY, { ref: 'bank-1', amount: Money.of('10.70', 'CHF') });
    expect(invoice).toMatchObject({ refersTo: checkout.proformaNumber, payments: [{ method: 'transfer', amount: '10.70', ref: 'bank-1' }] });
    expect(checkout.proformaNumber).toBe('PRO-CH-2026-000001');
  });

  it('refuses a period other than the one quoted, and a total other than the one accepted', async () => {
    const { rt, org, checkout, product, products } = await hostingCheckout('2027-01-31');
    const moved = new Map([[product.id, { ...product, expiry: '2027-02-28' }]]);
    await expect(issueCheckoutInvoice(rt.deps, checkout, org, moved, TODAY, undefined)).rejects.toMatchObject({ conflicts: ['product'] });
    // Either end of the period differing is enough.
    const item = checkout.items[0]!;
    for (const tampered of [
      { ...item, periodTo: '2027-03-31' },
      { ...item, periodFrom: '2027-01-30' },
    ]) {
      await expect(issueCheckoutInvoice(rt.deps, { ...checkout, items: [tampered] }, org, products, TODAY, undefined)).rejects.toBeInstanceOf(WriteConflict);
    }
    await expect(issueCheckoutInvoice(rt.deps, { ...checkout, total: '10.71' }, org, products, TODAY, undefined)).rejects.toThrow(
      `checkout ${checkout.id}: invoice total CHF 10.70 differs from the 10.71 accepted`,
    );
  });

  it('keeps the VAT the customer accepted, with its mention', async () => {
    const { checkout } = await hostingCheckout('2027-01-31');
    expect(vatOf(checkout)).toEqual({ kind: 'domestic', rate: expect.anything(), country: 'CH' });
    expect(vatOf(checkout).rate.toString()).toBe('8.1');
    expect(vatOf({ ...checkout, vat: { kind: 'reverse-charge', rate: '0', country: 'DE', mention: 'Reverse charge' } })).toMatchObject({
      kind: 'reverse-charge',
      country: 'DE',
      mention: 'Reverse charge',
    });
  });
});

describe('a method saved at payment', () => {
  it('is the provider method under our id, with its brand when it has one', () => {
    expect(savedMethodFrom('acme', undefined, 't')).toBeUndefined();
    expect(savedMethodFrom('acme', { ref: 'pm_card_visa', kind: 'card', brand: 'visa', label: 'Visa •••• 4242' }, 't')).toEqual({
      id: 'pm-pm_card_visa',
      orgId: 'acme',
      kind: 'card',
      brand: 'visa',
      label: 'Visa •••• 4242',
      gatewayRef: 'pm_card_visa',
      createdAt: 't',
    });
    expect(savedMethodFrom('acme', { ref: 'pm_twint', kind: 'twint', label: 'Twint' }, 't')).toEqual({
      id: 'pm-pm_twint',
      orgId: 'acme',
      kind: 'twint',
      label: 'Twint',
      gatewayRef: 'pm_twint',
      createdAt: 't',
    });
  });
});

describe('the products a checkout sells, as its quote sees them', () => {
  // A bank took back the period 2026-12-31 to 2027-12-31 that INV-CH-2026-000001 paid: the product is back at
  // 2026-12-31 and waits for that invoice. A checkout quoted the next period, from 2027-12-31.
  async function owed() {
    const rt = await runtime('memory', { today: '2026-12-17' });
    await anOrg(rt, { id: 'acme', balance: '50.00' });
    await aProduct(rt, 'acme', { id: 'dom', expiry: '2026-12-31' });
    await aProduct(rt, 'acme', { id: 'two', expiry: '2026-12-31', autoRenew: false });
    await renewProduct(rt.deps, { orgId: 'acme', productId: 'dom', night: '2026-12-17' });
    for (const id of ['dom', 'two']) {
      const p = (await rt.store.getProduct('acme', id))!;
      await rt.store.commit([
        { type: 'product', product: { ...p, expiry: '2026-12-31', awaitsInvoice: 'INV-CH-2026-000001', version: p.version + 1 }, expectedVersion: p.version },
      ]);
    }
    const item = (productId: string, periodFrom?: string) => ({
      productId,
      productName: productId,
      typeId: 'domain-ch',
      periodMonths: 12,
      kind: 'renewal' as const,
      unitPrice: '13.00',
      quantity: 1,
      ...(periodFrom ? { periodFrom, periodTo: '2028-12-31' } : {}),
    });
    const load = (items: ReturnType<typeof item>[]) => loadCheckoutProducts(rt.deps, { orgId: 'acme', items } as never);
    return { load, item };
  }

  it('sees a product at the quoted start, no longer waiting, when the owed invoice paid the period before it', async () => {
    const { load, item } = await owed();
    const seen = (await load([item('dom', '2027-12-31')])).get('dom')!;
    expect(seen.expiry).toBe('2027-12-31');
    expect(seen.awaitsInvoice).toBeUndefined();
  });

  it('sees it as it stands otherwise: quoted from its expiry, no quoted start, or an invoice that paid another product', async () => {
    const { load, item } = await owed();
    for (const [items, id] of [
      [[item('dom', '2026-12-31')], 'dom'],
      [[item('dom')], 'dom'],
      [[item('two', '2027-12-31')], 'two'],
      [[item('dom', '2028-03-31')], 'dom'],
    ] as const) {
      expect((await load([...items])).get(id)).toMatchObject({ expiry: '2026-12-31', awaitsInvoice: 'INV-CH-2026-000001' });
    }
  });
});

describe('a checkout across a VAT rate change (docs/domain.md R-26)', () => {
  // Swiss VAT 8.8 % from 2028-01-01 (a change to come). The .ch domain renews for 60 months from 2026-12-31:
  // 366 days at 8.1 %, 1,460 at 8.8 % (test/unit/domain/vat-by-period.test.ts works the figures by hand):
  // nets 13.03 and 51.97, VAT 1.06 and 4.57, 70.63 in all (70.27 at 8.1 % throughout).
  async function fiveYears(method: 'card' | 'iban') {
    const rt = await runtime('memory', { today: '2026-12-17' });
    const { org } = await anOrg(rt, { id: 'acme' });
    await aProduct(rt, org.id, { id: 'dom', expiry: '2026-12-31', periodMonths: 60, autoRenew: false });
    const vatRates = { ...rt.deps.vatRates, CH: [...rt.deps.vatRates.CH!, { from: '2028-01-01' as const, rate: '8.8' }] };
    const view = await startCheckout(
      { ...rt.deps, vatRates },
      org.id,
      { items: [{ productId: 'dom', periodMonths: 60 }], method, requestId: `five-years-${method}` },
      owner(org.id),
    );
    const checkout = (await rt.store.getCheckout(org.id, view.checkoutId))!;
    const product = (await rt.store.getProduct(org.id, 'dom'))!;
    return { rt, org: (await rt.store.getOrganisation(org.id))!, checkout, products: new Map([[product.id, product]]) };
  }

  it('is quoted by rate period, and invoiced exactly so even when the configuration has changed since', async () => {
    const { rt, org, checkout, products } = await fiveYears('card');
    expect([checkout.totalNet, checkout.totalVat, checkout.total]).toEqual(['65.00', '5.63', '70.63']);
    expect(checkout.vat.rates?.at(-1)).toEqual({ from: '2028-01-01', rate: '8.8' });
    // Issued with the configuration of the day, which no longer has the change: the quoted table prices it.
    const invoice = await issueCheckoutInvoice(rt.deps, checkout, org, products, '2026-12-17', { ref: 'pi_1', amount: Money.of('70.63', 'CHF') });
    expect(invoice.lines.map((l) => [l.periodFrom, l.periodTo, l.vatRate, l.net, l.vat])).toEqual([
      ['2026-12-31', '2028-01-01', '8.1', '13.03', '1.06'],
      ['2028-01-01', '2031-12-31', '8.8', '51.97', '4.57'],
    ]);
    expect(invoice.total).toBe('70.63');
  });

  it('gives the pro-forma of a transfer the same split and total, and still invoices a checkout quoted at one rate at that rate', async () => {
    const { rt, org, checkout } = await fiveYears('iban');
    const proforma = (await rt.store.findInvoice(checkout.proformaNumber!))!;
    expect(proforma.vatBreakdown).toEqual([
      { rate: '8.1', net: '13.03', vat: '1.06' },
      { rate: '8.8', net: '51.97', vat: '4.57' },
    ]);
    expect(proforma.total).toBe('70.63');
    // A checkout quoted before checkouts kept their table (no `vat.rates`): one line at 8.1 %, 65.00 + 5.265 → 5.27 = 70.27.
    const { rates: _rates, ...oneRate } = checkout.vat;
    const old = { ...checkout, vat: oneRate, totalVat: '5.27', total: '70.27' };
    const product = (await rt.store.getProduct(org.id, 'dom'))!;
    const invoice = await issueCheckoutInvoice(rt.deps, old, org, new Map([[product.id, product]]), '2026-12-17', {
      ref: 'bank-1',
      amount: Money.of('70.27', 'CHF'),
      via: 'transfer',
    });
    expect(invoice.lines.map((l) => [l.vatRate, l.net, l.vat])).toEqual([['8.1', '65.00', '5.27']]);
  });

  // A new order (a pending .ch domain, 60 months, CHF 65.00 net) is quoted as if paid that day, and its period
  // starts when it is paid. Worked by hand (and checked by a few lines of Python outside the engine):
  // quoted 2026-12-17, 2026-12-17 to 2031-12-17 is 1,826 days, 380 before 2028-01-01: 65 x 380 / 1826 =
  // 13.5268 -> 13.53 and 51.47; VAT 1.0959 -> 1.10 and 4.5294 -> 4.53: 70.63 (70.27 at one rate).
  async function newOrder(today: string, method: 'card' | 'iban') {
    const rt = await runtime('memory', { today });
    const { org } = await anOrg(rt, { id: 'acme' });
    const p = await aProduct(rt, org.id, { id: 'new', expiry: today, periodMonths: 60, autoRenew: false });
    await rt.store.commit([{ type: 'product', product: { ...p, status: 'pending', version: p.version + 1 }, expectedVersion: p.version }]);
    const vatRates = { ...rt.deps.vatRates, CH: [...rt.deps.vatRates.CH!, { from: '2028-01-01' as const, rate: '8.8' }] };
    const view = await startCheckout(
      { ...rt.deps, vatRates },
      org.id,
      { items: [{ productId: 'new', periodMonths: 60 }], method, requestId: `new-order-${method}` },
      owner(org.id),
    );
    const checkout = (await rt.store.getCheckout(org.id, view.checkoutId))!;
    const product = (await rt.store.getProduct(org.id, 'new'))!;
    const pay = (day: string, amount: string) =>
      issueCheckoutInvoice(rt.deps, checkout, org, new Map([[product.id, product]]), day, {
        ref: 'pay-1',
        amount: Money.of(amount, 'CHF'),
        ...(method === 'iban' ? { via: 'transfer' as const } : {}),
      });
    return { rt, checkout, pay };
  }

  it('quotes a new order by the rate periods from the quote day, and invoices the periods from the day it is paid', async () => {
    const { rt, checkout, pay } = await newOrder('2026-12-17', 'iban');
    expect([checkout.totalNet, checkout.totalVat, checkout.total]).toEqual(['65.00', '5.63', '70.63']);
    const proforma = (await rt.store.findInvoice(checkout.proformaNumber!))!;
    expect(proforma.lines.map((l) => [l.periodFrom, l.periodTo, l.vatRate, l.net, l.vat])).toEqual([
      ['2026-12-17', '2028-01-01', '8.1', '13.53', '1.10'],
      ['2028-01-01', '2031-12-17', '8.8', '51.47', '4.53'],
    ]);
    // The transfer arrives three days later: 2026-12-20 to 2031-12-20, 377 days before the change:
    // 65 x 377 / 1826 = 13.4200 -> 13.42 and 51.58; VAT 1.0870 -> 1.09 and 4.5390 -> 4.54: 70.63 again.
    const invoice = await pay('2026-12-20', '70.63');
    expect(invoice.lines.map((l) => [l.periodFrom, l.periodTo, l.vatRate, l.net, l.vat])).toEqual([
      ['2026-12-20', '2028-01-01', '8.1', '13.42', '1.09'],
      ['2028-01-01', '2031-12-20', '8.8', '51.58', '4.54'],
    ]);
    expect([invoice.totalNet, invoice.totalVat, invoice.total]).toEqual(['65.00', '5.63', '70.63']);
  });

  it('bills a new order paid after a rate change what was quoted, its VAT taken out of that amount at the rate of its period', async () => {
    // Quoted 2027-12-20: 12 of 1,827 days at 8.1 %: 65 x 12 / 1827 = 0.4269 -> 0.43 and 64.57; VAT 0.0348 -> 0.03
    // and 5.6822 -> 5.68: 70.71. Paid 2028-01-05, the whole period is at 8.8 %, where 65.00 would come to
    // 70.72; the customer paid 70.71, whose VAT is 70.71 x 8.8 / 108.8 = 5.7192 -> 5.72, net 64.99.
    const { checkout, pay } = await newOrder('2027-12-20', 'iban');
    expect(checkout.total).toBe('70.71');
    const invoice = await pay('2028-01-05', '70.71');
    expect(invoice.lines.map((l) => [l.periodFrom, l.periodTo, l.vatRate, l.net, l.vat, l.gross])).toEqual([['2028-01-05', '2033-01-05', '8.8', '64.99', '5.72', '70.71']]);
    expect([invoice.totalNet, invoice.totalVat, invoice.total]).toEqual(['64.99', '5.72', '70.71']);
  });

  it('still invoices an order quoted at one rate, before orders were quoted by period, at that rate', async () => {
    const { checkout, rt } = await newOrder('2026-12-17', 'card');
    // As such a checkout was stored: no quoted day on the order, one line at 8.1 %: 65.00 + 5.265 -> 5.27 = 70.27.
    const old = { ...checkout, items: checkout.items.map(({ quotedFrom: _q, ...i }) => i), totalVat: '5.27', total: '70.27' };
    const product = (await rt.store.getProduct('acme', 'new'))!;
    const org = (await rt.store.getOrganisation('acme'))!;
    const invoice = await issueCheckoutInvoice(rt.deps, old, org, new Map([[product.id, product]]), '2026-12-20', { ref: 'pi_1', amount: Money.of('70.27', 'CHF') });
    expect(invoice.lines.map((l) => [l.periodFrom, l.periodTo, l.vatRate, l.net, l.vat])).toEqual([['2026-12-20', '2031-12-20', '8.1', '65.00', '5.27']]);
  });
});
