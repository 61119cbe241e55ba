import { Option } from 'commander';
import { ValidationError } from '../../../shared/domain/errors.ts';
import { SYSTEM } from '../../../shared/use-cases/actor.ts';
import { exportInvoices } from '../../../shared/use-cases/finance/export-invoices.ts';
import { invoicePdf, invoiceXml } from '../../../shared/use-cases/finance/invoice-documents.ts';
import { importExchangeRates, journalExport } from '../../../shared/use-cases/finance/journal-export.ts';
import { E_INVOICE_PROFILES, type EInvoiceProfile } from '../../../shared/ports/documents.ts';
import { readFile } from 'node:fs/promises';
import { quarterPeriod } from '../../../shared/domain/oss-return.ts';
import { quarterlyOssReturn } from '../../../shared/use-cases/finance/oss-return.ts';
import { loadOrg } from '../../../shared/use-cases/renewal-deps.ts';
import { dateArg } from '../context.ts';
import { progress, table } from '../output.ts';
import type { Command } from 'commander';
import type { Ctx } from '../context.ts';

/** Checked at parse time, as every argument: a bad quarter opens no store. */
const quarterArg = (v: string) => {
  try {
    quarterPeriod(v);
  } catch {
    throw new ValidationError(`--quarter must read YYYY-Qn (n from 1 to 4), got "${v}"`);
  }
  return v;
};

