import { describe, expect, it } from 'vitest';
import { Catalogue } from '../../../shared/domain/catalogue.ts';
import { addProduct, addProducts, switchAutoRenew } from '../../../shared/use-cases/manage-products.ts';
import { renewManually } from '../../../shared/use-cases/renew-manually.ts';
import { anOrg, runtime } from '../../support/local-stack.ts';

// A product added by the provider's systems, on the in-memory store. A .ch domain expiring on 2026-12-31
// has, by the published settings, its first reminder 30 days before: 2026-12-01.
const DOMAIN = { id: 'dom', typeId: 'domain-ch', name: 'example.ch', expiry: '2026-12-31', autoRenew: true };

async function setUp() {
  const rt = await runtime('memory', { today: '2026-11-01' });
  const { org, method } = await anOrg(rt, { id: 'acme', method: 'pm_card_visa' });
  return { rt, org, method: method! };
}

describe('adding a product', () => {
  it('stores it at version 1 with its first action date, and the saved method it renews with', async () => {
    const { rt, method } = await setUp();
    const product = await addProduct(rt.deps, 'acme', { ...DOMAIN, paymentMethodId: method.id });
    expect(await rt.store.getProduct('acme', 'dom')).toEqual(product);
    expect(product).toMatchObject({ orgId: 'acme', status: 'active', failedAttempts: 0, version: 1, periodMonths: 12, nextActionDate: '2026-12-01', paymentMethodId: method.id });
  });

  it('refuses an id already taken (409), and leaves the first product as it was', async () => {
    const { rt } = await setUp();
    const first = await addProduct(rt.deps, 'acme', DOMAIN);
    await expect(addProduct(rt.deps, 'acme', { ...DOMAIN, name: 'other.ch', expiry: '2027-06-30' })).rejects.toMatchObject({
      status: 409,
      code: 'product_exists',
      message: 'Product dom already exists',
    });
    expect(await rt.store.getProduct('acme', 'dom')).toEqual(first);
  });

  it('refuses an unknown type, a period the type does not sell, and a method the organisation has not saved (400), writing nothing', async () => {
    const { rt } = await setUp();
    await expect(addProduct(rt.deps, 'acme', { ...DOMAIN, typeId: 'domain-xyz' })).rejects.toMatchObject({ status: 400, code: 'unknown_product_type' });
    await expect(addProduct(rt.deps, 'acme', { ...DOMAIN, periodMonths: 7 })).rejects.toMatchObject({ status: 400 });
    await expect(addProduct(rt.deps, 'acme', { ...DOMAIN, paymentMethodId: 'pm_nobody' })).rejects.toMatchObject({ status: 400, code: 'unknown_payment_method' });
    expect(await rt.store.listProducts('acme')).toEqual([]);
  });

  it('adds rows in bulk, each on its own: refused rows say why and change nothing; the organisation and each method are read once', async () => {
    const { rt, method } = await setUp();
    await addProduct(rt.deps, 'acme', { ...DOMAIN, id: 'taken' });
    const reads = { org: 0, method: 0 };
    const store = Object.create(rt.store) as typeof rt.store;
    store.getOrganisation = (...a) => (reads.org++, rt.store.getOrganisation(...a));
    store.getPaymentMethod = (...a) => (reads.method++, rt.store.getPaymentMethod(...a));
    const rows = [
      { ...DOMAIN, id: 'a', paymentMethodId: method.id },
      { ...DOMAIN, id: 'b', expiry: '31.12.2026' },
      { ...DOMAIN, id: 'taken' },
      { ...DOMAIN, id: 'c', paymentMethodId: method.id },
      { ...DOMAIN, id: 'd', paymentMethodId: 'pm_nobody' },
      { ...DOMAIN, id: 'e', paymentMethodId: 'pm_nobody' },
    ];
    const report = await addProducts({ ...rt.deps, store }, 'acme', rows);
    expect(report.map((r) => (r.status === 'added' ? [r.row, 'added', r.id] : [r.row, r.code]))).toEqual([
      [0, 'added', 'a'],
      [1, 'invalid_input'],
      [2, 'product_exists'],
      [3, 'added', 'c'],
      [4, 'unknown_payment_method'],
      [5, 'unknown_payment_method'],
    ]);
    expect(report[1]).toMatchObject({ message: expect.stringContaining('expiry') });
    expect(reads).toEqual({ org: 1, method: 2 });
    expect((await rt.store.listProducts('acme')).map((p) => p.id).sort()).toEqual(['a', 'c', 'taken']);
  });
});

describe('a product type the configuration does not let renew on its own', () => {
  async function manualOnly() {
    const { rt, method } = await setUp();
    const domain = rt.deps.catalogue.get('domain-ch')!;
    const catalogue = new Catalogue([...rt.deps.catalogue.all().filter((t) => t.id !== 'domain-ch'), { ...domain, autoRenewable: false }]);
    return { rt, deps: { ...rt.deps, catalogue }, method };
  }

  it('refuses a product added with auto-renew on (400), and takes it with auto-renew off', async () => {
    const { rt, deps } = await manualOnly();
    await expect(addProduct(deps, 'acme', DOMAIN)).rejects.toMatchObject({ status: 400, code: 'auto_renew_not_offered' });
    expect(await rt.store.listProducts('acme')).toEqual([]);
    expect((await addProduct(deps, 'acme', { ...DOMAIN, autoRenew: false })).autoRenew).toBe(false);
  });

  it('refuses switching it on for one product (422) and lists it among the refused for all (the 14-day rule aside), changing nothing', async () => {
    const { rt, deps } = await manualOnly();
    await addProduct(deps, 'acme', { ...DOMAIN, autoRenew: false });
    await addProduct(deps, 'acme', { id: 'web', typeId: 'web-hosting', name: 'example.ch hosting', expiry: '2027-03-31', autoRenew: false });
    await expect(switchAutoRenew(deps, 'acme', { productId: 'dom', on: true })).rejects.toMatchObject({ status: 422, code: 'auto_renew_not_offered' });
    const all = await switchAutoRenew(deps, 'acme', { on: true, all: true });
    expect(all.changed).toEqual(['web']);
    expect(all.refused).toEqual([
      { productId: 'dom', code: 'auto_renew_not_offered', message: '.ch domain name does not renew automatically: renew example.ch manually before 2026-12-31' },
    ]);
    expect((await rt.store.getProduct('acme', 'dom'))?.autoRenew).toBe(false);
  });
  it('is not switched on by a payment with a saved card, which would switch it on for any other type (R-8)', async () => {
    const { rt, deps, method } = await manualOnly();
    await addProduct(deps, 'acme', { ...DOMAIN, autoRenew: false, expiry: '2026-12-31' });
    await addProduct(deps, 'acme', { id: 'web', typeId: 'web-hosting', name: 'example.ch hosting', expiry: '2026-12-31', autoRenew: false });
    // No balance: both renewals are charged on the saved Visa card.
    await renewManually(deps, 'acme', { productId: 'dom', paymentMethodId: method.id, requestId: 'r-dom' });
    await renewManually(deps, 'acme', { productId: 'web', paymentMethodId: method.id, requestId: 'r-web' });
    expect((await rt.store.getProduct('acme', 'dom'))?.autoRenew).toBe(false);
    expect((await rt.store.getProduct('acme', 'web'))?.autoRenew).toBe(true);
  });
});
