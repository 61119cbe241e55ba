import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { drainQueues, runNight, type LocalRuntime } from '../../functions/local-runtime.ts';
import { signWebhookPayload, SANDBOX_WEBHOOK_SECRET } from '../../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import { InvalidSignatureError } from '../../shared/ports/payment-gateway.ts';
import type { Actor } from '../../shared/use-cases/actor.ts';
import { reconcileGatewayEvents, receiveWebhook } from '../../shared/use-cases/checkout/gateway-events.ts';
import { getCheckout } from '../../shared/use-cases/checkout/get-checkout.ts';
import { startCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { startTopUp } from '../../shared/use-cases/checkout/start-top-up.ts';
import { releaseHold } from '../../shared/use-cases/checkout/settle-checkout.ts';
import { setMember } from '../../shared/use-cases/manage-organisation.ts';
import { aProduct, anOrg, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

const db = useDynamoDbLocal();

const owner = (orgId: string): Actor => ({ kind: 'user', userId: `owner-${orgId}` });

async function ledgerSum(rt: LocalRuntime, orgId: string) {
  return (await rt.store.listLedger(orgId)).reduce((s, e) => s.plus(e.amount), new Decimal(0)).toFixed(2);
}

/** What Stripe.js does in the browser, then the webhook deliveries that follow. */
async function customerPays(rt: Awaited<ReturnType<typeof runtime>>, paymentRef: string, method = 'pm_card_visa') {
  await rt.sandbox.confirmPayment(paymentRef, method);
  await drainQueues(rt);
}

describe('pay a selection', () => {
  it('pays two products with the balance and a card: one invoice, both renewed, auto-renew switched on with the saved card', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org } = await anOrg(rt, { balance: '5.00' });
    await aProduct(rt, org.id, { id: 'a-ch', expiry: '2026-12-31', autoRenew: false });
    await aProduct(rt, org.id, { id: 'b-ch', expiry: '2027-01-15', autoRenew: false });

    const view = await startCheckout(
      rt.deps,
      org.id,
      { items: [{ productId: 'a-ch' }, { productId: 'b-ch', periodMonths: 24 }], method: 'card', requestId: 'req-00000001' },
      owner(org.id),
    );

    // 13.00 + 26.00 = 39.00 net, VAT 8.1 % per line: 1.05 + 2.11 = 3.16
    expect(view).toMatchObject({ status: 'awaiting_payment', total: '42.16', totalVat: '3.16', balanceUsed: '5.00', amountDue: '37.16' });
    expect(view.payment?.clientSecret).toMatch(/secret/);
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('0.00');

    await customerPays(rt, view.payment!.paymentRef);

    const paid = await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id));
    expect(paid).toMatchObject({ status: 'paid', invoiceNumber: 'INV-CH-2026-000001' });
    const [invoice] = await rt.store.listInvoices(org.id);
    expect(invoice!.lines.map((l) => [l.productId, l.periodFrom, l.periodTo, l.gross])).toEqual([
      ['a-ch', '2026-12-31', '2027-12-31', '14.05'],
      ['b-ch', '2027-01-15', '2029-01-15', '28.11'],
    ]);
    expect(invoice!.payments).toEqual([
      { method: 'balance', amount: '5.00' },
      { method: 'card', amount: '37.16', ref: view.payment!.paymentRef },
    ]);
    const a = (await rt.store.getProduct(org.id, 'a-ch'))!;
    expect(a).toMatchObject({ expiry: '2027-12-31', autoRenew: true, paymentMethodId: 'pm-pm_card_visa' });
    expect((await rt.store.getProduct(org.id, 'b-ch'))!).toMatchObject({ expiry: '2029-01-15', periodMonths: 24 });
    expect((await rt.store.listPaymentMethods(org.id)).map((m) => m.label)).toEqual(['Visa •••• 4242']);
    expect(await ledgerSum(rt, org.id)).toBe('0.00');
    const [payment] = await rt.store.listPayments(org.id);
    expect(payment).toMatchObject({ amount: '37.16', invoiceNumber: invoice!.number, checkoutId: view.checkoutId });
    expect((await rt.store.listOutbox('2026-12-10')).map((m) => m.template)).toEqual(['checkout-paid']);
    await rt.close();
  });

  it('settles entirely from the balance at once when it covers the selection', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org } = await anOrg(rt, { balance: '50.00' });
    await aProduct(rt, org.id, { id: 'bal', expiry: '2026-12-31', autoRenew: false });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'bal' }], method: 'card', requestId: 'req-balance-1' }, owner(org.id));
    expect(view).toMatchObject({ status: 'paid', method: 'balance', balanceUsed: '14.05', amountDue: '0.00', invoiceNumber: 'INV-CH-2026-000001' });
    expect(view.payment).toBeUndefined();
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('35.95');
    expect(await ledgerSum(rt, org.id)).toBe('35.95');
    expect(rt.sandbox.eventLog()).toHaveLength(0);
    await rt.close();
  });

  it('keeps the checkout open after a decline and settles when the customer pays with another card', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org } = await anOrg(rt);
    await aProduct(rt, org.id, { id: 'dec', expiry: '2026-12-31', autoRenew: false });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'dec' }], method: 'card', requestId: 'req-decline-1' }, owner(org.id));

    await customerPays(rt, view.payment!.paymentRef, 'pm_card_chargeDeclined');
    expect(await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).toMatchObject({
      status: 'awaiting_payment',
      lastFailure: { code: 'card_declined' },
    });
    expect(await rt.store.listInvoices(org.id)).toHaveLength(0);

    await customerPays(rt, view.payment!.paymentRef, 'pm_card_visa');
    expect(await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).toMatchObject({ status: 'paid' });
    expect(await rt.store.listInvoices(org.id)).toHaveLength(1);
    await rt.close();
  });

  it('lets a customer whose bank required authentication pay on-session after the automatic attempt stopped', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-01' });
    const { org, method } = await anOrg(rt, { method: 'pm_card_authenticationRequired' });
    await aProduct(rt, org.id, { id: 'sca', expiry: '2026-12-31', paymentMethodId: method!.id });
    await runNight(rt, '2026-12-17');
    const [mail] = await rt.store.listOutbox('2026-12-17');
    expect(mail!.template).toBe('authentication-required');

    rt.clock.day = '2026-12-18';
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'sca' }], method: 'card', requestId: 'req-sca-0001' }, owner(org.id));
    await customerPays(rt, view.payment!.paymentRef, 'pm_card_authenticationRequired');
    expect((await rt.store.getProduct(org.id, 'sca'))!.expiry).toBe('2027-12-31');
    await rt.close();
  });

  it('never settles twice on duplicate webhooks, and a failure arriving after the success changes nothing', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org } = await anOrg(rt);
    await aProduct(rt, org.id, { id: 'dup', expiry: '2026-12-31', autoRenew: false });
    const captured: { raw: string; sig: string }[] = [];
    rt.sandbox.onWebhook(async (raw, sig) => void captured.push({ raw, sig }));
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'dup' }], method: 'card', requestId: 'req-dup-0001' }, owner(org.id));
    await rt.sandbox.confirmPayment(view.payment!.paymentRef, 'pm_card_chargeDeclined');
    await rt.sandbox.confirmPayment(view.payment!.paymentRef, 'pm_card_visa');
    const failure = captured.find((c) => c.raw.includes('payment_intent.payment_failed'))!;
    const success = captured.find((c) => c.raw.includes('payment_intent.succeeded'))!;

    // Delivered again, in the wrong order, some twice.
    for (const c of [success, failure, success, failure]) await receiveWebhook(rt.deps, c.raw, c.sig);
    await drainQueues(rt);

    expect(await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).toMatchObject({ status: 'paid' });
    expect(await rt.store.listInvoices(org.id)).toHaveLength(1);
    expect(await rt.store.listPayments(org.id)).toHaveLength(1);
    expect((await rt.store.getProduct(org.id, 'dup'))!.expiry).toBe('2027-12-31');
    const first = await receiveWebhook(rt.deps, success.raw, success.sig);
    expect(first.duplicate).toBe(true);
    await rt.close();
  });

  it('refuses forged, tampered and stale webhook signatures and stores nothing', async () => {
    const rt = await runtime(db.endpoint());
    const payload = JSON.stringify({ id: 'evt_forged', object: 'event', type: 'payment_intent.succeeded', created: 1_900_000_000, data: { object: { id: 'pi_x' } } });
    const now = Math.floor(Date.now() / 1000);
    await expect(receiveWebhook(rt.deps, payload, signWebhookPayload(payload, 'whsec_wrong', now))).rejects.toBeInstanceOf(InvalidSignatureError);
    await expect(receiveWebhook(rt.deps, payload.replace('pi_x', 'pi_y'), signWebhookPayload(payload, SANDBOX_WEBHOOK_SECRET, now))).rejects.toBeInstanceOf(InvalidSignatureError);
    await expect(receiveWebhook(rt.deps, payload, signWebhookPayload(payload, SANDBOX_WEBHOOK_SECRET, now - 301))).rejects.toBeInstanceOf(InvalidSignatureError);
    await expect(receiveWebhook(rt.deps, payload, undefined)).rejects.toBeInstanceOf(InvalidSignatureError);
    expect(await rt.store.getGatewayEvent('evt_forged')).toBeUndefined();
    expect(rt.settlementQueue.depth).toBe(0);
    await rt.close();
  });

  it('returns the same checkout for a retried request and refuses the key for a different one', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org } = await anOrg(rt);
    await aProduct(rt, org.id, { id: 'idem', expiry: '2026-12-31', autoRenew: false });
    await aProduct(rt, org.id, { id: 'other', expiry: '2026-12-31', autoRenew: false });
    const body = { items: [{ productId: 'idem' }], method: 'card', requestId: 'req-idem-0001' };
    const [a, b] = await Promise.all([startCheckout(rt.deps, org.id, body, owner(org.id)), startCheckout(rt.deps, org.id, body, owner(org.id))]);
    expect(b.checkoutId).toBe(a.checkoutId);
    expect(b.payment?.paymentRef).toBe(a.payment?.paymentRef);
    await expect(startCheckout(rt.deps, org.id, { ...body, items: [{ productId: 'other' }] }, owner(org.id))).rejects.toMatchObject({
      status: 409,
      code: 'idempotency_key_reused',
    });
    await expect(startCheckout(rt.deps, org.id, { ...body, requestId: 'req-idem-0002' }, owner(org.id))).rejects.toMatchObject({ status: 409, code: 'product_in_open_checkout' });
    await rt.close();
  });

  it('refuses what the rules forbid, with the right status, and changes nothing', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org } = await anOrg(rt, { currency: 'EUR', balance: '3.00' });
    const { org: other } = await anOrg(rt);
    await aProduct(rt, org.id, { id: 'eur', expiry: '2026-12-31', autoRenew: false });
    await aProduct(rt, other.id, { id: 'theirs', expiry: '2026-12-31', autoRenew: false });
    const req = (over: object) => ({ items: [{ productId: 'eur' }], method: 'card', requestId: 'req-rules-001', ...over });
    await expect(startCheckout(rt.deps, org.id, req({ method: 'postfinance' }), owner(org.id))).rejects.toMatchObject({ status: 422, code: 'method_currency_not_supported' });
    await expect(startCheckout(rt.deps, org.id, req({ method: 'twint' }), owner(org.id))).rejects.toMatchObject({
      status: 422,
      message: expect.stringMatching(/Twint accepts only invoices in CHF/),
    });
    await expect(startCheckout(rt.deps, org.id, req({ items: [{ productId: 'eur', periodMonths: 5 }] }), owner(org.id))).rejects.toMatchObject({
      status: 400,
      code: 'period_not_allowed',
    });
    await expect(startCheckout(rt.deps, org.id, req({ items: [{ productId: 'eur' }, { productId: 'eur' }] }), owner(org.id))).rejects.toMatchObject({ status: 400 });
    await expect(startCheckout(rt.deps, org.id, req({ method: 'balance' }), owner(org.id))).rejects.toMatchObject({ status: 422, code: 'insufficient_balance' });
    await expect(startCheckout(rt.deps, org.id, req({ items: [] }), owner(org.id))).rejects.toMatchObject({ status: 400, message: 'items: select at least one product' });
    // Another organisation's user learns nothing, not even whether the product exists.
    await expect(startCheckout(rt.deps, org.id, req({}), owner(other.id))).rejects.toMatchObject({ status: 403 });
    await expect(startCheckout(rt.deps, org.id, req({ items: [{ productId: 'theirs' }] }), owner(org.id))).rejects.toMatchObject({ status: 404 });
    await setMember(rt.deps, owner(org.id), org.id, { userId: 'colla', email: 'c@example.ch', name: 'C', role: 'collaborator', billingRights: false, productIds: ['eur'] });
    await expect(startCheckout(rt.deps, org.id, req({}), { kind: 'user', userId: 'colla' })).rejects.toMatchObject({ status: 403 });
    expect(await rt.store.listCheckouts(org.id)).toHaveLength(0);
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('3.00');
    await rt.close();
  });

  it('issues a pro-forma from its own series for a bank transfer, holding the balance part', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org } = await anOrg(rt, { balance: '4.00' });
    await aProduct(rt, org.id, { id: 'iban', expiry: '2026-12-31', autoRenew: false });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'iban' }], method: 'iban', requestId: 'req-iban-0001' }, owner(org.id));
    expect(view).toMatchObject({ status: 'awaiting_payment', proformaNumber: 'PRO-CH-2026-000001', amountDue: '10.05', balanceUsed: '4.00' });
    const [proforma] = await rt.store.listInvoices(org.id);
    expect(proforma).toMatchObject({ series: 'PRO', status: 'open', total: '14.05' });
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('0.00');
    await rt.close();
  });

  it('starts a pending order on the day it is paid', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org } = await anOrg(rt);
    const { addProduct } = await import('../../shared/use-cases/manage-products.ts');
    await addProduct(rt.deps, org.id, { id: 'new-ch', typeId: 'domain-ch', name: 'new.ch', expiry: '2026-12-01', status: 'pending' });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'new-ch' }], method: 'twint', requestId: 'req-order-001' }, owner(org.id));
    await customerPays(rt, view.payment!.paymentRef, 'pm_twint');
    expect((await rt.store.getProduct(org.id, 'new-ch'))!).toMatchObject({ status: 'active', expiry: '2027-12-10', autoRenew: true });
    await rt.close();
  });
});

