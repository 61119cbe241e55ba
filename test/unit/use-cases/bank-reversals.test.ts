import { describe, expect, it } from 'vitest';
import { importBankStatement, type BankStatementInput } from '../../../shared/use-cases/bank/import-bank-statement.ts';
import { startCheckout } from '../../../shared/use-cases/checkout/start-checkout.ts';
import { aProduct, anOrg, runtime } from '../../support/local-stack.ts';

// Which credit a bank reversal takes back, and what it undoes, on the in-memory store. By hand: a .ch domain
// renews for 14.05 (13.00 + 8.1 % VAT); each pro-forma is paid by transfers, then the bank returns one of them.

const TODAY = '2026-12-14';
const owner = (orgId: string) => ({ kind: 'user' as const, userId: `owner-${orgId}` });
const qrr = (value: string) => ({ type: 'QRR', value });

async function withProformas(productIds: string[]) {
  const rt = await runtime('memory', { today: '2026-12-10' });
  await anOrg(rt, { id: 'acme' });
  const refs: string[] = [];
  for (const [i, id] of productIds.entries()) {
    await aProduct(rt, 'acme', { id, expiry: '2027-02-28', autoRenew: false });
    const view = await startCheckout(rt.deps, 'acme', { items: [{ productId: id }], method: 'iban', requestId: `req-acme-iban-${i}` }, owner('acme'));
    refs.push(view.paymentReference!);
  }
  rt.clock.day = TODAY;
  const run = (msg: string, rest: Partial<BankStatementInput>) => importBankStatement(rt.deps, { messageId: msg, credits: [], ...rest }, msg);
  const credit = (msg: string, id: string, amount: string, ref: string) => run(msg, { credits: [{ id, amount, currency: 'CHF', reference: qrr(ref) }] });
  const reverse = (msg: string, id: string, amount: string, ref: string) => run(msg, { reversals: [{ id, kind: 'reversal', amount, currency: 'CHF', reference: qrr(ref) }] });
  return { rt, refs, credit, reverse };
}

