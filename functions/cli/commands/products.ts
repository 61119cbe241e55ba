import { Option } from 'commander';
import { ValidationError } from '../../../shared/domain/errors.ts';
import { addProduct, listProductsPage, MAX_PAGE, switchAutoRenew } from '../../../shared/use-cases/manage-products.ts';
import { SYSTEM } from '../../../shared/use-cases/actor.ts';
import { renewManually } from '../../../shared/use-cases/renew-manually.ts';
import { runLifecycle } from '../lazy-runtime.ts';
import { dateArg, intArg } from '../context.ts';
import { table } from '../output.ts';
import type { Command } from 'commander';
import type { Ctx } from '../context.ts';

export function registerProductCommands(program: Command, c: Ctx): void {
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
    .addOption(new Option('--limit <n>', `products a page, 1 to ${MAX_PAGE} (one read each)`).default(100).argParser(intArg('--limit', 1, MAX_PAGE)))
    .option('--cursor <cursor>', 'the next page, as the previous one printed it')
    .action(async (action: string, o: { org: string; due: '2m' | 'all'; limit: number; cursor?: string }) => {
      if (action !== 'list') throw new ValidationError(`unknown action "${action}": use list`);
      const page = await c().withRuntime((rt) => listProductsPage(rt.deps, o.org, o.due, SYSTEM, { limit: o.limit, ...(o.cursor ? { cursor: o.cursor } : {}) }));
      const rows = table(page.products as unknown as Record<string, unknown>[], ['id', 'typeId', 'name', 'expiry', 'status', 'autoRenew', 'nextActionDate']);
      c().print(page.nextCursor ? `${rows}\nnext page: --cursor ${page.nextCursor}` : rows, page);
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
}