describe('prepaid balance top-ups through a payment', () => {
  it('credits the balance only when the payment succeeds, within 0.10 to 9999', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org } = await anOrg(rt);
    await expect(startTopUp(rt.deps, org.id, { amount: '0.09', method: 'card', requestId: 'topup-0001' }, owner(org.id))).rejects.toMatchObject({ status: 400 });
    await expect(startTopUp(rt.deps, org.id, { amount: '9999.01', method: 'card', requestId: 'topup-0002' }, owner(org.id))).rejects.toMatchObject({ status: 400 });
    await expect(startTopUp(rt.deps, org.id, { amount: '50', method: 'twint', requestId: 'topup-0003' }, owner(org.id))).rejects.toMatchObject({ status: 400 });
    const view = await startTopUp(rt.deps, org.id, { amount: '250.00', method: 'postfinance', requestId: 'topup-0004' }, owner(org.id)).catch((e: Error) => e);
    // PostFinance is not offered by the card provider: refused with 422 before anything is written.
    expect(view).toMatchObject({ status: 422, code: 'method_unavailable' });
    expect(await rt.store.listCheckouts(org.id)).toEqual([]);
    const card = await startTopUp(rt.deps, org.id, { amount: '250.00', method: 'card', requestId: 'topup-0005' }, owner(org.id));
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('0.00');
    await customerPays(rt, card.payment!.paymentRef);
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('250.00');
    expect(await ledgerSum(rt, org.id)).toBe('250.00');
    expect((await rt.store.listOutbox('2026-12-10')).map((m) => m.template)).toEqual(['top-up-credited']);
    await rt.close();
  });
});

