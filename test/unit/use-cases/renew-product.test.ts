import { describe, expect, it } from 'vitest';
import type { IsoDate } from '../../../shared/domain/calendar.ts';
import { Money } from '../../../shared/domain/money.ts';
import { PassThrough } from 'node:stream';
import { writeInvoiceCsv } from '../../../shared/adapters/export/index.ts';
import type { BillingDeps } from '../../../shared/use-cases/renewal-deps.ts';
import { renewProduct } from '../../../shared/use-cases/renew-product.ts';
import { startCheckout } from '../../../shared/use-cases/checkout/start-checkout.ts';
import { aProduct, anOrg, runtime } from '../../support/local-stack.ts';

// One product's night on the in-memory store, to the field. The schedule of a .ch domain expiring on
// 2026-12-31, by hand from the published settings: reminders 30, 7 and 1 days before (12-01, 12-24,
// 12-30); attempts 14 days before (12-17), then 3, 7, 10 and 13 days after that (12-20, 12-24, 12-27,
// 12-30); blocked on expiry (0 days after); terminated 40 days after (2027-02-09). It renews for 14.05.

type Rt = Awaited<ReturnType<typeof runtime>>;
const NOW = (day: string) => `${day}T02:00:00.000Z`;

async function setUp(opts: { balance?: string; method?: string; autoRenew?: boolean; today?: IsoDate } = {}) {
  const rt = await runtime('memory', { today: opts.today ?? '2026-12-17' });
  const { org, method } = await anOrg(rt, { id: 'acme', ...(opts.balance ? { balance: opts.balance } : {}), ...(opts.method ? { method: opts.method } : {}) });
  await aProduct(rt, org.id, { id: 'dom', expiry: '2026-12-31', autoRenew: opts.autoRenew ?? true, ...(method ? { paymentMethodId: method.id } : {}) });
  const sent: unknown[] = [];
  const deps: BillingDeps = { ...rt.deps, lifecycleQueue: { send: async (m) => void sent.push(...m) } };
  const night = (date: IsoDate) => {
    rt.clock.day = date;
    return renewProduct(deps, { orgId: 'acme', productId: 'dom', night: date });
  };
  return { rt, deps, sent, night };
}

const outcome = (night: IsoDate, extra: Record<string, unknown>) => ({
  night,
  orgId: 'acme',
  productId: 'dom',
  currency: 'CHF',
  reminders: 0,
  attempted: false,
  paid: false,
  failed: false,
  collected: '0.00',
  blocked: false,
  unblocked: false,
  terminated: false,
  ...extra,
});

const mails = async (rt: Rt, day: IsoDate) => rt.store.listOutbox(day);
const product = async (rt: Rt) => (await rt.store.getProduct('acme', 'dom'))!;

