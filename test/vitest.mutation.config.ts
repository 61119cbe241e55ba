import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The tier mutation testing runs (`npm run mutation`): the pure unit tests,
 * and the use-case tests of money (renewals, checkouts, bank files, refunds,
 * balances, partners) on the in-memory store instead of DynamoDB Local, so
 * each mutant is judged in seconds. The contract suite keeps the in-memory
 * store honest: it runs against both stores in `npm test`.
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    env: { BILLING_TEST_STORE: 'memory', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    include: [
      'test/unit/domain/**/*.test.ts',
      'test/unit/use-cases/**/*.test.ts',
      'test/unit/adapters/**/*.test.ts',
      'test/e2e/chaos-short-memory.test.ts',
      ...[
        'renewal',
        'checkout',
        'one-period-once',
        'checkout-overtakes-renewal',
        'checkout-refusals',
        'bank-files',
        'bank-import',
        'provider-refunds',
        'partners',
        'accounts',
        'lifecycle-sweep',
      ].map((name) => `test/integration/${name}.test.ts`),
    ],
  },
});
