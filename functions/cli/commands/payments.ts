import { Option } from 'commander';
import { addDays } from '../../../shared/domain/calendar.ts';
import { SYSTEM } from '../../../shared/use-cases/actor.ts';
import { reconcileGatewayEvents } from '../../../shared/use-cases/checkout/gateway-events.ts';
import { releaseHold } from '../../../shared/use-cases/checkout/settle-checkout.ts';
import { startCheckout } from '../../../shared/use-cases/checkout/start-checkout.ts';
import { drainQueues } from '../lazy-runtime.ts';
import { dateArg, intArg } from '../context.ts';
import type { Command } from 'commander';
import type { Ctx } from '../context.ts';

export function registerPaymentCommands(program: Command, c: Ctx): void {
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

  const stripe = program.command('stripe').description('payment provider');
  stripe
    .command('reconcile')
    .description('settle provider events that never arrived as webhooks (the provider stops retrying after 3 days)')
    .addOption(new Option('--since <date>', 'list events created since this day (default: 3 days ago)').argParser(dateArg('--since')))
    .action(async (o: { since?: string }) => {
      const since = o.since ?? addDays(c().today(), -3);
      const res = await c().withRuntime(async (rt) => {
        const out = await reconcileGatewayEvents(rt.deps, Math.floor(Date.parse(`${since}T00:00:00Z`) / 1000));
        await drainQueues(rt);
        return out;
      });
      c().print(`${res.listed} events since ${since}: ${res.missing} had not arrived, ${res.queued} settled now`, { since, ...res });
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
}
