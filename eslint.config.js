import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '**/*.mjs', 'cdk.out/', '.billing/', 'out/', 'coverage/', 'reports/', '.stryker-tmp*/', 'cdk.out*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Money must never go through a JS float.
      'no-restricted-globals': ['error', { name: 'parseFloat', message: 'Use decimal.js for amounts.' }],
    },
  },
  {
    // The portal's pages run in the browser.
    files: ['web/**/*.ts'],
    languageOptions: {
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'history', 'navigator', 'fetch', 'sessionStorage', 'localStorage', 'crypto', 'btoa', 'addEventListener', 'removeEventListener', 'dispatchEvent', 'PopStateEvent', 'TextEncoder', 'Event', 'MouseEvent', 'HTMLElement', 'HTMLInputElement', 'HTMLSelectElement', 'HTMLFormElement', 'HTMLAnchorElement', 'URLSearchParams', 'Intl'].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    // The domain is pure: time comes from an injected clock.
    files: ['shared/domain/**/*.ts', 'shared/use-cases/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Inject a Clock instead of new Date().' },
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Inject a Clock instead of Date.now().' },
      ],
      'no-restricted-imports': ['error', { patterns: ['@aws-sdk/*', 'stripe', 'pdfkit', 'node:fs', 'node:fs/*', 'fs'] }],
    },
  },
);
