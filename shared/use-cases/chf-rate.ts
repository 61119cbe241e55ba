import type { IsoDate } from '../domain/calendar.ts';
import { declaresInChf, type ExchangeRate } from '../domain/exchange-rates.ts';
import type { Currency } from '../domain/money.ts';
import type { Seller } from '../domain/seller.ts';
import type { DocumentReads } from '../ports/billing-store.ts';

/**
 * docs/domain.md R-50: the CHF rate a document is issued at, when its seller declares Swiss VAT and it is in
 * another currency (no read otherwise). A rate not imported yet leaves the document without CHF figures:
 * billing does not stop for it, and the journal export converts such a document from the rates file later.
 */
export async function chfRateAtIssue(store: Pick<DocumentReads, 'exchangeRateOn'>, seller: Seller, currency: Currency, date: IsoDate): Promise<ExchangeRate | undefined> {
  if (currency === 'CHF' || !declaresInChf(seller.country, currency)) return undefined;
  return store.exchangeRateOn(currency, date);
}
