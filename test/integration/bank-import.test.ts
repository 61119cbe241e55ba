import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { drainQueues, type LocalRuntime } from '../../functions/local-runtime.ts';
import { isQrReference } from '../../shared/domain/payment-reference.ts';
import type { Actor } from '../../shared/use-cases/actor.ts';
import { importBankStatement, type BankStatementInput } from '../../shared/use-cases/bank/import-bank-statement.ts';
import { getCheckout } from '../../shared/use-cases/checkout/get-checkout.ts';
import { startCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { startTopUp } from '../../shared/use-cases/checkout/start-top-up.ts';
import { aProduct, anOrg, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

const db = useDynamoDbLocal();
const owner = (orgId: string): Actor => ({ kind: 'user', userId: `owner-${orgId}` });

async function ledgerSum(rt: LocalRuntime, orgId: string) {
  return (await rt.store.listLedger(orgId)).reduce((s, e) => s.plus(e.amount), new Decimal(0)).toFixed(2);
}

function statement(id: string, credits: BankStatementInput['credits']): BankStatementInput {
  return { messageId: id, credits };
}

async function proformaFor(rt: Awaited<ReturnType<typeof runtime>>, opts: { balance?: string; currency?: 'CHF' | 'EUR' } = {}) {
  const { org } = await anOrg(rt, { ...(opts.balance ? { balance: opts.balance } : {}), ...(opts.currency ? { currency: opts.currency } : {}) });
  await aProduct(rt, org.id, { id: `${org.id}-ch`, expiry: '2026-12-31', autoRenew: false });
  const view = await startCheckout(rt.deps, org.id, { items: [{ productId: `${org.id}-ch` }], method: 'iban', requestId: `req-${org.id}-iban` }, owner(org.id));
  return { org, view, productId: `${org.id}-ch` };
}

describe('bank transfers against a pro-forma (camt.054)', () => {
  it('gives the pro-forma a QR reference and settles it like a card payment when the transfer arrives', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org, view, productId } = await proformaFor(rt);
    expect(isQrReference(view.paymentReference!)).toBe(true);
    rt.clock.day = '2026-12-14';

    const report = await importBankStatement(
      rt.deps,
      statement('MSG-1', [{ id: 'E1', amount: '14.05', currency: 'CHF', reference: { type: 'QRR', value: view.paymentReference! } }]),
      'digest-1',
    );

    expect(report).toMatchObject({ alreadyImported: false, settled: { CHF: '14.05' }, toReview: 0 });
    expect(report.credits).toEqual([expect.objectContaining({ outcome: 'settled', documentNumber: 'PRO-CH-2026-000001', duplicate: false })]);
    const checkout = await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id));
    expect(checkout).toMatchObject({ status: 'paid', invoiceNumber: 'INV-CH-2026-000001' });
    const invoices = await rt.store.listInvoices(org.id);
    expect(invoices.find((i) => i.series === 'PRO')).toMatchObject({ status: 'paid', amountDue: '0.00' });
    expect(invoices.find((i) => i.series === 'INV')).toMatchObject({
      status: 'paid',
      issueDate: '2026-12-14',
      refersTo: 'PRO-CH-2026-000001',
      payments: [{ method: 'transfer', amount: '14.05', ref: 'bank:E1' }],
    });
    expect((await rt.store.getProduct(org.id, productId))!.expiry).toBe('2027-12-31');
    expect((await rt.store.listPayments(org.id)).map((p) => [p.method, p.amount])).toEqual([['transfer', '14.05']]);
    await rt.close();
  });

  it('fulfils nothing for CHF 0.00, 0.01 or 13.55 against a 14.05 pro-forma: part payments, the rest due on the pro-forma', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org, view, productId } = await proformaFor(rt);
    const ref = { type: 'QRR', value: view.paymentReference! };
    const parts = await importBankStatement(
      rt.deps,
      statement('MSG-2', [
        { id: 'E2a', amount: '0.00', currency: 'CHF', reference: ref },
        { id: 'E2b', amount: '0.01', currency: 'CHF', reference: ref },
        { id: 'E2c', amount: '13.55', currency: 'CHF', reference: ref },
      ]),
      'd2',
    );
    // 14.05 - 0.00 - 0.01 - 13.55 = 0.49 still due, worked out by hand.
    expect(parts.credits.map((c) => [c.outcome, c.note])).toEqual([
      ['partial', 'part payment: PRO-CH-2026-000001 stays open for 14.05 CHF; the order is fulfilled once it is paid'],
      ['partial', 'part payment: PRO-CH-2026-000001 stays open for 14.04 CHF; the order is fulfilled once it is paid'],
      ['partial', 'part payment: PRO-CH-2026-000001 stays open for 0.49 CHF; the order is fulfilled once it is paid'],
    ]);
    expect(await rt.store.findInvoice('PRO-CH-2026-000001')).toMatchObject({ status: 'open', amountDue: '0.49', paymentReference: view.paymentReference });
    expect((await rt.store.getProduct(org.id, productId))!.expiry).toBe('2026-12-31');
    expect((await rt.store.listInvoices(org.id)).filter((i) => i.series === 'INV')).toEqual([]);
    expect((await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).status).toBe('awaiting_payment');

    // The rest arrives: now the order is fulfilled, the final invoice naming every transfer.
    const rest = await importBankStatement(rt.deps, statement('MSG-3', [{ id: 'E3', amount: '0.49', currency: 'CHF', reference: ref }]), 'd3');
    expect(rest.credits[0]).toMatchObject({ outcome: 'settled', documentNumber: 'PRO-CH-2026-000001' });
    expect(await rt.store.findInvoice('INV-CH-2026-000001')).toMatchObject({
      status: 'paid',
      total: '14.05',
      payments: [
        { method: 'transfer', amount: '0.01', ref: 'bank:E2b' },
        { method: 'transfer', amount: '13.55', ref: 'bank:E2c' },
        { method: 'transfer', amount: '0.49', ref: 'bank:E3' },
      ],
    });
    expect((await rt.store.getProduct(org.id, productId))!.expiry).toBe('2027-12-31');
    await rt.close();
  });

  it("settles a transfer short by no more than the seller's tolerance, and says so", async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org, view, productId } = await proformaFor(rt);
    const deps = { ...rt.deps, seller: { ...rt.deps.seller, transferTolerance: '0.50' } };
    const report = await importBankStatement(
      deps,
      statement('MSG-T', [{ id: 'ET', amount: '13.55', currency: 'CHF', reference: { type: 'QRR', value: view.paymentReference! } }]),
      'dt',
    );
    expect(report.credits[0]).toMatchObject({ outcome: 'settled', note: "CHF 0.50 short of PRO-CH-2026-000001, within the seller's tolerance of CHF 0.50: settled" });
    expect((await rt.store.getProduct(org.id, productId))!.expiry).toBe('2027-12-31');
    await rt.close();
  });

  it('puts what was paid in excess on the prepaid balance', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org, view } = await proformaFor(rt, { balance: '4.00' });
    expect(view.amountDue).toBe('10.05');
    const report = await importBankStatement(
      rt.deps,
      statement('MSG-4', [{ id: 'E4', amount: '20.00', currency: 'CHF', reference: { type: 'QRR', value: view.paymentReference! } }]),
      'd4',
    );
    expect(report.credits[0]).toMatchObject({ outcome: 'overpaid' });
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('9.95');
    expect(await ledgerSum(rt, org.id)).toBe('9.95');
    const invoice = (await rt.store.findInvoice('INV-CH-2026-000001'))!;
    expect(invoice.payments).toEqual([
      { method: 'balance', amount: '4.00' },
      { method: 'transfer', amount: '10.05', ref: 'bank:E4' },
    ]);
    await rt.close();
  });

  it('lists unknown references and wrong currencies for finance and settles nothing', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org, view } = await proformaFor(rt);
    const report = await importBankStatement(
      rt.deps,
      statement('MSG-5', [
        { id: 'E5', amount: '14.05', currency: 'EUR', reference: { type: 'QRR', value: view.paymentReference! } },
        { id: 'E6', amount: '99.00', currency: 'CHF', reference: { type: 'SCOR', value: 'RF18539007547034' } },
        { id: 'E7', amount: '5.00', currency: 'CHF', message: 'merci pour tout' },
      ]),
      'd5',
    );
    expect(report.credits.map((c) => c.outcome)).toEqual(['wrong-currency', 'unmatched', 'unmatched']);
    expect(report).toMatchObject({ toReview: 3, settled: {} });
    expect((await rt.store.listBankCreditsToReview()).map((c) => c.id).sort()).toEqual(['E5', 'E6', 'E7']);
    expect((await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).status).toBe('awaiting_payment');
    expect(await rt.store.listPayments(org.id)).toHaveLength(0);
    await rt.close();
  });

  it('imports the same statement twice without settling anything twice', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org, view } = await proformaFor(rt);
    const stmt = statement('MSG-6', [{ id: 'E8', amount: '14.05', currency: 'CHF', reference: { type: 'QRR', value: view.paymentReference! } }]);
    await importBankStatement(rt.deps, stmt, 'd6');
    const again = await importBankStatement(rt.deps, stmt, 'd6');
    expect(again).toMatchObject({ alreadyImported: true, settled: {} });
    expect(again.credits[0]).toMatchObject({ duplicate: true, outcome: 'settled' });
    // Two imports racing each other settle once too.
    const { org: o2, view: v2 } = await proformaFor(rt);
    const racing = statement('MSG-7', [{ id: 'E9', amount: '14.05', currency: 'CHF', reference: { type: 'QRR', value: v2.paymentReference! } }]);
    const results = await Promise.all([importBankStatement(rt.deps, racing, 'd7'), importBankStatement(rt.deps, racing, 'd7')]);
    expect(results.flatMap((r) => r.credits).filter((c) => !c.duplicate)).toHaveLength(1);
    expect(await rt.store.listInvoices(org.id)).toHaveLength(2);
    expect((await rt.store.listInvoices(o2.id)).filter((i) => i.series === 'INV')).toHaveLength(1);
    expect(await rt.store.listPayments(o2.id)).toHaveLength(1);
    await rt.close();
  });

  it('credits a top-up paid by transfer to the balance', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    const { org } = await anOrg(rt, { currency: 'EUR' });
    const view = await startTopUp(rt.deps, org.id, { amount: '250.00', method: 'iban', requestId: 'topup-iban-01' }, owner(org.id));
    expect(view.paymentReference).toBeDefined();
    await importBankStatement(rt.deps, statement('MSG-8', [{ id: 'E10', amount: '250.00', currency: 'EUR', reference: { type: 'QRR', value: view.paymentReference! } }]), 'd8');
    await drainQueues(rt);
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('250.00');
    expect(await ledgerSum(rt, org.id)).toBe('250.00');
    expect((await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).status).toBe('paid');
    await rt.close();
  });
});
