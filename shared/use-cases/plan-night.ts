import { addDays, datesBetween, maxDate, type IsoDate } from '../domain/calendar.ts';
import type { ReadStats } from '../ports/billing-store.ts';
import type { MessageQueue, RenewalMessage } from '../ports/message-queue.ts';
import type { BillingDeps, PlanStore } from './renewal-deps.ts';
import { nightChfRate } from './chf-rate.ts';

/** A night run late catches up on this many missed nights at most. */
export const MAX_CATCH_UP_NIGHTS = 31;

export interface PlanNightResult {
  night: IsoDate;
  coveredDates: IsoDate[];
  planned: number;
  read: ReadStats;
}

/**
 * Finds tonight's work and fans it out, one message per product.
 *
 * 1. Find the nights to cover: tonight, plus any night missed since the last run
 *    (up to MAX_CATCH_UP_NIGHTS; the first run ever looks back that far).
 * 2. Query the date index for each of them (items read grow with the work, not the table).
 * 3. Send one renewal message per product to the renewal queue.
 * 4. Record the run, so the next night knows where this one stopped.
 * Running it twice re-sends the messages; each product's night is applied once.
 */
export async function planNight(
  deps: Pick<BillingDeps, 'clock'> & Partial<Pick<BillingDeps, 'seller' | 'sellers'>> & { store: PlanStore; renewalQueue: MessageQueue<RenewalMessage> },
  night: IsoDate,
): Promise<PlanNightResult> {
  const { store, clock } = deps;
  const last = await store.lastNightRun();
  // The first run ever cannot know which nights were missed: it looks back as far as any catch-up does.
  const earliest = addDays(night, -(MAX_CATCH_UP_NIGHTS - 1));
  let from = night;
  if (!last) from = earliest;
  else if (last.date < night) from = maxDate(addDays(last.date, 1), earliest);
  const coveredDates = datesBetween(from, night);
  const read: ReadStats = { items: 0, capacityUnits: 0 };
  const seen = new Set<string>();
  const messages: RenewalMessage[] = [];
  // The nights are read at once (a first run covers 31 of them), then taken in date order.
  const due = await Promise.all(coveredDates.map((date) => store.listDueProducts(date, read)));
  // the night's CHF rate for EUR documents, read here once for all its renewals rather than by each.
  const sellers = [...(deps.seller ? [deps.seller] : []), ...(deps.sellers?.values() ?? [])];
  const chfRate = due.some((refs) => refs.length > 0) ? await nightChfRate(store, sellers, night) : undefined;
  for (const refs of due) {
    for (const ref of refs) {
      const key = `${ref.orgId}/${ref.productId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      messages.push({ orgId: ref.orgId, productId: ref.productId, night, ...(chfRate !== undefined ? { chfRate } : {}) });
    }
  }
  // One call: the queue adapter batches by 10 and sends batches in parallel (a million-product night is 100,000 batches).
  await deps.renewalQueue.send(messages);
  if (!last || last.date <= night) {
    await store.putNightRun({ date: night, coveredDates, planned: messages.length, startedAt: clock.now() });
  }
  return { night, coveredDates, planned: messages.length, read };
}
