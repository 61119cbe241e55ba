import { addDays, addMonths, daysBetween, type IsoDate } from './calendar.ts';
import { AUTO_RENEW_CUTOFF_DAYS, FIRST_ATTEMPT_DAYS_BEFORE_EXPIRY, type ProductType } from './catalogue.ts';
import { BusinessRuleError, ValidationError } from './errors.ts';
import { assertNotTerminating, terminationConfirmed, type TerminationRequest } from './termination.ts';

/** `pending`: ordered, not paid yet; it starts on the day it is paid. */
export type ProductStatus = 'pending' | 'active' | 'blocked' | 'terminated';

export interface Product {
  id: string;
  orgId: string;
  typeId: string;
  /** What the customer calls it, e.g. the domain name. */
  name: string;
  /** Normal expiry (échéance): paid up to, not including, this day. */
  expiry: IsoDate;
  /** Period renewed each time, in months (one of the type's allowed periods). */
  periodMonths: number;
  autoRenew: boolean;
  /** Saved method charged for automatic renewals; absent means prepaid balance only. */
  paymentMethodId?: string;
  status: ProductStatus;
  /** Failed automatic attempts for the current period. */
  failedAttempts: number;
  /** Set when the saved method needs the customer (3-D Secure): no more automatic retries this period. */
  autoRenewHaltedFor?: IsoDate;
  /** The last night that processed this product. */
  lastNight?: IsoDate;
  /** The next night with something to do; absent once terminated. */
  nextActionDate?: IsoDate;
  backupsDeletedAt?: string;
  /** The customer's termination request: pending until its link is used, then confirmed for its date. */
  termination?: TerminationRequest;
  /**
   * The checkout this product was last put in. While that checkout waits for
   * its money (or is held), the night does not charge the product and no
   * other checkout may take it: one period is bought once. Written with a
   * condition on the product's version, so two checkouts cannot both take it;
   * once the checkout is over the mark is stale and is simply overwritten.
   */
  openCheckoutId?: string;
  /**
   * A final invoice of this product that a bank reversal opened again: the
   * period it names is paid there (by transfer), so the night does not buy it
   * a second time and no checkout may; the non-payment rules still follow the
   * expiry. Paying the invoice again clears it.
   */
  awaitsInvoice?: string;
  /**
   * The automatic payment attempt held for this product and not yet settled
   * (its balance part held, its charge under way). Written by the hold with a
   * condition on the product's version and dropped by the write that settles
   * the attempt: the night reads the attempt only when the product names one.
   */
  pendingAttemptId?: string;
  createdAt: string;
  /** Optimistic-lock counter, bumped by every write. */
  version: number;
}

export type NightAction = 'attempt' | 'reminder' | 'block' | 'terminate';

export interface ScheduledAction {
  date: IsoDate;
  action: NightAction;
}

/** Reminder days come from the organisation's settings when it has any. */
export function reminderDays(type: ProductType, orgOverride?: number[]): number[] {
  return orgOverride && orgOverride.length > 0 ? orgOverride : type.reminderDaysBefore;
}

/** Whether the stage's catalogue lets products of this type renew on their own (a saved method charged before expiry). */
export function renewsAutomatically(type: Pick<ProductType, 'autoRenewable'>): boolean {
  return type.autoRenewable !== false;
}

/** Attempt dates of the current period: 14 days before expiry, then the retries, never past expiry. */
export function attemptDates(product: Pick<Product, 'expiry'>, type: ProductType): IsoDate[] {
  const first = addDays(product.expiry, -FIRST_ATTEMPT_DAYS_BEFORE_EXPIRY);
  return [first, ...type.retryDaysAfterFirstAttempt.map((d) => addDays(first, d))].filter((d) => d <= product.expiry);
}

