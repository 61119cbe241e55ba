import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { drainQueues, runNight, type LocalRuntime } from '../../functions/local-runtime.ts';
import { addDays, datesBetween } from '../../shared/domain/calendar.ts';
import type { ChargeRequest, ChargeResult, PaymentGateway } from '../../shared/ports/payment-gateway.ts';
import { fixedClock } from '../../shared/ports/clock.ts';
import { renewProduct } from '../../shared/use-cases/renew-product.ts';
import { renewManually } from '../../shared/use-cases/renew-manually.ts';
import { addPaymentMethod } from '../../shared/use-cases/manage-organisation.ts';
import { runLifecycle } from '../../functions/local-runtime.ts';
import { SandboxPaymentGateway } from '../../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import { aProduct, anOrg, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

const db = useDynamoDbLocal();

async function nights(rt: LocalRuntime, from: string, to: string) {
  const out = [];
  for (const night of datesBetween(from, to)) out.push(await runNight(rt, night));
  return out;
}

async function ledgerSum(rt: LocalRuntime, orgId: string) {
  return (await rt.store.listLedger(orgId)).reduce((s, e) => s.plus(e.amount), new Decimal(0)).toFixed(2);
}

describe('nightly renewal', () => {
  it('pays a renewal from the prepaid balance, invoices it and extends the expiry by the period', async () => {
    const rt = await runtime(db.endpoint());
    const { org } = await anOrg(rt, { balance: '100.00' });
    await aProduct(rt, org.id, { id: 'shop', expiry: '2026-12-31' });

    const night = await runNight(rt, '2026-12-17');

    expect(night).toMatchObject({ attempted: 1, paid: 1, failed: 0, collected: { CHF: '14.05', EUR: '0.00' } });
    const [invoice] = await rt.store.listInvoices(org.id);
    expect(invoice).toMatchObject({
      number: 'INV-CH-2026-000001',
      issueDate: '2026-12-17',
      totalNet: '13.00',
      totalVat: '1.05',
      total: '14.05',
      status: 'paid',
      payments: [{ method: 'balance', amount: '14.05' }],
    });
    expect(invoice!.lines[0]).toMatchObject({ periodFrom: '2026-12-31', periodTo: '2027-12-31', vatRate: '8.1' });
    expect((await rt.store.getProduct(org.id, 'shop'))!.expiry).toBe('2027-12-31');
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('85.95');
    expect(await ledgerSum(rt, org.id)).toBe('85.95');
    expect(rt.sandbox.calls).toHaveLength(0);
    await rt.close();
  });

  it('draws on the balance first and charges the rest to the saved card', async () => {
    const rt = await runtime(db.endpoint());
    const { org, method } = await anOrg(rt, { balance: '5.00', method: 'pm_card_visa' });
    await aProduct(rt, org.id, { id: 'mix', expiry: '2026-12-31', paymentMethodId: method!.id });

    await runNight(rt, '2026-12-17');

    expect(rt.sandbox.calls.map((c) => [c.amount.toString(), c.paymentMethodRef])).toEqual([['9.05', 'pm_card_visa']]);
    const [invoice] = await rt.store.listInvoices(org.id);
    expect(invoice!.payments).toEqual([
      { method: 'balance', amount: '5.00' },
      { method: 'card', amount: '9.05', ref: expect.stringMatching(/^pi_/) },
    ]);
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('0.00');
    expect(await ledgerSum(rt, org.id)).toBe('0.00');
    const [payment] = await rt.store.listPayments(org.id);
    expect(payment).toMatchObject({ amount: '9.05', invoiceNumber: invoice!.number, method: 'card' });
    await rt.close();
  });

  it('charges EUR organisations in EUR with the VAT of their situation (reverse charge for a valid EU VAT number)', async () => {
    const rt = await runtime(db.endpoint());
    const { org, method } = await anOrg(rt, { currency: 'EUR', country: 'DE', vatNumber: 'DE129273398', method: 'pm_card_visa' });
    await aProduct(rt, org.id, { id: 'de', expiry: '2026-12-31', paymentMethodId: method!.id });
    await runNight(rt, '2026-12-17');
    const [invoice] = await rt.store.listInvoices(org.id);
    expect(invoice).toMatchObject({ currency: 'EUR', totalNet: '13.50', totalVat: '0.00', total: '13.50' });
    expect(invoice!.vatMention).toMatch(/[Rr]everse charge/);
    await rt.close();
  });

  it('retries a declined card on the type schedule until expiry, then blocks and terminates the product', async () => {
    const rt = await runtime(db.endpoint());
    const { org, method } = await anOrg(rt, { method: 'pm_card_chargeDeclined' });
    await aProduct(rt, org.id, { id: 'vm', typeId: 'cloud-server', expiry: '2026-12-31', paymentMethodId: method!.id });

    const reports = await nights(rt, '2026-12-15', '2027-01-22');

    const attemptNights = reports.filter((r) => r.attempted > 0).map((r) => r.date);
    expect(attemptNights).toEqual(['2026-12-17', '2026-12-19', '2026-12-22', '2026-12-26', '2026-12-30']);
    expect(new Set(rt.sandbox.calls.map((c) => c.idempotencyKey)).size).toBe(5);
    expect(reports.find((r) => r.blocked > 0)?.date).toBe('2027-01-02');
    expect(reports.find((r) => r.terminated > 0)?.date).toBe('2027-01-21');
    const failedMails = (await Promise.all(attemptNights.map((d) => rt.store.listOutbox(d)))).flat();
    expect(failedMails.map((m) => m.template)).toEqual(Array(5).fill('payment-failed'));
    expect(failedMails[0]!.data).toMatchObject({ code: 'card_declined', nextAttempt: '2026-12-19' });
    expect(rt.provisioning.calls.map((c) => c.action)).toEqual(['block', 'terminate']);
    const product = (await rt.store.getProduct(org.id, 'vm'))!;
    expect(product.status).toBe('terminated');
    expect(product.backupsDeletedAt).toBeDefined();
    expect(product.nextActionDate).toBeUndefined();
    const notices = await rt.store.listOutbox('2027-01-21');
    expect(notices.find((m) => m.template === 'product-terminated')?.to).toEqual([`owner@${org.id}.ch`]);
    expect((await rt.store.listLifecycleCommands('2027-01-02')).map((c) => c.status)).toEqual(['applied']);
    expect(await rt.store.listInvoices(org.id)).toHaveLength(0);
    await rt.close();
  });

  it('stops automatic retries and e-mails a payment link when the bank requires authentication', async () => {
    const rt = await runtime(db.endpoint());
    const { org, method } = await anOrg(rt, { method: 'pm_card_authenticationRequired' });
    await aProduct(rt, org.id, { id: 'sca', expiry: '2026-12-31', paymentMethodId: method!.id });

    const reports = await nights(rt, '2026-12-17', '2026-12-31');

    expect(reports.filter((r) => r.attempted > 0).map((r) => r.date)).toEqual(['2026-12-17']);
    const [mail] = await rt.store.listOutbox('2026-12-17');
    expect(mail).toMatchObject({ template: 'authentication-required', data: { payUrl: expect.stringContaining('product=sca') } });
    expect(reports.find((r) => r.date === '2026-12-24')?.reminders).toBe(1);
    await rt.close();
  });

  it('sends reminders on the configured days before expiry to the billing contacts', async () => {
    const rt = await runtime(db.endpoint());
    const { org } = await anOrg(rt);
    await aProduct(rt, org.id, { id: 'manual', expiry: '2026-12-31', autoRenew: false });
    const reports = await nights(rt, '2026-11-30', '2026-12-31');
    expect(reports.filter((r) => r.reminders > 0).map((r) => r.date)).toEqual(['2026-12-01', '2026-12-24', '2026-12-30']);
    const [mail] = await rt.store.listOutbox('2026-12-24');
    expect(mail).toMatchObject({ template: 'renewal-reminder', to: [`owner@${org.id}.ch`], data: { daysLeft: '7' } });
    expect(reports.at(-1)!.blocked).toBe(1);
    await rt.close();
  });

  it('unblocks a blocked product when it is paid', async () => {
    const rt = await runtime(db.endpoint());
    const { org, method } = await anOrg(rt, { method: 'pm_card_visa' });
    await aProduct(rt, org.id, { id: 'late', typeId: 'web-hosting', expiry: '2026-12-31', autoRenew: false });
    await nights(rt, '2026-12-30', '2027-01-04');
    expect((await rt.store.getProduct(org.id, 'late'))!.status).toBe('blocked');

    rt.clock.day = '2027-01-05';
    const res = await renewManually(rt.deps, org.id, { productId: 'late', paymentMethodId: method!.id, requestId: 'r1' });
    await runLifecycle(rt);

    expect(res).toMatchObject({ unblocked: true, product: { status: 'active', expiry: '2027-12-31' } });
    expect(rt.provisioning.calls.map((c) => c.action)).toEqual(['block', 'unblock']);
    await expect(renewManually(rt.deps, org.id, { productId: 'late', requestId: 'r2', periodMonths: 5 })).rejects.toThrow(/not allowed/);
    await rt.close();
  });

  it('renews automatically with the good card a product was renewed with by hand, no longer the declining one', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-11-01' });
    const { org, method: declining } = await anOrg(rt, { method: 'pm_card_chargeDeclined' });
    const good = await addPaymentMethod(rt.deps, org.id, { kind: 'card', label: 'Visa', gatewayRef: 'pm_card_visa' });
    await aProduct(rt, org.id, { id: 'switch', expiry: '2026-12-31', paymentMethodId: declining!.id, autoRenew: false });
    const res = await renewManually(rt.deps, org.id, { productId: 'switch', paymentMethodId: good.id, requestId: 'switch-1' });
    expect(res.product).toMatchObject({ expiry: '2027-12-31', paymentMethodId: good.id, autoRenew: true });
    expect(await rt.store.getProduct(org.id, 'switch')).toMatchObject({ paymentMethodId: good.id, autoRenew: true });
    // A year on, the night charges the good card: the sandbox declines pm_card_chargeDeclined, so a success proves it.
    const before = rt.sandbox.calls.length;
    const night = await runNight(rt, '2027-12-17');
    expect([night.attempted, night.paid]).toEqual([1, 1]);
    expect(rt.sandbox.calls.slice(before).map((c) => c.paymentMethodRef)).toEqual(['pm_card_visa']);
    await rt.close();
  });

  it("finds tonight's work through the date index, reading one item per due product", async () => {
    const rt = await runtime(db.endpoint());
    const { org } = await anOrg(rt, { balance: '1000.00' });
    for (let i = 0; i < 120; i++) {
      await aProduct(rt, org.id, { id: `p${i}`, expiry: addDays('2026-12-31', i < 5 ? 0 : 20 + i) });
    }
    const night = await runNight(rt, '2026-12-17');
    expect(night.planned).toBe(5);
    expect(night.indexRead.items).toBe(5);
    await rt.close();
  });
});

