import { describe, expect, it } from 'vitest';
import { PLANTED_BUGS, type PlantedBug } from '../../bench/chaos/plants.ts';
import { formatReport } from '../../bench/chaos/report.ts';
import { PLANT_OPTIONS, runChaos } from '../../bench/chaos/run.ts';

/**
 * The chaos run's checks must see a bug when there is one: each bug of
 * `bench/chaos/plants.ts` is planted in turn and the run must report it.
 * The first two leave the engine's records consistent with one another, so
 * only the reference model (which prices from the price list) can catch them.
 */
describe('chaos run with a planted bug', () => {
  it.each(Object.keys(PLANTED_BUGS) as PlantedBug[])(
    '%s is caught',
    async (plant) => {
      // On the in-memory store: these runs test the checks, not the store (the contract suite holds the two alike).
      const report = await runChaos({ ...PLANT_OPTIONS, plant, memory: true });
      const printed = formatReport(report, 3).join('\n');
      expect(report.violations, printed).toBeGreaterThan(0);
      if (plant === 'overcharge' || plant === 'vat-rate') {
        const byModel = report.invariants.filter((i) => / model: /.test(i.name)).reduce((n, i) => n + i.violations.length, 0);
        expect(byModel, printed).toBeGreaterThan(0);
      }
    },
    240_000,
  );
});
