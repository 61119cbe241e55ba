import { formatInvoiceNumber } from '../domain/invoice.ts';
import { WriteConflict, type BillingStore, type Change } from '../ports/billing-store.ts';

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
export async function commitNumbered(store: BillingStore, changes: Change[]): Promise<void> {
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

function renumbered(changes: Change[], oldNumber: string, sequence: number, number: string): Change[] {
  return changes.map((c): Change => {
    switch (c.type) {
      case 'invoice':
        return c.invoice.number === oldNumber ? { ...c, invoice: { ...c.invoice, sequence, number } } : c;
      case 'balance':
        return c.entry.ref === oldNumber ? { ...c, entry: { ...c.entry, ref: number } } : c;
      case 'payment':
        return c.payment.invoiceNumber === oldNumber ? { ...c, payment: { ...c.payment, invoiceNumber: number } } : c;
      case 'attempt':
        return c.attempt.invoiceNumber === oldNumber ? { ...c, attempt: { ...c.attempt, invoiceNumber: number } } : c;
      case 'email':
        return c.email.data.invoice === oldNumber ? { ...c, email: { ...c.email, data: { ...c.email.data, invoice: number } } } : c;
      default:
        return c;
    }
  });
}
