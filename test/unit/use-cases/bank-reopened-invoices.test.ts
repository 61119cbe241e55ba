import { describe, expect, it } from 'vitest';
import { importBankStatement, type BankStatementInput } from '../../../shared/use-cases/bank/import-bank-statement.ts';
import { startCheckout } from '../../../shared/use-cases/checkout/start-checkout.ts';
import { aProduct, anOrg, runtime } from '../../support/local-stack.ts';

// Transfers against an invoice a bank reversal opened again, on the in-memory store. By hand: a .ch domain
// renews for 14.05; the pro-forma PRO-CH-2026-000001 is paid, its final invoice INV-CH-2026-000001 renews
// the domain from 2027-02-28 to 2028-02-28, then the bank returns the transfer.

const TODAY = '2026-12-14';
const NOW = `${TODAY}T02:00:00.000Z`;
const INV = 'INV-CH-2026-000001';
const owner = (orgId: string) => ({ kind: 'user' as const, userId: `owner-${orgId}` });

async function reopened() {
  const rt = await runtime('memory', { today: '2026-12-10' });
  await anOrg(rt, { id: 'acme' });
  await aProduct(rt, 'acme', { id: 'dom', expiry: '2027-02-28', autoRenew: false });
  const view = await startCheckout(rt.deps, 'acme', { items: [{ productId: 'dom' }], method: 'iban', requestId: 'req-acme-iban1' }, owner('acme'));
  rt.clock.day = TODAY;
  const pf = { type: 'QRR', value: view.paymentReference! };
  const run = (msg: string, rest: Partial<BankStatementInput>) => importBankStatement(rt.deps, { messageId: msg, credits: [], ...rest }, msg);
  await run('M1', { credits: [{ id: 'B1', amount: '14.05', currency: 'CHF', reference: pf }] });
  await run('M2', { reversals: [{ id: 'R1', kind: 'reversal', amount: '14.05', currency: 'CHF', reference: pf }] });
  const invoice = (await rt.store.findInvoice(INV))!;
  expect(invoice).toMatchObject({ status: 'open', amountDue: '14.05' });
  const ref = { type: 'QRR', value: invoice.paymentReference! };
  const pay = (msg: string, id: string, amount: string) => run(msg, { credits: [{ id, amount, currency: 'CHF', reference: ref }] });
  return { rt, pay, run, ref };
}

