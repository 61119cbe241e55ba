import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ValidationError } from '../../../shared/domain/errors.ts';
import { importBankStatement } from '../../../shared/use-cases/bank/import-bank-statement.ts';
import { drainQueues } from '../lazy-runtime.ts';
import { table } from '../output.ts';
import type { Command } from 'commander';
import type { Ctx } from '../context.ts';

export function registerBankCommands(program: Command, c: Ctx): void {
  const bank = program.command('bank').description('bank transfers (camt.054 notifications)');
  bank
    .command('import')
    .description('settle the credits of a camt.054 file against pro-formas and open invoices')
    .argument('<file>', 'camt.054 XML file')
    .action(async (file: string) => {
      const { assertCamt054Size, parseCamt054 } = await import('../../../shared/adapters/bank/camt054.ts');
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
        `settled: ${
          Object.entries(report.settled)
            .map(([cur, amount]) => `${cur} ${amount}`)
            .join(', ') || 'nothing'
        }; ${report.toReview} for finance to review (npx billing bank review)`,
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
