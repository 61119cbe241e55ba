import { Decimal } from 'decimal.js';
import { afterEach, describe, expect, it } from 'vitest';
import { drainQueues, runNight } from '../../functions/local-runtime.ts';
import { parseCamt054 } from '../../shared/adapters/bank/camt054.ts';
import { writeCamt054 } from '../../shared/adapters/bank/camt054-writer.ts';
import type { Actor } from '../../shared/use-cases/actor.ts';
import { importBankStatement } from '../../shared/use-cases/bank/import-bank-statement.ts';
import { getCheckout } from '../../shared/use-cases/checkout/get-checkout.ts';
import { startCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { renewManually } from '../../shared/use-cases/renew-manually.ts';
import { startHttpStack, type HttpStack } from '../support/http-client.ts';
import { aProduct, anOrg, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

// docs/domain.md R-17: one period is bought once. A product inside an open checkout is
// not charged by the night, two checkouts cannot take the same product, and
// no payment goes past the type's longest period from today.
//
// Expected figures are worked out by hand: a .ch domain is CHF 13.00 a year,
// Swiss VAT 8.1 % gives 1.053 -> 1.05, so 14.05 a year. What the provider took
// is read from the sandbox's own charge list, not from the engine's records.
const db = useDynamoDbLocal();
const owner = (orgId: string): Actor => ({ kind: 'user', userId: `owner-${orgId}` });

type Rt = Awaited<ReturnType<typeof runtime>>;

async function setUp(rt: Rt, productId: string, opts: { balance?: string } = {}) {
  const { org, method } = await anOrg(rt, { method: 'pm_card_visa', ...(opts.balance ? { balance: opts.balance } : {}) });
  // Expires 2026-12-31: the night's first automatic attempt is on 2026-12-17.
  await aProduct(rt, org.id, { id: productId, expiry: '2026-12-31', paymentMethodId: method!.id });
  return org;
}

/** What the provider says it kept for an organisation: received less refunded, per payment. */
function keptAtProvider(rt: Rt, orgId: string): string[] {
  return rt.sandbox
    .chargeList()
    .filter((c) => c.metadata.orgId === orgId)
    .map((c) => new Decimal(c.received).minus(c.refunded).toFixed(2))
    .filter((kept) => kept !== '0.00');
}

describe('a product inside an open checkout is not charged by the night', () => {
  it('card: the customer opens a checkout, the night passes, the customer pays: one charge, one invoice, the period quoted', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-16' });
    const org = await setUp(rt, 'card');
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'card' }], method: 'card', requestId: 'req-card-0001' }, owner(org.id));
    expect(view.items[0]).toMatchObject({ periodFrom: '2026-12-31', periodTo: '2027-12-31' });

    const night = await runNight(rt, '2026-12-17');
    expect(night.attempted).toBe(0);
    expect(rt.sandbox.calls).toHaveLength(0);

    rt.clock.day = '2026-12-17';
    await rt.sandbox.confirmPayment(view.payment!.paymentRef, 'pm_card_visa');
    await drainQueues(rt);

    expect(keptAtProvider(rt, org.id)).toEqual(['14.05']);
    const invoices = await rt.store.listInvoices(org.id);
    expect(invoices.map((i) => [i.series, i.total])).toEqual([['INV', '14.05']]);
    expect(invoices[0]!.lines.map((l) => [l.periodFrom, l.periodTo])).toEqual([['2026-12-31', '2027-12-31']]);
    expect((await rt.store.getProduct(org.id, 'card'))!.expiry).toBe('2027-12-31');

    // The nights that follow find a paid product: nothing more is charged.
    for (const d of ['2026-12-18', '2026-12-20', '2026-12-24', '2026-12-27']) await runNight(rt, d);
    expect(keptAtProvider(rt, org.id)).toEqual(['14.05']);
    expect(await rt.store.listInvoices(org.id)).toHaveLength(1);
    await rt.close();
  });

  it('balance and card: the balance held by the checkout is not spent again by the night', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-16' });
    const org = await setUp(rt, 'mixed', { balance: '5' });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'mixed' }], method: 'card', requestId: 'req-mixed-001' }, owner(org.id));
    expect([view.balanceUsed, view.amountDue]).toEqual(['5.00', '9.05']);
    await runNight(rt, '2026-12-17');
    expect(rt.sandbox.calls).toHaveLength(0);
    await rt.sandbox.confirmPayment(view.payment!.paymentRef, 'pm_card_visa');
    await drainQueues(rt);
    expect(keptAtProvider(rt, org.id)).toEqual(['9.05']);
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('0.00');
    expect((await rt.store.listInvoices(org.id)).map((i) => i.total)).toEqual(['14.05']);
    expect((await rt.store.getProduct(org.id, 'mixed'))!.expiry).toBe('2027-12-31');
    await rt.close();
  });

  it('bank transfer: the night waits for the pro-forma, the transfer pays the period it quoted', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-16' });
    const org = await setUp(rt, 'iban');
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'iban' }], method: 'iban', requestId: 'req-iban-0001' }, owner(org.id));
    for (const d of ['2026-12-17', '2026-12-20', '2026-12-24']) await runNight(rt, d);
    expect(rt.sandbox.calls).toHaveLength(0);

    rt.clock.day = '2026-12-28';
    const reference = view.paymentReference!;
    const xml = writeCamt054('MSG-IBAN-1', '2026-12-28T08:00:00', [
      {
        id: 'BANK-IBAN-1',
        amount: '14.05',
        currency: 'CHF',
        bookingDate: '2026-12-28',
        reference: { type: /^\d{27}$/.test(reference) ? 'QRR' : 'SCOR', value: reference },
        account: 'CH4431999123000889012',
      },
    ]);
    await importBankStatement(rt.deps, parseCamt054(xml), 'digest-iban-1');
    await drainQueues(rt);
    expect(rt.sandbox.chargeList().filter((c) => c.metadata.orgId === org.id)).toEqual([]);
    const invoices = (await rt.store.listInvoices(org.id)).filter((i) => i.series === 'INV');
    expect(invoices.map((i) => [i.total, i.lines[0]!.periodFrom, i.lines[0]!.periodTo])).toEqual([['14.05', '2026-12-31', '2027-12-31']]);
    expect((await rt.store.getProduct(org.id, 'iban'))!.expiry).toBe('2027-12-31');
    await rt.close();
  });

  it('charges the product once its abandoned card checkout has expired', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-16' });
    const org = await setUp(rt, 'late');
    await startCheckout(rt.deps, org.id, { items: [{ productId: 'late' }], method: 'card', requestId: 'req-late-0001' }, owner(org.id));
    // Abandoned card checkouts end after 2 days; the next retry (17 + 3 = 20 December) then charges.
    for (const d of ['2026-12-17', '2026-12-18', '2026-12-19', '2026-12-20']) await runNight(rt, d);
    expect(keptAtProvider(rt, org.id)).toEqual(['14.05']);
    expect((await rt.store.getProduct(org.id, 'late'))!.expiry).toBe('2027-12-31');
    await rt.close();
  });

  it('still blocks at expiry a product whose pro-forma stays unpaid', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-16' });
    const org = await setUp(rt, 'unpaid');
    await startCheckout(rt.deps, org.id, { items: [{ productId: 'unpaid' }], method: 'iban', requestId: 'req-unpaid-01' }, owner(org.id));
    // .ch domains are blocked on their expiry day (0 days after).
    await runNight(rt, '2026-12-31');
    expect(rt.sandbox.calls).toHaveLength(0);
    expect((await rt.store.getProduct(org.id, 'unpaid'))!.status).toBe('blocked');
    await rt.close();
  });

  it('a manual renewal is refused while the product is in an open checkout', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-16' });
    const org = await setUp(rt, 'manual');
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'manual' }], method: 'iban', requestId: 'req-manual-01' }, owner(org.id));
    await expect(renewManually(rt.deps, org.id, { productId: 'manual', requestId: 'r-manual-1' })).rejects.toMatchObject({
      code: 'product_in_open_checkout',
      message: expect.stringContaining(view.checkoutId),
    });
    await rt.close();
  });
});

