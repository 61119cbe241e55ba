import { BANK_FAULT } from './bank.ts';
import { CORE_CRASH_STEPS, crashKind, FAULT } from './faults.ts';
import type { ChaosReport } from './run.ts';

function table(head: string[], rows: (string | number)[][]): string[] {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
}

/** Every fault kind the issue asks for, so a kind that never fired shows up as 0. */
export function expectedFaultKinds(): string[] {
  return [...Object.values(FAULT), ...Object.values(BANK_FAULT), ...CORE_CRASH_STEPS.flatMap((s) => [crashKind('before', s), crashKind('after', s)])];
}

/** The report as printed: invariants with checks and violations, faults by kind, the details; `violations: N` last. */
export function formatReport(r: ChaosReport, maxDetails = 15): string[] {
  const o = r.options;
  const s = r.stats;
  const out: string[] = [];
  out.push(`chaos run: seed ${o.seed}, ${o.nights} nights from ${o.start}, ${o.products} products, ${o.orgs} organisations`);
  out.push(
    `time: seed ${s.seedSeconds.toFixed(1)} s, nights ${s.runSeconds.toFixed(1)} s, checks ${s.checkSeconds.toFixed(1)} s; ` +
      `renewals attempted ${s.renewals.attempted}, paid ${s.renewals.paid}, failed ${s.renewals.failed}; reminders ${s.renewals.reminders}; ` +
      `blocked ${s.renewals.blocked}, unblocked ${s.renewals.unblocked}, terminated ${s.renewals.terminated}`,
  );
  out.push(
    `documents: ${Object.entries(s.documents)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; checkouts: ${Object.entries(s.checkouts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; ` +
      `top-ups ${s.customers.topUps}, dashboard refunds ${s.customers.dashboardRefunds} (+${s.customers.renewalDashboardRefunds} of renewal charges); ` +
      `webhooks captured ${s.wire.captured}, delivered ${s.wire.delivered} (${s.wire.duplicatesAcknowledged} acknowledged as duplicates), ` +
      `stale replays refused ${s.wire.staleRefused}, found by reconciliation ${s.reconciled}`,
  );
  out.push(
    `bank: ${s.bankFiles} camt.054 files; pro-formas ${
      Object.entries(s.customers.transfers)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    }; ` +
      `clicks at once: ${s.customers.bursts.sameKey} double clicks, ${s.customers.bursts.otherKeys} three tabs; orders held for an identity check released: ${s.customers.holdsReleased}`,
  );
  out.push(
    `partners: ${s.partners.partners} with ${s.partners.clients} clients (${s.partners.billed} invoicing the partner); ` +
      `invoices to a partner for a client's product ${s.partners.invoicedToPartner}, discounted lines ${s.partners.discountedLines}; ` +
      `checkout requests by a partner's user for its client ${s.customers.byPartner}`,
  );
  out.push('');
  out.push(
    ...table(
      ['invariant', 'checks', 'violations'],
      r.invariants.map((i) => [i.name, i.checks, i.violations.length]),
    ),
  );
  out.push('');
  const kinds = expectedFaultKinds();
  for (const k of [...r.faults.keys()].sort()) if (!kinds.includes(k)) kinds.push(k);
  out.push(
    ...table(
      ['fault injected', 'count'],
      kinds.map((k) => [k, r.faults.get(k) ?? 0]),
    ),
  );
  for (const inv of r.invariants) {
    if (inv.violations.length === 0) continue;
    out.push('');
    out.push(`${inv.name}: ${inv.violations.length} violation(s)`);
    for (const v of inv.violations.slice(0, maxDetails)) out.push(`  - ${v}`);
    if (inv.violations.length > maxDetails) out.push(`  ... and ${inv.violations.length - maxDetails} more`);
  }
  out.push('');
  out.push(`violations: ${r.violations}`);
  return out;
}
