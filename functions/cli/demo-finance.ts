import pLimit from 'p-limit';
import { parseCamt054 } from '../../shared/adapters/bank/camt054.ts';
import { writeCamt054 } from '../../shared/adapters/bank/camt054-writer.ts';
import type { IsoDate } from '../../shared/domain/calendar.ts';
import { fixedClock } from '../../shared/ports/clock.ts';
import { SYSTEM } from '../../shared/use-cases/actor.ts';
import { importBankStatement } from '../../shared/use-cases/bank/import-bank-statement.ts';
import { startCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { exportInvoices } from '../../shared/use-cases/finance/export-invoices.ts';
import { invoicePdf } from '../../shared/use-cases/finance/invoice-documents.ts';
import { drainQueues } from './lazy-runtime.ts';
import type { LocalRuntime } from '../local-runtime.ts';

export interface DemoFinance {
  transfer?: { proforma: string; reference: string; amount: string; statement: string; outcome: string; invoice?: string };
  pdfs: { count: number; seconds: number; folder: string };
  export: { csv: string; documents: number; rows: number; seconds: number; totals: Record<string, { gross: string }> };
}

/**
 * The finance side of the demo, on the day after the last night: one
 * customer pays by bank transfer (pro-forma with a QR-bill, a camt.054 from
 * "the bank", the final invoice), then every document of the run is written
 * as PDF (the final ones as kept when issued) and the period is exported to CSV, all under out/.
 */
export async function demoFinance(rt: LocalRuntime, from: IsoDate, day: IsoDate, onProgress?: (done: number, total: number) => void): Promise<DemoFinance> {
  const deps = { ...rt.deps, clock: fixedClock(day) };
  const result: DemoFinance = { pdfs: { count: 0, seconds: 0, folder: '' }, export: { csv: '', documents: 0, rows: 0, seconds: 0, totals: {} } };

  const transfer = await payOneByTransfer(rt, deps, day);
  if (transfer) result.transfer = transfer;

  const docs = [];
  for await (const doc of rt.store.iterateDocuments(from, day)) docs.push(doc);
  const pdfStart = performance.now();
  // A few at a time: each waits on the store and the disk as well as drawing.
  const limit = pLimit(4);
  let rendered = 0;
  await Promise.all(
    docs.map((doc) =>
      limit(async () => {
        await invoicePdf(deps, doc.orgId, doc.number, SYSTEM);
        onProgress?.(++rendered, docs.length);
      }),
    ),
  );
  // Final documents were kept as issued by the nights (out/archive/); the pro-formas are drawn now (out/invoices/).
  result.pdfs = { count: docs.length, seconds: (performance.now() - pdfStart) / 1000, folder: await rt.deps.documents.link('archive', 0) };

  const exportStart = performance.now();
  const exported = await exportInvoices(deps, { from, to: day }, SYSTEM, { name: `export-${from}-${day}` });
  result.export = {
    csv: await rt.deps.documents.link(exported.csvKey, 0),
    documents: exported.totals.documents,
    rows: exported.totals.rows,
    seconds: (performance.now() - exportStart) / 1000,
    totals: Object.fromEntries(Object.entries(exported.totals.byCurrency).map(([cur, t]) => [cur, { gross: t.gross }])),
  };
  return result;
}

async function payOneByTransfer(rt: LocalRuntime, deps: LocalRuntime['deps'], day: IsoDate): Promise<DemoFinance['transfer']> {
  const orgs = (await rt.store.listOrganisations()).filter((o) => o.currency === 'CHF');
  for (const org of orgs) {
    const product = (await rt.store.listProducts(org.id)).find((p) => p.status === 'active' && !p.autoRenew);
    if (!product) continue;
    const view = await startCheckout(deps, org.id, { items: [{ productId: product.id }], method: 'iban', useBalance: false, requestId: `demo-transfer-${day}` }, SYSTEM);
    if (!view.paymentReference || view.status !== 'awaiting_payment') continue;
    const xml = writeCamt054(`DEMO-${day}`, `${day}T06:00:00+01:00`, [
      {
        id: `DEMO-${day}-1`,
        amount: view.amountDue,
        currency: view.currency,
        bookingDate: day,
        reference: { type: view.paymentReference.startsWith('RF') ? 'SCOR' : 'QRR', value: view.paymentReference },
        debtorName: org.name,
        account: rt.deps.seller.qrIban ?? rt.deps.seller.iban,
      },
    ]);
    const key = `bank/camt054-${day}.xml`;
    await rt.deps.documents.put(key, Buffer.from(xml), 'application/xml');
    const report = await importBankStatement(deps, parseCamt054(xml), `demo-${day}`);
    await drainQueues(rt, deps);
    const credit = report.credits[0];
    const settled = await rt.store.getCheckout(org.id, view.checkoutId);
    return {
      proforma: view.proformaNumber!,
      reference: view.paymentReference,
      amount: `${view.currency} ${view.amountDue}`,
      statement: await rt.deps.documents.link(key, 0),
      outcome: credit?.outcome ?? 'none',
      ...(settled?.invoiceNumber ? { invoice: settled.invoiceNumber } : {}),
    };
  }
  return undefined;
}