describe('concurrent checkouts with different Idempotency-Keys for one product', () => {
  let stack: HttpStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  async function httpSetUp(balance?: string) {
    stack = await startHttpStack(db.endpoint(), '2026-12-10');
    const { org } = await anOrg(stack.rt, { ...(balance ? { balance } : {}) });
    await aProduct(stack.rt, org.id, { id: 'race', expiry: '2026-12-31', autoRenew: false });
    return { orgId: org.id, token: await stack.tokenFor(`owner-${org.id}`) };
  }

  it('card: of 20 parallel POSTs one creates a checkout, the 19 others get 409 naming it', async () => {
    const { orgId, token } = await httpSetUp();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        stack!.call('POST', `/v1/orgs/${orgId}/checkout`, {
          token,
          headers: { 'idempotency-key': `parallel-card-${String(i).padStart(4, '0')}` },
          body: { items: [{ productId: 'race' }], method: 'card' },
        }),
      ),
    );
    const created = answers.filter((a) => a.status === 201);
    expect(created).toHaveLength(1);
    const winner = created[0]!.json.checkoutId as string;
    const refused = answers.filter((a) => a.status === 409);
    expect(refused).toHaveLength(19);
    for (const r of refused) expect(r.json.error).toMatchObject({ code: 'product_in_open_checkout', message: expect.stringContaining(winner) });

    // Paying the one checkout buys one year.
    await stack!.confirm((created[0]!.json.payment as { paymentRef: string }).paymentRef, 'pm_card_visa');
    expect((await stack!.rt.store.getProduct(orgId, 'race'))!.expiry).toBe('2027-12-31');
    expect((await stack!.rt.store.listInvoices(orgId)).map((i) => i.total)).toEqual(['14.05']);
  });

  it('balance: 20 parallel POSTs never buy past 10 years ahead, and what is refused debits nothing', async () => {
    const { orgId, token } = await httpSetUp('300');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        stack!.call('POST', `/v1/orgs/${orgId}/checkout`, {
          token,
          headers: { 'idempotency-key': `parallel-bal-${String(i).padStart(4, '0')}` },
          body: { items: [{ productId: 'race' }], method: 'balance' },
        }),
      ),
    );
    const paid = answers.filter((a) => a.status === 201);
    // Refused as taken by another checkout or just renewed (409), or, once the payments that went through
    // reached the limit, as beyond the longest period (422): which depends on how the requests interleave.
    const refused = answers.filter((a) => a.status === 409 || (a.status === 422 && (a.json.error as { code: string }).code === 'beyond_longest_period'));
    expect(paid.length + refused.length).toBe(20);
    // Every payment that went through bought one more year, never past 2036-12-10 (10 years from
    // today): 9 years at most on a domain that runs to 2026-12-31. Each refusal moved nothing.
    const years = paid.length;
    expect(years).toBeGreaterThanOrEqual(1);
    expect(years).toBeLessThanOrEqual(9);
    expect((await stack!.rt.store.getProduct(orgId, 'race'))!.expiry).toBe(`${2026 + years}-12-31`);
    const balance = (await stack!.rt.store.getOrganisation(orgId))!.balance;
    expect(balance).toBe(new Decimal('300.00').minus(new Decimal('14.05').times(years)).toFixed(2));
    for (const r of refused) expect(['product_changed', 'product_in_open_checkout', 'beyond_longest_period']).toContain((r.json.error as { code: string }).code);
  });

  it('no payment buys past the longest period from today: a .ch domain stops 10 years ahead', async () => {
    const { orgId, token } = await httpSetUp('500');
    const pay = (key: string, periodMonths: number) =>
      stack!.call('POST', `/v1/orgs/${orgId}/checkout`, { token, headers: { 'idempotency-key': key }, body: { items: [{ productId: 'race', periodMonths }], method: 'balance' } });
    // Expiry 2026-12-31, today 2026-12-10: 9 years reach 2035-12-31, within 2036-12-10.
    expect((await pay('cap-0000-nine', 108)).status).toBe(201);
    // A tenth year would end on 2036-12-31, past 2036-12-10.
    const refused = await pay('cap-0000-tenth', 12);
    expect(refused.status).toBe(422);
    expect(refused.json.error).toMatchObject({ code: 'beyond_longest_period', message: expect.stringContaining('2036-12-10') });
    expect((await stack!.rt.store.getProduct(orgId, 'race'))!.expiry).toBe('2035-12-31');
    // 9 × 13.00 = 117.00 net, VAT 8.1 % = 9.477 -> 9.48: 126.48 paid, 373.52 left.
    expect((await stack!.rt.store.getOrganisation(orgId))!.balance).toBe('373.52');
    await expect(renewManually(stack!.rt.deps, orgId, { productId: 'race', requestId: 'cap-manual-1' })).rejects.toMatchObject({ code: 'beyond_longest_period' });
  });
});

describe('checkouts seen by their customer', () => {
  it('says which checkout holds a product', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-16' });
    const org = await setUp(rt, 'seen');
    const first = await startCheckout(rt.deps, org.id, { items: [{ productId: 'seen' }], method: 'iban', requestId: 'req-seen-0001' }, owner(org.id));
    expect((await getCheckout(rt.deps, org.id, first.checkoutId, owner(org.id))).status).toBe('awaiting_payment');
    await expect(startCheckout(rt.deps, org.id, { items: [{ productId: 'seen' }], method: 'card', requestId: 'req-seen-0002' }, owner(org.id))).rejects.toMatchObject({
      status: 409,
      code: 'product_in_open_checkout',
    });
    await rt.close();
  });
});
