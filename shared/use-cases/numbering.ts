import { formatInvoiceNumber, type InvoiceSeries } from '../domain/invoice.ts';
import { fnv1a, seriesIdsOf, type Seller } from '../domain/seller.ts';
import { WriteConflict, type Change, type UnitOfWork } from '../ports/unit-of-work.ts';
import type { DocumentReads } from '../ports/billing-store.ts';
import type { Clock } from '../ports/clock.ts';

/**
 * The sequence of an invoice numbered by `commitNumbered`: never issued (sequences start at 1), so the
 * commit always replaces it, and the number it makes quotes no invoice.
 */
export const PROVISIONAL_SEQUENCE = 0;

/** A number lost to another worker is retaken this many times before the whole unit of work is retried. */
const RENUMBER_ATTEMPTS = 8;

/** How long a lease holds; it is extended once less than half of it is left. */
const LEASE_MS = 10 * 60_000;

type RangeKey = { series: InvoiceSeries; seriesId: string; year: number };

/**
 * The number ranges this process has leased, one per series, seller and year, for a seller whose renewals
 * are numbered by process (`numberRangesBy: 'process'`): the process numbers from its range alone, knows
 * the range's last number after reading it once, and so never reads the counter again nor races another
 * process for it. The counter's condition in every commit still holds each range gapless: a lease only
 * keeps processes apart, it guards nothing (a lease lost to a frozen container's expiry shows as a counter
 * conflict, and the range is given up).
 */
export class NumberRangeLeases {
  private readonly held = new Map<string, { seriesId: string; until: number; last?: number }>();
  /** When every range of a slot was held: not asked again before this time, so a renewal does not pay a write per range. */
  private readonly noneFreeUntil = new Map<string, number>();

  constructor(
    private readonly store: Pick<DocumentReads, 'leaseNumberRange'>,
    private readonly clock: Pick<Clock, 'now'>,
    /** This process, as the leases name it. */
    readonly owner: string,
  ) {}

  /** The range to number from, leased (taken or extended) when needed; undefined when the seller numbers by organisation or every range is held. */
  async rangeFor(series: InvoiceSeries, seller: Pick<Seller, 'id' | 'invoiceSeriesShards' | 'numberRangesBy'>, year: number): Promise<string | undefined> {
    if (seller.numberRangesBy !== 'process') return undefined;
    const ranges = seriesIdsOf(seller);
    if (ranges.length < 2) return undefined;
    const slot = `${series}#${seller.id}#${year}`;
    const now = Date.parse(this.clock.now());
    const mine = this.held.get(slot);
    if (mine && mine.until - now > LEASE_MS / 2) return mine.seriesId;
    if (!mine && (this.noneFreeUntil.get(slot) ?? 0) > now) return undefined;
    const until = new Date(now + LEASE_MS).toISOString();
    // Its own range first, then each other in turn, from a place that differs per process.
    const start = fnv1a(this.owner) % ranges.length;
    const order = mine ? [mine.seriesId, ...ranges.filter((r) => r !== mine.seriesId)] : ranges.map((_, i) => ranges[(start + i) % ranges.length]!);
    for (const seriesId of order) {
      if (await this.store.leaseNumberRange({ series, seriesId, year }, this.owner, until, new Date(now).toISOString())) {
        this.held.set(slot, { seriesId, until: Date.parse(until), ...(mine?.seriesId === seriesId && mine.last !== undefined ? { last: mine.last } : {}) });
        return seriesId;
      }
    }
    this.held.delete(slot);
    this.noneFreeUntil.set(slot, now + LEASE_MS / 2);
    return undefined;
  }

  /** The last number this process committed in a leased range, if it knows it. */
  last(range: RangeKey, sellerId: string): number | undefined {
    const mine = this.held.get(`${range.series}#${sellerId}#${range.year}`);
    return mine?.seriesId === range.seriesId ? mine.last : undefined;
  }

  committed(range: RangeKey, sellerId: string, sequence: number): void {
    const mine = this.held.get(`${range.series}#${sellerId}#${range.year}`);
    if (mine?.seriesId === range.seriesId) mine.last = sequence;
  }

  /** Someone else numbered in the range: what this process knew of it is stale, and the range is given up. */
  lost(range: RangeKey, sellerId: string): void {
    const slot = `${range.series}#${sellerId}#${range.year}`;
    if (this.held.get(slot)?.seriesId === range.seriesId) this.held.delete(slot);
  }
}

/**
 * Commits changes that issue a final invoice, taking the number at the last
 * moment: within this process one commit at a time per number range reads the
 * counter and commits (the invoice, and everything that quotes its number,
 * renumbered to the counter's next value), so the renewals of one batch do not
 * race each other for the counter. A race with another process costs one read
 * and one transaction, not a re-run of the whole product-night (reads,
 * payment, pricing). With leases (a seller numbering by process), the number
 * comes from this process's own range, whose last number it knows: no read,
 * no race. Any other conflict is rethrown for the caller's retry.
 */
export async function commitNumbered(store: UnitOfWork & Pick<DocumentReads, 'lastInvoiceSequence'>, changes: Change[], leases?: NumberRangeLeases): Promise<void> {
  const invoice = changes.find((c): c is Extract<Change, { type: 'invoice' }> => c.type === 'invoice')?.invoice;
  if (!invoice) return store.commit(changes);
  const leased = leases ? await leases.rangeFor(invoice.series, invoice.seller, invoice.year) : undefined;
  const range = leased ?? invoice.seriesId ?? invoice.sellerId;
  const key: RangeKey = { series: invoice.series, seriesId: range, year: invoice.year };
  return inTurn(`${invoice.series}#${range}#${invoice.year}`, async () => {
    let current = leased && leased !== invoice.seriesId ? inRange(changes, invoice.number, range) : changes;
    let number = invoice.number;
    for (let i = 0; ; i++) {
      const known = leased ? leases!.last(key, invoice.sellerId) : undefined;
      const sequence = (known ?? (await store.lastInvoiceSequence(invoice.series, range, invoice.year))) + 1;
      const next = formatInvoiceNumber(invoice.series, range, invoice.year, sequence);
      if (next !== number) {
        current = renumbered(current, number, sequence, next);
        number = next;
      }
      try {
        await store.commit(current);
        if (leased) leases!.committed(key, invoice.sellerId, sequence);
        return;
      } catch (err) {
        const counterOnly = err instanceof WriteConflict && err.conflicts.length === 1 && err.conflicts[0] === 'invoice';
        if (counterOnly && leased) leases!.lost(key, invoice.sellerId);
        if (!counterOnly || i >= RENUMBER_ATTEMPTS) throw err;
      }
    }
  });
}

/** The changes with the invoice moved to another of its seller's ranges (its number renumbered when the commit takes one). */
function inRange(changes: readonly Change[], number: string, seriesId: string): Change[] {
  return changes.map((c) => (c.type === 'invoice' && c.invoice.number === number ? { ...c, invoice: { ...c.invoice, seriesId } } : c));
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
