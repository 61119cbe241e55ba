import { Option } from 'commander';
import { addDays } from '../../../shared/domain/calendar.ts';
import type { NightReport } from '../../local-runtime.ts';
import { intArg } from '../context.ts';
import type { DemoFinance } from '../demo-finance.ts';
import { nightJson, nightTable, progress } from '../output.ts';
import { simulate } from './nights.ts';
import type { Command } from 'commander';
import type { Ctx } from '../context.ts';

export function registerDemoCommands(program: Command, c: Ctx): void {
  program
    .command('seed')
    .description('add a demo portfolio')
    .addOption(new Option('--orgs <n>').default(40).argParser(intArg('--orgs', 1, 100_000)))
    .addOption(new Option('--products <n>').default(300).argParser(intArg('--products', 0, 1_000_000)))
    .addOption(new Option('--seed <n>').default(42).argParser(intArg('--seed', 0, 2 ** 31)))
    .action(async (o: { orgs: number; products: number; seed: number }) => {
      const bar = progress('seed', c().json);
      const { seedPortfolio } = await import('../demo-portfolio.ts');
      const res = await c().withRuntime((rt) => seedPortfolio(rt, { orgs: o.orgs, products: o.products, seed: o.seed, today: c().today(), onProgress: bar.update }));
      bar.stop();
      c().print(`seeded ${res.orgs} organisations and ${res.products} products`, { orgs: res.orgs, products: res.products });
    });

  program
    .command('demo')
    .description('the main job: seed a demo portfolio on an empty store, simulate 30 nights, then the finance side (transfer, PDFs, export) under out/')
    .addOption(new Option('--nights <n>').default(30).argParser(intArg('--nights', 1, 366)))
    .addOption(new Option('--orgs <n>').default(40).argParser(intArg('--orgs', 1, 10_000)))
    .addOption(new Option('--products <n>').default(300).argParser(intArg('--products', 1, 100_000)))
    .action(async (o: { nights: number; orgs: number; products: number }) => {
      const started = performance.now();
      const cx = c();
      // The demo's seeding and finance side (bank files among them) load when it runs, not with `--help`.
      const [{ seedPortfolio }, { demoFinance }] = await Promise.all([import('../demo-portfolio.ts'), import('../demo-finance.ts')]);
      const res = await cx.withRuntime(async (rt) => {
        const last = await rt.store.lastNightRun();
        const empty = (await rt.store.listOrganisations()).length === 0;
        let from = last ? addDays(last.date, 1) : cx.today();
        if (empty) {
          const bar = progress('seed', cx.json);
          await seedPortfolio(rt, { orgs: o.orgs, products: o.products, today: from, onProgress: bar.update });
          bar.stop();
          if (!cx.json) process.stdout.write(`Seeded ${o.orgs} organisations and ${o.products} products (expiries over the next 60 days).\n`);
        } else {
          from = last ? from : cx.today();
          if (!cx.json) process.stdout.write(`Store in ${cx.opts.home} already holds data: continuing from ${from}.\n`);
        }
        const nights = await simulate(rt, from, o.nights, 4, cx.json);
        const bar = progress('PDFs', cx.json);
        const finance = await demoFinance(rt, from, addDays(from, o.nights), bar.update);
        bar.stop();
        // What went out: the .eml files and the event log of the nights run.
        const outgoing = { emails: 0, events: 0 };
        for (const n of nights) {
          outgoing.emails += (await rt.store.listOutbox(n.date)).filter((e) => e.sentAt).length;
          outgoing.events += (await rt.store.listEventRecords(n.date)).reduce((sum, r) => sum + r.events.length, 0);
        }
        return { nights, finance, outgoing };
      });
      const seconds = (performance.now() - started) / 1000;
      cx.print(
        `${nightTable(res.nights)}\n\n${demoFigures(res.nights, seconds)}\n\n${financeLines(res.finance)}\n` +
          `E-mails: ${res.outgoing.emails} sent, in each customer's language, as .eml files under out/mail/; business events: ${res.outgoing.events} in out/events/ (docs/events.md)\n` +
          `Try: npx billing outbox list, npx billing events list, npx billing lifecycle list, npx billing bank review, npx billing reset.`,
        { nights: res.nights.map(nightJson), finance: res.finance, outgoing: res.outgoing },
      );
    });
}

function financeLines(f: DemoFinance): string {
  const t = f.transfer;
  return [
    t
      ? `Bank transfer: pro-forma ${t.proforma} (${t.amount}, reference ${t.reference}) -> camt.054 ${t.statement} -> ${t.outcome}` +
        (t.invoice ? `, final invoice ${t.invoice}` : '')
      : 'Bank transfer: no product without auto-renewal left to pay by transfer',
    `PDFs: ${f.pdfs.count} documents in ${f.pdfs.seconds.toFixed(1)} s (${(f.pdfs.count / Math.max(f.pdfs.seconds, 0.001)).toFixed(1)}/s), invoices and credit notes as kept at issue under ${f.pdfs.folder}`,
    `Export: ${f.export.csv} (${f.export.documents} documents; ${Object.entries(f.export.totals)
      .map(([cur, v]) => `${cur} ${v.gross}`)
      .join(', ')} with VAT)`,
  ].join('\n');
}

/** The figures a reader of the demo wants: how long, how fast a night renews, what finding the work cost. */
function demoFigures(res: NightReport[], seconds: number): string {
  const attempted = res.reduce((s, r) => s + r.attempted, 0);
  const busiest = res.reduce((a, b) => (b.attempted > a.attempted ? b : a));
  const planned = res.reduce((s, r) => s + r.planned, 0);
  const itemsRead = res.reduce((s, r) => s + r.indexRead.items, 0);
  return [
    `${res.length} nights in ${seconds.toFixed(1)} s; ${attempted} renewal attempts.`,
    `Busiest night ${busiest.date}: ${busiest.attempted} renewals attempted, ${busiest.planned} products processed in ${busiest.seconds.toFixed(2)} s ` +
      `(${(busiest.attempted / busiest.seconds).toFixed(1)} renewals/s, ${(busiest.planned / busiest.seconds).toFixed(1)} products/s).`,
    `Nightly query: ${itemsRead} index items read for ${planned} due products (${planned ? (itemsRead / planned).toFixed(2) : '0'} per due product).`,
  ].join('\n');
}
