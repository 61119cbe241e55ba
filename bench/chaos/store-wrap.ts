import type { BillingStore } from '../../shared/ports/billing-store.ts';
import type { Change } from '../../shared/ports/unit-of-work.ts';

/** The store with its commit replaced; every read goes straight through. */
export function withCommit(inner: BillingStore, commit: (changes: Change[]) => Promise<void>): BillingStore {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'commit') return commit;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