describe('orders held for an identity check', () => {
  it('holds a paid order, then cancels and refunds it in full after 10 days with a credit note and an e-mail', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-01' });
    const { org } = await anOrg(rt, { balance: '4.00' });
    await rt.store.commit([{ type: 'identityCheck', orgId: org.id, state: 'required' }]);
    await aProduct(rt, org.id, { id: 'kyc', expiry: '2027-01-31', autoRenew: false });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'kyc' }], method: 'card', requestId: 'req-kyc-0001' }, owner(org.id));
    await customerPays(rt, view.payment!.paymentRef);
    expect(await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).toMatchObject({ status: 'held', invoiceNumber: 'INV-CH-2026-000001' });
    expect((await rt.store.getProduct(org.id, 'kyc'))!.expiry).toBe('2027-01-31');

    await runNight(rt, '2026-12-10');
    expect((await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).status).toBe('held');
    const night = await runNight(rt, '2026-12-11');
    expect(night.checkouts.holdsRefunded).toBe(1);

    expect(await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).toMatchObject({ status: 'refunded', creditNoteNumber: 'CN-CH-2026-000001' });
    const note = (await rt.store.listInvoices(org.id)).find((i) => i.series === 'CN')!;
    expect(note).toMatchObject({ refersTo: 'INV-CH-2026-000001', total: '-14.05' });
    const state = await rt.gateway.getPayment(view.payment!.paymentRef);
    expect(state!.amountRefunded.toString()).toBe('10.05');
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('4.00');
    expect(await ledgerSum(rt, org.id)).toBe('4.00');
    const payments = await rt.store.listPayments(org.id);
    expect(payments.map((p) => p.amount).sort()).toEqual(['-10.05', '10.05']);
    expect((await rt.store.listOutbox('2026-12-11')).map((m) => m.template)).toContain('order-refunded');
    // The refund's own webhook finds everything recorded already.
    expect(await rt.store.listInvoices(org.id)).toHaveLength(2);
    await rt.close();
  });

  it('fulfils a held order once the identity check has passed', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-01' });
    const { org } = await anOrg(rt);
    await rt.store.commit([{ type: 'identityCheck', orgId: org.id, state: 'required' }]);
    await aProduct(rt, org.id, { id: 'ok-kyc', expiry: '2027-01-31', autoRenew: false });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'ok-kyc' }], method: 'card', requestId: 'req-kyc-0002' }, owner(org.id));
    await customerPays(rt, view.payment!.paymentRef);
    await releaseHold(rt.deps, org.id, view.checkoutId);
    expect((await rt.store.getProduct(org.id, 'ok-kyc'))!).toMatchObject({ expiry: '2028-01-31', autoRenew: true });
    await rt.close();
  });

  it('refunds a held order instead of renewing a product the night terminated meanwhile', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-08' });
    const { org } = await anOrg(rt);
    await rt.store.commit([{ type: 'identityCheck', orgId: org.id, state: 'required' }]);
    // A .ch domain lapsed on 1 November: blocked at once, terminated 40 days after expiry (11 December).
    await aProduct(rt, org.id, { id: 'late-kyc', expiry: '2026-11-01', autoRenew: false });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'late-kyc' }], method: 'card', requestId: 'req-kyc-late' }, owner(org.id));
    await customerPays(rt, view.payment!.paymentRef);
    await runNight(rt, '2026-12-11');
    expect((await rt.store.getProduct(org.id, 'late-kyc'))!.status).toBe('terminated');

    await releaseHold(rt.deps, org.id, view.checkoutId);
    expect(await rt.store.getProduct(org.id, 'late-kyc')).toMatchObject({ status: 'terminated', expiry: '2026-11-01' });
    expect((await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).status).toBe('refunded');
    expect((await rt.gateway.getPayment(view.payment!.paymentRef))!.amountRefunded.toString()).toBe('14.05');
    await rt.close();
  });

  it('neither charges automatically nor sells again a product whose paid order is held, so its period is paid once', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org, method } = await anOrg(rt, { method: 'pm_card_visa' });
    await rt.store.commit([{ type: 'identityCheck', orgId: org.id, state: 'required' }]);
    await aProduct(rt, org.id, { id: 'held-auto', expiry: '2026-12-31', paymentMethodId: method!.id });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'held-auto' }], method: 'card', requestId: 'req-kyc-0003' }, owner(org.id));
    await customerPays(rt, view.payment!.paymentRef);
    expect((await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).status).toBe('held');
    const [ordered] = await rt.store.listInvoices(org.id);
    expect(ordered!.lines.map((l) => [l.periodFrom, l.periodTo])).toEqual([['2026-12-31', '2027-12-31']]);

    // The night of its first automatic attempt leaves it to the held order.
    const night = await runNight(rt, '2026-12-17');
    expect(night.attempted).toBe(0);
    expect(rt.sandbox.calls).toHaveLength(0);
    await expect(startCheckout(rt.deps, org.id, { items: [{ productId: 'held-auto' }], method: 'card', requestId: 'req-kyc-0004' }, owner(org.id))).rejects.toMatchObject({
      status: 409,
      code: 'product_in_open_checkout',
    });

    await rt.store.commit([{ type: 'identityCheck', orgId: org.id, state: 'passed' }]);
    await releaseHold(rt.deps, org.id, view.checkoutId);
    expect((await rt.store.getProduct(org.id, 'held-auto'))!.expiry).toBe('2027-12-31');
    expect((await rt.store.listInvoices(org.id)).map((i) => i.number)).toEqual([ordered!.number]);
    await rt.close();
  });
});

