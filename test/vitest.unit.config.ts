import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The fast tier: pure unit tests, no DynamoDB Local. Mutation testing runs these.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/unit/domain/**/*.test.ts', 'test/unit/use-cases/**/*.test.ts', 'test/unit/docs/**/*.test.ts', 'test/unit/functions/**/*.test.ts'],
  },
});
