import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isQrReference } from '../../../shared/domain/payment-reference.ts';
import { WriteConflict } from '../../../shared/ports/unit-of-work.ts';
import { importBankStatement, type BankStatementInput } from '../../../shared/use-cases/bank/import-bank-statement.ts';
import { startCheckout } from '../../../shared/use-cases/checkout/start-checkout.ts';
import { startTopUp } from '../../../shared/use-cases/checkout/start-top-up.ts';
import { aProduct, anOrg, runtime } from '../../support/local-stack.ts';

// A bank statement on the in-memory store: what the report tells finance, to the word, and what each
// credit writes. By hand: a .ch domain renews for 14.05 (13.00 + 8.1 % VAT); the pro-forma asks for it all.

type Rt = Awaited<ReturnType<typeof runtime>>;
const TODAY = '2026-12-14';
const NOW = `${TODAY}T02:00:00.000Z`;
const ACCOUNT = 'CH4431999123000889012';
const PF = 'PRO-CH-2026-000001';
const owner = (orgId: string) => ({ kind: 'user' as const, userId: `owner-${orgId}` });

/** The content key of a booking, as the import is documented to form it: sha256 of account|amount|currency|date. */
const key = (account: string, amount: string, currency: string, date: string) =>
  createHash('sha256').update([account, amount, currency, date].join('|')).digest('hex').slice(0, 12);

async function proforma(opts: { tolerance?: string } = {}) {
  const rt = await runtime('memory', { today: '2026-12-10' });
  await anOrg(rt, { id: 'acme' });
  await aProduct(rt, 'acme', { id: 'dom', expiry: '2027-02-28', autoRenew: false });
  const view = await startCheckout(rt.deps, 'acme', { items: [{ productId: 'dom' }], method: 'iban', requestId: 'req-acme-iban1' }, owner('acme'));
  expect(view).toMatchObject({ proformaNumber: PF, amountDue: '14.05' });
  expect(isQrReference(view.paymentReference!)).toBe(true);
  rt.clock.day = TODAY;
  const deps = opts.tolerance ? { ...rt.deps, seller: { ...rt.deps.seller, transferTolerance: opts.tolerance } } : rt.deps;
  const ref = view.paymentReference!;
  const credit = (id: string, amount: string, extra: Partial<BankStatementInput['credits'][number]> = {}) => ({
    id,
    amount,
    currency: 'CHF',
    bookingDate: TODAY,
    account: ACCOUNT,
    reference: { type: 'QRR', value: ref },
    ...extra,
  });
  const run = (msg: string, credits: BankStatementInput['credits'], rest: Partial<BankStatementInput> = {}, digest = msg) =>
    importBankStatement(deps, { messageId: msg, credits, ...rest }, digest);
  return { rt, view, ref, credit, run };
}

const line = (id: string, amount: string, outcome: string, extra: Record<string, unknown> = {}) => ({ id, amount, currency: 'CHF', outcome, duplicate: false, ...extra });

