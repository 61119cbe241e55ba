import type { Context, S3Event } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeImportStatementHandler } from '../../functions/bank/import-statement.ts';
import { drainQueues } from '../../functions/local-runtime.ts';
import type { Actor } from '../../shared/use-cases/actor.ts';
import { getCheckout } from '../../shared/use-cases/checkout/get-checkout.ts';
import { startCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { camt, ntry, tx } from '../support/camt-builder.ts';
import { aProduct, anOrg, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

// Bank files as a bank writes them (camt.054.001.08 and .02, written out by hand
// here, not by the engine's writer), dropped in the bucket and read by the
// import function. Expected amounts are worked out by hand: a .ch domain for
// a year is CHF 13.00 + 8.1 % VAT = 14.05.
const db = useDynamoDbLocal();
const owner = (orgId: string): Actor => ({ kind: 'user', userId: `owner-${orgId}` });

type Rt = Awaited<ReturnType<typeof runtime>>;

/** Drops files in "the bucket" and runs the import function on each, as S3's notification does. */
function bucket(rt: Rt) {
  const files = new Map<string, string>();
  const handler = makeImportStatementHandler(rt.deps, async (_b, key) => files.get(key)!);
  return async (key: string, xml: string) => {
    files.set(key, xml);
    const event = { Records: [{ s3: { bucket: { name: 'docs' }, object: { key, size: Buffer.byteLength(xml) } } }] } as unknown as S3Event;
    const [report] = await handler(event, {} as Context);
    await drainQueues(rt);
    return report!;
  };
}

async function orderByTransfer(rt: Rt, id: string) {
  const { org } = await anOrg(rt, { id });
  await aProduct(rt, org.id, { id: `${id}-ch`, expiry: '2026-12-31', autoRenew: false });
  const view = await startCheckout(rt.deps, org.id, { items: [{ productId: `${id}-ch` }], method: 'iban', requestId: `req-${id}-iban` }, owner(org.id));
  return { orgId: org.id, productId: `${id}-ch`, view, qrr: view.paymentReference! };
}

describe('camt.054 files dropped for import', () => {
  it('credits nothing from an entry of 1.00 whose transaction says 1000.00, and imports the rest of the file', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-14' });
    const a = await orderByTransfer(rt, 'inflated');
    const b = await orderByTransfer(rt, 'honest');
    const drop = bucket(rt);
    const report = await drop(
      'bank/incoming/inflated.xml',
      camt('MSG-INFL', [
        ntry({ ref: 'B-INFL-1', amount: '1.00', txs: [tx({ amount: '1000.00', qrr: a.qrr })] }),
        ntry({ ref: 'B-OK-1', amount: '14.05', txs: [tx({ amount: '14.05', qrr: b.qrr })] }),
      ]),
    );
    expect(report.credits.map((c) => [c.outcome, c.amount])).toEqual([
      ['settled', '14.05'],
      ['unreadable', '1.00'],
    ]);
    expect(report.settled).toEqual({ CHF: '14.05' });
    expect((await rt.store.listBankCreditsToReview()).map((c) => [c.outcome, c.note])).toEqual([
      ['unreadable', 'not credited: the transactions of Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1] add up to 1000.00 CHF, the entry says 1.00 CHF'],
    ]);
    expect((await rt.store.getOrganisation(a.orgId))!.balance).toBe('0.00');
    expect((await rt.store.getProduct(a.orgId, a.productId))!.expiry).toBe('2026-12-31');
    expect((await rt.store.getProduct(b.orgId, b.productId))!.expiry).toBe('2027-12-31');
    await rt.close();
  });

  it('imports each entry on its own: a shared bank reference and a .02 transaction without its own amount do not cost the file', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-14' });
    const a = await orderByTransfer(rt, 'v02');
    const b = await orderByTransfer(rt, 'shared');
    const c = await orderByTransfer(rt, 'after');
    const drop = bucket(rt);
    // camt.054.001.02: the transaction has no Amt of its own, the entry's 14.05 applies.
    const v02 = await drop('bank/incoming/v02.xml', camt('MSG-V02', [ntry({ ref: 'B-V02-1', amount: '14.05', txs: [tx({ qrr: a.qrr })] })], '02'));
    expect(v02.credits.map((x) => x.outcome)).toEqual(['settled']);
    // Two transactions sharing one bank reference (different amounts): the first is booked, the second is for finance.
    const shared = await drop(
      'bank/incoming/shared.xml',
      camt('MSG-SHARED', [
        ntry({ ref: 'B-SH', amount: '24.05', txs: [tx({ ref: 'B-SH-T', amount: '14.05', qrr: b.qrr }), tx({ ref: 'B-SH-T', amount: '10.00', qrr: c.qrr })] }),
        ntry({ ref: 'B-AFTER', amount: '14.05', txs: [tx({ amount: '14.05', qrr: c.qrr })] }),
      ]),
    );
    expect(shared.credits.map((x) => [x.id, x.outcome])).toEqual([
      ['B-SH-T', 'settled'],
      [expect.stringMatching(/^B-SH-T#/), 'conflicting'],
      ['B-AFTER', 'settled'],
    ]);
    for (const o of [a, b, c]) expect((await rt.store.getProduct(o.orgId, o.productId))!.expiry).toBe('2027-12-31');
    expect((await rt.store.listBankCreditsToReview()).map((x) => x.outcome)).toEqual(['conflicting']);
    await rt.close();
  });

  it('tells a file by its content: another file with a known message id is imported, its different credit goes to review', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-14' });
    const a = await orderByTransfer(rt, 'first');
    const b = await orderByTransfer(rt, 'second');
    const drop = bucket(rt);
    const first = camt('MSG-SAME', [ntry({ ref: 'B-501', amount: '14.05', txs: [tx({ amount: '14.05', qrr: a.qrr })] })]);
    expect((await drop('bank/incoming/a.xml', first)).alreadyImported).toBe(false);
    // The very same file again: nothing new.
    const again = await drop('bank/incoming/a-again.xml', first);
    expect(again).toMatchObject({ alreadyImported: true, settled: {} });
    expect(again.credits.map((x) => x.duplicate)).toEqual([true]);
    // A corrected file from the bank under the same message id: its other credit is read, and the reused
    // bank reference with another amount is not dropped but listed.
    const corrected = camt('MSG-SAME', [
      ntry({ ref: 'B-501', amount: '22.10', txs: [tx({ amount: '22.10', qrr: a.qrr })] }),
      ntry({ ref: 'B-502', amount: '14.05', txs: [tx({ amount: '14.05', qrr: b.qrr })] }),
    ]);
    const report = await drop('bank/incoming/b.xml', corrected);
    expect(report.alreadyImported).toBe(false);
    expect(report.credits.map((x) => [x.outcome, x.amount, x.duplicate])).toEqual([
      ['conflicting', '22.10', false],
      ['settled', '14.05', false],
    ]);
    expect(report.credits[0]!.note).toMatch(/bank reference B-501 was booked before as 14.05 CHF on 2026-12-14 .*this booking says 22.10 CHF/);
    expect((await rt.store.getProduct(b.orgId, b.productId))!.expiry).toBe('2027-12-31');
    await rt.close();
  });

  it('reopens what a returned transfer paid: listed for review, the invoice open again, the product back under the non-payment rules; paying again restores it', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-14' });
    const a = await orderByTransfer(rt, 'returned');
    const drop = bucket(rt);
    await drop('bank/incoming/in.xml', camt('MSG-IN', [ntry({ ref: 'B-IN-1', amount: '14.05', txs: [tx({ amount: '14.05', qrr: a.qrr })] })]));
    expect((await getCheckout(rt.deps, a.orgId, a.view.checkoutId, owner(a.orgId))).invoiceNumber).toBe('INV-CH-2026-000001');
    expect((await rt.store.getProduct(a.orgId, a.productId))!.expiry).toBe('2027-12-31');

    // The debtor's bank sends it back (AC04, closed account): a DBIT with return information, repeating the reference.
    rt.clock.day = '2026-12-16';
    const back = await drop(
      'bank/incoming/return.xml',
      camt('MSG-RET', [ntry({ ref: 'B-RET-1', amount: '14.05', cd: 'DBIT', date: '2026-12-16', txs: [tx({ amount: '14.05', qrr: a.qrr, rtr: 'AC04' })] })]),
    );
    expect(back.credits.map((x) => x.outcome)).toEqual(['reversed']);
    const review = await rt.store.listBankCreditsToReview();
    expect(review.map((x) => [x.outcome, x.amount])).toEqual([['reversed', '14.05']]);
    expect(review[0]!.note).toMatch(/returned payment \(AC04\) of credit B-IN-1: INV-CH-2026-000001 open again for 14.05 CHF/);
    const invoice = (await rt.store.findInvoice('INV-CH-2026-000001'))!;
    expect(invoice).toMatchObject({ status: 'open', amountDue: '14.05' });
    expect(invoice.paymentReference).toMatch(/^\d{27}$/);
    // The customer is told: which invoice is open again, for how much, and the reference to pay it with.
    expect((await rt.store.listOutbox('2026-12-16')).filter((m) => m.orgId === a.orgId).map((m) => [m.template, m.data])).toEqual([
      ['invoice-reopened', expect.objectContaining({ invoice: 'INV-CH-2026-000001', amountDue: '14.05', currency: 'CHF', reference: invoice.paymentReference, reason: 'AC04' })],
    ]);
    // 14.05 in, 14.05 out: the books say nothing was received.
    expect((await rt.store.listPayments(a.orgId)).map((p) => p.amount).sort()).toEqual(['-14.05', '14.05']);
    expect((await rt.store.getProduct(a.orgId, a.productId))!.expiry).toBe('2026-12-31');

    // Unpaid at expiry: the night blocks it (.ch domains: on the expiry day).
    const { runNight } = await import('../../functions/local-runtime.ts');
    await runNight(rt, '2026-12-31');
    expect((await rt.store.getProduct(a.orgId, a.productId))!.status).toBe('blocked');

    // The customer pays the reopened invoice with its new reference: the period is theirs again, unblocked.
    rt.clock.day = '2027-01-04';
    const paid = await drop(
      'bank/incoming/again.xml',
      camt('MSG-AGAIN', [ntry({ ref: 'B-AGAIN-1', amount: '14.05', date: '2027-01-04', txs: [tx({ amount: '14.05', qrr: invoice.paymentReference! })] })]),
    );
    expect(paid.credits.map((x) => [x.outcome, x.documentNumber])).toEqual([['settled', 'INV-CH-2026-000001']]);
    expect(await rt.store.getProduct(a.orgId, a.productId)).toMatchObject({ expiry: '2027-12-31', status: 'active' });
    expect(await rt.store.findInvoice('INV-CH-2026-000001')).toMatchObject({ status: 'paid', amountDue: '0.00' });
    await rt.close();
  });

  it('a period the bank took back is owed on its reopened invoice: the night does not charge the card for it, and no checkout sells it again', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-14' });
    const { org, method } = await anOrg(rt, { id: 'took-back', method: 'pm_card_visa' });
    await aProduct(rt, org.id, { id: 'took-back-ch', expiry: '2026-12-31', autoRenew: true, paymentMethodId: method!.id });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'took-back-ch' }], method: 'iban', requestId: 'req-took-back' }, owner(org.id));
    const drop = bucket(rt);
    await drop('bank/incoming/tb-in.xml', camt('MSG-TB-IN', [ntry({ ref: 'B-TB-1', amount: '14.05', txs: [tx({ amount: '14.05', qrr: view.paymentReference! })] })]));
    rt.clock.day = '2026-12-16';
    await drop(
      'bank/incoming/tb-back.xml',
      camt('MSG-TB-BACK', [ntry({ ref: 'B-TB-2', amount: '14.05', cd: 'DBIT', date: '2026-12-16', txs: [tx({ amount: '14.05', qrr: view.paymentReference!, rtr: 'AC04' })] })]),
    );
    expect(await rt.store.findInvoice('INV-CH-2026-000001')).toMatchObject({ status: 'open', amountDue: '14.05' });

    // 14 days before expiry the night would charge the saved card; the period is owed on INV-CH-2026-000001.
    const { runNight } = await import('../../functions/local-runtime.ts');
    await runNight(rt, '2026-12-17');
    expect(rt.sandbox.chargeList()).toEqual([]);
    expect((await rt.store.listInvoices(org.id)).filter((i) => i.series === 'INV').map((i) => i.number)).toEqual(['INV-CH-2026-000001']);
    // Nor can a checkout sell the same period a second time: the customer is sent to the open invoice.
    await expect(startCheckout(rt.deps, org.id, { items: [{ productId: 'took-back-ch' }], method: 'card', requestId: 'req-took-back-card' }, owner(org.id))).rejects.toMatchObject({
      code: 'product_awaits_invoice',
      message: expect.stringContaining('INV-CH-2026-000001'),
    });
    // The non-payment rules still hold: unpaid at expiry, the domain is blocked.
    await runNight(rt, '2026-12-31');
    expect((await rt.store.getProduct(org.id, 'took-back-ch'))!.status).toBe('blocked');
    await rt.close();
  });

  it('a checkout opened before the bank took a period back is still sold as quoted: the next period, the one taken back stays owed', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-14' });
    const a = await orderByTransfer(rt, 'quoted-before');
    const drop = bucket(rt);
    await drop('bank/incoming/qb-in.xml', camt('MSG-QB-IN', [ntry({ ref: 'B-QB-1', amount: '14.05', txs: [tx({ amount: '14.05', qrr: a.qrr })] })]));
    // Paid to 2027-12-31; the customer opens a card checkout for the year after and pays it later.
    const card = await startCheckout(rt.deps, a.orgId, { items: [{ productId: a.productId }], method: 'card', requestId: 'req-qb-card' }, owner(a.orgId));
    expect(card.items[0]).toMatchObject({ periodFrom: '2027-12-31', periodTo: '2028-12-31' });
    rt.clock.day = '2026-12-16';
    await drop(
      'bank/incoming/qb-back.xml',
      camt('MSG-QB-BACK', [ntry({ ref: 'B-QB-2', amount: '14.05', cd: 'DBIT', date: '2026-12-16', txs: [tx({ amount: '14.05', qrr: a.qrr, rtr: 'AC04' })] })]),
    );
    expect((await rt.store.getProduct(a.orgId, a.productId))!.expiry).toBe('2026-12-31');

    await rt.sandbox.confirmPayment(card.payment!.paymentRef, 'pm_card_visa');
    await drainQueues(rt);
    expect(rt.settlementQueue.deadLetters).toEqual([]);
    // The card paid what it was told (2027-12-31..2028-12-31, 14.05); 2026-12-31..2027-12-31 is still owed on the first invoice.
    const invoices = (await rt.store.listInvoices(a.orgId)).filter((i) => i.series === 'INV');
    expect(invoices.map((i) => [i.number, i.status, i.amountDue ?? '0.00', i.lines[0]!.periodFrom, i.lines[0]!.periodTo])).toEqual([
      ['INV-CH-2026-000001', 'open', '14.05', '2026-12-31', '2027-12-31'],
      ['INV-CH-2026-000002', 'paid', '0.00', '2027-12-31', '2028-12-31'],
    ]);
    expect(await rt.store.getProduct(a.orgId, a.productId)).toMatchObject({ expiry: '2028-12-31', status: 'active' });
    expect((await getCheckout(rt.deps, a.orgId, card.checkoutId, owner(a.orgId))).status).toBe('paid');
    await rt.close();
  });

  it('a transfer for a product terminated while its pro-forma waited renews nothing: the money goes to the balance, the order is cancelled', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-14' });
    const { org } = await anOrg(rt, { id: 'too-late' });
    // Expired on 2026-11-10: a .ch domain is terminated 40 days after, on the night of 2026-12-20.
    await aProduct(rt, org.id, { id: 'too-late-ch', expiry: '2026-11-10', autoRenew: false });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'too-late-ch' }], method: 'iban', requestId: 'req-too-late' }, owner(org.id));
    const { runNight } = await import('../../functions/local-runtime.ts');
    await runNight(rt, '2026-12-20');
    expect((await rt.store.getProduct(org.id, 'too-late-ch'))!.status).toBe('terminated');

    rt.clock.day = '2026-12-21';
    const drop = bucket(rt);
    const report = await drop(
      'bank/incoming/tl.xml',
      camt('MSG-TL', [ntry({ ref: 'B-TL-1', amount: '14.05', date: '2026-12-21', txs: [tx({ amount: '14.05', qrr: view.paymentReference! })] })]),
    );
    expect(report.credits.map((x) => [x.outcome, x.amount])).toEqual([['credited-to-balance', '14.05']]);
    expect((await rt.store.listBankCreditsToReview()).map((x) => x.note)).toEqual([expect.stringContaining('too-late-ch was terminated')]);
    expect(await rt.store.getProduct(org.id, 'too-late-ch')).toMatchObject({ status: 'terminated', expiry: '2026-11-10' });
    expect((await rt.store.listInvoices(org.id)).map((i) => [i.number, i.status])).toEqual([[view.proformaNumber, 'void']]);
    expect((await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).status).toBe('canceled');
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('14.05');
    await rt.close();
  });

  it('a transfer that went to the balance and was spent, then returned by the bank, leaves a debt the ledger names as the bank taking it back', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-14' });
    const { org } = await anOrg(rt, { id: 'spent' });
    // Terminated on the night of 2026-12-20 (expired 2026-11-10, 40 days): the transfer then goes to the balance.
    await aProduct(rt, org.id, { id: 'spent-old', expiry: '2026-11-10', autoRenew: false });
    await aProduct(rt, org.id, { id: 'spent-new', expiry: '2027-01-31', autoRenew: false });
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'spent-old' }], method: 'iban', requestId: 'req-spent-old' }, owner(org.id));
    const { runNight } = await import('../../functions/local-runtime.ts');
    await runNight(rt, '2026-12-20');
    rt.clock.day = '2026-12-21';
    const drop = bucket(rt);
    await drop('bank/incoming/sp.xml', camt('MSG-SP', [ntry({ ref: 'B-SP-1', amount: '14.05', date: '2026-12-21', txs: [tx({ amount: '14.05', qrr: view.paymentReference! })] })]));
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('14.05');
    // Spent on the other domain: 14.05 from the balance.
    await startCheckout(rt.deps, org.id, { items: [{ productId: 'spent-new' }], method: 'balance', requestId: 'req-spent-new' }, owner(org.id));
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('0.00');

    rt.clock.day = '2026-12-22';
    const back = await drop(
      'bank/incoming/sp-return.xml',
      camt('MSG-SP-RET', [ntry({ ref: 'B-SP-RET', amount: '14.05', cd: 'DBIT', date: '2026-12-22', txs: [tx({ amount: '14.05', qrr: view.paymentReference!, rtr: 'AC04' })] })]),
    );
    expect(back.credits.map((x) => x.outcome)).toEqual(['reversed']);
    // The bank took back money already spent: the customer owes it, and the ledger says who took it (not a refund).
    expect((await rt.store.getOrganisation(org.id))!.balance).toBe('-14.05');
    // (Moves of one test day share a time, so they are compared as a set.)
    expect((await rt.store.listLedger(org.id)).map((e) => [e.reason, e.amount, e.balanceAfter]).sort()).toEqual([
      ['bank-reversal', '-14.05', '-14.05'],
      ['overpayment', '14.05', '14.05'],
      ['renewal', '-14.05', '0.00'],
    ]);
    await rt.close();
  });

  it('a part payment is never lost: when its pro-forma expires after 30 days, what arrived goes to the balance', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-14' });
    const a = await orderByTransfer(rt, 'part-expired');
    const drop = bucket(rt);
    // 10.00 of the 14.05 asked: a part payment, the order waits for the rest.
    await drop('bank/incoming/pe.xml', camt('MSG-PE', [ntry({ ref: 'B-PE-1', amount: '10.00', txs: [tx({ amount: '10.00', qrr: a.qrr })] })]));
    expect((await rt.store.getOrganisation(a.orgId))!.balance).toBe('0.00');

    // The rest never comes; 30 days later the night's housekeeping cancels the order and voids the pro-forma.
    const { runNight } = await import('../../functions/local-runtime.ts');
    await runNight(rt, '2027-01-13');
    expect((await getCheckout(rt.deps, a.orgId, a.view.checkoutId, owner(a.orgId))).status).toBe('canceled');
    expect((await rt.store.findInvoice(a.view.proformaNumber!))!.status).toBe('void');
    expect((await rt.store.getOrganisation(a.orgId))!.balance).toBe('10.00');
    expect((await rt.store.listLedger(a.orgId)).map((e) => [e.reason, e.amount, e.ref])).toEqual([['overpayment', '10.00', a.view.proformaNumber]]);
    await rt.close();
  });

  it('lists a reversal it cannot tie to a credit, and a reversal imported twice is booked once', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-14' });
    const drop = bucket(rt);
    const file = camt('MSG-RV', [ntry({ ref: 'B-RV-1', amount: '99.00', cd: 'DBIT', reversal: true, txs: [tx({ amount: '99.00' })] })]);
    const first = await drop('bank/incoming/rv.xml', file);
    expect(first.credits.map((x) => x.outcome)).toEqual(['reversal-unmatched']);
    expect((await drop('bank/incoming/rv-again.xml', file)).credits.map((x) => x.duplicate)).toEqual([true]);
    expect((await rt.store.listBankCreditsToReview()).map((x) => x.note)).toEqual(['reversal of 99.00 CHF: it repeats no reference; finance must look']);
    await rt.close();
  });

  it('refuses a file over 20 MiB before reading it, stating the limit', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-14' });
    let read = false;
    const handler = makeImportStatementHandler(rt.deps, async () => {
      read = true;
      return '';
    });
    const event = { Records: [{ s3: { bucket: { name: 'docs' }, object: { key: 'bank/incoming/huge.xml', size: 91_500_000 } } }] } as unknown as S3Event;
    await expect(handler(event, {} as Context)).rejects.toThrow('bank/incoming/huge.xml has 91500000 bytes, more than the 20971520 bytes (20 MiB) a notification may have');
    expect(read).toBe(false);
    await rt.close();
  });
});