describe('events that never arrived, and events about methods', () => {
  it('settles from the provider event list when the webhook was lost', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org } = await anOrg(rt);
    await aProduct(rt, org.id, { id: 'lost', expiry: '2026-12-31', autoRenew: false });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'lost' }], method: 'card', requestId: 'req-lost-0001' }, owner(org.id));
    // The webhook endpoint was down: the event exists at the provider only.
    const sinks = (rt.sandbox as unknown as { sinks: unknown[] }).sinks;
    sinks.length = 0;
    await rt.sandbox.confirmPayment(view.payment!.paymentRef, 'pm_card_visa');
    expect((await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).status).toBe('awaiting_payment');

    const res = await reconcileGatewayEvents(rt.deps, 0);
    expect(res).toMatchObject({ missing: 2, queued: 2 });
    // Queued for settlement, as the webhook would have been.
    await drainQueues(rt);
    expect((await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).status).toBe('paid');
    expect(await reconcileGatewayEvents(rt.deps, 0)).toMatchObject({ missing: 0, queued: 0 });
    await rt.close();
  });

  it('records a refund made at the provider with a credit note', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org } = await anOrg(rt);
    await aProduct(rt, org.id, { id: 'dash', expiry: '2026-12-31', autoRenew: false });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'dash' }], method: 'card', requestId: 'req-dash-0001' }, owner(org.id));
    await customerPays(rt, view.payment!.paymentRef);
    const { Money } = await import('../../shared/domain/money.ts');
    await rt.sandbox.refund({ paymentRef: view.payment!.paymentRef, amount: Money.of('14.05', 'CHF'), idempotencyKey: 'dashboard-1', metadata: {} });
    await drainQueues(rt);
    expect(await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).toMatchObject({ status: 'refunded', creditNoteNumber: 'CN-CH-2026-000001' });
    expect((await rt.store.listPayments(org.id)).map((p) => p.amount).sort()).toEqual(['-14.05', '14.05']);
    await rt.close();
  });

  it('falls back to the balance when the saved card is detached at the provider, and tells the customer', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org, method } = await anOrg(rt, { method: 'pm_card_mastercard' });
    await aProduct(rt, org.id, { id: 'det', expiry: '2027-03-31', paymentMethodId: method!.id });
    await rt.sandbox.simulateEvent('payment_method.detached', { id: 'pm_card_mastercard', object: 'payment_method', customer: null });
    await drainQueues(rt);
    expect((await rt.store.getProduct(org.id, 'det'))!.paymentMethodId).toBeUndefined();
    expect((await rt.store.getPaymentMethod(org.id, method!.id))!.detachedAt).toBeDefined();
    expect((await rt.store.listOutbox('2026-12-10')).map((m) => m.template)).toEqual(['payment-method-removed']);
    await rt.close();
  });

  it('saves a method from a SetupIntent for later automatic renewals', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org } = await anOrg(rt);
    await rt.sandbox.simulateEvent('setup_intent.succeeded', { id: 'seti_1', object: 'setup_intent', payment_method: 'pm_twint', customer: null, metadata: { orgId: org.id } });
    await drainQueues(rt);
    expect((await rt.store.listPaymentMethods(org.id)).map((m) => [m.kind, m.gatewayRef])).toEqual([['twint', 'pm_twint']]);
    await rt.close();
  });

  it('releases the balance held by a checkout abandoned for two days', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org } = await anOrg(rt, { balance: '3.00' });
    await aProduct(rt, org.id, { id: 'gone', expiry: '2027-03-31', autoRenew: false });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'gone' }], method: 'card', requestId: 'req-gone-0001' }, owner(org.id));
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('0.00');
    expect((await runNight(rt, '2026-12-11')).checkouts.checkoutsCanceled).toBe(0);
    expect((await runNight(rt, '2026-12-12')).checkouts.checkoutsCanceled).toBe(1);
    expect((await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).status).toBe('canceled');
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('3.00');
    // Paying afterwards gives the money back instead of keeping it unexplained.
    rt.clock.day = '2026-12-12';
    await customerPays(rt, view.payment!.paymentRef);
    expect((await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).status).toBe('refunded');
    expect((await rt.gateway.getPayment(view.payment!.paymentRef))!.amountRefunded.toString()).toBe('11.05');
    expect(await ledgerSum(rt, org.id)).toBe('3.00');
    await rt.close();
  });
});