describe('a transfer against a pro-forma', () => {
  it('settles it in full: final invoice, product renewed, every record to the field, and the same file again settles nothing', async () => {
    const { rt, view, ref, credit, run } = await proforma();
    const report = await run('MSG-1', [credit('B1', '14.05', { message: 'Thanks', debtor: { name: 'Acme AG' } })]);
    expect(report).toEqual({
      statementId: 'MSG-1',
      alreadyImported: false,
      credits: [line('B1', '14.05', 'settled', { reference: ref, documentNumber: PF })],
      settled: { CHF: '14.05' },
      toReview: 0,
    });
    expect(await rt.store.getBankCredit('B1')).toEqual({
      id: 'B1',
      statementId: 'MSG-1',
      amount: '14.05',
      currency: 'CHF',
      outcome: 'settled',
      importedAt: NOW,
      bookingDate: TODAY,
      account: ACCOUNT,
      reference: ref,
      message: 'Thanks',
      debtorName: 'Acme AG',
      documentNumber: PF,
      orgId: 'acme',
    });
    expect(await rt.store.listPayments('acme')).toEqual([
      {
        id: 'bank-B1',
        orgId: 'acme',
        date: TODAY,
        method: 'transfer',
        amount: '14.05',
        currency: 'CHF',
        gatewayRef: 'B1',
        invoiceNumber: PF,
        checkoutId: view.checkoutId,
        createdAt: NOW,
      },
    ]);
    const docs = await rt.store.listInvoices('acme');
    expect(docs.find((d) => d.series === 'PRO')).toMatchObject({ status: 'paid', amountDue: '0.00', payments: [{ method: 'transfer', amount: '14.05', ref: 'bank:B1' }] });
    expect(docs.find((d) => d.series === 'INV')).toMatchObject({ number: 'INV-CH-2026-000001', refersTo: PF, payments: [{ method: 'transfer', amount: '14.05', ref: 'bank:B1' }] });
    expect((await rt.store.getCheckout('acme', view.checkoutId))!).toMatchObject({ status: 'paid', settledAt: NOW, invoiceNumber: 'INV-CH-2026-000001', version: 2 });
    expect((await rt.store.getProduct('acme', 'dom'))!).toMatchObject({ expiry: '2028-02-28' });
    expect((await rt.store.listOutbox(TODAY)).map((m) => [m.template, m.data])).toEqual([
      ['checkout-paid', { checkout: view.checkoutId, total: '14.05', currency: 'CHF', proforma: PF, received: '14.05', invoice: 'INV-CH-2026-000001' }],
    ]);
    expect(await rt.store.getBankStatement('MSG-1')).toMatchObject({ id: 'MSG-1', fileDigest: 'MSG-1', credits: 1, importedAt: NOW });

    const again = await run('MSG-1', [credit('B1', '14.05', { message: 'Thanks', debtor: { name: 'Acme AG' } })]);
    expect(again).toEqual({
      statementId: 'MSG-1',
      alreadyImported: true,
      credits: [line('B1', '14.05', 'settled', { reference: ref, documentNumber: PF, duplicate: true })],
      settled: {},
      toReview: 0,
    });
    expect(await rt.store.listPayments('acme')).toHaveLength(1);
  });

  it('takes less as a part payment, the rest due on the pro-forma, then settles with every transfer on the invoice', async () => {
    const { rt, view, credit, run } = await proforma();
    const part = await run('MSG-2', [credit('B1', '5.00')]);
    expect(part.credits[0]).toMatchObject({ outcome: 'partial', note: `part payment: ${PF} stays open for 9.05 CHF; the order is fulfilled once it is paid` });
    expect(part).toMatchObject({ settled: { CHF: '5.00' }, toReview: 1 });
    expect((await rt.store.findInvoice(PF))!).toMatchObject({ status: 'open', amountDue: '9.05', payments: [{ method: 'transfer', amount: '5.00', ref: 'bank:B1' }] });
    expect((await rt.store.getCheckout('acme', view.checkoutId))!.status).toBe('awaiting_payment');
    expect((await rt.store.getProduct('acme', 'dom'))!.expiry).toBe('2027-02-28');

    const rest = await run('MSG-3', [credit('B2', '9.05')]);
    expect(rest).toMatchObject({ settled: { CHF: '9.05' }, toReview: 0, credits: [{ outcome: 'settled' }] });
    expect((await rt.store.listInvoices('acme')).find((d) => d.series === 'INV')!.payments).toEqual([
      { method: 'transfer', amount: '5.00', ref: 'bank:B1' },
      { method: 'transfer', amount: '9.05', ref: 'bank:B2' },
    ]);
    expect((await rt.store.findInvoice(PF))!).toMatchObject({ status: 'paid', amountDue: '0.00' });
  });

  it('puts an excess on the balance and says how much', async () => {
    const { rt, credit, run } = await proforma();
    const report = await run('MSG-4', [credit('B1', '20.00')]);
    expect(report.credits).toEqual([
      line('B1', '20.00', 'overpaid', { reference: expect.any(String), documentNumber: PF, note: 'CHF 5.95 more than due, credited to the prepaid balance' }),
    ]);
    expect(report).toMatchObject({ settled: { CHF: '20.00' }, toReview: 1 });
    expect(await rt.store.getBankCredit('B1')).toMatchObject({ toBalance: '5.95' });
    expect(await rt.store.listLedger('acme')).toEqual([
      { id: 'overpayment-B1', orgId: 'acme', date: TODAY, reason: 'overpayment', ref: PF, amount: '5.95', currency: 'CHF', balanceAfter: '5.95', createdAt: NOW },
    ]);
    expect((await rt.store.listInvoices('acme')).find((d) => d.series === 'INV')!.payments).toEqual([{ method: 'transfer', amount: '14.05', ref: 'bank:B1' }]);
  });

  it("settles a transfer short by no more than the seller's tolerance, and not one cent more short", async () => {
    const within = await proforma({ tolerance: '0.05' });
    const ok = await within.run('MSG-5', [within.credit('B1', '14.00')]);
    expect(ok.credits[0]).toMatchObject({ outcome: 'settled', note: `CHF 0.05 short of ${PF}, within the seller's tolerance of CHF 0.05: settled` });
    expect((await within.rt.store.listInvoices('acme')).find((d) => d.series === 'INV')!.payments).toEqual([{ method: 'transfer', amount: '14.00', ref: 'bank:B1' }]);
    const beyond = await proforma({ tolerance: '0.05' });
    expect((await beyond.run('MSG-6', [beyond.credit('B1', '13.99')])).credits[0]).toMatchObject({ outcome: 'partial' });
  });

  it('credits the balance with a transfer for a pro-forma already paid', async () => {
    const { rt, credit, run } = await proforma();
    await run('MSG-7', [credit('B1', '14.05')]);
    const second = await run('MSG-8', [credit('B2', '14.05')]);
    expect(second.credits[0]).toMatchObject({ outcome: 'credited-to-balance', note: `${PF} was already paid: CHF 14.05 credited to the balance` });
    expect((await rt.store.listLedger('acme')).map((e) => [e.id, e.reason, e.ref, e.amount])).toEqual([['overpayment-B2', 'overpayment', PF, '14.05']]);
  });

  it('credits a deposit by transfer with what arrived, whatever the pro-forma asked', async () => {
    const rt = await runtime('memory', { today: TODAY });
    await anOrg(rt, { id: 'dep' });
    const view = await startTopUp(rt.deps, 'dep', { amount: '250.00', method: 'iban', requestId: 'req-dep-00001' }, owner('dep'));
    const report = await importBankStatement(
      rt.deps,
      { messageId: 'MSG-9', credits: [{ id: 'B1', amount: '100.00', currency: 'CHF', reference: { type: 'QRR', value: view.paymentReference! } }] },
      'd9',
    );
    expect(report.credits[0]).toMatchObject({ outcome: 'settled', documentNumber: view.proformaNumber });
    expect(await rt.store.listLedger('dep')).toEqual([
      {
        id: `top-up-${view.checkoutId}`,
        orgId: 'dep',
        date: TODAY,
        reason: 'top-up',
        ref: view.checkoutId,
        amount: '100.00',
        currency: 'CHF',
        balanceAfter: '100.00',
        createdAt: NOW,
      },
    ]);
    expect((await rt.store.listOutbox(TODAY)).map((m) => [m.template, m.data])).toEqual([
      ['top-up-credited', { checkout: view.checkoutId, total: '250.00', currency: 'CHF', proforma: view.proformaNumber, received: '100.00' }],
    ]);
  });
});

