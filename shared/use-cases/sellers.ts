import { ValidationError } from '../domain/errors.ts';
import type { Invoice } from '../domain/invoice.ts';
import type { Organisation } from '../domain/organisation.ts';
import type { Seller } from '../domain/seller.ts';

/** The stage's sellers (its configuration file): the default one, and every one by id. */
export interface SellerDeps {
  seller: Seller;
  sellers?: ReadonlyMap<string, Seller>;
}

/** The seller that bills an organisation: the one it names, else the stage's default. */
export function sellerOfOrg(deps: SellerDeps, org: Pick<Organisation, 'id' | 'sellerId'>): Seller {
  if (!org.sellerId || org.sellerId === deps.seller.id) return deps.seller;
  const seller = deps.sellers?.get(org.sellerId);
  // A seller taken out of the configuration while organisations still name it: nothing is billed in its name by guess.
  if (!seller) throw new Error(`organisation ${org.id} is billed by seller ${org.sellerId}, which the configuration does not list`);
  return seller;
}

/**
 * The seller that issued a document, as configured today (its next credit
 * note, its payment reference); the copy the document stores when the
 * configuration no longer lists it.
 */
export function sellerOfDocument(deps: SellerDeps, doc: Pick<Invoice, 'sellerId' | 'seller'>): Seller {
  if (doc.sellerId === deps.seller.id) return deps.seller;
  return deps.sellers?.get(doc.sellerId) ?? doc.seller;
}

/** Refuses an organisation naming a seller the stage does not have (400). */
export function assertKnownSeller(deps: Partial<SellerDeps>, sellerId: string): void {
  if (sellerId === deps.seller?.id || deps.sellers?.has(sellerId)) return;
  const known = [...new Set([...(deps.seller ? [deps.seller.id] : []), ...(deps.sellers?.keys() ?? [])])];
  throw new ValidationError(`Unknown seller ${sellerId}; the configuration has: ${known.join(', ')}`, 'unknown_seller');
}
