import { topUpBalance } from '../../../shared/use-cases/top-up-balance.ts';
import { loadOrg } from '../../../shared/use-cases/renewal-deps.ts';
import { table } from '../output.ts';
import type { Command } from 'commander';
import type { Ctx } from '../context.ts';

export function registerBalanceCommands(program: Command, c: Ctx): void {
  const balance = program.command('balance').description('prepaid balance');
  balance
    .command('top-up')
    .requiredOption('--org <id>')
    .requiredOption('--amount <amount>')
    .option('--reference <ref>', 'makes a retried top-up a no-op')
    .action(async (o: { org: string; amount: string; reference?: string }) => {
      const res = await c().withRuntime((rt) => topUpBalance(rt.deps, o.org, { amount: o.amount, reference: o.reference ?? rt.deps.ids.next('topup') }));
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
}