describe('a deposit by transfer of more than it asked', () => {
  it('credits what arrived once: the excess is not booked again as an overpayment', async () => {
    const rt = await runtime('memory', { today: TODAY });
    await anOrg(rt, { id: 'dep' });
    const view = await startTopUp(rt.deps, 'dep', { amount: '50.00', method: 'iban', requestId: 'req-dep-00002' }, owner('dep'));
    const report = await importBankStatement(
      rt.deps,
      { messageId: 'MSG-11', credits: [{ id: 'B1', amount: '60.00', currency: 'CHF', reference: { type: 'QRR', value: view.paymentReference! } }] },
      'd11',
    );
    expect(report.credits[0]).toMatchObject({ outcome: 'settled', documentNumber: view.proformaNumber });
    // By hand: the balance was 0.00, 60.00 arrived: 60.00, in one entry.
    expect((await rt.store.listLedger('dep')).map((e) => [e.reason, e.amount, e.balanceAfter])).toEqual([['top-up', '60.00', '60.00']]);
    expect((await rt.store.getOrganisation('dep'))!.balance).toBe('60.00');
  });
});

describe('what a statement sets aside for finance', () => {
  it('names what it cannot match, in the report and the records, and settles none of it', async () => {
    const { rt, credit, run } = await proforma();
    const report = await run('MSG-10', [
      credit('N1', '14.05', { reference: undefined }),
      credit('N2', '14.05', { reference: { type: 'QRR', value: '210000000003139471430009017' } }),
      credit('N3', '14.05', { currency: 'EUR' }),
    ]);
    expect(report.credits.map((c) => [c.id, c.outcome, c.note])).toEqual([
      ['N1', 'unmatched', 'the credit carries no reference'],
      ['N2', 'unmatched', 'no document carries the reference 210000000003139471430009017'],
      ['N3', 'wrong-currency', `${PF} is in CHF, the credit is in EUR`],
    ]);
    expect(report).toMatchObject({ settled: {}, toReview: 3 });
    expect(await rt.store.getBankCredit('N3')).toMatchObject({ documentNumber: PF, orgId: 'acme' });
    expect(await rt.store.listPayments('acme')).toEqual([]);
    expect((await rt.store.listBankCreditsToReview()).map((c) => c.id).sort()).toEqual(['N1', 'N2', 'N3']);
  });

  it('keeps a second booking under a known bank reference apart, once, with both versions named', async () => {
    const { credit, run } = await proforma();
    await run('MSG-11', [credit('B1', '14.05')]);
    const other = credit('B1', '15.00', { bookingDate: '2026-12-15' });
    const report = await run('MSG-12', [other]);
    const id = `B1#${key(ACCOUNT, '15.00', 'CHF', '2026-12-15')}`;
    expect(report.credits).toEqual([
      line(id, '15.00', 'conflicting', {
        reference: expect.any(String),
        note: 'not settled: the bank reference B1 was booked before as 14.05 CHF on 2026-12-14 (statement MSG-11); this booking says 15.00 CHF on 2026-12-15',
      }),
    ]);
    expect(report).toMatchObject({ settled: {}, toReview: 1 });
    const twice = await run('MSG-13', [other]);
    expect(twice.credits[0]).toMatchObject({ id, duplicate: true });
    expect(twice.toReview).toBe(0);
    // Without dates the note says so.
    const undated = await run('MSG-14', [credit('B1', '16.00', { bookingDate: undefined })]);
    expect(undated.credits[0]!.note).toBe('not settled: the bank reference B1 was booked before as 14.05 CHF on 2026-12-14 (statement MSG-11); this booking says 16.00 CHF on ?');
  });

  it('tells a booking apart by its date and its account, not by its amount alone; a missing account matches any', async () => {
    const { rt, credit, run } = await proforma();
    await run('MSG-21', [credit('B1', '14.05')]);
    const otherDay = await run('MSG-22', [credit('B1', '14.05', { bookingDate: '2026-12-15' })]);
    expect(otherDay.credits[0]).toMatchObject({ id: `B1#${key(ACCOUNT, '14.05', 'CHF', '2026-12-15')}`, outcome: 'conflicting' });
    const otherAccount = await run('MSG-23', [credit('B1', '14.05', { account: 'CH9300762011623852957' })]);
    expect(otherAccount.credits[0]).toMatchObject({ id: `B1#${key('CH9300762011623852957', '14.05', 'CHF', TODAY)}`, outcome: 'conflicting' });
    // The same booking from a file that does not name the account: the same credit, settled once.
    const noAccount = await run('MSG-24', [credit('B1', '14.05', { account: undefined })]);
    expect(noAccount.credits[0]).toMatchObject({ id: 'B1', outcome: 'settled', duplicate: true });
    expect((await rt.store.listPayments('acme')).map((p) => [p.id, p.amount])).toEqual([['bank-B1', '14.05']]);
  });

  it('answers with the record a concurrent import wrote first, and lets any other conflict through', async () => {
    const { rt, credit, run } = await proforma();
    const commit = rt.store.commit.bind(rt.store);
    // The other import commits the same credit just before ours: our commit then meets its record.
    rt.store.commit = async (changes) => {
      if (changes.some((c) => c.type === 'bankCredit')) {
        rt.store.commit = commit;
        await commit(changes);
        throw new WriteConflict(['bankCredit']);
      }
      return commit(changes);
    };
    const report = await run('MSG-25', [credit('B1', '14.05')]);
    expect(report.credits[0]).toMatchObject({ id: 'B1', outcome: 'settled', duplicate: true });
    expect(report.settled).toEqual({});
    expect((await rt.store.listPayments('acme')).map((p) => [p.id, p.amount])).toEqual([['bank-B1', '14.05']]);

    rt.store.commit = async (changes) => {
      if (changes.some((c) => c.type === 'bankCredit')) throw new WriteConflict(['invoice']);
      return commit(changes);
    };
    await expect(run('MSG-26', [credit('B2', '5.00')])).rejects.toBeInstanceOf(WriteConflict);
    rt.store.commit = commit;
    expect(await rt.store.getBankCredit('B2')).toBeUndefined();
  });

  it('lists an entry the file could not give as it stands, crediting nothing', async () => {
    const { rt, run } = await proforma();
    const report = await run('MSG-15', [], {
      unreadable: [
        { id: 'U1', reason: 'its transactions add up to 1000.00, not 1.00', amount: '1.00', currency: 'CHF', bookingDate: TODAY },
        { id: 'U2', reason: 'no amount' },
      ],
    });
    expect(report.credits).toEqual([
      line(`U1#unreadable#${key('', '1.00', 'CHF', TODAY)}`, '1.00', 'unreadable', { note: 'not credited: its transactions add up to 1000.00, not 1.00' }),
      { id: `U2#unreadable#${key('', '', '', '')}`, amount: '0.00', currency: '', outcome: 'unreadable', duplicate: false, note: 'not credited: no amount' },
    ]);
    expect(report).toMatchObject({ settled: {}, toReview: 2 });
    expect(await rt.store.getBankCredit(`U1#unreadable#${key('', '1.00', 'CHF', TODAY)}`)).toMatchObject({ bookingDate: TODAY, statementId: 'MSG-15' });
  });
});

