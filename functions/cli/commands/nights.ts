import { Option } from 'commander';
import { addDays, datesBetween, type IsoDate } from '../../../shared/domain/calendar.ts';
import { ValidationError } from '../../../shared/domain/errors.ts';
import { runNight } from '../lazy-runtime.ts';
import type { LocalRuntime, NightReport } from '../../local-runtime.ts';
import { dateArg, intArg } from '../context.ts';
import { nightJson, nightTable, progress, table } from '../output.ts';
import type { Command } from 'commander';
import type { Ctx } from '../context.ts';

export function registerNightCommands(program: Command, c: Ctx): void {
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

  // Each e-mail with where it went: the .eml file under out/ once sent, or why it is not yet.
  nightList(
    program,
    c,
    'outbox',
    async (rt, d) =>
      (await rt.store.listOutbox(d)).map((e) => ({
        ...e,
        status: e.sentAt ? 'sent' : e.failedAttempts ? `failed x${e.failedAttempts}: ${e.lastError ?? ''}` : 'pending',
        file: e.sentRef ?? '',
        bounces: (e.feedback ?? []).map((f) => `${f.type} ${f.recipients.join(' ')}`).join('; '),
      })),
    ['date', 'template', 'orgId', 'to', 'status', 'file'],
  );
  nightList(program, c, 'lifecycle', (rt, d) => rt.store.listLifecycleCommands(d), ['date', 'action', 'orgId', 'productId', 'status', 'appliedAt']);
}

/** `<name> list [--date D]`: what the nights wrote, one night or all of them. */
function nightList(program: Command, c: Ctx, name: string, read: (rt: LocalRuntime, date: string) => Promise<object[]>, columns: string[]): void {
  program
    .command(name)
    .argument('<action>', 'list')
    .addOption(new Option('--date <date>').argParser(dateArg('--date')))
    .action(async (action: string, o: { date?: string }) => {
      if (action !== 'list') throw new ValidationError(`unknown action "${action}": use list`);
      const rows = await c().withRuntime((rt) => byNight(rt, o.date, (d) => read(rt, d)));
      c().print(table(rows as Record<string, unknown>[], columns), rows);
    });
}

/** Runs consecutive nights, with a progress bar. */
export async function simulate(rt: LocalRuntime, from: IsoDate, days: number, concurrency: number, json: boolean): Promise<NightReport[]> {
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

/** What a read gives for one date, or for every night run so far. */
async function byNight<T>(rt: LocalRuntime, date: string | undefined, read: (date: string) => Promise<T[]>): Promise<T[]> {
  const dates = date ? [date] : (await rt.store.listNightRuns()).map((n) => n.date);
  return (await Promise.all(dates.map(read))).flat();
}