describe('a bank reversal', () => {
  it('takes back the credit of its amount when two transfers paid the pro-forma, and the same credit only once', async () => {
    const { rt, refs, credit, reverse } = await withProformas(['dom']);
    expect((await credit('M1', 'B1', '4.05', refs[0]!)).credits[0]).toMatchObject({ outcome: 'partial' });
    expect((await credit('M2', 'B2', '10.00', refs[0]!)).credits[0]).toMatchObject({ outcome: 'settled' });
    expect((await rt.store.getProduct('acme', 'dom'))!.expiry).toBe('2028-02-28');

    const back = await reverse('M3', 'R1', '10.00', refs[0]!);
    expect(back.credits[0]).toMatchObject({ outcome: 'reversed', note: expect.stringContaining('reversal of credit B2:') });
    // The final invoice is open for the 10.00 taken back, not for the 4.05 that stays paid.
    expect((await rt.store.findInvoice('INV-CH-2026-000001'))!).toMatchObject({ status: 'open', amountDue: '10.00', reopenedBy: 'reversal#R1' });
    expect((await rt.store.getBankCredit('B2'))!.reversedBy).toBe('reversal#R1');
    expect((await rt.store.getBankCredit('B1'))!.reversedBy).toBeUndefined();

    // A second reversal of 10.00 finds no credit of that amount left: set aside, the invoice as it was.
    const again = await reverse('M4', 'R2', '10.00', refs[0]!);
    expect(again.credits[0]).toMatchObject({
      outcome: 'reversal-unmatched',
      note: expect.stringContaining('no credit of that amount booked against PRO-CH-2026-000001 is left to reverse'),
    });
    expect((await rt.store.findInvoice('INV-CH-2026-000001'))!).toMatchObject({ status: 'open', amountDue: '10.00', reopenedBy: 'reversal#R1' });
  });

  it('takes back the credit of the document its reference names, not one of the same amount on another', async () => {
    const { rt, refs, credit, reverse } = await withProformas(['one', 'two']);
    await credit('M1', 'B1', '14.05', refs[0]!);
    await credit('M2', 'B2', '14.05', refs[1]!);
    const [one, two] = [(await rt.store.getProduct('acme', 'one'))!, (await rt.store.getProduct('acme', 'two'))!];
    expect([one.expiry, two.expiry]).toEqual(['2028-02-28', '2028-02-28']);

    const back = await reverse('M3', 'R1', '14.05', refs[1]!);
    expect(back.credits[0]).toMatchObject({ outcome: 'reversed', note: expect.stringContaining('reversal of credit B2:'), documentNumber: 'PRO-CH-2026-000002' });
    expect((await rt.store.getProduct('acme', 'one'))!).toEqual(one);
    // The second domain goes back to the expiry before it was paid, in one new version of the product.
    expect((await rt.store.getProduct('acme', 'two'))!).toMatchObject({ expiry: '2027-02-28', awaitsInvoice: 'INV-CH-2026-000002', version: two.version + 1 });
    expect((await rt.store.findInvoice('INV-CH-2026-000001'))!).toMatchObject({ status: 'paid' });
    expect((await rt.store.findInvoice('INV-CH-2026-000002'))!).toMatchObject({ status: 'open', amountDue: '14.05' });

    // Paid again: the period is back, again in one new version.
    const undone = (await rt.store.getProduct('acme', 'two'))!;
    await credit('M4', 'B3', '14.05', (await rt.store.findInvoice('INV-CH-2026-000002'))!.paymentReference!);
    expect((await rt.store.getProduct('acme', 'two'))!).toMatchObject({ expiry: '2028-02-28', version: undone.version + 1 });
    // It was active all along: nothing to unblock.
    expect(await rt.store.listLifecycleCommands(TODAY)).toEqual([]);
  });

  it('of a credit that went wholly to the balance takes it off the balance and leaves the paid invoice and its period alone', async () => {
    const { rt, refs, credit, reverse } = await withProformas(['dom']);
    await credit('M1', 'B1', '14.05', refs[0]!);
    const invoice = (await rt.store.findInvoice('INV-CH-2026-000001'))!;
    const extra = await credit('M2', 'B2', '3.00', refs[0]!);
    expect(extra.credits[0]).toMatchObject({ outcome: 'credited-to-balance', note: 'PRO-CH-2026-000001 was already paid: CHF 3.00 credited to the balance' });

    const back = await reverse('M3', 'R1', '3.00', refs[0]!);
    expect(back.credits[0]).toMatchObject({ outcome: 'reversed', note: expect.stringContaining('reversal of credit B2:') });
    expect(back.credits[0]!.note).toMatch(/of credit B2: CHF 3\.00 taken off the balance$/);
    expect((await rt.store.findInvoice('INV-CH-2026-000001'))!).toEqual(invoice);
    expect((await rt.store.getProduct('acme', 'dom'))!.expiry).toBe('2028-02-28');
    expect((await rt.store.listLedger('acme')).map((e) => [e.reason, e.amount, e.balanceAfter])).toEqual([
      ['overpayment', '3.00', '3.00'],
      ['bank-reversal', '-3.00', '0.00'],
    ]);
    expect((await rt.store.listOutbox(TODAY)).filter((e) => e.template === 'invoice-reopened')).toEqual([]);
  });

  it('opens the invoice again but leaves a product terminated since where it is', async () => {
    const { rt, refs, credit, reverse } = await withProformas(['dom']);
    await credit('M1', 'B1', '14.05', refs[0]!);
    const p = (await rt.store.getProduct('acme', 'dom'))!;
    const terminated = { ...p, status: 'terminated' as const, version: p.version + 1 };
    await rt.store.commit([{ type: 'product', product: terminated, expectedVersion: p.version }]);
    const back = await reverse('M2', 'R1', '14.05', refs[0]!);
    expect(back.credits[0]).toMatchObject({ outcome: 'reversed', note: expect.stringContaining('reversal of credit B1:') });
    expect(back.credits[0]!.note).not.toContain('back to the expiry');
    expect((await rt.store.getProduct('acme', 'dom'))!).toEqual(terminated);
    expect((await rt.store.findInvoice('INV-CH-2026-000001'))!).toMatchObject({ status: 'open', amountDue: '14.05' });
  });
});
