import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { z } from 'zod';
import { addDays, datesBetween, isIsoDate, type IsoDate } from '../../shared/domain/calendar.ts';
import { DomainError, ValidationError } from '../../shared/domain/errors.ts';
import { fixedClock } from '../../shared/ports/clock.ts';
import { systemClock } from '../../shared/adapters/system-clock.ts';
import { JavaMissingError } from '../../shared/adapters/local/dynamodb-local.ts';
import { stopLocalStore } from '../../shared/adapters/local/local-store.ts';
import { addPaymentMethod, createOrganisation } from '../../shared/use-cases/manage-organisation.ts';
import { addProduct, listProducts, switchAutoRenew } from '../../shared/use-cases/manage-products.ts';
import { topUpBalance } from '../../shared/use-cases/top-up-balance.ts';
import { loadOrg } from '../../shared/use-cases/renewal-deps.ts';
import { renewManually } from '../../shared/use-cases/renew-manually.ts';
import { openLocalRuntime, runLifecycle, runNight, type LocalRuntime, type NightReport } from '../local-runtime.ts';
import { seedPortfolio } from './demo-portfolio.ts';
import { demoFinance, type DemoFinance } from './demo-finance.ts';
import { nightJson, nightTable, progress, table } from './output.ts';
import { registerHttpCommands } from './http-commands.ts';
import { assertCamt054Size, parseCamt054 } from '../../shared/adapters/bank/camt054.ts';
import { importBankStatement } from '../../shared/use-cases/bank/import-bank-statement.ts';
import { reconcileGatewayEvents } from '../../shared/use-cases/checkout/gateway-events.ts';
import { releaseHold } from '../../shared/use-cases/checkout/settle-checkout.ts';
import { startCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { exportInvoices } from '../../shared/use-cases/finance/export-invoices.ts';
import { invoicePdf } from '../../shared/use-cases/finance/invoice-documents.ts';
import { SYSTEM } from '../../shared/use-cases/actor.ts';
import { drainQueues } from '../local-runtime.ts';

/** Exit codes: 0 done, 1 engine failure, 2 bad input (nothing changed). */
const EXIT_BAD_INPUT = 2;

interface GlobalOpts {
  json?: boolean;
  home: string;
  today?: string;
}

class CliContext {
  out: string[] = [];
  constructor(readonly opts: GlobalOpts) {}
  get json(): boolean {
    return this.opts.json === true;
  }
  today(): IsoDate {
    return this.opts.today ?? systemClock().today();
  }
  print(human: string, data: unknown): void {
    this.out.push(this.json ? JSON.stringify(data, null, 2) : human);
  }
  /** Opens the embedded stack for one command and always shuts it down. */
  async withRuntime<T>(work: (rt: LocalRuntime) => Promise<T>, outDir = 'out'): Promise<T> {
    const rt = await openLocalRuntime({ home: this.opts.home, clock: fixedClock(this.today()), outDir, separateCharges: true });
    try {
      return await work(rt);
    } finally {
      await rt.close();
    }
  }
}

const dateArg = (name: string) => (v: string) => {
  if (!isIsoDate(v)) throw new ValidationError(`${name} must be a date as YYYY-MM-DD, got "${v}"`);
  return v;
};
const intArg = (name: string, min: number, max: number) => (v: string) => {
  const n = z.coerce.number().int().min(min).max(max).safeParse(v);
  if (!n.success || !/^\d+$/.test(v)) throw new ValidationError(`${name} must be a whole number from ${min} to ${max}, got "${v}"`);
  return n.data;
};

export function buildProgram(ctx: { current?: CliContext }): Command {
  const program = new Command('billing')
    .description('Billing and renewal engine, on the embedded local stack')
    .option('--json', 'machine-readable output')
    .option('--home <dir>', 'data folder of the local stack', process.env.BILLING_HOME ?? '.billing')
    .addOption(new Option('--today <date>', 'the date the commands act on (default: today in Zurich)').argParser(dateArg('--today')))
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .hook('preAction', (cmd) => {
      ctx.current = new CliContext(cmd.opts<GlobalOpts>());
    });
  const c = () => ctx.current!;

  program
    .command('reset')
    .description('wipe the local data folder')
    .action(async () => {
      await stopLocalStore(c().opts.home);
      rmSync(resolve(c().opts.home), { recursive: true, force: true });
      c().print(`removed ${c().opts.home}`, { reset: true, home: c().opts.home });
    });

  program
    .command('stop')
    .description('stop the local store of the data folder (it also stops after 15 idle minutes; the next command starts it again)')
    .action(async () => {
      const stopped = await stopLocalStore(c().opts.home);
      c().print(stopped ? `stopped the store of ${c().opts.home}` : `no store was running for ${c().opts.home}`, { stopped, home: c().opts.home });
    });

  program
    .command('seed')
    .description('add a demo portfolio')
    .addOption(new Option('--orgs <n>').default(40).argParser(intArg('--orgs', 1, 100_000)))
    .addOption(new Option('--products <n>').default(300).argParser(intArg('--products', 0, 1_000_000)))
    .addOption(new Option('--seed <n>').default(42).argParser(intArg('--seed', 0, 2 ** 31)))
    .action(async (o: { orgs: number; products: number; seed: number }) => {
      const bar = progress('seed', c().json);
      const res = await c().withRuntime((rt) =>
        seedPortfolio(rt, { orgs: o.orgs, products: o.products, seed: o.seed, today: c().today(), onProgress: bar.update }),
      );
      bar.stop();
      c().print(`seeded ${res.orgs} organisations and ${res.products} products`, { orgs: res.orgs, products: res.products });
    });

  const org = program.command('org').description('organisations');
  org
    .command('create')
    .requiredOption('--name <name>')
    .requiredOption('--currency <CHF|EUR>')
    .requiredOption('--country <CC>', 'ISO country code, e.g. CH')
    .option('--id <id>')
    .option('--vat-number <number>')
    .option('--address <text>')
    .option('--owner-email <email>', 'legal owner', 'owner@example.ch')
    .option('--reminder-days <list>', 'comma-separated days before expiry, e.g. 30,7')
    .action(async (o: Record<string, string | undefined>) => {
      const reminderDays = o.reminderDays?.split(',').map((d) => intArg('--reminder-days', 1, 120)(d.trim()));
      const created = await c().withRuntime((rt) =>
        createOrganisation(rt.deps, {
          id: o.id,
          name: o.name,
          currency: o.currency,
          country: o.country,
          vatNumber: o.vatNumber,
          address: o.address,
          owner: { userId: o.ownerEmail, email: o.ownerEmail, name: o.ownerEmail },
          ...(reminderDays ? { reminderDaysBefore: reminderDays } : {}),
        }),
      );
      c().print(`created organisation ${created.id} (${created.currency})`, created);
    });
  org.command('list').action(async () => {
    const orgs = await c().withRuntime((rt) => rt.store.listOrganisations());
    c().print(table(orgs as unknown as Record<string, unknown>[], ['id', 'name', 'currency', 'country', 'balance']), orgs);
  });

  program
    .command('payment-method')
    .description('save a payment method reference (sandbox: pm_card_visa, pm_card_chargeDeclined, pm_card_authenticationRequired, pm_twint, pm_paypal)')
    .argument('<action>', 'add')
    .requiredOption('--org <id>')
    .requiredOption('--ref <ref>', "the provider's method id, e.g. pm_card_visa")
    .addOption(new Option('--kind <kind>').choices(['card', 'postfinance', 'twint', 'paypal']).default('card'))
    .option('--label <text>')
    .action(async (action: string, o: Record<string, string>) => {
      if (action !== 'add') throw new ValidationError(`unknown action "${action}": use add`);
      const pm = await c().withRuntime((rt) =>
        addPaymentMethod(rt.deps, o.org!, { kind: o.kind, gatewayRef: o.ref, label: o.label ?? o.ref }),
      );
      c().print(`saved ${pm.id} (${pm.label})`, pm);
    });

  const product = program.command('product').description('products');
  product
    .command('add')
    .requiredOption('--org <id>')
    .requiredOption('--type <typeId>')
    .requiredOption('--name <name>')
    .addOption(new Option('--expiry <date>').argParser(dateArg('--expiry')).makeOptionMandatory())
    .option('--id <id>')
    .addOption(new Option('--period <months>').argParser(intArg('--period', 1, 120)))
    .option('--auto-renew', 'renew automatically')
    .option('--payment-method <id>')
    .action(async (o: Record<string, string | number | boolean | undefined>) => {
      const p = await c().withRuntime((rt) =>
        addProduct(rt.deps, String(o.org), {
          id: o.id,
          typeId: o.type,
          name: o.name,
          expiry: o.expiry,
          periodMonths: o.period,
          autoRenew: o.autoRenew === true,
          paymentMethodId: o.paymentMethod,
        }),
      );
      c().print(`added ${p.id}, expires ${p.expiry}, next action ${p.nextActionDate ?? '-'}`, p);
    });

  program
    .command('products')
    .argument('<action>', 'list')
    .requiredOption('--org <id>')
    .addOption(new Option('--due <window>', 'next 2 months or all').choices(['2m', 'all']).default('2m'))
    .action(async (action: string, o: { org: string; due: '2m' | 'all' }) => {
      if (action !== 'list') throw new ValidationError(`unknown action "${action}": use list`);
      const list = await c().withRuntime((rt) => listProducts(rt.deps, o.org, o.due));
      c().print(table(list as unknown as Record<string, unknown>[], ['id', 'typeId', 'name', 'expiry', 'status', 'autoRenew', 'nextActionDate']), list);
    });

  program
    .command('auto-renew')
    .argument('<state>', 'on or off')
    .requiredOption('--org <id>')
    .option('--product <id>')
    .option('--all', 'every product of the organisation')
    .option('--payment-method <id>')
    .action(async (state: string, o: { org: string; product?: string; all?: boolean; paymentMethod?: string }) => {
      if (state !== 'on' && state !== 'off') throw new ValidationError(`auto-renew takes on or off, got "${state}"`);
      if (!o.product === !o.all) throw new ValidationError('give either --product P or --all');
      const res = await c().withRuntime((rt) =>
        switchAutoRenew(rt.deps, o.org, {
          on: state === 'on',
          ...(o.product ? { productId: o.product } : { all: true }),
          ...(o.paymentMethod ? { paymentMethodId: o.paymentMethod } : {}),
        }),
      );
      const lines = [`auto-renew ${state}: ${res.changed.length} changed, ${res.unchanged.length} unchanged, ${res.refused.length} refused`];
      for (const r of res.refused) lines.push(`  ${r.productId}: ${r.message}`);
      c().print(lines.join('\n'), res);
    });

  program
    .command('renew')
    .description('renew a product now (balance first, then the saved method); unblocks a blocked product')
    .requiredOption('--org <id>')
    .requiredOption('--product <id>')
    .addOption(new Option('--period <months>').argParser(intArg('--period', 1, 120)))
    .option('--payment-method <id>')
    .option('--request-id <id>', 'makes a retried renewal pay once')
    .action(async (o: { org: string; product: string; period?: number; paymentMethod?: string; requestId?: string }) => {
      const res = await c().withRuntime(async (rt) => {
        const out = await renewManually(rt.deps, o.org, {
          productId: o.product,
          requestId: o.requestId ?? rt.deps.ids.next('req'),
          ...(o.period ? { periodMonths: o.period } : {}),
          ...(o.paymentMethod ? { paymentMethodId: o.paymentMethod } : {}),
        });
        await runLifecycle(rt);
        return out;
      });
      c().print(`renewed ${res.product.id} until ${res.product.expiry}, invoice ${res.invoiceNumber} (${res.total})${res.unblocked ? ', unblocked' : ''}`, res);
    });

  const balance = program.command('balance').description('prepaid balance');
  balance
    .command('top-up')
    .requiredOption('--org <id>')
    .requiredOption('--amount <amount>')
    .option('--reference <ref>', 'makes a retried top-up a no-op')
    .action(async (o: { org: string; amount: string; reference?: string }) => {
      const res = await c().withRuntime((rt) =>
        topUpBalance(rt.deps, o.org, { amount: o.amount, reference: o.reference ?? rt.deps.ids.next('topup') }),
      );
      c().print(`credited ${res.credited}, balance ${res.balance}`, res);
    });
  balance
    .command('show')
    .requiredOption('--org <id>')
    .action(async (o: { org: string }) => {
      const res = await c().withRuntime(async (rt) => ({
        balance: (await loadOrg(rt.store, o.org)).balance,
        ledger: await rt.store.listLedger(o.org),
      }));
      c().print(`balance ${res.balance}\n${table(res.ledger as unknown as Record<string, unknown>[], ['createdAt', 'reason', 'amount', 'balanceAfter', 'ref'])}`, res);
    });

  program
    .command('run-night')
    .description('run one night: plan, renew, apply lifecycle')
    .addOption(new Option('--date <date>').argParser(dateArg('--date')))
    .addOption(new Option('--concurrency <n>').default(4).argParser(intArg('--concurrency', 1, 64)))
    .action(async (o: { date?: string; concurrency: number }) => {
      const night = o.date ?? c().today();
      const bar = progress(night, c().json);
      const report = await c().withRuntime((rt) => runNight(rt, night, { concurrency: o.concurrency, onProgress: bar.update }));
      bar.stop();
      c().print(nightTable([report]), nightJson(report));
    });

  program
    .command('simulate')
    .description('run consecutive nights')
    .addOption(new Option('--from <date>').argParser(dateArg('--from')).makeOptionMandatory())
    .addOption(new Option('--days <n>').argParser(intArg('--days', 1, 3660)).makeOptionMandatory())
    .addOption(new Option('--concurrency <n>').default(4).argParser(intArg('--concurrency', 1, 64)))
    .action(async (o: { from: string; days: number; concurrency: number }) => {
      const reports = await c().withRuntime((rt) => simulate(rt, o.from, o.days, o.concurrency, c().json));
      c().print(nightTable(reports), reports.map(nightJson));
    });

  program
    .command('outbox')
    .argument('<action>', 'list')
    .addOption(new Option('--date <date>').argParser(dateArg('--date')))
    .action(async (action: string, o: { date?: string }) => {
      if (action !== 'list') throw new ValidationError(`unknown action "${action}": use list`);
      const mails = await c().withRuntime(async (rt) => {
        const dates = o.date ? [o.date] : (await rt.store.listNightRuns()).map((n) => n.date);
        return (await Promise.all(dates.map((d) => rt.store.listOutbox(d)))).flat();
      });
      c().print(table(mails as unknown as Record<string, unknown>[], ['date', 'template', 'to', 'productId']), mails);
    });

  program
    .command('lifecycle')
    .argument('<action>', 'list')
    .addOption(new Option('--date <date>').argParser(dateArg('--date')))
    .action(async (action: string, o: { date?: string }) => {
      if (action !== 'list') throw new ValidationError(`unknown action "${action}": use list`);
      const commands = await c().withRuntime(async (rt) => {
        const dates = o.date ? [o.date] : (await rt.store.listNightRuns()).map((n) => n.date);
        return (await Promise.all(dates.map((d) => rt.store.listLifecycleCommands(d)))).flat();
      });
      c().print(table(commands as unknown as Record<string, unknown>[], ['date', 'action', 'orgId', 'productId', 'status', 'appliedAt']), commands);
    });

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

  program
    .command('demo')
    .description('the main job: seed a demo portfolio on an empty store, simulate 30 nights, then the finance side (transfer, PDFs, export) under out/')
    .addOption(new Option('--nights <n>').default(30).argParser(intArg('--nights', 1, 366)))
    .addOption(new Option('--orgs <n>').default(40).argParser(intArg('--orgs', 1, 10_000)))
    .addOption(new Option('--products <n>').default(300).argParser(intArg('--products', 1, 100_000)))
    .action(async (o: { nights: number; orgs: number; products: number }) => {
      const started = performance.now();
      const cx = c();
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
        return { nights, finance };
      });
      const seconds = (performance.now() - started) / 1000;
      cx.print(
        `${nightTable(res.nights)}\n\n${demoFigures(res.nights, seconds)}\n\n${financeLines(res.finance)}\n` +
          `Try: npx billing outbox list, npx billing lifecycle list, npx billing bank review, npx billing reset.`,
        { nights: res.nights.map(nightJson), finance: res.finance },
      );
    });

  const stripe = program.command('stripe').description('payment provider');
  stripe
    .command('reconcile')
    .description("settle provider events that never arrived as webhooks (the provider stops retrying after 3 days)")
    .addOption(new Option('--since <date>', 'list events created since this day (default: 3 days ago)').argParser(dateArg('--since')))
    .action(async (o: { since?: string }) => {
      const since = o.since ?? addDays(c().today(), -3);
      const res = await c().withRuntime(async (rt) => {
        const out = await reconcileGatewayEvents(rt.deps, Math.floor(Date.parse(`${since}T00:00:00Z`) / 1000));
        await drainQueues(rt);
        return out;
      });
      c().print(`${res.listed} events since ${since}: ${res.missing} had not arrived, ${res.processed} settled now`, { since, ...res });
    });

  const order = program.command('order').description('orders held for an identity check');
  order
    .command('release')
    .description('fulfil a held order after a successful identity check')
    .requiredOption('--org <id>')
    .requiredOption('--checkout <id>')
    .action(async (o: { org: string; checkout: string }) => {
      const res = await c().withRuntime(async (rt) => {
        const out = await releaseHold(rt.deps, o.org, o.checkout);
        await drainQueues(rt);
        return out;
      });
      c().print(`released ${res.id}: ${res.items.length} product(s) renewed`, { checkoutId: res.id, status: res.status });
    });

  org
    .command('identity-check')
    .description('require an identity check (paid orders are held) or record that it passed')
    .argument('<state>', 'required or passed')
    .requiredOption('--org <id>')
    .action(async (state: string, o: { org: string }) => {
      if (state !== 'required' && state !== 'passed') throw new ValidationError(`identity-check takes required or passed, got "${state}"`);
      await c().withRuntime(async (rt) => {
        const current = await loadOrg(rt.store, o.org);
        await rt.store.commit([{ type: 'identityCheck', orgId: current.id, state }]);
      });
      c().print(`identity check of ${o.org}: ${state}`, { orgId: o.org, identityCheck: state });
    });

  program
    .command('pay')
    .description('pay a selection of products now: one invoice (balance first; iban issues a pro-forma with a QR-bill)')
    .requiredOption('--org <id>')
    .requiredOption('--product <ids>', 'comma-separated product ids')
    .addOption(new Option('--period <months>', 'for every product (default: its own)').argParser(intArg('--period', 1, 120)))
    .addOption(new Option('--method <method>').choices(['card', 'twint', 'paypal', 'postfinance', 'iban', 'balance']).default('iban'))
    .option('--no-balance', 'do not use the prepaid balance')
    .option('--request-id <id>', 'makes a retried payment the same checkout')
    .action(async (o: { org: string; product: string; period?: number; method: string; balance: boolean; requestId?: string }) => {
      const view = await c().withRuntime(async (rt) => {
        const out = await startCheckout(
          rt.deps,
          o.org,
          {
            items: o.product.split(',').map((id) => ({ productId: id.trim(), ...(o.period ? { periodMonths: o.period } : {}) })),
            method: o.method,
            useBalance: o.balance,
            requestId: o.requestId ?? rt.deps.ids.next('cli-pay'),
          },
          SYSTEM,
        );
        await drainQueues(rt);
        return out;
      });
      const what = view.proformaNumber
        ? `pro-forma ${view.proformaNumber}: transfer ${view.amountDue} ${view.currency} with reference ${view.paymentReference}`
        : view.payment
          ? `payment ${view.payment.paymentRef} waits for the customer (${view.amountDue} ${view.currency})`
          : `paid, invoice ${view.invoiceNumber}`;
      c().print(`checkout ${view.checkoutId}: total ${view.total} ${view.currency}, balance used ${view.balanceUsed}; ${what}`, view);
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
        [`wrote ${res.csv} (${res.totals.documents} documents, ${res.totals.rows} rows in ${res.seconds.toFixed(1)} s)`, ...(res.zip ? [`wrote ${res.zip}`] : []), ...sums].join('\n'),
        { csv: res.csv, ...(res.zip ? { zip: res.zip } : {}), totals: res.totals, seconds: Number(res.seconds.toFixed(3)) },
      );
    });

  const bank = program.command('bank').description('bank transfers (camt.054 notifications)');
  bank
    .command('import')
    .description('settle the credits of a camt.054 file against pro-formas and open invoices')
    .argument('<file>', 'camt.054 XML file')
    .action(async (file: string) => {
      assertCamt054Size(fileSize(file), file);
      const xml = readTextFile(file);
      const statement = parseCamt054(xml);
      const report = await c().withRuntime(async (rt) => {
        const out = await importBankStatement(rt.deps, statement, createHash('sha256').update(xml).digest('hex'));
        await drainQueues(rt);
        return out;
      });
      const lines = [
        `statement ${report.statementId}${report.alreadyImported ? ' (this file was imported before: nothing settled again)' : ''}: ${statement.credits.length} credit(s), ${statement.reversals.length} reversal(s), ${statement.unreadable.length} entr(ies) set aside as unreadable, ${statement.ignored.length} other entr(ies) ignored`,
        table(report.credits as unknown as Record<string, unknown>[], ['id', 'amount', 'currency', 'outcome', 'documentNumber', 'duplicate', 'note']),
        `settled: ${Object.entries(report.settled).map(([cur, amount]) => `${cur} ${amount}`).join(', ') || 'nothing'}; ${report.toReview} for finance to review (npx billing bank review)`,
      ];
      c().print(lines.join('\n'), { ...report, ignored: statement.ignored });
    });
  bank
    .command('review')
    .description('credits finance must look at: unknown reference, other currency, paid twice')
    .action(async () => {
      const credits = await c().withRuntime((rt) => rt.store.listBankCreditsToReview());
      c().print(table(credits as unknown as Record<string, unknown>[], ['importedAt', 'id', 'amount', 'currency', 'outcome', 'reference', 'debtorName', 'note']), credits);
    });

  registerHttpCommands(program, ctx);
  return program;
}

