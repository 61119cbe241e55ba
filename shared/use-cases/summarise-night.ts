import type { IsoDate } from '../domain/calendar.ts';
import { CURRENCIES, Money, type Currency } from '../domain/money.ts';
import type { OperationReads } from '../ports/billing-store.ts';

export interface NightSummary {
  date: IsoDate;
  reminders: number;
  attempted: number;
  paid: number;
  failed: number;
  /** Per currency, decimal strings. */
  collected: Record<Currency, string>;
  blocked: number;
  unblocked: number;
  terminated: number;
}

/**
 * Adds up what a night did from the outcomes written with each product, so a
 * re-run counts nothing twice. `already` names the products the night had
 * done before this run: a second run of a night reports only what it did
 * itself (nothing, when the first run finished).
 */
export async function summariseNight(store: Pick<OperationReads, 'listNightOutcomes'>, night: IsoDate, already: ReadonlySet<string> = new Set()): Promise<NightSummary> {
  const outcomes = (await store.listNightOutcomes(night)).filter((o) => !already.has(`${o.orgId}/${o.productId}`));
  const collected = Object.fromEntries(CURRENCIES.map((c) => [c, Money.zero(c)])) as Record<Currency, Money>;
  const summary: NightSummary = {
    date: night,
    reminders: 0,
    attempted: 0,
    paid: 0,
    failed: 0,
    collected: { CHF: '0.00', EUR: '0.00' },
    blocked: 0,
    unblocked: 0,
    terminated: 0,
  };
  for (const o of outcomes) {
    summary.reminders += o.reminders;
    summary.attempted += o.attempted ? 1 : 0;
    summary.paid += o.paid ? 1 : 0;
    summary.failed += o.failed ? 1 : 0;
    summary.blocked += o.blocked ? 1 : 0;
    summary.unblocked += o.unblocked ? 1 : 0;
    summary.terminated += o.terminated ? 1 : 0;
    collected[o.currency] = collected[o.currency].plus(Money.of(o.collected, o.currency));
  }
  for (const c of CURRENCIES) summary.collected[c] = collected[c].toString();
  return summary;
}

/** The products a night has already done, for `summariseNight` of a later run of the same night. */
export async function doneInNight(store: Pick<OperationReads, 'listNightOutcomes'>, night: IsoDate): Promise<Set<string>> {
  return new Set((await store.listNightOutcomes(night)).map((o) => `${o.orgId}/${o.productId}`));
}
