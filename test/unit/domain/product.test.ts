import { describe, expect, it } from 'vitest';
import { Catalogue } from '../../../shared/domain/catalogue.ts';
import {
  assertAllowedPeriod,
  assertCanSwitchAutoRenewOn,
  attemptDates,
  dueActions,
  nextActionDate,
  renewed,
  scheduleOf,
  type Product,
} from '../../../shared/domain/product.ts';

const catalogue = new Catalogue();
const domain = catalogue.get('domain-ch')!; // reminders 30/7/1, retries +3/+7/+10/+13, block +0, terminate +40
const server = catalogue.get('cloud-server')!; // block +2, terminate +21

function product(over: Partial<Product> = {}): Product {
  return {
    id: 'p1',
    orgId: 'o1',
    typeId: 'domain-ch',
    name: 'example.ch',
    expiry: '2026-12-31',
    periodMonths: 12,
    autoRenew: true,
    status: 'active',
    failedAttempts: 0,
    createdAt: '2026-01-01T00:00:00Z',
    version: 1,
    ...over,
  };
}

describe('automatic renewal schedule', () => {
  it('makes the first attempt 14 days before expiry and retries on the type schedule until expiry', () => {
    expect(attemptDates(product(), domain)).toEqual(['2026-12-17', '2026-12-20', '2026-12-24', '2026-12-27', '2026-12-30']);
  });

  it('never schedules an attempt after expiry', () => {
    const late = { ...domain, retryDaysAfterFirstAttempt: [14] };
    expect(attemptDates(product(), late).every((d) => d <= '2026-12-31')).toBe(true);
  });

  it('schedules no attempt when auto-renew is off, but still reminds, blocks and terminates', () => {
    const actions = scheduleOf(product({ autoRenew: false }), domain).map((a) => `${a.date}:${a.action}`);
    expect(actions).toEqual([
      '2026-12-01:reminder',
      '2026-12-24:reminder',
      '2026-12-30:reminder',
      '2026-12-31:block',
      '2027-02-09:terminate',
    ]);
  });

  it('stops automatic attempts for the period once the bank asked for the customer', () => {
    const halted = product({ autoRenewHaltedFor: '2026-12-31' });
    expect(scheduleOf(halted, domain).some((a) => a.action === 'attempt')).toBe(false);
  });

  it('honours the organisation reminder days over the product type', () => {
    const reminders = scheduleOf(product({ autoRenew: false }), domain, [10]).filter((a) => a.action === 'reminder');
    expect(reminders.map((r) => r.date)).toEqual(['2026-12-21']);
  });

  it('blocks at expiry plus the block days and terminates at expiry plus the termination days', () => {
    const s = scheduleOf(product({ typeId: 'cloud-server', autoRenew: false }), server);
    expect(s.find((a) => a.action === 'block')?.date).toBe('2027-01-02');
    expect(s.find((a) => a.action === 'terminate')?.date).toBe('2027-01-21');
  });

  it('gives the next action strictly after a night', () => {
    expect(nextActionDate(product(), domain, '2026-12-17')).toBe('2026-12-20');
    expect(nextActionDate(product({ status: 'terminated' }), domain, '2026-12-17')).toBeUndefined();
  });

  it('catches up missed nights with one attempt and the furthest non-payment step', () => {
    const p = product({ lastNight: '2026-12-16', autoRenew: false });
    expect([...dueActions(p, domain, '2026-12-24')]).toEqual(['reminder']);
    expect([...dueActions(p, domain, '2027-03-01')]).toEqual(['terminate']);
  });

  it('does not attempt a payment after expiry even when an attempt night was missed', () => {
    const p = product({ lastNight: '2026-12-29' });
    expect(dueActions(p, domain, '2027-01-01').has('attempt')).toBe(false);
  });
});

describe('switching auto-renew on', () => {
  it('is refused less than 14 days before expiry with a message that says to renew manually', () => {
    expect(() => assertCanSwitchAutoRenewOn(product(), '2026-12-18')).toThrow(/less than 14 days away\. Renew it manually first/);
  });

  it('is allowed exactly 14 days before expiry', () => {
    expect(() => assertCanSwitchAutoRenewOn(product(), '2026-12-17')).not.toThrow();
  });

  it('is refused for a terminated product', () => {
    expect(() => assertCanSwitchAutoRenewOn(product({ status: 'terminated' }), '2026-01-01')).toThrow(/terminated/);
  });
});

describe('periods', () => {
  it('allows 1 to 10 years for .ch domains and nothing else', () => {
    expect(() => assertAllowedPeriod(domain, 120)).not.toThrow();
    expect(() => assertAllowedPeriod(domain, 132)).toThrow(/not allowed/);
    expect(() => assertAllowedPeriod(domain, 6)).toThrow(/allowed: 12, 24/);
  });

  it('extends the expiry by the period and unblocks on renewal', () => {
    const r = renewed(product({ status: 'blocked', failedAttempts: 3, autoRenewHaltedFor: '2026-12-31' }), 24);
    expect(r).toMatchObject({ expiry: '2028-12-31', status: 'active', failedAttempts: 0 });
    expect(r.autoRenewHaltedFor).toBeUndefined();
  });

  it('keeps month ends when a monthly product is renewed from 31 January', () => {
    expect(renewed(product({ expiry: '2027-01-31' }), 1).expiry).toBe('2027-02-28');
  });
});

describe('catalogue', () => {
  it('refuses a product type whose periods are not multiples of its base period', () => {
    expect(() => new Catalogue([{ ...domain, allowedPeriodsMonths: [18] }])).toThrow(/multiple/);
  });

  it('refuses a retry scheduled after expiry', () => {
    expect(() => new Catalogue([{ ...domain, retryDaysAfterFirstAttempt: [15] }])).toThrow(/between the first attempt and expiry/);
  });
});
