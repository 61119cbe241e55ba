import { describe, expect, it } from 'vitest';
import { dueActions, nextActionDate, scheduleOf, type Product } from '../../../shared/domain/product.ts';
import { assertConfirms, chooseTerminationDate, terminationWindow, type TerminationRequest } from '../../../shared/domain/termination.ts';
import { SAMPLE_CONFIG } from '../../support/sample-config.ts';

const domain = SAMPLE_CONFIG.catalogue.get('domain-ch')!; // reminders 30/7/1, retries +3/+7/+10/+13, block +0, terminate +40
const server = SAMPLE_CONFIG.catalogue.get('cloud-server')!; // block +2, terminate +21

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
const request = (over: Partial<TerminationRequest> = {}): TerminationRequest => ({
  id: 'tr_1',
  requestedBy: 'u1',
  requestedAt: '2026-12-10T08:00:00.000Z',
  date: '2026-12-20',
  tokenHash: 'a'.repeat(64),
  expiresAt: '2026-12-13T08:00:00.000Z',
  ...over,
});

describe('termination requests (R-35)', () => {
  it('may fall from the next night to the end of the paid period, by default its end; a blocked product only at the next night', () => {
    expect(terminationWindow(product(), '2026-12-10')).toEqual({ earliest: '2026-12-11', latest: '2026-12-31' });
    expect(chooseTerminationDate(product(), '2026-12-10')).toBe('2026-12-31');
    expect(chooseTerminationDate(product(), '2026-12-10', '2026-12-11')).toBe('2026-12-11');
    expect(() => chooseTerminationDate(product(), '2026-12-10', '2026-12-10')).toThrow(/from 2026-12-11 to 2026-12-31, got 2026-12-10/);
    expect(() => chooseTerminationDate(product(), '2026-12-10', '2027-01-01')).toThrow(/termination|terminated/);
    const blocked = product({ status: 'blocked', expiry: '2026-11-30' });
    expect(terminationWindow(blocked, '2026-12-10')).toEqual({ earliest: '2026-12-11', latest: '2026-12-11' });
  });

  it('changes no schedule while pending: reminders, attempts and the block stay', () => {
    const pending = product({ termination: request() });
    expect(scheduleOf(pending, domain)).toEqual(scheduleOf(product(), domain));
  });

  it('replaces the period with one termination on its night once confirmed, or the rules own if sooner', () => {
    const confirmed = product({ termination: request({ confirmedAt: '2026-12-10T09:00:00.000Z' }) });
    expect(scheduleOf(confirmed, domain)).toEqual([{ date: '2026-12-20', action: 'terminate' }]);
    expect(nextActionDate(confirmed, domain, '2026-12-10')).toBe('2026-12-20');
    // The night of 2026-12-17 (the first charge of the standing schedule) has nothing to do; the 20th terminates.
    expect([...dueActions({ ...confirmed, lastNight: '2026-12-16' }, domain, '2026-12-17')]).toEqual([]);
    expect([...dueActions({ ...confirmed, lastNight: '2026-12-19' }, domain, '2026-12-20')]).toEqual(['terminate']);
    // A blocked cloud server asked for a date after the rules' own termination (expiry + 21) goes on the rules' day.
    const late = product({
      typeId: 'cloud-server',
      status: 'blocked',
      expiry: '2026-12-01',
      termination: request({ date: '2026-12-30', confirmedAt: '2026-12-10T09:00:00.000Z' }),
    });
    expect(scheduleOf(late, server)).toEqual([{ date: '2026-12-22', action: 'terminate' }]);
  });

  it('confirms only with the pending request id and token hash, before the link expires, once', () => {
    const p = product({ termination: request() });
    expect(assertConfirms(p, 'tr_1', 'a'.repeat(64), '2026-12-13T08:00:00.000Z').id).toBe('tr_1');
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as { code: string }).code;
      }
      return 'accepted';
    };
    expect(code(() => assertConfirms(p, 'tr_2', 'a'.repeat(64), '2026-12-11T00:00:00.000Z'))).toBe('termination_link_invalid');
    expect(code(() => assertConfirms(p, 'tr_1', 'b'.repeat(64), '2026-12-11T00:00:00.000Z'))).toBe('termination_link_invalid');
    expect(code(() => assertConfirms(product(), 'tr_1', 'a'.repeat(64), '2026-12-11T00:00:00.000Z'))).toBe('termination_link_invalid');
    expect(code(() => assertConfirms(p, 'tr_1', 'a'.repeat(64), '2026-12-13T08:00:00.001Z'))).toBe('termination_link_expired');
    expect(code(() => assertConfirms(product({ termination: request({ confirmedAt: '2026-12-11T00:00:00.000Z' }) }), 'tr_1', 'a'.repeat(64), '2026-12-11T01:00:00.000Z'))).toBe(
      'termination_link_used',
    );
    expect(code(() => assertConfirms(product({ status: 'terminated', termination: request() }), 'tr_1', 'a'.repeat(64), '2026-12-11T00:00:00.000Z'))).toBe('product_terminated');
  });
});
