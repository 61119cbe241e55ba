import { describe, expect, it } from 'vitest';
import { expectedFaultKinds, formatReport } from '../../bench/chaos/report.ts';
import { DEFAULT_OPTIONS, runChaos } from '../../bench/chaos/run.ts';
import { useDynamoDbLocal } from '../support/local-stack.ts';

const db = useDynamoDbLocal();

/**
 * `npm run chaos` in small: the same code, 200 products over 24 nights, with
 * higher fault rates so that every kind of fault is injected in so short a run.
 */
describe('chaos run', () => {
  it('keeps every invariant while every kind of fault is injected', async () => {
    const report = await runChaos({
      ...DEFAULT_OPTIONS,
      endpoint: db.endpoint(),
      seed: 7,
      products: 200,
      orgs: 30,
      // Expiries close together, so that some products are blocked and terminated within the nights simulated.
      nights: 24,
      spreadDays: 8,
      twoWorkersShare: 0.1,
      nightTwice: 0.25,
      reconcileEvery: 2,
      faults: { crashBefore: 0.08, crashAfter: 0.12, chargeTimeoutBefore: 0.1, chargeTimeoutAfter: 0.15, createPaymentTimeout: 0.15, getPaymentError: 0.05 },
      wire: { drop: 0.1, duplicate: 0.3, delay: 0.3, staleReplay: 0.1 },
      customers: { ...DEFAULT_OPTIONS.customers, checkoutsPerOrgDay: 0.15, topUpsPerOrgDay: 0.03, dashboardRefundsPerDay: 1 },
    });
    const printed = formatReport(report).join('\n');

    const missing = expectedFaultKinds().filter((kind) => (report.faults.get(kind) ?? 0) === 0);
    expect(missing, printed).toEqual([]);
    expect(report.invariants.filter((i) => i.checks === 0).map((i) => i.name), printed).toEqual([]);
    expect(report.violations, printed).toBe(0);
  }, 300_000);
});
