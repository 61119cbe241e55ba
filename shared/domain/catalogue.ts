import type { Currency } from './money.ts';

/**
 * A product type's commercial and non-payment settings. docs/domain.md R-9 and R-7 fix the
 * 14-day first attempt and the auto-renew cut-off; everything else here is a
 * provider setting, read from the stage's configuration file (config/*.yaml).
 */
export interface ProductType {
  id: string;
  name: string;
  /** Price without VAT for one base period, as decimal strings per currency. */
  prices: Record<Currency, string>;
  basePeriodMonths: number;
  /** Renewal periods a customer may choose, in months; multiples of the base period. */
  allowedPeriodsMonths: number[];
  /** Reminder e-mails this many days before expiry (an organisation may override). */
  reminderDaysBefore: number[];
  /** Retries after the first automatic attempt, in days after it; none past expiry. */
  retryDaysAfterFirstAttempt: number[];
  /** Unpaid this many days after expiry: blocked. */
  blockDaysAfterExpiry: number;
  /** Unpaid this many days after expiry: terminated. */
  terminateDaysAfterExpiry: number;
  /** false: products of this type never renew on their own (auto-renew cannot be switched on); true when absent. */
  autoRenewable?: boolean;
}

/** docs/domain.md R-9: the first automatic payment attempt is 14 days before expiry. */
export const FIRST_ATTEMPT_DAYS_BEFORE_EXPIRY = 14;
/** docs/domain.md R-7: auto-renew cannot be switched on less than 14 days before expiry. */
export const AUTO_RENEW_CUTOFF_DAYS = 14;

export class Catalogue {
  private readonly byId: Map<string, ProductType>;
  constructor(types: readonly ProductType[]) {
    for (const t of types) assertValidProductType(t);
    this.byId = new Map(types.map((t) => [t.id, t]));
  }
  get(id: string): ProductType | undefined {
    return this.byId.get(id);
  }
  all(): ProductType[] {
    return [...this.byId.values()];
  }
}

function assertValidProductType(t: ProductType): void {
  const problem = (msg: string) => new Error(`product type ${t.id}: ${msg}`);
  if (t.allowedPeriodsMonths.length === 0) throw problem('no allowed period');
  for (const p of t.allowedPeriodsMonths) {
    if (!Number.isInteger(p) || p <= 0 || p % t.basePeriodMonths !== 0) {
      throw problem(`period ${p} is not a multiple of the base period ${t.basePeriodMonths}`);
    }
  }
  for (const d of t.retryDaysAfterFirstAttempt) {
    if (!Number.isInteger(d) || d <= 0 || d > FIRST_ATTEMPT_DAYS_BEFORE_EXPIRY) {
      throw problem(`retry day ${d} must fall between the first attempt and expiry`);
    }
  }
  if (t.terminateDaysAfterExpiry < t.blockDaysAfterExpiry) throw problem('terminates before it blocks');
}
