import type { Currency } from './money.ts';

/**
 * A product type's commercial and non-payment settings. docs/domain.md fix the
 * 14-day first attempt and the auto-renew cut-off; everything else here is a
 * provider setting with the defaults below.
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
}

/** docs/domain.md R-9: the first automatic payment attempt is 14 days before expiry. */
export const FIRST_ATTEMPT_DAYS_BEFORE_EXPIRY = 14;
/** docs/domain.md R-7: auto-renew cannot be switched on less than 14 days before expiry. */
export const AUTO_RENEW_CUTOFF_DAYS = 14;

const yearly = (maxYears: number) => Array.from({ length: maxYears }, (_, i) => 12 * (i + 1));

type Schedule = Omit<ProductType, 'id' | 'name' | 'prices'>;

/** Domains: bought by the year, up to 10 years ahead; reminded three times, blocked on expiry, released 40 days after. */
const domain = (): Schedule => ({
  basePeriodMonths: 12,
  allowedPeriodsMonths: yearly(10),
  reminderDaysBefore: [30, 7, 1],
  retryDaysAfterFirstAttempt: [3, 7, 10, 13],
  blockDaysAfterExpiry: 0,
  terminateDaysAfterExpiry: 40,
});

/** Services billed by the month (or the year): blocked 3 days after expiry, terminated 30 days after. */
const monthlyService = (over: Partial<Schedule> = {}): Schedule => ({
  basePeriodMonths: 1,
  allowedPeriodsMonths: [1, 12],
  reminderDaysBefore: [30, 7],
  retryDaysAfterFirstAttempt: [3, 7, 12],
  blockDaysAfterExpiry: 3,
  terminateDaysAfterExpiry: 30,
  ...over,
});

export const DEFAULT_CATALOGUE: readonly ProductType[] = [
  { id: 'domain-ch', name: '.ch domain name', prices: { CHF: '13.00', EUR: '13.50' }, ...domain() },
  { id: 'domain-com', name: '.com domain name', prices: { CHF: '16.00', EUR: '16.50' }, ...domain() },
  { id: 'web-hosting', name: 'Web hosting', prices: { CHF: '9.90', EUR: '9.90' }, ...monthlyService({ allowedPeriodsMonths: [1, 12, 24, 36] }) },
  { id: 'mail-service', name: 'Mail service', prices: { CHF: '1.90', EUR: '1.90' }, ...monthlyService() },
  {
    id: 'cloud-storage',
    name: 'Cloud storage 2 TB',
    prices: { CHF: '4.99', EUR: '4.99' },
    ...monthlyService({ reminderDaysBefore: [7], blockDaysAfterExpiry: 7, terminateDaysAfterExpiry: 60 }),
  },
  {
    id: 'cloud-server',
    name: 'Cloud server',
    prices: { CHF: '39.00', EUR: '37.00' },
    ...monthlyService({ reminderDaysBefore: [14, 3], retryDaysAfterFirstAttempt: [2, 5, 9, 13], blockDaysAfterExpiry: 2, terminateDaysAfterExpiry: 21 }),
  },
  { id: 'streaming', name: 'Streaming radio', prices: { CHF: '19.00', EUR: '18.00' }, ...monthlyService({ reminderDaysBefore: [7] }) },
];

export class Catalogue {
  private readonly byId: Map<string, ProductType>;
  constructor(types: readonly ProductType[] = DEFAULT_CATALOGUE) {
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
