import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Integration tests each start a JVM; two cores do not gain from more forks.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll returns as soon as the page shows what is awaited; its default second is too short for a
    // page served and drawn on a shared two-core machine, which is not what these tests are about.
    expect: { poll: { timeout: 30_000 } },
  },
});
