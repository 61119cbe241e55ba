import { describe, expect, it } from 'vitest';
import { expectedFaultKinds, formatReport } from '../../bench/chaos/report.ts';
import { runChaos, SMALL_OPTIONS } from '../../bench/chaos/run.ts';
import { useDynamoDbLocal } from '../support/local-stack.ts';

const db = useDynamoDbLocal();

/** `npm run chaos` in small (`npm run chaos -- --small`): the same code and invariants, every kind of fault. */
describe('chaos run', () => {
  it('keeps every invariant while every kind of fault is injected', async () => {
    const report = await runChaos({ ...SMALL_OPTIONS, endpoint: db.endpoint() });
    const printed = formatReport(report).join('\n');

    const missing = expectedFaultKinds().filter((kind) => (report.faults.get(kind) ?? 0) === 0);
    expect(missing, printed).toEqual([]);
    expect(
      report.invariants.filter((i) => i.checks === 0).map((i) => i.name),
      printed,
    ).toEqual([]);
    expect(report.violations, printed).toBe(0);
  }, 300_000);
});

/**
 * More seeds of the same small run, on the in-memory store (held to the DynamoDB store by the contract
 * suite): other interleavings, other customers, other faults, in seconds each.
 */
describe('chaos run, more seeds in memory', () => {
  it.each([11, 23, 47, 101, 20261202])(
    'seed %i keeps every invariant',
    async (seed) => {
      const report = await runChaos({ ...SMALL_OPTIONS, seed, memory: true });
      const printed = formatReport(report).join('\n');
      expect(
        report.invariants.filter((i) => i.checks === 0).map((i) => i.name),
        printed,
      ).toEqual([]);
      expect(report.violations, printed).toBe(0);
    },
    120_000,
  );
});
