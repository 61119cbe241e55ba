import * as z from 'zod';
import { isIsoDate, type IsoDate } from '../../domain/calendar.ts';
import { ForbiddenError } from '../../domain/errors.ts';
import { parseRatesFile, type ExchangeRate, type RejectedRateLine } from '../../domain/exchange-rates.ts';
import { bookingsOf, DEFAULT_ACCOUNTING, JournalTally, type AccountingMap, type Booking, type JournalTotals } from '../../domain/journal.ts';
import { CURRENCIES } from '../../domain/money.ts';
import type { Invoice } from '../../domain/invoice.ts';
import type { BillingStore } from '../../ports/billing-store.ts';
import type { DocumentRenderer, DocumentStore } from '../../ports/documents.ts';
import type { UnitOfWork } from '../../ports/unit-of-work.ts';
import { isFinance, type Actor } from '../actor.ts';
import { parseInput } from '../validation.ts';

/** Rates go in by transactions of this many items (DynamoDB takes 100 at most). */
const RATES_PER_COMMIT = 25;

/**
 * docs/domain.md R-50: finance imports the CHF rates it declares foreign-currency invoices at. The rows that
 * cannot be read are set aside with their line and reason; the others are stored (a period imported again
 * is replaced).
 */
export async function importExchangeRates(deps: { store: UnitOfWork }, file: string, actor: Actor): Promise<{ imported: ExchangeRate[]; rejected: RejectedRateLine[] }> {
  if (!isFinance(actor)) throw new ForbiddenError('Exchange rates are the books of every organisation: they need the finance scope');
  const { rates, rejected } = parseRatesFile(file);
  for (let i = 0; i < rates.length; i += RATES_PER_COMMIT) {
    await deps.store.commit(rates.slice(i, i + RATES_PER_COMMIT).map((rate) => ({ type: 'exchangeRate' as const, rate })));
  }
  return { imported: rates, rejected };
}

export const JournalRequest = z
  .object({
    from: z.string().refine(isIsoDate, 'must be a date as YYYY-MM-DD'),
    to: z.string().refine(isIsoDate, 'must be a date as YYYY-MM-DD'),
    format: z.enum(['banana', 'csv'], { message: 'must be banana or csv' }).default('csv'),
    sellerId: z.string().min(1).optional(),
  })
  .refine((r) => r.from <= r.to, { message: 'from must not be after to', path: ['to'] });

export interface JournalDeps {
  store: Pick<BillingStore, 'iterateDocuments' | 'listExchangeRates'>;
  documents: DocumentStore;
  renderer: Pick<DocumentRenderer, 'journal'>;
  accounting?: AccountingMap;
}

/**
 * docs/domain.md R-49: the journal of a period (journal.ts), written to the document store as the generic
 * CSV or Banana's import text, with its totals: per account, and net and VAT per VAT code. Finance only.
 * A foreign-currency document without its CHF rate stops it, naming the document and the month.
 */
export async function journalExport(deps: JournalDeps, raw: unknown, actor: Actor): Promise<{ key: string; totals: JournalTotals }> {
  if (!isFinance(actor)) throw new ForbiddenError('The journal covers every organisation: it needs the finance scope');
  const req = parseInput(JournalRequest, raw);
  async function* documents(): AsyncGenerator<Invoice> {
    for await (const doc of deps.store.iterateDocuments(req.from as IsoDate, req.to as IsoDate)) if (!req.sellerId || doc.sellerId === req.sellerId) yield doc;
  }
  const key = `exports/journal-${req.from}-${req.to}${req.sellerId ? `-${req.sellerId}` : ''}.${journalExtension(req.format)}`;
  return { key, totals: await writeJournal(deps, documents(), req.format, key) };
}

export const journalExtension = (format: 'csv' | 'banana') => (format === 'banana' ? 'txt' : 'csv');

/**
 * The journal of `documents` written under `key` (the caller decided who may see them); its totals.
 * A foreign-currency document without its CHF rate stops it, naming the document and the month, and leaves no file.
 */
export async function writeJournal(deps: JournalDeps, documents: AsyncIterable<Invoice>, format: 'csv' | 'banana', key: string): Promise<JournalTotals> {
  const map = deps.accounting ?? DEFAULT_ACCOUNTING;
  const rates = (await Promise.all(CURRENCIES.filter((c) => c !== 'CHF').map((c) => deps.store.listExchangeRates(c)))).flat();
  const tally = new JournalTally(map);
  async function* bookings(): AsyncGenerator<Booking> {
    for await (const doc of documents) {
      for (const b of bookingsOf(doc, map, rates)) {
        tally.add(b);
        yield b;
      }
    }
  }
  const { stream, done } = deps.documents.writer(key, format === 'banana' ? 'text/tab-separated-values; charset=utf-8' : 'text/csv; charset=utf-8');
  try {
    await deps.renderer.journal(bookings(), stream, format);
  } catch (err) {
    // A half-written journal is never left as if whole.
    stream.destroy();
    await done.catch(() => undefined);
    throw err;
  }
  await done;
  return tally.result();
}