function financeLines(f: DemoFinance): string {
  const t = f.transfer;
  return [
    t
      ? `Bank transfer: pro-forma ${t.proforma} (${t.amount}, reference ${t.reference}) -> camt.054 ${t.statement} -> ${t.outcome}` +
        (t.invoice ? `, final invoice ${t.invoice}` : '')
      : 'Bank transfer: no product without auto-renewal left to pay by transfer',
    `PDFs: ${f.pdfs.count} documents in ${f.pdfs.seconds.toFixed(1)} s (${(f.pdfs.count / Math.max(f.pdfs.seconds, 0.001)).toFixed(1)}/s) under ${f.pdfs.folder}`,
    `Export: ${f.export.csv} (${f.export.documents} documents; ${Object.entries(f.export.totals).map(([cur, v]) => `${cur} ${v.gross}`).join(', ')} with VAT)`,
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

async function simulate(rt: LocalRuntime, from: IsoDate, days: number, concurrency: number, json: boolean): Promise<NightReport[]> {
  const bar = progress('nights', json);
  const reports: NightReport[] = [];
  const nights = datesBetween(from, addDays(from, days - 1));
  for (const night of nights) {
    reports.push(await runNight(rt, night, { concurrency }));
    bar.update(reports.length, nights.length);
  }
  bar.stop();
  return reports;
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch (err) {
    throw new ValidationError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'unreadable_file');
  }
}

function readTextFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ValidationError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'unreadable_file');
  }
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it. */
export async function main(argv: string[]): Promise<number> {
  const ctx: { current?: CliContext } = {};
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    if (ctx.current) for (const line of ctx.current.out) process.stdout.write(line + '\n');
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      if (err.code === 'commander.help') return 0;
      process.stderr.write(`error: ${err.message.replace(/^error: /, '').replace(/[\r\n]+/g, ' ')}\n`);
      return EXIT_BAD_INPUT;
    }
    if (err instanceof DomainError) {
      // One line, whatever the input echoed into the message contained.
      process.stderr.write(`error: ${err.message.replace(/[\r\n]+/g, ' ')}\n`);
      return EXIT_BAD_INPUT;
    }
    if (err instanceof JavaMissingError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