describe('idempotency', () => {
  it('running the same night twice charges once and issues one invoice', async () => {
    const rt = await runtime(db.endpoint());
    const { org, method } = await anOrg(rt, { method: 'pm_card_visa' });
    await aProduct(rt, org.id, { id: 'twice', expiry: '2026-12-31', paymentMethodId: method!.id });
    const first = await runNight(rt, '2026-12-17');
    const second = await runNight(rt, '2026-12-17');
    expect(rt.sandbox.calls).toHaveLength(1);
    expect(await rt.store.listInvoices(org.id)).toHaveLength(1);
    expect(first).toMatchObject({ attempted: 1, paid: 1, collected: { CHF: '14.05' } });
    // The second run did nothing, and says so.
    expect(second).toMatchObject({ attempted: 0, paid: 0, collected: { CHF: '0.00', EUR: '0.00' } });
    await rt.close();
  });

  it('delivering every queue message twice never charges twice nor issues two invoices for one period', async () => {
    const rt = await runtime(db.endpoint(), { duplicateDeliveries: true });
    const orgs = await Promise.all([0, 1, 2].map(() => anOrg(rt, { method: 'pm_card_visa', balance: '3.00' })));
    for (let i = 0; i < 15; i++) {
      const { org, method } = orgs[i % 3]!;
      await aProduct(rt, org.id, { id: `dup${i}`, expiry: '2026-12-31', paymentMethodId: method!.id });
    }
    const night = await runNight(rt, '2026-12-17', { concurrency: 8 });
    expect(night).toMatchObject({ attempted: 15, paid: 15 });
    expect(rt.sandbox.succeededCharges()).toBe(15);
    const invoices = (await Promise.all(orgs.map((o) => rt.store.listInvoices(o.org.id)))).flat();
    expect(invoices).toHaveLength(15);
    for (const { org } of orgs) {
      expect(await ledgerSum(rt, org.id)).toBe((await rt.store.getOrganisation(org.id))!.balance);
    }
    await rt.close();
  });

  it('two workers on the same product at once produce one charge and one invoice', async () => {
    const rt = await runtime(db.endpoint());
    const { org, method } = await anOrg(rt, { method: 'pm_card_visa' });
    await aProduct(rt, org.id, { id: 'race', expiry: '2026-12-31', paymentMethodId: method!.id });
    const deps = { ...rt.deps, clock: fixedClock('2026-12-17') };
    const msg = { orgId: org.id, productId: 'race', night: '2026-12-17' };
    const results = await Promise.all([renewProduct(deps, msg), renewProduct(deps, msg), renewProduct(deps, msg)]);
    expect(results.filter((r) => r.status === 'done')).toHaveLength(1);
    expect(rt.sandbox.succeededCharges()).toBe(1);
    expect(await rt.store.listInvoices(org.id)).toHaveLength(1);
    await rt.close();
  });

  it('a crash after the charge went through is retried with the same key and settles once', async () => {
    let crashes = 1;
    const sandbox = new (class extends SandboxPaymentGateway {
      override async charge(req: ChargeRequest): Promise<ChargeResult> {
        const res = await super.charge(req);
        if (crashes-- > 0) throw new Error('worker died after the provider charged');
        return res;
      }
      // Stripe's search is eventually consistent: right after a crash it may not list the charge yet.
      override async findChargeByAttempt(): Promise<ChargeResult | undefined> {
        return undefined;
      }
    })();
    const crashing: PaymentGateway = sandbox;
    const rt = await runtime(db.endpoint(), { gateway: crashing });
    const { org, method } = await anOrg(rt, { method: 'pm_card_visa', balance: '4.00' });
    await aProduct(rt, org.id, { id: 'crash', expiry: '2026-12-31', paymentMethodId: method!.id });

    const night = await runNight(rt, '2026-12-17');

    expect(night.paid).toBe(1);
    expect(night.deadLetters).toHaveLength(0);
    expect(sandbox.calls).toHaveLength(2);
    expect(new Set(sandbox.calls.map((c) => c.idempotencyKey)).size).toBe(1);
    expect(sandbox.succeededCharges()).toBe(1);
    expect(await rt.store.listInvoices(org.id)).toHaveLength(1);
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('0.00');
    expect(await ledgerSum(rt, org.id)).toBe('0.00');
    await rt.close();
  });

  it('a retry days later, after the provider forgot the idempotency key, finds the first charge instead of charging again', async () => {
    let crashes = 1;
    const sandbox = new (class extends SandboxPaymentGateway {
      override async charge(req: ChargeRequest): Promise<ChargeResult> {
        const res = await super.charge(req);
        if (crashes-- > 0) {
          // The worker dies after the charge; the message waits in the DLQ longer than Stripe keeps keys.
          this.forgetIdempotencyKeys();
          throw new Error('worker died after the provider charged');
        }
        return res;
      }
    })();
    const rt = await runtime(db.endpoint(), { gateway: sandbox });
    const { org, method } = await anOrg(rt, { method: 'pm_card_visa' });
    await aProduct(rt, org.id, { id: 'late', expiry: '2026-12-31', paymentMethodId: method!.id });

    const night = await runNight(rt, '2026-12-17');

    expect(night.paid).toBe(1);
    expect(sandbox.calls).toHaveLength(1);
    expect(sandbox.succeededCharges()).toBe(1);
    const [invoice] = await rt.store.listInvoices(org.id);
    expect(invoice!.payments[0]!.ref).toBe((await rt.store.listPayments(org.id))[0]!.gatewayRef);
    await rt.close();
  });

  it('a retry ends the attempt with the method it started with when the customer switched methods meanwhile', async () => {
    const world: { rt?: Awaited<ReturnType<typeof runtime>> } = {};
    let switchTo: string | undefined;
    const sandbox = new (class extends SandboxPaymentGateway {
      override async charge(req: ChargeRequest): Promise<ChargeResult> {
        const res = await super.charge(req);
        if (switchTo) {
          // Between the charge and the night's commit, the customer makes another card the product's method; the worker dies.
          const store = world.rt!.store;
          const p = (await store.getProduct(req.orgId, 'switch'))!;
          await store.commit([{ type: 'product', product: { ...p, paymentMethodId: switchTo, version: p.version + 1 }, expectedVersion: p.version }]);
          switchTo = undefined;
          throw new Error('worker died after the provider charged');
        }
        return res;
      }
    })();
    const rt = await runtime(db.endpoint(), { gateway: sandbox });
    world.rt = rt;
    const { org, method } = await anOrg(rt, { method: 'pm_card_visa' });
    await sandbox.simulateEvent('setup_intent.succeeded', {
      id: 'seti_2',
      object: 'setup_intent',
      payment_method: 'pm_card_mastercard',
      customer: null,
      metadata: { orgId: org.id },
    });
    await drainQueues(rt);
    const other = (await rt.store.listPaymentMethods(org.id)).find((m) => m.gatewayRef === 'pm_card_mastercard')!;
    await aProduct(rt, org.id, { id: 'switch', expiry: '2026-12-31', paymentMethodId: method!.id });
    switchTo = other.id;

    const night = await runNight(rt, '2026-12-17');

    expect(night.paid).toBe(1);
    expect(night.deadLetters).toHaveLength(0);
    expect(sandbox.calls.map((c) => c.paymentMethodRef)).toEqual(['pm_card_visa']);
    expect(sandbox.succeededCharges()).toBe(1);
    const [payment] = await rt.store.listPayments(org.id);
    expect((await rt.store.listInvoices(org.id))[0]!.payments).toEqual([{ method: 'card', amount: '14.05', ref: payment!.gatewayRef }]);
    // The product keeps the customer's new choice for its next renewal.
    expect(await rt.store.getProduct(org.id, 'switch')).toMatchObject({ expiry: '2027-12-31', paymentMethodId: other.id });
    await rt.close();
  });

  it('numbers invoices without gaps when many workers renew at once', async () => {
    const rt = await runtime(db.endpoint());
    const orgs = await Promise.all(Array.from({ length: 6 }, () => anOrg(rt, { method: 'pm_card_visa', balance: '20.00' })));
    for (let i = 0; i < 36; i++) {
      const { org, method } = orgs[i % orgs.length]!;
      await aProduct(rt, org.id, { id: `gap${i}`, expiry: '2026-12-31', paymentMethodId: method!.id });
    }
    const night = await runNight(rt, '2026-12-17', { concurrency: 16 });
    expect(night.paid).toBe(36);
    const numbers = (await rt.store.listInvoicesOfSeries('INV', 'ch', 2026)).map((n) => n.number);
    expect(numbers).toEqual(Array.from({ length: 36 }, (_, i) => `INV-CH-2026-${String(i + 1).padStart(6, '0')}`));
    await rt.close();
  });

  it('with split number ranges, each range stays gapless and an organisation always draws from its own', async () => {
    const rt = await runtime(db.endpoint());
    rt.deps.seller = { ...rt.deps.seller, invoiceSeriesShards: 4 };
    const orgs = await Promise.all(Array.from({ length: 8 }, () => anOrg(rt, { method: 'pm_card_visa' })));
    for (let i = 0; i < 40; i++) {
      const { org, method } = orgs[i % orgs.length]!;
      await aProduct(rt, org.id, { id: `rng${i}`, expiry: '2026-12-31', paymentMethodId: method!.id });
    }
    const night = await runNight(rt, '2026-12-17', { concurrency: 16 });
    expect(night.paid).toBe(40);
    const all = (await Promise.all(orgs.map((o) => rt.store.listInvoices(o.org.id)))).flat();
    const ranges = new Map<string, number[]>();
    for (const inv of all) {
      expect(inv.number).toMatch(/^INV-CH0[0-3]-2026-\d{6}$/);
      ranges.set(inv.seriesId!, [...(ranges.get(inv.seriesId!) ?? []), inv.sequence]);
    }
    expect(ranges.size).toBeGreaterThan(1);
    for (const [range, seqs] of ranges) {
      expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
      expect((await rt.store.listInvoicesOfSeries('INV', range, 2026)).length).toBe(seqs.length);
    }
    for (const { org } of orgs) expect(new Set((await rt.store.listInvoices(org.id)).map((i) => i.seriesId)).size).toBe(1);
    const one = all[0]!;
    expect(await rt.store.findInvoice(one.number)).toMatchObject({ number: one.number });
    await rt.close();
  });

  it('dead-letters a message that keeps failing after 5 receives', async () => {
    const rt = await runtime(db.endpoint());
    await rt.renewalQueue.send([{ orgId: 'o', productId: 'p', night: 'not-a-date' }]);
    const night = await runNight(rt, '2026-12-17');
    expect(night.deadLetters).toEqual([expect.objectContaining({ receiveCount: 5 })]);
    await rt.close();
  });
});

