import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The fast tier (`npm run test:unit`): the unit tests, the use cases among them
 * on the in-memory store. No DynamoDB Local, so no Java; the contract suite
 * (test/contract, run by the integration tier too) keeps the two stores alike.
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    env: { BILLING_TEST_STORE: 'memory', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    include: ['test/unit/**/*.test.ts'],
    pool: 'forks',
    // A generous bound, never a measure: the machine may be busy.
    testTimeout: 60_000,
  },
});
