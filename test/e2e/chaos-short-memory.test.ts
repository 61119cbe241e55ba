import { describe, expect, it } from 'vitest';
import { formatReport } from '../../bench/chaos/report.ts';
import { PLANT_OPTIONS, runChaos } from '../../bench/chaos/run.ts';

/**
 * The short run of the planted-bug tests, with no bug planted, on the in-memory store: under a second,
 * so the mutation tier runs it for every mutant of the money use cases (a mutant that breaks a rule the
 * invariants or the reference model state is killed by it).
 */
describe('short chaos run in memory', () => {
  it('keeps every invariant', async () => {
    const report = await runChaos({ ...PLANT_OPTIONS, nights: 14, memory: true });
    expect(report.violations, formatReport(report, 5).join('\n')).toBe(0);
  }, 120_000);
});
