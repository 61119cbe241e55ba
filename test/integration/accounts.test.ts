import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { setMember } from '../../shared/use-cases/manage-organisation.ts';
import { addPaymentMethod, createOrganisation } from '../../shared/use-cases/manage-organisation.ts';
import { listProducts, switchAutoRenew } from '../../shared/use-cases/manage-products.ts';
import { topUpBalance } from '../../shared/use-cases/top-up-balance.ts';
import { aProduct, anOrg, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

const db = useDynamoDbLocal();

describe('prepaid balance top-ups', () => {
  it('accepts deposits from 0.10 to 9999 and refuses anything outside, changing nothing', async () => {
    const rt = await runtime(db.endpoint());
    const { org } = await anOrg(rt);
    await expect(topUpBalance(rt.deps, org.id, { amount: '0.09', reference: 'a' })).rejects.toThrow(/between 0.10 and 9999.00 CHF/);
    await expect(topUpBalance(rt.deps, org.id, { amount: '9999.01', reference: 'b' })).rejects.toThrow(/between/);
    await expect(topUpBalance(rt.deps, org.id, { amount: '-5', reference: 'c' })).rejects.toThrow(/positive amount/);
    await expect(topUpBalance(rt.deps, org.id, { amount: '1.234', reference: 'd' })).rejects.toThrow(/at most 2 decimals/);
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('0.00');
    expect(await rt.store.listLedger(org.id)).toHaveLength(0);

    await topUpBalance(rt.deps, org.id, { amount: '0.1', reference: 'e' });
    const res = await topUpBalance(rt.deps, org.id, { amount: '9999', reference: 'f' });
    expect(res).toEqual({ balance: '9999.10', credited: '9999.00' });
    await rt.close();
  });

  it('credits a retried deposit once', async () => {
    const rt = await runtime(db.endpoint());
    const { org } = await anOrg(rt);
    await topUpBalance(rt.deps, org.id, { amount: '50', reference: 'same' });
    await expect(topUpBalance(rt.deps, org.id, { amount: '50', reference: 'same' })).rejects.toThrow(/already credited/);
    const ledger = await rt.store.listLedger(org.id);
    expect(ledger).toHaveLength(1);
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('50.00');
    expect(ledger.reduce((s, e) => s.plus(e.amount), new Decimal(0)).toFixed(2)).toBe('50.00');
    await rt.close();
  });

  it('keeps concurrent deposits exact', async () => {
    const rt = await runtime(db.endpoint());
    const { org } = await anOrg(rt);
    await Promise.all(Array.from({ length: 12 }, (_, i) => topUpBalance(rt.deps, org.id, { amount: '0.10', reference: `c${i}` })));
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('1.20');
    await rt.close();
  });
});

describe('auto-renewal switch', () => {
  it('refuses to switch on less than 14 days before expiry and says to renew manually', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-18' });
    const { org } = await anOrg(rt);
    await aProduct(rt, org.id, { id: 'soon', expiry: '2026-12-31', autoRenew: false });
    await expect(switchAutoRenew(rt.deps, org.id, { on: true, productId: 'soon' })).rejects.toThrow(/Renew it manually first/);
    expect((await rt.store.getProduct(org.id, 'soon'))!.autoRenew).toBe(false);
    await rt.close();
  });

  it('switches on 14 days before expiry and schedules the first attempt that day', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-17' });
    const { org, method } = await anOrg(rt, { method: 'pm_card_visa' });
    await aProduct(rt, org.id, { id: 'ok', expiry: '2026-12-31', autoRenew: false });
    const res = await switchAutoRenew(rt.deps, org.id, { on: true, productId: 'ok', paymentMethodId: method!.id });
    expect(res.changed).toEqual(['ok']);
    expect(await rt.store.getProduct(org.id, 'ok')).toMatchObject({ autoRenew: true, nextActionDate: '2026-12-17', paymentMethodId: method!.id });
    await rt.close();
  });

  it('always allows switching off, and then no attempt is scheduled', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-28' });
    const { org } = await anOrg(rt);
    await aProduct(rt, org.id, { id: 'off', expiry: '2026-12-31' });
    await switchAutoRenew(rt.deps, org.id, { on: false, productId: 'off' });
    expect(await rt.store.getProduct(org.id, 'off')).toMatchObject({ autoRenew: false, nextActionDate: '2026-12-30' });
    await rt.close();
  });

  it("switches all of an organisation's products at once and lists those it had to refuse", async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-01' });
    const { org } = await anOrg(rt);
    await aProduct(rt, org.id, { id: 'a', expiry: '2026-12-05', autoRenew: false });
    await aProduct(rt, org.id, { id: 'b', expiry: '2027-03-01', autoRenew: false });
    await aProduct(rt, org.id, { id: 'c', expiry: '2027-05-01', autoRenew: true });
    const res = await switchAutoRenew(rt.deps, org.id, { on: true, all: true });
    expect(res.changed).toEqual(['b']);
    expect(res.unchanged).toEqual(['c']);
    expect(res.refused).toEqual([expect.objectContaining({ productId: 'a', code: 'auto_renew_too_late' })]);
    const off = await switchAutoRenew(rt.deps, org.id, { on: false, all: true });
    expect(off.changed.sort()).toEqual(['b', 'c']);
    await rt.close();
  });

  it('is refused to a collaborator without billing rights', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-11-01' });
    const { org } = await anOrg(rt);
    await aProduct(rt, org.id, { id: 'x', expiry: '2027-03-01', autoRenew: false });
    await setMember(rt.deps, { kind: 'user', userId: `owner-${org.id}` }, org.id, {
      userId: 'collab',
      email: 'c@x.ch',
      name: 'C',
      role: 'collaborator',
      billingRights: false,
      productIds: ['x'],
    });
    await expect(switchAutoRenew(rt.deps, org.id, { on: true, productId: 'x' }, { kind: 'user', userId: 'collab' })).rejects.toMatchObject({
      status: 403,
    });
    await expect(switchAutoRenew(rt.deps, org.id, { on: true, productId: 'x' }, { kind: 'user', userId: 'stranger' })).rejects.toMatchObject({
      status: 403,
    });
    await rt.close();
  });
});

