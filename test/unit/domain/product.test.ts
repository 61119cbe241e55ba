import { describe, expect, it } from 'vitest';
import { Catalogue } from '../../../shared/domain/catalogue.ts';
import { SAMPLE_CONFIG } from '../../support/sample-config.ts';
import {
  assertAllowedPeriod,
  assertCanSwitchAutoRenewOn,
  assertWithinLongestPeriod,
  attemptDates,
  dueActions,
  nextActionDate,
  renewalAttemptId,
  renewed,
  reminderDays,
  scheduleOf,
  type Product,
} from '../../../shared/domain/product.ts';

const catalogue = SAMPLE_CONFIG.catalogue;
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
    expect(actions).toEqual(['2026-12-01:reminder', '2026-12-24:reminder', '2026-12-30:reminder', '2026-12-31:block', '2027-02-09:terminate']);
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
    expect(() => assertCanSwitchAutoRenewOn(product(), '2026-12-18', domain)).toThrow(/less than 14 days away\. Renew it manually first/);
  });

  it('is allowed exactly 14 days before expiry', () => {
    expect(() => assertCanSwitchAutoRenewOn(product(), '2026-12-17', domain)).not.toThrow();
  });

  it('is refused for a type the configuration does not let renew on its own, whatever the date', () => {
    const manualOnly = { ...domain, autoRenewable: false };
    expect(() => assertCanSwitchAutoRenewOn(product(), '2026-06-01', manualOnly)).toThrow(
      /\.ch domain name does not renew automatically: renew example\.ch manually before 2026-12-31/,
    );
  });

  it('schedules no payment attempt for an auto-renewing product whose type stopped renewing on its own', () => {
    const manualOnly = { ...domain, autoRenewable: false };
    const actions = (type: typeof domain) => scheduleOf(product({ autoRenew: true }), type).map((a) => a.action);
    expect(actions(domain)).toContain('attempt');
    expect(actions(manualOnly)).not.toContain('attempt');
    expect(actions(manualOnly)).toContain('reminder');
  });

  it('is refused for a terminated product', () => {
    expect(() => assertCanSwitchAutoRenewOn(product({ status: 'terminated' }), '2026-01-01', domain)).toThrow(/terminated/);
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

describe('the rules of a period, by hand', () => {
  const hosting = catalogue.get('web-hosting')!; // periods 1, 12, 24, 36 months

  it('never pays beyond the longest allowed period from today', () => {
    // 10 years of .ch from 2026-12-01: up to 2036-12-01 and not a day more.
    expect(() => assertWithinLongestPeriod(domain, '2036-12-01', '2026-12-01', 'acme.ch')).not.toThrow();
    expect(() => assertWithinLongestPeriod(domain, '2036-12-02', '2026-12-01', 'acme.ch')).toThrow(
      'acme.ch cannot be paid until 2036-12-02: .ch domain name is paid at most 120 months ahead, until 2036-12-01',
    );
    // Hosting: 36 months, the largest of its periods, not the first.
    expect(() => assertWithinLongestPeriod(hosting, '2029-12-01', '2026-12-01', 'site')).not.toThrow();
    expect(() => assertWithinLongestPeriod(hosting, '2029-12-02', '2026-12-01', 'site')).toThrow(/at most 36 months ahead, until 2029-12-01/);
    try {
      assertWithinLongestPeriod(hosting, '2030-01-01', '2026-12-01', 'site');
    } catch (err) {
      expect((err as { code?: string }).code).toBe('beyond_longest_period');
    }
  });

  it('names an attempt by product, period and attempt number', () => {
    expect(renewalAttemptId({ id: 'p1', expiry: '2026-12-31', failedAttempts: 0 })).toBe('p1#2026-12-31#1');
    expect(renewalAttemptId({ id: 'p1', expiry: '2026-12-31', failedAttempts: 2 })).toBe('p1#2026-12-31#3');
  });

  it('renews a blocked product into an active one, and a terminated one stays terminated', () => {
    const blocked = renewed(product({ status: 'blocked', failedAttempts: 3, autoRenewHaltedFor: '2026-12-31' }));
    expect(blocked).toMatchObject({ status: 'active', expiry: '2027-12-31', failedAttempts: 0 });
    expect('autoRenewHaltedFor' in blocked).toBe(false);
    expect(renewed(product({ status: 'terminated' }), 24)).toMatchObject({ status: 'terminated', expiry: '2028-12-31' });
  });

  it('takes the organisation reminder days when it has some, the type days otherwise', () => {
    expect(reminderDays(domain, [10])).toEqual([10]);
    expect(reminderDays(domain, [])).toEqual([30, 7, 1]);
    expect(reminderDays(domain)).toEqual([30, 7, 1]);
  });

  it('explains each refusal with a code', () => {
    const code = (f: () => void) => {
      try {
        f();
      } catch (err) {
        return [(err as Error).message, (err as { code?: string }).code];
      }
      return ['accepted'];
    };
    expect(code(() => assertCanSwitchAutoRenewOn(product({ status: 'terminated' }), '2026-11-01', domain))).toEqual(['Product p1 is terminated', 'product_terminated']);
    expect(code(() => assertCanSwitchAutoRenewOn(product(), '2026-12-18', domain))).toEqual([
      'Auto-renewal cannot be switched on for example.ch: it expires on 2026-12-31, less than 14 days away. Renew it manually first.',
      'auto_renew_too_late',
    ]);
    expect(code(() => assertCanSwitchAutoRenewOn(product(), '2026-12-17', domain))).toEqual(['accepted']);
    expect(code(() => assertAllowedPeriod(hosting, 6))).toEqual(['Period of 6 months is not allowed for Web hosting; allowed: 1, 12, 24, 36 months', 'period_not_allowed']);
  });
});

describe('what a night does, by hand', () => {
  // .ch expiring 2026-12-31: reminders 12-01, 12-24, 12-30; attempts 12-17, 12-20, 12-24, 12-27, 12-30; block 12-31; terminate 2027-02-09.
  it('lists the period in date order, ties kept in the order written', () => {
    expect(scheduleOf(product(), domain).map((a) => `${a.date} ${a.action}`)).toEqual([
      '2026-12-01 reminder',
      '2026-12-17 attempt',
      '2026-12-20 attempt',
      '2026-12-24 reminder',
      '2026-12-24 attempt',
      '2026-12-27 attempt',
      '2026-12-30 reminder',
      '2026-12-30 attempt',
      '2026-12-31 block',
      '2027-02-09 terminate',
    ]);
  });

  it('has nothing to do for a pending or terminated product, and only the termination left once blocked', () => {
    expect(scheduleOf(product({ status: 'pending' }), domain)).toEqual([]);
    expect(scheduleOf(product({ status: 'terminated' }), domain)).toEqual([]);
    expect(scheduleOf(product({ status: 'blocked' }), domain)).toEqual([{ date: '2027-02-09', action: 'terminate' }]);
  });

  it('makes no attempt when auto-renewal is off or halted for this period', () => {
    expect(scheduleOf(product({ autoRenew: false }), domain).map((a) => a.action)).not.toContain('attempt');
    expect(scheduleOf(product({ autoRenewHaltedFor: '2026-12-31' }), domain).map((a) => a.action)).not.toContain('attempt');
    expect(scheduleOf(product({ autoRenewHaltedFor: '2025-12-31' }), domain).filter((a) => a.action === 'attempt')).toHaveLength(5);
  });

  it('does what fell due since the last night, once each kind, the furthest step only', () => {
    // Last night 12-16, tonight 12-17: the first attempt only.
    expect([...dueActions(product({ lastNight: '2026-12-16' }), domain, '2026-12-17')]).toEqual(['attempt']);
    // The same night again does nothing (nothing after 12-17 up to 12-17).
    expect([...dueActions(product({ lastNight: '2026-12-17' }), domain, '2026-12-17')]).toEqual([]);
    // Missed 12-18..12-24: one attempt and one reminder.
    expect([...dueActions(product({ lastNight: '2026-12-17' }), domain, '2026-12-24')].sort()).toEqual(['attempt', 'reminder']);
    // Missed up to the expiry day: the block, no reminder; the attempt of 12-30 is still in the period.
    expect([...dueActions(product({ lastNight: '2026-12-29' }), domain, '2026-12-31')].sort()).toEqual(['attempt', 'block']);
    // The day after expiry: too late to attempt, block only.
    expect([...dueActions(product({ lastNight: '2026-12-29' }), domain, '2027-01-01')]).toEqual(['block']);
    // Missed everything up to the termination: terminate, neither block nor reminder nor attempt.
    expect([...dueActions(product({ lastNight: '2026-11-30' }), domain, '2027-02-09')]).toEqual(['terminate']);
    // Never run: from the day before the next action date.
    expect([...dueActions(product({ nextActionDate: '2026-12-17' }), domain, '2026-12-17')]).toEqual(['attempt']);
    expect([...dueActions(product({ nextActionDate: '2026-12-18' }), domain, '2026-12-17')]).toEqual([]);
    // Neither a last night nor a next date: tonight only.
    expect([...dueActions(product(), domain, '2026-12-01')]).toEqual(['reminder']);
  });
});