describe('charges on their own queue', () => {
  it('renews balance-paid products at once and sends only those needing a charge to the charge queue, each charged once', async () => {
    const rt = await runtime(db.endpoint(), { separateCharges: true });
    const { org: rich } = await anOrg(rt, { balance: '500.00' });
    const { org: card, method } = await anOrg(rt, { method: 'pm_card_visa', balance: '2.00' });
    for (let i = 0; i < 6; i++) await aProduct(rt, rich.id, { id: `bal${i}`, expiry: '2026-12-31' });
    for (let i = 0; i < 4; i++) await aProduct(rt, card.id, { id: `card${i}`, expiry: '2026-12-31', paymentMethodId: method!.id });

    const night = await runNight(rt, '2026-12-17');

    expect(night).toMatchObject({ attempted: 10, paid: 10 });
    expect(rt.chargeQueue.deadLetters).toHaveLength(0);
    expect(rt.sandbox.calls).toHaveLength(4);
    expect(new Set(rt.sandbox.calls.map((c) => c.idempotencyKey)).size).toBe(4);
    expect(await rt.store.listInvoices(card.id)).toHaveLength(4);
    // The balance is drawn first even when the rest goes to the card.
    expect((await rt.store.getOrganisation(card.id))!.balance).toBe('0.00');
    await rt.close();
  });
});
