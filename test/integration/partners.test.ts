import { describe, expect, it } from 'vitest';
import { runNight } from '../../functions/local-runtime.ts';
import { startCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { listSelectableProducts } from '../../shared/use-cases/manage-products.ts';
import { linkToPartner, setPartnerProfile } from '../../shared/use-cases/manage-partners.ts';
import { setMember } from '../../shared/use-cases/manage-organisation.ts';
import { aProduct, anOrg, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

const db = useDynamoDbLocal();

describe('partners', () => {
  it("carries the partner's discount on the invoice lines of a client it manages", async () => {
    const rt = await runtime(db.endpoint());
    const { org: partner } = await anOrg(rt);
    await setPartnerProfile(rt.deps, partner.id, { discountPercent: '20' });
    const { org: client } = await anOrg(rt, { balance: '50.00' });
    await linkToPartner(rt.deps, client.id, { partnerId: partner.id }, { kind: 'user', userId: `owner-${client.id}` });
    await aProduct(rt, client.id, { id: 'managed', expiry: '2026-12-31' });

    await runNight(rt, '2026-12-17');

    const [invoice] = await rt.store.listInvoices(client.id);
    // 13.00 less 20 % = 10.40 net, VAT 8.1 % = 0.84
    expect(invoice!.lines[0]).toMatchObject({ unitPrice: '13.00', discountPercent: '20', discount: '2.60', net: '10.40', vat: '0.84', gross: '11.24' });
    expect(invoice!.total).toBe('11.24');
    expect((await rt.store.getOrganisation(client.id))!.balance).toBe('38.76');
    await rt.close();
  });

  it("quotes, invoices and asks by pro-forma the partner's discount when the client or its partner pays a selection", async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-01' });
    const { org: partner } = await anOrg(rt);
    await setPartnerProfile(rt.deps, partner.id, { discountPercent: '20' });
    const { org: client } = await anOrg(rt, { balance: '50.00' });
    await linkToPartner(rt.deps, client.id, { partnerId: partner.id }, { kind: 'user', userId: `owner-${client.id}` });
    await aProduct(rt, client.id, { id: 'by-balance', expiry: '2026-12-31' });
    await aProduct(rt, client.id, { id: 'by-transfer', expiry: '2027-01-15' });

    // 13.00 less 20 % = 10.40 net, VAT 8.1 % = 0.84: 11.24, as on the automatic renewal.
    const paid = await startCheckout(
      rt.deps,
      client.id,
      { items: [{ productId: 'by-balance' }], method: 'card', useBalance: true, requestId: 'selection-1' },
      { kind: 'user', userId: `owner-${client.id}` },
    );
    expect(paid).toMatchObject({ status: 'paid', total: '11.24', balanceUsed: '11.24', amountDue: '0.00' });
    const [invoice] = await rt.store.listInvoices(client.id);
    expect(invoice).toMatchObject({ orgId: client.id, total: '11.24' });
    expect(invoice!.lines[0]).toMatchObject({ unitPrice: '13.00', discountPercent: '20', discount: '2.60', net: '10.40', vat: '0.84', gross: '11.24' });
    expect((await rt.store.getOrganisation(client.id))!.balance).toBe('38.76');

    // The partner's billing user pays another by transfer: the client's pro-forma asks the discounted price.
    const byPartner = await startCheckout(
      rt.deps,
      client.id,
      { items: [{ productId: 'by-transfer' }], method: 'iban', useBalance: false, requestId: 'selection-2' },
      { kind: 'user', userId: `owner-${partner.id}` },
    );
    expect(byPartner).toMatchObject({ total: '11.24', amountDue: '11.24' });
    const proforma = (await rt.store.listInvoices(client.id)).find((i) => i.series === 'PRO');
    expect(proforma).toMatchObject({ total: '11.24', amountDue: '11.24' });
    expect(proforma!.lines[0]).toMatchObject({ discountPercent: '20', discount: '2.60', net: '10.40' });
    await rt.close();
  });

  it('invoices and charges the partner for a client that allows it, from the partner balance and renewal method', async () => {
    const rt = await runtime(db.endpoint());
    const { org: partner, method } = await anOrg(rt, { balance: '5.00', method: 'pm_card_visa' });
    await setPartnerProfile(rt.deps, partner.id, { discountPercent: '35', renewalMethodId: method!.id });
    const { org: client } = await anOrg(rt, { balance: '100.00' });
    await linkToPartner(rt.deps, client.id, { partnerId: partner.id, billToPartner: true });
    await aProduct(rt, client.id, { id: 'billed', expiry: '2026-12-31' });

    const night = await runNight(rt, '2026-12-17');

    expect(night.paid).toBe(1);
    expect(await rt.store.listInvoices(client.id)).toHaveLength(0);
    const [invoice] = await rt.store.listInvoices(partner.id);
    expect(invoice).toMatchObject({ orgId: partner.id, buyer: { name: partner.name }, total: '9.13' });
    expect(invoice!.lines[0]!.description).toContain(client.name);
    expect(invoice!.payments).toEqual([
      { method: 'balance', amount: '5.00' },
      { method: 'card', amount: '4.13', ref: expect.stringMatching(/^pi_/) },
    ]);
    expect((await rt.store.getOrganisation(client.id))!.balance).toBe('100.00');
    expect((await rt.store.getProduct(client.id, 'billed'))!.expiry).toBe('2027-12-31');
    await rt.close();
  });

  it("lets a partner's billing user manage a client's products, and nobody else's", async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-01' });
    const { org: partner } = await anOrg(rt);
    await setPartnerProfile(rt.deps, partner.id, { discountPercent: '10' });
    await setMember(rt.deps, { kind: 'system' }, partner.id, { userId: 'intern', email: 'i@p.ch', name: 'I', role: 'collaborator', billingRights: false });
    const { org: client } = await anOrg(rt);
    const { org: stranger } = await anOrg(rt);
    await linkToPartner(rt.deps, client.id, { partnerId: partner.id });
    await aProduct(rt, client.id, { id: 'seen', expiry: '2026-12-31' });
    await aProduct(rt, stranger.id, { id: 'unseen', expiry: '2026-12-31' });

    const listed = await listSelectableProducts(rt.deps, client.id, 'all', { kind: 'user', userId: `owner-${partner.id}` });
    expect(listed.map((p) => p.id)).toEqual(['seen']);
    await expect(listSelectableProducts(rt.deps, stranger.id, 'all', { kind: 'user', userId: `owner-${partner.id}` })).rejects.toMatchObject({ status: 403 });
    await expect(listSelectableProducts(rt.deps, client.id, 'all', { kind: 'user', userId: 'intern' })).rejects.toMatchObject({ status: 403 });
    await rt.close();
  });

  it('refuses a partner link or profile that breaks the rules', async () => {
    const rt = await runtime(db.endpoint());
    const { org: partner } = await anOrg(rt, { currency: 'EUR' });
    const { org: notPartner } = await anOrg(rt);
    const { org: client } = await anOrg(rt);
    await expect(setPartnerProfile(rt.deps, partner.id, { discountPercent: '36' })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/at most 35/) });
    await expect(setPartnerProfile(rt.deps, partner.id, { discountPercent: '10' }, { kind: 'user', userId: `owner-${partner.id}` })).rejects.toMatchObject({ status: 403 });
    await setPartnerProfile(rt.deps, partner.id, { discountPercent: '10' });
    await expect(linkToPartner(rt.deps, client.id, { partnerId: notPartner.id })).rejects.toMatchObject({ status: 404 });
    await expect(linkToPartner(rt.deps, client.id, { partnerId: partner.id, billToPartner: true })).rejects.toMatchObject({ status: 422, code: 'partner_currency_mismatch' });
    await setMember(rt.deps, { kind: 'system' }, client.id, { userId: 'c', email: 'c@c.ch', name: 'C', role: 'collaborator', billingRights: true });
    await expect(linkToPartner(rt.deps, client.id, { partnerId: partner.id }, { kind: 'user', userId: 'c' })).rejects.toMatchObject({ status: 403 });
    expect((await rt.store.getOrganisation(client.id))!.partnerId).toBeUndefined();
    await rt.close();
  });
});
