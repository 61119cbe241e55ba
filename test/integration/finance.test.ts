import { readFileSync } from 'node:fs';
import { Decimal } from 'decimal.js';
import { getDocumentProxy, extractText } from 'unpdf';
import { describe, expect, it } from 'vitest';
import { drainQueues, runNight } from '../../functions/local-runtime.ts';
import type { Invoice } from '../../shared/domain/invoice.ts';
import type { Actor } from '../../shared/use-cases/actor.ts';
import { startCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { exportInvoices, getExport, requestExport, runExport } from '../../shared/use-cases/finance/export-invoices.ts';
import { invoicePdf } from '../../shared/use-cases/finance/invoice-documents.ts';
import { linkToPartner, setPartnerProfile } from '../../shared/use-cases/manage-partners.ts';
import { aProduct, anOrg, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

const db = useDynamoDbLocal();
const owner = (orgId: string): Actor => ({ kind: 'user', userId: `owner-${orgId}` });
const financeUser: Actor = { kind: 'user', userId: 'finance@provider', finance: true };

function readCsv(path: string): Record<string, string>[] {
  const [header, ...rows] = readFileSync(path, 'utf8')
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n');
  const columns = header!.split(',');
  // The fixtures' names have no commas or quotes, so a plain split reads them back.
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [columns[i]!, v])));
}

const sum = (values: string[]) => values.reduce((s, v) => s.plus(v), new Decimal(0)).toFixed(2);

