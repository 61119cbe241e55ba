import { formatInvoiceNumber } from '../domain/invoice.ts';
import { WriteConflict, type Change, type UnitOfWork } from '../ports/unit-of-work.ts';
import type { DocumentReads } from '../ports/billing-store.ts';

/**
 * The sequence of an invoice numbered by `commitNumbered`: never issued (sequences start at 1), so the
 * commit always replaces it, and the number it makes quotes no invoice.
 */
export const PROVISIONAL_SEQUENCE = 0;

/** A number lost to another worker is retaken this many times before the whole unit of work is retried. */
const RENUMBER_ATTEMPTS = 8;

/**
 * Commits changes that issue a final invoice, taking the number at the last
 * moment: within this process one commit at a time per number range reads the
 * counter and commits (the invoice, and everything that quotes its number,
 * renumbered to the counter's next value), so the renewals of one batch do not
 * race each other for the counter. A race with another process costs one read
 * and one transaction, not a re-run of the whole product-night (reads,
 * payment, pricing). Any other conflict is rethrown for the caller's retry.
 */
export async function commitNumbered(store: UnitOfWork & Pick<DocumentReads, 'lastInvoiceSequence'>, changes: Change[]): Promise<void> {
  const invoice = changes.find((c): c is Extract<Change, { type: 'invoice' }> => c.type === 'invoice')?.invoice;
  if (!invoice) return store.commit(changes);
  const range = invoice.seriesId ?? invoice.sellerId;
  return inTurn(`${invoice.series}#${range}#${invoice.year}`, async () => {
    let current = changes;
    let number = invoice.number;
    for (let i = 0; ; i++) {
      const sequence = (await store.lastInvoiceSequence(invoice.series, range, invoice.year)) + 1;
      const next = formatInvoiceNumber(invoice.series, range, invoice.year, sequence);
      if (next !== number) {
        current = renumbered(current, number, sequence, next);
        number = next;
      }
      try {
        await store.commit(current);
        return;
      } catch (err) {
        const counterOnly = err instanceof WriteConflict && err.conflicts.length === 1 && err.conflicts[0] === 'invoice';
        if (!counterOnly || i >= RENUMBER_ATTEMPTS) throw err;
      }
    }
  });
}

/** One task at a time per key, in this process, in arrival order. */
const turns = new Map<string, Promise<unknown>>();

function inTurn<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = turns.get(key) ?? Promise.resolve();
  const run = previous.then(task, task);
  const settled = run.catch(() => undefined);
  turns.set(key, settled);
  // Forget the key once nothing waits behind this task.
  void settled.then(() => {
    if (turns.get(key) === settled) turns.delete(key);
  });
  return run;
}

/**
 * The changes with the invoice's number taken afresh. Every value that *is*
 * the old number, wherever a change quotes it (a payment, a ledger entry, an
 * attempt, an e-mail, a checkout, any record added later), becomes the new
 * one: no list of fields to forget. A number is unique, so nothing else can
 * equal it.
 */
export function renumbered(changes: readonly Change[], oldNumber: string, sequence: number, number: string): Change[] {
  return changes.map((c): Change => {
    const swapped = swap(c, oldNumber, number) as Change;
    return swapped.type === 'invoice' && c.type === 'invoice' && c.invoice.number === oldNumber ? { ...swapped, invoice: { ...swapped.invoice, sequence } } : swapped;
  });
}

function swap(value: unknown, from: string, to: string): unknown {
  if (value === from) return to;
  if (Array.isArray(value)) return value.map((v) => swap(v, from, to));
  if (value !== null && typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, swap(v, from, to)]));
  }
  return value;
}
