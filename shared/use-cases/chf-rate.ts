import type { IsoDate } from '../domain/calendar.ts';
import { declaresInChf, type ExchangeRate } from '../domain/exchange-rates.ts';
import type { Currency } from '../domain/money.ts';
import type { Seller } from '../domain/seller.ts';
import type { DocumentReads } from '../ports/billing-store.ts';

/**
 * docs/domain.md R-50: the CHF rate a document is issued at, when its seller declares Swiss VAT and it is in
 * another currency (no read otherwise). A rate not imported yet leaves the document without CHF figures:
 * billing does not stop for it, and the journal export converts such a document from the rates file later.
 * `known`: the day's rate as already read (the night's plan reads it once for all its renewals; `null`: none
 * imported), so no read is made.
 */
export async function chfRateAtIssue(
  store: Pick<DocumentReads, 'exchangeRateOn'>,
  seller: Seller,
  currency: Currency,
  date: IsoDate,
  known?: ExchangeRate | null,
): Promise<ExchangeRate | undefined> {
  if (currency === 'CHF' || !declaresInChf(seller.country, currency)) return undefined;
  if (known !== undefined && (known === null || known.currency === currency)) return known ?? undefined;
  return store.exchangeRateOn(currency, date);
}

/**
 * The night's CHF rate for EUR documents, read once for every renewal of the night when one of the stage's
 * sellers declares Swiss VAT (`null`: none imported for the night); undefined, with no read, otherwise.
 */
export async function nightChfRate(store: Pick<DocumentReads, 'exchangeRateOn'>, sellers: Iterable<Seller>, night: IsoDate): Promise<ExchangeRate | null | undefined> {
  for (const seller of sellers) {
    if (declaresInChf(seller.country, 'EUR')) return (await store.exchangeRateOn('EUR', night)) ?? null;
  }
  return undefined;
}