describe('finance export', () => {
  it('lists every document of the period, with credit notes netting their invoices, and totals that reconcile to the cent', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-01' });
    const { org: a, method } = await anOrg(rt, { method: 'pm_card_visa', balance: '3.00' });
    const { org: b } = await anOrg(rt, { currency: 'EUR', country: 'DE', vatNumber: 'DE129273398', balance: '100.00' });
    await aProduct(rt, a.id, { id: 'a1', expiry: '2026-12-31', paymentMethodId: method!.id });
    await aProduct(rt, a.id, { id: 'a2', typeId: 'web-hosting', expiry: '2026-12-31', paymentMethodId: method!.id, periodMonths: 12 });
    await aProduct(rt, b.id, { id: 'b1', expiry: '2026-12-31' });
    await runNight(rt, '2026-12-17');
    // A held order refunded later yields a credit note in the same period.
    rt.clock.day = '2026-12-18';
    await rt.store.commit([{ type: 'identityCheck', orgId: a.id, state: 'required' }]);
    await aProduct(rt, a.id, { id: 'a3', expiry: '2027-03-31', autoRenew: false });
    const held = await startCheckout(rt.deps, a.id, { items: [{ productId: 'a3' }], method: 'card', requestId: 'req-fin-held' }, owner(a.id));
    await rt.sandbox.confirmPayment(held.payment!.paymentRef, 'pm_card_visa');
    await drainQueues(rt);
    await runNight(rt, '2026-12-28');

    const res = await exportInvoices(rt.deps, { from: '2026-12-01', to: '2026-12-31' }, financeUser, { name: 'december' });
    const rows = readCsv(await rt.deps.documents.link(res.csvKey, 0));
    const docs: Invoice[] = [];
    for await (const d of rt.store.iterateDocuments('2026-12-01', '2026-12-31')) docs.push(d);
    expect(rows.map((r) => r.number)).toEqual(docs.map((d) => d.number));
    expect(rows.map((r) => r.document_type).sort()).toEqual(['credit_note', 'invoice', 'invoice', 'invoice', 'invoice']);
    for (const cur of ['CHF', 'EUR']) {
      const booked = docs.filter((d) => d.currency === cur);
      expect(res.totals.byCurrency[cur]!.gross).toBe(sum(booked.map((d) => d.total)));
      expect(sum(rows.filter((r) => r.currency === cur).map((r) => r.gross!))).toBe(res.totals.byCurrency[cur]!.gross);
    }
    const note = rows.find((r) => r.document_type === 'credit_note')!;
    const refunded = rows.find((r) => r.number === note.refers_to)!;
    expect(sum([note.gross!, refunded.gross!])).toBe('0.00');
    expect(rows.find((r) => r.org_id === b.id)).toMatchObject({ currency: 'EUR', vat: '0.00', buyer_vat_number: 'DE129273398' });

    const lines = await exportInvoices(rt.deps, { from: '2026-12-01', to: '2026-12-31', lines: true, pdf: true }, financeUser, { name: 'december-lines' });
    expect(lines.totals.byCurrency).toEqual(res.totals.byCurrency);
    expect(
      readFileSync(await rt.deps.documents.link(lines.zipKey!, 0))
        .subarray(0, 2)
        .toString(),
    ).toBe('PK');
    await rt.close();
  });

  it('gives each party only what it may see', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-01' });
    const { org: partner } = await anOrg(rt, { balance: '100.00' });
    await setPartnerProfile(rt.deps, partner.id, { discountPercent: '10' });
    const { org: client } = await anOrg(rt, { balance: '100.00' });
    const { org: other } = await anOrg(rt, { balance: '100.00' });
    await linkToPartner(rt.deps, client.id, { partnerId: partner.id });
    for (const o of [partner, client, other]) await aProduct(rt, o.id, { id: `${o.id}-p`, expiry: '2026-12-31' });
    await runNight(rt, '2026-12-17');
    const period = { from: '2026-12-01', to: '2026-12-31' };

    const byPartner = await exportInvoices(rt.deps, { ...period, partnerId: partner.id }, owner(partner.id), { name: 'partner' });
    expect(
      readCsv(await rt.deps.documents.link(byPartner.csvKey, 0))
        .map((r) => r.org_id)
        .sort(),
    ).toEqual([client.id, partner.id].sort());
    const mine = await exportInvoices(rt.deps, { ...period, orgId: other.id }, owner(other.id), { name: 'mine' });
    expect(mine.totals.documents).toBe(1);
    await expect(exportInvoices(rt.deps, { ...period, orgId: client.id }, owner(other.id), { name: 'x' })).rejects.toMatchObject({ status: 403 });
    await expect(exportInvoices(rt.deps, { ...period, partnerId: partner.id }, owner(client.id), { name: 'x' })).rejects.toMatchObject({ status: 403 });
    await expect(exportInvoices(rt.deps, period, owner(partner.id), { name: 'x' })).rejects.toMatchObject({ status: 403 });
    await expect(exportInvoices(rt.deps, { from: '2026-12-31', to: '2026-12-01' }, financeUser, { name: 'x' })).rejects.toMatchObject({
      status: 400,
      message: 'to: from must not be after to',
    });

    const [invoice] = await rt.store.listInvoices(client.id);
    await expect(invoicePdf(rt.deps, client.id, invoice!.number, owner(other.id))).rejects.toMatchObject({ status: 403 });
    await expect(invoicePdf(rt.deps, other.id, invoice!.number, owner(other.id))).rejects.toMatchObject({ status: 404 });
    const { pdf } = await invoicePdf(rt.deps, client.id, invoice!.number, owner(partner.id));
    const text = (await extractText(await getDocumentProxy(new Uint8Array(pdf)), { mergePages: true })).text;
    expect(text).toContain(invoice!.number);
    expect(text).toContain(invoice!.total);
    await rt.close();
  });

  it('runs an export asked through the API on the exports queue and links the file to the one who asked', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-01' });
    const { org } = await anOrg(rt, { balance: '100.00' });
    await aProduct(rt, org.id, { id: 'q1', expiry: '2026-12-31' });
    await runNight(rt, '2026-12-17');
    const queued = await requestExport(rt.deps, { from: '2026-12-01', to: '2026-12-31', orgId: org.id }, owner(org.id));
    expect(queued).toMatchObject({ status: 'queued' });
    await drainQueues(rt);
    const done = await getExport(rt.deps, queued.exportId, owner(org.id));
    expect(done).toMatchObject({ status: 'done', totals: { documents: 1 } });
    expect(readCsv(done.csvUrl!)).toHaveLength(1);
    await expect(getExport(rt.deps, queued.exportId, { kind: 'user', userId: 'someone-else' })).rejects.toMatchObject({ status: 404 });
    await expect(requestExport(rt.deps, { from: '2026-12-01', to: '2026-12-31' }, owner(org.id))).rejects.toMatchObject({ status: 403 });
    await rt.close();
  });

  it('takes over an export whose worker died once its lease has run out, and ignores the dead worker if it comes back', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-20' });
    const { org } = await anOrg(rt, { balance: '100.00' });
    await aProduct(rt, org.id, { id: 'lease', expiry: '2026-12-31' });
    await runNight(rt, '2026-12-20');
    const queued = await requestExport(rt.deps, { from: '2026-12-01', to: '2026-12-31', orgId: org.id }, owner(org.id));
    // A first worker took the job, then died (its Lambda timed out) before writing anything.
    const job = (await rt.store.getExportJob(queued.exportId))!;
    const deadLease = '2026-12-20T02:16:00.000Z';
    await rt.store.commit([{ type: 'exportJob', job: { ...job, status: 'running', leaseUntil: deadLease, runs: 1 }, expectedStatus: 'queued' }]);

    // A duplicate delivery while the lease still holds leaves it to that worker.
    await drainQueues(rt);
    expect(await runExport(rt.deps, queued.exportId)).toBe('running');
    expect((await rt.store.getExportJob(queued.exportId))!.runs).toBe(1);

    // The message comes back after the queue's visibility timeout: the lease has run out.
    rt.clock.day = '2026-12-21';
    expect(await runExport(rt.deps, queued.exportId)).toBe('done');
    const done = (await rt.store.getExportJob(queued.exportId))!;
    expect(done).toMatchObject({ status: 'done', runs: 2, totals: { documents: 1 } });
    expect(done.leaseUntil).toBeUndefined();
    expect(readCsv((await getExport(rt.deps, queued.exportId, owner(org.id))).csvUrl!)).toHaveLength(1);

    // The first worker, presumed dead, cannot record its outcome over the one that took over.
    await expect(
      rt.store.commit([{ type: 'exportJob', job: { ...job, status: 'failed', error: 'late' }, expectedStatus: 'running', expectedLease: deadLease }]),
    ).rejects.toMatchObject({ name: 'WriteConflict' });
    expect(await runExport(rt.deps, queued.exportId)).toBe('done');
    await rt.close();
  });
});
