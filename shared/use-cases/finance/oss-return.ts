import { ForbiddenError, NotFoundError } from '../../domain/errors.ts';
import { OssTally, quarterPeriod, type OssReturn } from '../../domain/oss-return.ts';
import type { BillingStore } from '../../ports/billing-store.ts';
import type { SellerDeps } from '../sellers.ts';
import { isFinance, type Actor } from '../actor.ts';

/**
 * A seller's OSS return of a quarter (oss-return.ts), from the documents the
 * quarter issued (the date index, streamed once), francs in euros at the ECB
 * rate imported for the quarter's end: finance staff only, as it
 * covers every organisation. The seller is the stage's default unless named.
 */
export async function quarterlyOssReturn(
  deps: SellerDeps & { store: Pick<BillingStore, 'iterateDocuments' | 'listExchangeRates'> },
  quarter: string,
  actor: Actor,
  sellerId?: string,
): Promise<OssReturn> {
  if (!isFinance(actor)) throw new ForbiddenError('The OSS return covers every organisation: it needs the finance scope');
  const { from, to } = quarterPeriod(quarter);
  const seller = !sellerId || sellerId === deps.seller.id ? deps.seller : deps.sellers?.get(sellerId);
  if (!seller) throw new NotFoundError(`Seller ${sellerId} is not in the configuration`, 'seller_not_found');
  const tally = new OssTally(quarter, seller);
  for await (const doc of deps.store.iterateDocuments(from, to)) tally.add(doc);
  return tally.result(await deps.store.listExchangeRates('EUR'));
}