describe('a transfer the bank takes back', () => {
  async function paid(rt: Rt, run: Awaited<ReturnType<typeof proforma>>['run'], credit: Awaited<ReturnType<typeof proforma>>['credit'], amount = '14.05') {
    await run('MSG-P', [credit('B1', amount)]);
    return rt;
  }

  it('reopens the invoice it paid, puts the product back, tells the customer, and is booked once', async () => {
    const { rt, ref, credit, run } = await proforma();
    await paid(rt, run, credit);
    const returned = {
      id: 'R1',
      kind: 'return' as const,
      amount: '14.05',
      currency: 'CHF',
      bookingDate: TODAY,
      account: ACCOUNT,
      reference: { type: 'QRR', value: ref },
      reason: 'AC04',
    };
    const report = await run('MSG-R', [], { reversals: [returned] });
    const invoice = (await rt.store.findInvoice('INV-CH-2026-000001'))!;
    expect(isQrReference(invoice.paymentReference!)).toBe(true);
    expect(report.credits).toEqual([
      line('reversal#R1', '14.05', 'reversed', {
        reference: ref,
        documentNumber: PF,
        note: `returned payment (AC04) of credit B1: INV-CH-2026-000001 open again for 14.05 CHF (reference ${invoice.paymentReference}); dom back to the expiry before it was paid`,
      }),
    ]);
    expect(report).toMatchObject({ settled: {}, toReview: 1 });
    expect(invoice).toMatchObject({ status: 'open', amountDue: '14.05', reopenedBy: 'reversal#R1' });
    expect(invoice.payments.at(-1)).toEqual({ method: 'transfer', amount: '-14.05', ref: 'bank:R1' });
    // Back at 2027-02-28, its schedule starts again at the 30-day reminder, 2027-01-29.
    expect((await rt.store.getProduct('acme', 'dom'))!).toMatchObject({ expiry: '2027-02-28', awaitsInvoice: 'INV-CH-2026-000001', nextActionDate: '2027-01-29' });
    expect((await rt.store.listPayments('acme')).find((p) => p.id === 'bank-reversal-R1')).toEqual({
      id: 'bank-reversal-R1',
      orgId: 'acme',
      date: TODAY,
      method: 'transfer',
      amount: '-14.05',
      currency: 'CHF',
      gatewayRef: 'R1',
      invoiceNumber: PF,
      refundOf: 'B1',
      checkoutId: expect.any(String),
      createdAt: NOW,
    });
    expect(await rt.store.getBankCredit('B1')).toMatchObject({ reversedBy: 'reversal#R1' });
    expect((await rt.store.listOutbox(TODAY)).find((m) => m.template === 'invoice-reopened')).toEqual({
      id: 'INV-CH-2026-000001#invoice-reopened#R1',
      date: TODAY,
      orgId: 'acme',
      to: ['owner@acme.ch'],
      template: 'invoice-reopened',
      data: { invoice: 'INV-CH-2026-000001', amountDue: '14.05', currency: 'CHF', reference: invoice.paymentReference, reason: 'AC04' },
      createdAt: NOW,
    });
    const again = await run('MSG-R2', [], { reversals: [returned] });
    expect(again.credits[0]).toMatchObject({ id: 'reversal#R1', duplicate: true });

    // Paid again against the reopened invoice: the period is the product's again.
    const repaid = await run('MSG-Q', [credit('B2', '14.05', { reference: { type: 'QRR', value: invoice.paymentReference! } })]);
    expect(repaid.credits[0]).toMatchObject({ outcome: 'settled', documentNumber: 'INV-CH-2026-000001' });
    const settled = (await rt.store.findInvoice('INV-CH-2026-000001'))!;
    expect(settled).toMatchObject({ status: 'paid', amountDue: '0.00' });
    expect(settled.reopenedBy).toBeUndefined();
    const product = (await rt.store.getProduct('acme', 'dom'))!;
    expect(product).toMatchObject({ expiry: '2028-02-28', status: 'active', failedAttempts: 0 });
    expect(product.awaitsInvoice).toBeUndefined();
  });

  it('takes what went to the balance off it, and says so', async () => {
    const { rt, ref, credit, run } = await proforma();
    await paid(rt, run, credit, '20.00');
    const report = await run('MSG-R3', [], { reversals: [{ id: 'R2', kind: 'reversal', amount: '20.00', currency: 'CHF', reference: { type: 'QRR', value: ref } }] });
    expect(report.credits[0]!.note).toMatch(/^reversal of credit B1: CHF 5\.95 taken off the balance; INV-CH-2026-000001 open again for 14\.05 CHF/);
    expect((await rt.store.listLedger('acme')).find((e) => e.id === 'reversal-R2')).toEqual({
      id: 'reversal-R2',
      orgId: 'acme',
      date: TODAY,
      reason: 'bank-reversal',
      ref: PF,
      amount: '-5.95',
      currency: 'CHF',
      balanceAfter: '0.00',
      createdAt: NOW,
    });
  });

  it('sets aside a reversal it cannot tie to a credit, saying why', async () => {
    const { rt, ref, credit, run } = await proforma();
    await paid(rt, run, credit);
    const report = await run('MSG-R4', [], {
      reversals: [
        { id: 'X1', kind: 'reversal', amount: '1.00', currency: 'CHF' },
        { id: 'X2', kind: 'return', amount: '1.00', currency: 'CHF', reference: { type: 'QRR', value: '210000000003139471430009017' } },
        { id: 'X3', kind: 'reversal', amount: '9.99', currency: 'CHF', reference: { type: 'QRR', value: ref } },
      ],
    });
    expect(report.credits.map((c) => [c.id, c.outcome, c.note])).toEqual([
      ['reversal#X1', 'reversal-unmatched', 'reversal of 1.00 CHF: it repeats no reference; finance must look'],
      ['reversal#X2', 'reversal-unmatched', 'returned payment of 1.00 CHF: no document carries the reference 210000000003139471430009017; finance must look'],
      ['reversal#X3', 'reversal-unmatched', `reversal of 9.99 CHF: no credit of that amount booked against ${PF} is left to reverse; finance must look`],
    ]);
    expect(report).toMatchObject({ settled: {}, toReview: 3 });
    expect((await rt.store.findInvoice('INV-CH-2026-000001'))!.status).toBe('paid');
  });
});
