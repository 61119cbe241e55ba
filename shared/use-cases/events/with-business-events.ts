import type { EventRecord } from '../../domain/business-events.ts';
import type { Change, UnitOfWork } from '../../ports/unit-of-work.ts';
import { businessEventsOf } from './business-events-of.ts';

/**
 * When a commit happened, read off its own records (each written with the
 * use case's clock): the latest instant any of them carries. The store
 * needs no clock of its own, and a simulated night stamps its events with
 * the night, as it stamps its e-mails and ledger entries.
 */
export function commitTimeOf(changes: readonly Change[]): string | undefined {
  const instants: string[] = [];
  for (const c of changes) {
    if (c.type === 'email') instants.push(c.email.createdAt);
    else if (c.type === 'balance') instants.push(c.entry.createdAt);
    else if (c.type === 'attempt') instants.push(c.attempt.createdAt);
    else if (c.type === 'lifecycle') instants.push(c.command.appliedAt ?? c.command.createdAt);
    else if (c.type === 'checkout' && c.checkout.settledAt) instants.push(c.checkout.settledAt);
    else if (c.type === 'product' && c.product.backupsDeletedAt) instants.push(c.product.backupsDeletedAt);
  }
  return instants
    .filter((t) => typeof t === 'string' && t.length > 0)
    .sort()
    .at(-1);
}

/** The day of the facts when no record carries an instant (an invoice issued alone): its issue date, at midnight UTC. */
function fallbackTime(changes: readonly Change[]): string {
  const invoice = changes.find((c): c is Extract<Change, { type: 'invoice' }> => c.type === 'invoice');
  return `${invoice?.invoice.issueDate ?? '1970-01-01'}T00:00:00.000Z`;
}

/**
 * A unit of work whose commits carry their business events: each commit's
 * facts (businessEventsOf) are added to it as one `events` item, written
 * in the same transaction or not at all. Every other method is the store's.
 */
export function withBusinessEvents<S extends UnitOfWork>(store: S): S {
  // The store's own commit, taken once: a commit assigned later (a test's fault injection) wraps this one, never loops into it.
  const inner = store.commit.bind(store);
  let assigned: UnitOfWork['commit'] | undefined;
  const commit = async (changes: Change[]): Promise<void> => {
    if (changes.some((c) => c.type === 'events')) return inner(changes);
    const now = commitTimeOf(changes) ?? fallbackTime(changes);
    const events = businessEventsOf(changes, now);
    if (events.length === 0) return inner(changes);
    const record: EventRecord = { date: now.slice(0, 10), id: events[0]!.id, events, createdAt: now };
    return inner([...changes, { type: 'events', record }]);
  };
  const proxy: S = new Proxy(store, {
    set(target, prop, value, receiver) {
      // An object made from this one (Object.create) keeps what is assigned to it as its own.
      if (prop !== 'commit' || receiver !== proxy) return Reflect.set(target, prop, value, receiver);
      assigned = value === commit ? undefined : (value as UnitOfWork['commit']);
      return true;
    },
    get(target, prop) {
      if (prop === 'commit') return assigned ?? commit;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return proxy;
}