describe('organisations and products', () => {
  it('lists the products due in the next 2 months by default, or all of them', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-11-01' });
    const { org } = await anOrg(rt);
    await aProduct(rt, org.id, { id: 'near', expiry: '2026-12-31' });
    await aProduct(rt, org.id, { id: 'edge', expiry: '2027-01-01' });
    await aProduct(rt, org.id, { id: 'far', expiry: '2027-06-01' });
    expect((await listProducts(rt.deps, org.id, '2m')).map((p) => p.id)).toEqual(['near', 'edge']);
    expect((await listProducts(rt.deps, org.id, 'all')).map((p) => p.id)).toEqual(['near', 'edge', 'far']);
    await rt.close();
  });

  it('refuses a Twint or PostFinance method for an organisation that pays in EUR', async () => {
    const rt = await runtime(db.endpoint());
    const { org } = await anOrg(rt, { currency: 'EUR' });
    await expect(addPaymentMethod(rt.deps, org.id, { kind: 'postfinance', label: 'PF', gatewayRef: 'pm_pf' })).rejects.toThrow(/only invoices in CHF/);
    expect(await rt.store.listPaymentMethods(org.id)).toHaveLength(0);
    await rt.close();
  });

  it('refuses an invalid VAT number and a duplicate organisation id', async () => {
    const rt = await runtime(db.endpoint());
    const base = { name: 'X', currency: 'EUR', country: 'DE', owner: { userId: 'u', email: 'u@x.de', name: 'U' } };
    await expect(createOrganisation(rt.deps, { ...base, id: 'bad-vat', vatNumber: 'DE123' })).rejects.toThrow(/not valid/);
    await createOrganisation(rt.deps, { ...base, id: 'dup' });
    await expect(createOrganisation(rt.deps, { ...base, id: 'dup' })).rejects.toMatchObject({ status: 409 });
    await rt.close();
  });

  it('gives one user access to two organisations in the same instant (each grant has its own e-mail)', async () => {
    // Before: the access e-mail was known by user, change and instant only, so the second grant
    // (another organisation, same instant) collided with the first and was refused as a concurrent write.
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    await anOrg(rt, { id: 'first' });
    await anOrg(rt, { id: 'second' });
    const carla = { userId: 'carla', email: 'carla@example.ch', name: 'Carla', role: 'administrator', billingRights: true, productIds: [] };
    await setMember(rt.deps, { kind: 'system' }, 'first', carla);
    await setMember(rt.deps, { kind: 'system' }, 'second', carla);
    expect((await rt.store.getMember('second', 'carla'))?.role).toBe('administrator');
    expect(await rt.store.listMembershipsOf('carla')).toEqual(['first', 'second']);
    await rt.close();
  });

  it('lets a collaborator without billing rights see the products given to them (not pay them), and nobody outside', async () => {
    // Before: listing needed billing rights, so such a collaborator saw nothing at all (docs/domain.md R-2 lets them see theirs).
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    await anOrg(rt, { id: 'seen' });
    await aProduct(rt, 'seen', { id: 'theirs', expiry: '2026-12-31' });
    await aProduct(rt, 'seen', { id: 'others', expiry: '2026-12-31' });
    await setMember(rt.deps, { kind: 'system' }, 'seen', {
      userId: 'colin',
      email: 'colin@seen.ch',
      name: 'Colin',
      role: 'collaborator',
      billingRights: false,
      productIds: ['theirs'],
    });
    await setMember(rt.deps, { kind: 'system' }, 'seen', { userId: 'ext', email: 'ext@agency.ch', name: 'Ext', role: 'external', billingRights: false, productIds: ['others'] });
    const colin = { kind: 'user' as const, userId: 'colin' };
    expect((await listProducts(rt.deps, 'seen', 'all', colin)).map((p) => p.id)).toEqual(['theirs']);
    expect((await listProducts(rt.deps, 'seen', 'all', { kind: 'user', userId: 'ext' })).map((p) => p.id)).toEqual(['others']);
    await expect(listProducts(rt.deps, 'seen', 'all', { kind: 'user', userId: 'stranger' })).rejects.toMatchObject({ status: 403 });
    await expect(switchAutoRenew(rt.deps, 'seen', { productId: 'theirs', on: false }, colin)).rejects.toMatchObject({ status: 403 });
    await rt.close();
  });
});
