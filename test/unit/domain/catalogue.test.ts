import { describe, expect, it } from 'vitest';
import { Catalogue, type ProductType } from '../../../shared/domain/catalogue.ts';
import { DEFAULT_CATALOGUE } from '../../support/sample-config.ts';

/**
 * The demo provider's published price list and non-payment settings, as the
 * The "Product types" table of docs/architecture.md states them, written out here by hand: the
 * catalogue must say the same, since invoices are priced from it.
 */
const PUBLISHED: Record<
  string,
  { name: string; CHF: string; EUR: string; base: number; periods: number[]; reminders: number[]; retries: number[]; block: number; terminate: number }
> = {
  'domain-ch': {
    name: '.ch domain name',
    CHF: '13.00',
    EUR: '13.50',
    base: 12,
    periods: [12, 24, 36, 48, 60, 72, 84, 96, 108, 120],
    reminders: [30, 7, 1],
    retries: [3, 7, 10, 13],
    block: 0,
    terminate: 40,
  },
  'domain-com': {
    name: '.com domain name',
    CHF: '16.00',
    EUR: '16.50',
    base: 12,
    periods: [12, 24, 36, 48, 60, 72, 84, 96, 108, 120],
    reminders: [30, 7, 1],
    retries: [3, 7, 10, 13],
    block: 0,
    terminate: 40,
  },
  'web-hosting': { name: 'Web hosting', CHF: '9.90', EUR: '9.90', base: 1, periods: [1, 12, 24, 36], reminders: [30, 7], retries: [3, 7, 12], block: 3, terminate: 30 },
  'mail-service': { name: 'Mail service', CHF: '1.90', EUR: '1.90', base: 1, periods: [1, 12], reminders: [30, 7], retries: [3, 7, 12], block: 3, terminate: 30 },
  'cloud-storage': { name: 'Cloud storage 2 TB', CHF: '4.99', EUR: '4.99', base: 1, periods: [1, 12], reminders: [7], retries: [3, 7, 12], block: 7, terminate: 60 },
  'cloud-server': { name: 'Cloud server', CHF: '39.00', EUR: '37.00', base: 1, periods: [1, 12], reminders: [14, 3], retries: [2, 5, 9, 13], block: 2, terminate: 21 },
  streaming: { name: 'Streaming radio', CHF: '19.00', EUR: '18.00', base: 1, periods: [1, 12], reminders: [7], retries: [3, 7, 12], block: 3, terminate: 30 },
};

const valid: ProductType = {
  id: 'x',
  name: 'X',
  prices: { CHF: '1.00', EUR: '1.00' },
  basePeriodMonths: 3,
  allowedPeriodsMonths: [3, 12],
  reminderDaysBefore: [7],
  retryDaysAfterFirstAttempt: [1, 14],
  blockDaysAfterExpiry: 5,
  terminateDaysAfterExpiry: 5,
};

describe('the default catalogue', () => {
  it('is the published price list and settings, type by type', () => {
    const catalogue = new Catalogue(DEFAULT_CATALOGUE);
    expect(catalogue.all().map((t) => t.id)).toEqual(Object.keys(PUBLISHED));
    for (const [id, p] of Object.entries(PUBLISHED)) {
      expect(catalogue.get(id), id).toEqual({
        id,
        name: p.name,
        prices: { CHF: p.CHF, EUR: p.EUR },
        basePeriodMonths: p.base,
        allowedPeriodsMonths: p.periods,
        reminderDaysBefore: p.reminders,
        retryDaysAfterFirstAttempt: p.retries,
        blockDaysAfterExpiry: p.block,
        terminateDaysAfterExpiry: p.terminate,
      });
    }
    expect(DEFAULT_CATALOGUE).toHaveLength(7);
  });

  it('knows nothing it was not given', () => {
    expect(new Catalogue(DEFAULT_CATALOGUE).get('domain-org')).toBeUndefined();
    const own = new Catalogue([valid]);
    expect(own.all()).toEqual([valid]);
    expect(own.get('x')).toBe(valid);
    expect(own.get('domain-ch')).toBeUndefined();
    expect(new Catalogue([]).all()).toEqual([]);
  });
});

describe('a product type is refused when its settings break the rules', () => {
  const refused = (over: Partial<ProductType>) => () => new Catalogue([{ ...valid, ...over }]);

  it('accepts the edges: a retry on the first-attempt day or 1 day after it, blocking and terminating the same day', () => {
    expect(() => new Catalogue([valid])).not.toThrow();
  });

  it('needs at least one period, each a positive whole multiple of the base period', () => {
    expect(refused({ allowedPeriodsMonths: [] })).toThrow('product type x: no allowed period');
    expect(refused({ allowedPeriodsMonths: [3, 4] })).toThrow('product type x: period 4 is not a multiple of the base period 3');
    expect(refused({ allowedPeriodsMonths: [0] })).toThrow('period 0 is not a multiple');
    expect(refused({ allowedPeriodsMonths: [-3] })).toThrow('period -3 is not a multiple');
    expect(refused({ allowedPeriodsMonths: [1.5], basePeriodMonths: 0.5 })).toThrow('period 1.5 is not a multiple');
  });

  it('retries only between the first attempt (14 days before expiry) and expiry', () => {
    expect(refused({ retryDaysAfterFirstAttempt: [15] })).toThrow('product type x: retry day 15 must fall between the first attempt and expiry');
    expect(refused({ retryDaysAfterFirstAttempt: [0] })).toThrow('retry day 0 must fall');
    expect(refused({ retryDaysAfterFirstAttempt: [-1] })).toThrow('retry day -1 must fall');
    expect(refused({ retryDaysAfterFirstAttempt: [2.5] })).toThrow('retry day 2.5 must fall');
  });

  it('never terminates before it blocks', () => {
    expect(refused({ blockDaysAfterExpiry: 6, terminateDaysAfterExpiry: 5 })).toThrow('product type x: terminates before it blocks');
  });
});