/** Every action of the product's current period, in date order. */
export function scheduleOf(product: Product, type: ProductType, orgReminderDays?: number[]): ScheduledAction[] {
  if (product.status === 'terminated' || product.status === 'pending') return [];
  const standing = addDays(product.expiry, type.terminateDaysAfterExpiry);
  // A confirmed termination replaces the period's reminders, attempts and block: its night terminates, or the rules' own if sooner.
  if (terminationConfirmed(product)) {
    const date = product.termination!.date < standing ? product.termination!.date : standing;
    return [{ date, action: 'terminate' }];
  }
  const out: ScheduledAction[] = [];
  if (product.status === 'active') {
    for (const d of reminderDays(type, orgReminderDays)) out.push({ date: addDays(product.expiry, -d), action: 'reminder' });
    // A type whose configuration no longer offers auto-renewal is never charged, whatever the product says.
    if (product.autoRenew && product.autoRenewHaltedFor !== product.expiry && renewsAutomatically(type)) {
      for (const date of attemptDates(product, type)) out.push({ date, action: 'attempt' });
    }
    out.push({ date: addDays(product.expiry, type.blockDaysAfterExpiry), action: 'block' });
  }
  out.push({ date: standing, action: 'terminate' });
  return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/** The first night strictly after `after` on which the product has something to do. */
export function nextActionDate(product: Product, type: ProductType, after: IsoDate, orgReminderDays?: number[]): IsoDate | undefined {
  return scheduleOf(product, type, orgReminderDays).find((a) => a.date > after)?.date;
}

/**
 * The product with its next night recomputed after a change made today:
 * from today on, or from the night that has already seen it today. The date
 * index follows `nextActionDate`, so every change of schedule goes through here.
 */
export function rescheduled(product: Product, type: ProductType, today: IsoDate, orgReminderDays?: number[]): Product {
  const after = product.lastNight && product.lastNight >= today ? product.lastNight : addDays(today, -1);
  const when = nextActionDate(product, type, after, orgReminderDays);
  const next = { ...product };
  if (when) next.nextActionDate = when;
  else delete next.nextActionDate;
  return next;
}

/**
 * What a night must do for a product. A night that catches up on missed
 * nights does each kind of action once: one payment attempt, the latest
 * reminder, and the furthest non-payment step.
 */
export function dueActions(product: Product, type: ProductType, night: IsoDate, orgReminderDays?: number[]): Set<NightAction> {
  const since = product.lastNight ?? addDays(product.nextActionDate ?? night, -1);
  const due = new Set<NightAction>();
  for (const a of scheduleOf(product, type, orgReminderDays)) {
    if (a.date > since && a.date <= night) due.add(a.action);
  }
  // An attempt is only worth making while the period is still payable automatically.
  if (due.has('attempt') && night > product.expiry) due.delete('attempt');
  if (due.has('terminate')) due.delete('block');
  if (due.has('block') || due.has('terminate')) due.delete('reminder');
  return due;
}

/**
 * docs/domain.md R-7: auto-renew cannot be switched on less than 14 days before the
 * normal expiry; the product must be renewed manually first. Off is always allowed.
 */
export function assertCanSwitchAutoRenewOn(product: Product, today: IsoDate, type: ProductType): void {
  if (!renewsAutomatically(type)) {
    throw new BusinessRuleError(`${type.name} does not renew automatically: renew ${product.name} manually before ${product.expiry}`, 'auto_renew_not_offered');
  }
  if (product.status === 'terminated') {
    throw new BusinessRuleError(`Product ${product.id} is terminated`, 'product_terminated');
  }
  assertNotTerminating(product);
  const daysLeft = daysBetween(today, product.expiry);
  if (daysLeft < AUTO_RENEW_CUTOFF_DAYS) {
    throw new BusinessRuleError(
      `Auto-renewal cannot be switched on for ${product.name}: it expires on ${product.expiry}, ` + `less than ${AUTO_RENEW_CUTOFF_DAYS} days away. Renew it manually first.`,
      'auto_renew_too_late',
    );
  }
}

export function assertAllowedPeriod(type: ProductType, periodMonths: number): void {
  if (!type.allowedPeriodsMonths.includes(periodMonths)) {
    throw new ValidationError(`Period of ${periodMonths} months is not allowed for ${type.name}; allowed: ${type.allowedPeriodsMonths.join(', ')} months`, 'period_not_allowed');
  }
}

/**
 * docs/domain.md R-16: a product is never paid beyond its type's longest allowed period
 * from today (registries stop at 10 years for domains), whatever the number
 * of payments.
 */
export function assertWithinLongestPeriod(type: ProductType, newExpiry: IsoDate, today: IsoDate, name: string): void {
  const longest = Math.max(...type.allowedPeriodsMonths);
  const limit = addMonths(today, longest);
  if (newExpiry > limit) {
    throw new BusinessRuleError(`${name} cannot be paid until ${newExpiry}: ${type.name} is paid at most ${longest} months ahead, until ${limit}`, 'beyond_longest_period');
  }
}

/** The period a renewal pays for: from the current expiry, one period long. */
export function renewalPeriod(product: Product, periodMonths = product.periodMonths): { from: IsoDate; to: IsoDate } {
  return { from: product.expiry, to: addMonths(product.expiry, periodMonths) };
}

/**
 * The automatic payment attempt a night makes for the product as it stands:
 * its period and attempt number, so a retry finds the same attempt and a
 * checkout can tell whether one is in flight.
 */
export function renewalAttemptId(product: Pick<Product, 'id' | 'expiry' | 'failedAttempts'>): string {
  return `${product.id}#${product.expiry}#${product.failedAttempts + 1}`;
}

/** The product after a paid renewal: new expiry, counters reset, unblocked. */
export function renewed(product: Product, periodMonths = product.periodMonths): Product {
  const { to } = renewalPeriod(product, periodMonths);
  const next: Product = { ...product, expiry: to, status: product.status === 'terminated' ? 'terminated' : 'active', failedAttempts: 0 };
  delete next.autoRenewHaltedFor;
  // The attempt that paid it is settled in the same write.
  delete next.pendingAttemptId;
  return next;
}