describe("a product's night", () => {
  it('skips a product it does not find, one with nothing due, and a night already done', async () => {
    const { rt, deps, night } = await setUp({ balance: '20.00' });
    expect(await renewProduct(deps, { orgId: 'acme', productId: 'none', night: '2026-12-17' })).toEqual({ status: 'skipped', reason: 'not-found' });
    expect(await night('2026-12-02')).toEqual({ status: 'skipped', reason: 'nothing-due' });
    expect((await night('2026-12-17')).status).toBe('done');
    const after = await product(rt);
    expect(await night('2026-12-17')).toEqual({ status: 'skipped', reason: 'already-processed' });
    expect(await night('2026-12-16')).toEqual({ status: 'skipped', reason: 'already-processed' });
    expect(await product(rt)).toEqual(after);
  });

  it("pays from the balance: extended, invoiced, announced, and the next action is next year's first reminder", async () => {
    const { rt, night } = await setUp({ balance: '20.00' });
    const before = await product(rt);
    expect(await night('2026-12-17')).toEqual({ status: 'done', outcome: outcome('2026-12-17', { attempted: true, paid: true, collected: '14.05' }) });
    expect(await product(rt)).toMatchObject({
      expiry: '2027-12-31',
      lastNight: '2026-12-17',
      version: before.version + 1,
      nextActionDate: '2027-12-01',
      failedAttempts: 0,
      status: 'active',
    });
    expect(await mails(rt, '2026-12-17')).toEqual([
      {
        id: 'dom#renewal-paid',
        date: '2026-12-17',
        orgId: 'acme',
        productId: 'dom',
        to: ['owner@acme.ch'],
        template: 'renewal-paid',
        data: { product: 'dom.ch', productId: 'dom', expiry: '2026-12-31', invoice: 'INV-CH-2026-000001', amount: '14.05', currency: 'CHF', newExpiry: '2027-12-31' },
        // The organisation as set up (anOrg names it "Org acme", French by default): the sender reads no more.
        recipient: { orgName: 'Org acme', language: 'fr' },
        createdAt: NOW('2026-12-17'),
      },
    ]);
  });

  it('reads the invoice counter once per paid night: the number is taken at the commit, and quoted as taken', async () => {
    const { rt, deps } = await setUp({ balance: '40.00' });
    await aProduct(rt, 'acme', { id: 'web', expiry: '2026-12-31', autoRenew: true });
    let reads = 0;
    const store = Object.create(rt.store) as typeof rt.store;
    store.lastInvoiceSequence = (...args) => {
      reads++;
      return rt.store.lastInvoiceSequence(...args);
    };
    for (const productId of ['dom', 'web']) await renewProduct({ ...deps, store }, { orgId: 'acme', productId, night: '2026-12-17' });
    expect(reads).toBe(2);
    // Gapless from 1, in the order the nights committed; the e-mail quotes the number the invoice got.
    expect((await mails(rt, '2026-12-17')).map((m) => [m.productId, m.data.invoice])).toEqual([
      ['dom', 'INV-CH-2026-000001'],
      ['web', 'INV-CH-2026-000002'],
    ]);
  });

  it('counts a declined attempt and names the next one; then a card that needs the customer halts the period', async () => {
    const { rt, night } = await setUp({ method: 'pm_card_chargeDeclined' });
    expect(await night('2026-12-17')).toEqual({ status: 'done', outcome: outcome('2026-12-17', { attempted: true, failed: true }) });
    expect(await product(rt)).toMatchObject({ expiry: '2026-12-31', failedAttempts: 1, nextActionDate: '2026-12-20' });
    const [mail] = await mails(rt, '2026-12-17');
    expect(mail).toMatchObject({
      id: 'dom#payment-failed',
      template: 'payment-failed',
      data: { product: 'dom.ch', productId: 'dom', expiry: '2026-12-31', code: 'card_declined', nextAttempt: '2026-12-20' },
    });
    expect(mail!.data.reason!.length).toBeGreaterThan(0);
    // The last attempt, on 12-30, has no next one to name.
    expect((await night('2026-12-30')).status).toBe('done');
    expect((await mails(rt, '2026-12-30'))[0]!.data).not.toHaveProperty('nextAttempt');

    const sca = await setUp({ method: 'pm_card_authenticationRequired' });
    expect(await sca.night('2026-12-17')).toEqual({ status: 'done', outcome: outcome('2026-12-17', { attempted: true, failed: true }) });
    // No more attempts this period: the next action is the 7-day reminder.
    expect(await product(sca.rt)).toMatchObject({ failedAttempts: 1, autoRenewHaltedFor: '2026-12-31', nextActionDate: '2026-12-24' });
    expect((await mails(sca.rt, '2026-12-17')).map((m) => [m.id, m.data.payUrl])).toEqual([['dom#authentication-required', '/pay?org=acme&product=dom']]);
  });

  it('blocks on expiry without a payment, with its command and e-mail, and terminates 40 days later', async () => {
    const { rt, night, sent } = await setUp({ autoRenew: false });
    expect(await night('2026-12-31')).toEqual({ status: 'done', outcome: outcome('2026-12-31', { blocked: true }) });
    expect(await product(rt)).toMatchObject({ status: 'blocked', nextActionDate: '2027-02-09' });
    expect((await mails(rt, '2026-12-31')).map((m) => [m.id, m.template, m.data])).toEqual([
      ['dom#product-blocked', 'product-blocked', { product: 'dom.ch', productId: 'dom', expiry: '2026-12-31' }],
    ]);
    expect(await rt.store.listLifecycleCommands('2026-12-31')).toEqual([
      { id: 'dom#block', date: '2026-12-31', orgId: 'acme', productId: 'dom', action: 'block', status: 'pending', createdAt: NOW('2026-12-31') },
    ]);
    expect(sent).toEqual([{ date: '2026-12-31', commandId: 'dom#block' }]);
    // Run again, the night re-sends the command a crash may have kept from going out, and changes nothing.
    expect(await night('2026-12-31')).toEqual({ status: 'skipped', reason: 'already-processed' });
    expect(sent).toEqual([
      { date: '2026-12-31', commandId: 'dom#block' },
      { date: '2026-12-31', commandId: 'dom#block' },
    ]);

    expect(await night('2027-02-09')).toEqual({ status: 'done', outcome: outcome('2027-02-09', { terminated: true }) });
    expect(await product(rt)).toMatchObject({ status: 'terminated' });
    expect((await product(rt)).nextActionDate).toBeUndefined();
    expect(await mails(rt, '2027-02-09')).toEqual([]);
    expect(sent.at(-1)).toEqual({ date: '2027-02-09', commandId: 'dom#terminate' });
    expect(Object.keys(await product(rt))).not.toContain('nextActionDate');
    // Again: the termination is sent again while pending, and no longer once applied.
    expect(await night('2027-02-09')).toEqual({ status: 'skipped', reason: 'already-processed' });
    expect(sent.slice(-2)).toEqual([
      { date: '2027-02-09', commandId: 'dom#terminate' },
      { date: '2027-02-09', commandId: 'dom#terminate' },
    ]);
    const [command] = await rt.store.listLifecycleCommands('2027-02-09');
    await rt.store.commit([{ type: 'lifecycle', command: { ...command!, status: 'applied', appliedAt: NOW('2027-02-09') }, expectedStatus: 'pending' }]);
    const before = sent.length;
    await night('2027-02-09');
    expect(sent).toHaveLength(before);
  });

  it('sends no reminder the night it renews, even one that fell due on a missed night', async () => {
    const { rt, night } = await setUp({ balance: '20.00', today: '2026-11-25' });
    expect((await product(rt)).nextActionDate).toBe('2026-12-01');
    // Nights 12-01 to 12-16 never ran: 12-17 catches up the 30-day reminder and makes the attempt.
    expect(await night('2026-12-17')).toEqual({ status: 'done', outcome: outcome('2026-12-17', { attempted: true, paid: true, collected: '14.05' }) });
    expect((await mails(rt, '2026-12-17')).map((m) => m.template)).toEqual(['renewal-paid']);
  });

  it('drops the mark of an owed invoice that is paid again, with the next write', async () => {
    const { rt, night } = await setUp({ balance: '0.10', today: '2026-12-01' });
    const p = await product(rt);
    await rt.store.commit([{ type: 'product', product: { ...p, awaitsInvoice: 'INV-CH-2026-000099', version: p.version + 1 }, expectedVersion: p.version }]);
    expect((await night('2026-12-01')).status).toBe('done');
    expect((await product(rt)).awaitsInvoice).toBeUndefined();
  });

  it('reminds a customer who renews by hand, and tells one renewing automatically, with the days left', async () => {
    const manual = await setUp({ autoRenew: false, today: '2026-12-01' });
    expect(await manual.night('2026-12-01')).toEqual({ status: 'done', outcome: outcome('2026-12-01', { reminders: 1 }) });
    expect((await mails(manual.rt, '2026-12-01')).map((m) => [m.id, m.data.daysLeft])).toEqual([['dom#renewal-reminder', '30']]);
    expect(await product(manual.rt)).toMatchObject({ nextActionDate: '2026-12-24' });

    const auto = await setUp({ balance: '0.10', today: '2026-12-01' });
    expect(await auto.night('2026-12-01')).toEqual({ status: 'done', outcome: outcome('2026-12-01', { reminders: 1 }) });
    expect((await mails(auto.rt, '2026-12-01')).map((m) => [m.id, m.data.daysLeft])).toEqual([['dom#auto-renewal-notice', '30']]);
    expect(await product(auto.rt)).toMatchObject({ nextActionDate: '2026-12-17' });
  });

  it('makes no attempt for a product inside an open checkout, yet reminds; and drops the mark of an ended one', async () => {
    const { rt, night } = await setUp({ balance: '20.00', today: '2026-12-16' });
    const view = await startCheckout(
      rt.deps,
      'acme',
      { items: [{ productId: 'dom' }], method: 'iban', useBalance: false, requestId: 'req-open-0001' },
      { kind: 'user', userId: 'owner-acme' },
    );
    // The attempt night passes with nothing done but the product moved on to its next date.
    expect(await night('2026-12-17')).toEqual({ status: 'done', outcome: outcome('2026-12-17', {}) });
    expect(await product(rt)).toMatchObject({ expiry: '2026-12-31', nextActionDate: '2026-12-20' });
    expect(rt.sandbox.chargeList()).toEqual([]);
    expect(await night('2026-12-24')).toEqual({ status: 'done', outcome: outcome('2026-12-24', { reminders: 1 }) });
    expect((await product(rt)).openCheckoutId).toBe(view.checkoutId);

    // The checkout ends (cancelled): the next write of the product drops the mark.
    const checkout = (await rt.store.getCheckout('acme', view.checkoutId))!;
    await rt.store.commit([
      { type: 'checkout', checkout: { ...checkout, status: 'canceled', version: checkout.version + 1 }, expected: { version: checkout.version, status: checkout.status } },
    ]);
    expect((await night('2026-12-27')).status).toBe('done');
    expect((await product(rt)).openCheckoutId).toBeUndefined();
  });

  it('hands a product that needs a charge to the charge queue and writes nothing', async () => {
    const { rt, deps } = await setUp({ method: 'pm_card_visa' });
    const queued: unknown[] = [];
    const before = await product(rt);
    const res = await renewProduct(
      { ...deps, charges: { mode: 'deferred', queue: { send: async (m) => void queued.push(...m) } } },
      { orgId: 'acme', productId: 'dom', night: '2026-12-17' },
    );
    expect(res).toEqual({ status: 'deferred' });
    // The method the worker there will charge travels with the message, to be read with the product.
    expect(queued).toEqual([{ orgId: 'acme', productId: 'dom', night: '2026-12-17', methodId: 'pm-pm_card_visa' }]);
    expect(await product(rt)).toEqual(before);
  });

  it('pays from the balance alone when the saved method was removed at the provider', async () => {
    const { rt, night } = await setUp({ balance: '5.00', method: 'pm_card_visa' });
    const [method] = await rt.store.listPaymentMethods('acme');
    await rt.store.commit([{ type: 'paymentMethod', method: { ...method!, detachedAt: NOW('2026-12-16') } }]);
    expect(await night('2026-12-17')).toEqual({ status: 'done', outcome: outcome('2026-12-17', { attempted: true, failed: true }) });
    expect((await mails(rt, '2026-12-17'))[0]!.data.code).toBe('insufficient_balance');
    expect(rt.sandbox.chargeList()).toEqual([]);
  });

  // The attempt the charge worker held and did not settle (it died after the provider took the charge).
  // 14.05 by hand: the price of the .ch year, all of it on the card, nothing held from the balance.
  const HELD = {
    id: 'dom#2026-12-31#1',
    orgId: 'acme',
    productId: 'dom',
    periodStart: '2026-12-31',
    attempt: 1,
    night: '2026-12-17' as IsoDate,
    idempotencyKey: 'renewal/dom#2026-12-31#1',
    currency: 'CHF' as const,
    total: '14.05',
    balancePart: '0.00',
    chargePart: '14.05',
    paymentMethodId: 'pm-pm_card_visa',
    status: 'pending' as const,
    createdAt: NOW('2026-12-17'),
  };
  const chargeFor = async (rt: Rt) =>
    rt.sandbox.charge({
      orgId: 'acme',
      customerRef: 'cus_acme',
      paymentMethodRef: 'pm_card_visa',
      methodKind: 'card',
      amount: Money.of('14.05', 'CHF'),
      idempotencyKey: HELD.idempotencyKey,
      description: 'Renewal of dom.ch from 2026-12-31',
      metadata: { attemptId: HELD.id },
    });

  it('settles the attempt a product names, on a balance topped up since: never paid a second time from the balance', async () => {
    const { rt, night } = await setUp({ method: 'pm_card_visa' });
    const p = await product(rt);
    await rt.store.commit([
      { type: 'attempt', attempt: HELD, expectedStatus: null },
      { type: 'productAttemptMark', orgId: 'acme', productId: 'dom', version: p.version, attemptId: HELD.id },
    ]);
    const taken = await chargeFor(rt);
    const org = (await rt.store.getOrganisation('acme'))!;
    await rt.store.commit([
      {
        type: 'balance',
        orgId: 'acme',
        from: org.balance,
        to: '20.00',
        entry: {
          id: 'top-up-1',
          orgId: 'acme',
          date: '2026-12-17',
          amount: '20.00',
          currency: 'CHF',
          reason: 'top-up',
          ref: 't1',
          balanceAfter: '20.00',
          createdAt: NOW('2026-12-17'),
        },
      },
    ]);
    expect(await night('2026-12-17')).toEqual({ status: 'done', outcome: outcome('2026-12-17', { attempted: true, paid: true, collected: '14.05' }) });
    expect((await rt.store.getOrganisation('acme'))!.balance).toBe('20.00');
    expect(rt.sandbox.chargeList()).toHaveLength(1);
    const after = await product(rt);
    expect(after).toMatchObject({ expiry: '2027-12-31', failedAttempts: 0 });
    expect(after.pendingAttemptId).toBeUndefined();
    expect(await rt.store.getAttempt('acme', HELD.id)).toMatchObject({ status: 'succeeded', gatewayRef: taken.paymentRef });
  });

  it('finds an attempt held before products named theirs, instead of charging again', async () => {
    const { rt, night } = await setUp({ method: 'pm_card_visa' });
    await rt.store.commit([{ type: 'attempt', attempt: HELD, expectedStatus: null }]);
    const taken = await chargeFor(rt);
    expect(await night('2026-12-17')).toEqual({ status: 'done', outcome: outcome('2026-12-17', { attempted: true, paid: true, collected: '14.05' }) });
    expect(rt.sandbox.chargeList()).toHaveLength(1);
    expect(await rt.store.getAttempt('acme', HELD.id)).toMatchObject({ status: 'succeeded', gatewayRef: taken.paymentRef });
    expect((await product(rt)).expiry).toBe('2027-12-31');
  });

  it('invoices a five-year renewal across a VAT rate change by rate period, and takes what that comes to', async () => {
    // Swiss VAT 8.8 % from 2028-01-01 (a change to come). The .ch domain renews for 60 months from 2026-12-31:
    // 366 days at 8.1 %, 1,460 at 8.8 % (test/unit/domain/vat-by-period.test.ts works the figures by hand):
    // nets 13.03 and 51.97, VAT 1.06 and 4.57, 70.63 in all, taken from a balance of 100.00: 29.37 left.
    const rt = await runtime('memory', { today: '2026-12-17' });
    const { org } = await anOrg(rt, { id: 'acme', balance: '100.00' });
    await aProduct(rt, org.id, { id: 'dom', expiry: '2026-12-31', periodMonths: 60 });
    const vatRates = { ...rt.deps.vatRates, CH: [...rt.deps.vatRates.CH!, { from: '2028-01-01' as IsoDate, rate: '8.8' }] };
    const res = await renewProduct({ ...rt.deps, vatRates }, { orgId: 'acme', productId: 'dom', night: '2026-12-17' });
    expect(res).toMatchObject({ status: 'done', outcome: { paid: true, collected: '70.63' } });
    const [invoice] = await rt.store.listInvoices('acme');
    expect(invoice!.lines.map((l) => [l.periodFrom, l.periodTo, l.vatRate, l.net, l.vat])).toEqual([
      ['2026-12-31', '2028-01-01', '8.1', '13.03', '1.06'],
      ['2028-01-01', '2031-12-31', '8.8', '51.97', '4.57'],
    ]);
    expect([invoice!.totalNet, invoice!.totalVat, invoice!.total]).toEqual(['65.00', '5.63', '70.63']);
    expect((await rt.store.getOrganisation('acme'))!.balance).toBe('29.37');
    expect((await product(rt)).expiry).toBe('2031-12-31');
    // The finance export carries both parts: a row per line, and the document's rates.
    const csv = async (lines: boolean) => {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      await writeInvoiceCsv(
        (async function* () {
          yield invoice!;
        })(),
        out,
        { lines },
      );
      return Buffer.concat(chunks).toString('utf8');
    };
    expect(await csv(false)).toContain('8.1:13.03:1.06|8.8:51.97:4.57');
    const rows = (await csv(true)).trim().split('\n').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('2026-12-31');
    expect(rows[1]).toContain('2031-12-31');
  });

  it('drops the mark with the failure that settles the attempt, and counts it', async () => {
    const { rt, night } = await setUp({ method: 'pm_card_chargeDeclined' });
    const p = await product(rt);
    const held = { ...HELD, paymentMethodId: p.paymentMethodId! };
    await rt.store.commit([
      { type: 'attempt', attempt: held, expectedStatus: null },
      { type: 'productAttemptMark', orgId: 'acme', productId: 'dom', version: p.version, attemptId: HELD.id },
    ]);
    expect(await night('2026-12-17')).toEqual({ status: 'done', outcome: outcome('2026-12-17', { attempted: true, failed: true }) });
    const after = await product(rt);
    expect(after.failedAttempts).toBe(1);
    expect(after.pendingAttemptId).toBeUndefined();
    expect(await rt.store.getAttempt('acme', HELD.id)).toMatchObject({ status: 'failed' });
  });
});
