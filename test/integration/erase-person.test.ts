/**
 * docs/domain.md R-51: erasing a person (GDPR art. 17) takes their memberships and the personal data of the
 * organisation they alone own, and keeps its invoices and accounting records for the legal retention.
 */
import { describe, expect, it } from 'vitest';
import { renewProduct } from '../../shared/use-cases/renew-product.ts';
import { erasePerson } from '../../shared/use-cases/erase-person.ts';
import { addPaymentMethod, createOrganisation, setMember } from '../../shared/use-cases/manage-organisation.ts';
import { topUpBalance } from '../../shared/use-cases/top-up-balance.ts';
import { SYSTEM } from '../../shared/use-cases/actor.ts';
import { aProduct, runtime, useDynamoDbLocal } from '../support/local-stack.ts';
import { tableDigest } from '../support/table-digest.ts';

const db = useDynamoDbLocal();

async function janesWorld() {
  const rt = await runtime(db.endpoint(), { today: '2026-12-17' });
  // Jane's own organisation (she is its one legal owner), paying from her balance, a card saved.
  await createOrganisation(rt.deps, {
    id: 'jane',
    name: 'Jane Doe',
    currency: 'CHF',
    country: 'CH',
    address: 'Chemin des Lilas 4, 1260 Nyon',
    postal: { street: 'Chemin des Lilas', buildingNumber: '4', zip: '1260', city: 'Nyon', country: 'CH' },
    billingContacts: ['jane@doe.example'],
    owner: { userId: 'u-jane', email: 'jane@doe.example', name: 'Jane Doe' },
  });
  await addPaymentMethod(rt.deps, 'jane', { kind: 'card', label: 'Visa •••• 4242', gatewayRef: 'pm_card_visa' });
  await topUpBalance(rt.deps, 'jane', { amount: '14.05', reference: 'seed-jane' });
  await aProduct(rt, 'jane', { id: 'jane-ch', expiry: '2026-12-31' });
  // And a collaborator of a company that has another legal owner.
  await createOrganisation(rt.deps, { id: 'acme', name: 'Acme SA', currency: 'CHF', country: 'CH', owner: { userId: 'u-boss', email: 'boss@acme.example', name: 'Boss' } });
  await setMember(rt.deps, SYSTEM, 'acme', { userId: 'u-jane', email: 'jane@acme.example', name: 'Jane Doe', role: 'collaborator', billingRights: true, productIds: [] });
  // Her domain renewed from the balance (CHF 13.00 + 8.1 % = 14.05): the balance is 0.00 and an invoice names her.
  expect((await renewProduct(rt.deps, { orgId: 'jane', productId: 'jane-ch', night: '2026-12-17' })).status).toBe('done');
  return rt;
}

describe("erasing a person's data (R-51)", () => {
  it('refuses, naming each reason and changing nothing, while her organisation still has a product running or a balance', async () => {
    const rt = await janesWorld();
    await topUpBalance(rt.deps, 'jane', { amount: '5.00', reference: 'late-top-up' });
    const before = await tableDigest(rt);
    await expect(erasePerson(rt.deps, 'u-jane')).rejects.toMatchObject({
      status: 409,
      code: 'erasure_blocked',
      message: 'u-jane cannot be erased yet, their organisation still has jane: 1 product(s) not terminated (jane-ch.ch); jane: a balance of CHF 5.00 to refund or settle',
    });
    expect(await tableDigest(rt)).toEqual(before);
    await rt.close();
  });

  it('erases her organisation and her memberships, keeps its invoices as issued, and then finds nothing left of her', async () => {
    const rt = await janesWorld();
    const product = (await rt.store.getProduct('jane', 'jane-ch'))!;
    await rt.store.commit([{ type: 'product', product: { ...product, status: 'terminated', autoRenew: false, version: product.version + 1 }, expectedVersion: product.version }]);
    const [invoice] = await rt.store.listInvoices('jane');

    const report = await erasePerson(rt.deps, 'u-jane');
    expect(report.organisations).toEqual([
      { orgId: 'acme', outcome: 'membership-removed', membersRemoved: 1, paymentMethodsRemoved: 0 },
      { orgId: 'jane', outcome: 'organisation-erased', membersRemoved: 1, paymentMethodsRemoved: 1 },
    ]);
    const org = (await rt.store.getOrganisation('jane'))!;
    expect(org).toMatchObject({ id: 'jane', name: 'Erased customer jane', billingContacts: [], balance: '0.00', currency: 'CHF', country: 'CH', erasedAt: report.erasedAt });
    for (const field of ['address', 'postal', 'vatNumber', 'eInvoice'] as const) expect(org[field], field).toBeUndefined();
    expect((await rt.store.listOrganisations()).find((o) => o.id === 'jane')?.name).toBe('Erased customer jane');
    expect(await rt.store.listMembers('jane')).toEqual([]);
    expect(await rt.store.listPaymentMethods('jane')).toEqual([]);
    expect(await rt.store.listMembershipsOf('u-jane')).toEqual([]);
    expect((await rt.store.listMembers('acme')).map((m) => m.userId)).toEqual(['u-boss']);
    // The invoice stays as issued, her name and address on it: the legal retention needs it.
    expect(await rt.store.listInvoices('jane')).toEqual([invoice]);
    expect(invoice!.buyer).toMatchObject({ name: 'Jane Doe', postal: { city: 'Nyon' } });
    expect((await rt.store.listLedger('jane')).length).toBeGreaterThan(0);
    await expect(erasePerson(rt.deps, 'u-jane')).rejects.toMatchObject({ status: 404, code: 'person_not_found' });
    await rt.close();
  });

  it("erases an organisation's data only while its balance is the one read: a top-up in between fails the erasure", async () => {
    const rt = await janesWorld();
    await topUpBalance(rt.deps, 'jane', { amount: '1.00', reference: 'between' });
    await expect(
      rt.store.commit([{ type: 'orgErased', orgId: 'jane', name: 'Erased customer jane', erasedAt: '2026-12-17T10:00:00Z', expectedBalance: '0.00' }]),
    ).rejects.toMatchObject({
      name: 'WriteConflict',
    });
    expect((await rt.store.getOrganisation('jane'))!.name).toBe('Jane Doe');
    await rt.close();
  });
});