describe('an invoice opened again by a reversal', () => {
  it('takes a part payment against what is left, says so, and gives the period back only when all is paid', async () => {
    const { rt, pay } = await reopened();
    const part = await pay('M3', 'B2', '4.05');
    expect(part.credits[0]).toMatchObject({ outcome: 'partial', documentNumber: INV, note: `${INV} stays open for 10.00 CHF` });
    expect((await rt.store.findInvoice(INV))!).toMatchObject({ status: 'open', amountDue: '10.00', reopenedBy: 'reversal#R1' });
    expect((await rt.store.findInvoice(INV))!.payments.at(-1)).toEqual({ method: 'transfer', amount: '4.05', ref: 'bank:B2' });
    expect((await rt.store.getProduct('acme', 'dom'))!.expiry).toBe('2027-02-28');

    const rest = await pay('M4', 'B3', '10.00');
    expect(rest.credits[0]).toMatchObject({ outcome: 'settled' });
    expect(rest.credits[0]!.note).toBeUndefined();
    const product = (await rt.store.getProduct('acme', 'dom'))!;
    // Back to 2028-02-28: its next action is the 30-day reminder, 2028-01-29.
    expect(product).toMatchObject({ expiry: '2028-02-28', status: 'active', nextActionDate: '2028-01-29' });
    expect(await rt.store.listLedger('acme')).toEqual([]);
  });

  it('puts what exceeds the rest on the balance, and a transfer for it once paid entirely there', async () => {
    const { rt, pay } = await reopened();
    const over = await pay('M3', 'B2', '20.00');
    expect(over.credits[0]).toMatchObject({ outcome: 'overpaid', note: 'CHF 5.95 more than due, credited to the prepaid balance' });
    const again = await pay('M4', 'B3', '3.00');
    expect(again.credits[0]).toMatchObject({ outcome: 'credited-to-balance', note: `${INV} was already paid: CHF 3.00 credited to the balance` });
    expect((await rt.store.listLedger('acme')).map((e) => [e.id, e.reason, e.ref, e.amount, e.balanceAfter])).toEqual([
      ['overpayment-B2', 'overpayment', INV, '5.95', '5.95'],
      ['overpayment-B3', 'overpayment', INV, '3.00', '8.95'],
    ]);
    expect((await rt.store.findInvoice(INV))!.payments.filter((p) => p.ref === 'bank:B3')).toEqual([]);
    expect((await rt.store.listPayments('acme')).find((p) => p.id === 'bank-B3')).toEqual({
      id: 'bank-B3',
      orgId: 'acme',
      date: TODAY,
      method: 'transfer',
      amount: '3.00',
      currency: 'CHF',
      gatewayRef: 'B3',
      invoiceNumber: INV,
      checkoutId: expect.any(String),
      createdAt: NOW,
    });
  });

  it('unblocks a product the night blocked while its invoice was open, with a command of its own', async () => {
    const { rt, pay } = await reopened();
    const p = (await rt.store.getProduct('acme', 'dom'))!;
    await rt.store.commit([{ type: 'product', product: { ...p, status: 'blocked', version: p.version + 1 }, expectedVersion: p.version }]);
    const sent: unknown[] = [];
    const queue = rt.deps.lifecycleQueue;
    rt.deps.lifecycleQueue = { send: async (m) => (sent.push(...m), queue.send(m)) };
    await pay('M3', 'B2', '14.05');
    expect(await rt.store.listLifecycleCommands(TODAY)).toEqual([
      { id: `dom#unblock#${INV}`, date: TODAY, orgId: 'acme', productId: 'dom', action: 'unblock', status: 'pending', createdAt: NOW },
    ]);
    expect(sent).toEqual([{ date: TODAY, commandId: `dom#unblock#${INV}` }]);
    expect((await rt.store.getProduct('acme', 'dom'))!).toMatchObject({ status: 'active', expiry: '2028-02-28', failedAttempts: 0 });
    // The same file again sends nothing again.
    await pay('M3', 'B2', '14.05');
    expect(sent).toHaveLength(1);
  });

  it('leaves a product renewed since, or terminated, where it is', async () => {
    const { rt, pay } = await reopened();
    const p = (await rt.store.getProduct('acme', 'dom'))!;
    await rt.store.commit([{ type: 'product', product: { ...p, status: 'terminated', version: p.version + 1 }, expectedVersion: p.version }]);
    await pay('M3', 'B2', '14.05');
    expect((await rt.store.getProduct('acme', 'dom'))!).toMatchObject({ status: 'terminated', expiry: '2027-02-28' });
  });

  it('reverses a payment of the reopened invoice again: open for that much more', async () => {
    const { rt, pay, run, ref } = await reopened();
    await pay('M3', 'B2', '4.05');
    const back = await run('M5', { reversals: [{ id: 'R2', kind: 'return', amount: '4.05', currency: 'CHF', reference: ref, reason: 'MD06' }] });
    expect(back.credits[0]).toMatchObject({ outcome: 'reversed', documentNumber: INV });
    expect(back.credits[0]!.note).toBe(`returned payment (MD06) of credit B2: ${INV} open again for 14.05 CHF (reference ${ref.value})`);
    expect((await rt.store.findInvoice(INV))!).toMatchObject({ status: 'open', amountDue: '14.05', reopenedBy: 'reversal#R2' });
  });
});

describe('a transfer quoting a credit note', () => {
  it('is set aside: nothing is due on a credit note', async () => {
    const rt = await runtime('memory', { today: TODAY });
    await anOrg(rt, { id: 'cn' });
    const found = { number: 'CN-CH-2026-000001', series: 'CN', orgId: 'cn', currency: 'CHF' };
    const deps = { ...rt.deps, store: Object.assign(Object.create(rt.store), { findDocumentByReference: async () => found }) };
    const report = await importBankStatement(deps, { messageId: 'M', credits: [{ id: 'C1', amount: '5.00', currency: 'CHF', reference: { type: 'QRR', value: 'x' } }] }, 'M');
    expect(report.credits[0]).toMatchObject({ outcome: 'unmatched', documentNumber: 'CN-CH-2026-000001', note: 'CN-CH-2026-000001 is a credit note; nothing is due on it' });
    expect(report.settled).toEqual({});
  });
});