export function registerFinanceCommands(program: Command, c: Ctx): void {
  program
    .command('invoices')
    .argument('<action>', 'list')
    .requiredOption('--org <id>')
    .action(async (action: string, o: { org: string }) => {
      if (action !== 'list') throw new ValidationError(`unknown action "${action}": use list`);
      const invoices = await c().withRuntime(async (rt) => {
        await loadOrg(rt.store, o.org);
        return rt.store.listInvoices(o.org);
      });
      c().print(table(invoices as unknown as Record<string, unknown>[], ['number', 'issueDate', 'currency', 'totalNet', 'totalVat', 'total', 'status']), invoices);
    });

  const invoice = program.command('invoice').description('finance documents');
  invoice
    .command('pdf')
    .description('write an invoice, pro-forma or credit note as PDF (with a QR-bill while unpaid)')
    .argument('<number>', 'e.g. INV-CH-2026-000001')
    .option('--out <dir>', 'folder to write into', 'out')
    .action(async (number: string, o: { out: string }) => {
      const res = await c().withRuntime(async (rt) => {
        const doc = await rt.store.findInvoice(number);
        if (!doc) throw new ValidationError(`no document numbered ${number}`, 'invoice_not_found');
        const { key } = await invoicePdf(rt.deps, doc.orgId, number, SYSTEM);
        return { number, orgId: doc.orgId, path: await rt.deps.documents.link(key, 0) };
      }, o.out);
      c().print(`wrote ${res.path}`, res);
    });

  invoice
    .command('xml')
    .description('write a final invoice or credit note as EN 16931 XML (Peppol BIS 3.0, XRechnung 3.0 or CII)')
    .argument('<number>', 'e.g. INV-CH-2026-000001')
    .addOption(new Option('--profile <profile>', "by default the organisation's choice, else cii").choices([...E_INVOICE_PROFILES]))
    .option('--out <dir>', 'folder to write into', 'out')
    .action(async (number: string, o: { profile?: EInvoiceProfile; out: string }) => {
      const res = await c().withRuntime(async (rt) => {
        const doc = await rt.store.findInvoice(number);
        if (!doc) throw new ValidationError(`no document numbered ${number}`, 'invoice_not_found');
        const { xml, profile } = await invoiceXml(rt.deps, doc.orgId, number, SYSTEM, o.profile);
        const key = `invoices/${doc.sellerId}/${doc.year}/${number}.${profile}.xml`;
        await rt.deps.documents.put(key, Buffer.from(xml, 'utf8'), 'application/xml');
        return { number, orgId: doc.orgId, profile, path: await rt.deps.documents.link(key, 0) };
      }, o.out);
      c().print(`wrote ${res.path} (${res.profile})`, res);
    });

  invoice
    .command('oss')
    .description("a quarter's OSS return: sales to EU consumers by member state and rate, credit notes netted")
    .addOption(new Option('--quarter <YYYY-Qn>', 'e.g. 2027-Q1').argParser(quarterArg).makeOptionMandatory())
    .option('--seller <id>', "a seller of the configuration (the stage's default otherwise)")
    .action(async (o: { quarter: string; seller?: string }) => {
      const oss = await c().withRuntime((rt) => quarterlyOssReturn(rt.deps, o.quarter, SYSTEM, o.seller));
      const head = `OSS return ${oss.quarter} (${oss.from} to ${oss.to}), seller ${oss.sellerId}, ${oss.scheme === 'union' ? 'Union' : 'non-Union'} scheme`;
      const rate = oss.euroRate ? `\nfrancs in euros at the ECB rate of ${oss.euroRate.date}: ${oss.euroRate.chf} CHF for one EUR` : '';
      c().print(
        oss.rows.length > 0
          ? [
              `${head}${rate}`,
              table(oss.rows as unknown as Record<string, unknown>[], ['memberState', 'rate', 'currency', 'net', 'vat', 'eurNet', 'eurVat', 'documents']),
              'to declare (EUR):',
              table(oss.declared as unknown as Record<string, unknown>[], ['memberState', 'rate', 'net', 'vat']),
            ].join('\n')
          : `${head}: no sale to an EU consumer`,
        oss,
      );
    });

  program
    .command('rates')
    .argument('<action>', 'import')
    .argument('<file>', 'CSV with the header period,currency,chf (e.g. 2027-01,EUR,0.9412: CHF for one EUR)')
    .description("CHF rates finance declares foreign-currency invoices at (the tax administration's monthly averages, or daily rates)")
    .action(async (action: string, file: string) => {
      if (action !== 'import') throw new ValidationError(`unknown action "${action}": use import`);
      const text = await readFile(file, 'utf8').catch(() => {
        throw new ValidationError(`cannot read ${file}`);
      });
      const res = await c().withRuntime((rt) => importExchangeRates(rt.deps, text, SYSTEM));
      const lines = [`imported ${res.imported.length} rates`, ...res.rejected.map((r) => `set aside line ${r.line}: ${r.reason}`)];
      c().print(lines.join('\n'), res);
    });

  program
    .command('journal')
    .description("the period's bookings for the accountant: generic CSV or Banana's import text, with totals per account and VAT code")
    .addOption(new Option('--from <date>').argParser(dateArg('--from')).makeOptionMandatory())
    .addOption(new Option('--to <date>').argParser(dateArg('--to')).makeOptionMandatory())
    .addOption(new Option('--format <format>').choices(['csv', 'banana']).default('csv'))
    .option('--seller <id>', 'the documents of one seller')
    .option('--out <dir>', 'folder to write into', 'out')
    .action(async (o: { from: string; to: string; format: 'csv' | 'banana'; seller?: string; out: string }) => {
      const res = await c().withRuntime(async (rt) => {
        const out = await journalExport(rt.deps, { from: o.from, to: o.to, format: o.format, ...(o.seller ? { sellerId: o.seller } : {}) }, SYSTEM);
        return { ...out, path: await rt.deps.documents.link(out.key, 0) };
      }, o.out);
      const vat = Object.entries(res.totals.vatByCode).map(([code, t]) => ({ code, net: t.net, vat: t.vat, vatChf: t.vatChf }));
      c().print(
        [
          `wrote ${res.path} (${res.totals.documents} documents, ${res.totals.bookings} bookings, CHF ${res.totals.bookedChf} booked)`,
          ...(vat.length > 0 ? [table(vat as unknown as Record<string, unknown>[], ['code', 'net', 'vat', 'vatChf'])] : []),
        ].join('\n'),
        { path: res.path, totals: res.totals },
      );
    });

  program
    .command('export')
    .description('finance export of a period: CSV (one row per document, or per line), optionally a zip of the PDFs')
    .addOption(new Option('--from <date>').argParser(dateArg('--from')).makeOptionMandatory())
    .addOption(new Option('--to <date>').argParser(dateArg('--to')).makeOptionMandatory())
    .option('--org <id>', 'one organisation')
    .option('--partner <id>', 'a partner and its clients')
    .option('--lines', 'one row per invoice line')
    .option('--pdf', 'also a zip of the PDFs')
    .option('--out <dir>', 'folder to write into', 'out')
    .action(async (o: { from: string; to: string; org?: string; partner?: string; lines?: boolean; pdf?: boolean; out: string }) => {
      const bar = progress('export', c().json);
      const name = `export-${o.from}-${o.to}${o.org ? `-${o.org}` : ''}${o.partner ? `-partner-${o.partner}` : ''}${o.lines ? '-lines' : ''}`;
      const res = await c().withRuntime(async (rt) => {
        const started = performance.now();
        const out = await exportInvoices(
          rt.deps,
          { from: o.from, to: o.to, lines: o.lines === true, pdf: o.pdf === true, ...(o.org ? { orgId: o.org } : {}), ...(o.partner ? { partnerId: o.partner } : {}) },
          SYSTEM,
          { name, onProgress: (rows) => bar.update(rows, Math.max(rows, 1)) },
        );
        const seconds = (performance.now() - started) / 1000;
        return { ...out, csv: await rt.deps.documents.link(out.csvKey, 0), ...(out.zipKey ? { zip: await rt.deps.documents.link(out.zipKey, 0) } : {}), seconds };
      }, o.out);
      bar.stop();
      const sums = Object.entries(res.totals.byCurrency).map(([cur, t]) => `${cur} net ${t.net}, VAT ${t.vat}, gross ${t.gross}`);
      c().print(
        [`wrote ${res.csv} (${res.totals.documents} documents, ${res.totals.rows} rows in ${res.seconds.toFixed(1)} s)`, ...(res.zip ? [`wrote ${res.zip}`] : []), ...sums].join(
          '\n',
        ),
        { csv: res.csv, ...(res.zip ? { zip: res.zip } : {}), totals: res.totals, seconds: Number(res.seconds.toFixed(3)) },
      );
    });
}
