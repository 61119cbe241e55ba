import cliProgress from 'cli-progress';
import type { NightReport } from '../local-runtime.ts';

/** A progress bar on a terminal only; nothing under --json or when piped. */
export function progress(label: string, json: boolean): { update(done: number, total: number): void; stop(): void } {
  if (json || !process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total}`, stream: process.stderr, clearOnComplete: true, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

export function nightJson(r: NightReport) {
  return {
    date: r.date,
    reminders: r.reminders,
    attempted: r.attempted,
    paid: r.paid,
    failed: r.failed,
    collected: r.collected,
    blocked: r.blocked,
    unblocked: r.unblocked,
    terminated: r.terminated,
    planned: r.planned,
    indexItemsRead: r.indexRead.items,
    deadLetters: r.deadLetters.length,
    seconds: Number(r.seconds.toFixed(3)),
  };
}

const COLUMNS = ['date', 'reminders', 'attempted', 'paid', 'failed', 'CHF collected', 'EUR collected', 'blocked', 'terminated'];

export function nightTable(reports: NightReport[]): string {
  const rows: string[][] = reports.map((r) => [
    r.date,
    String(r.reminders),
    String(r.attempted),
    String(r.paid),
    String(r.failed),
    r.collected.CHF,
    r.collected.EUR,
    String(r.blocked),
    String(r.terminated),
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(COLUMNS), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  // A list of plain values (e-mail recipients) reads as "a, b"; other objects as JSON.
  const cell = (v: unknown) =>
    v === undefined ? '' : Array.isArray(v) && v.every((x) => typeof x !== 'object') ? v.join(', ') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const cells: string[][] = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (cs: string[]) =>
    cs
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
