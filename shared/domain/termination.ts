import { addDays, addSeconds, maxDate, type IsoDate } from './calendar.ts';
import { BusinessRuleError, ConflictError, ForbiddenError, ValidationError } from './errors.ts';
import type { Member } from './organisation.ts';
import type { Product } from './product.ts';

/*
 * docs/domain.md R-35: a termination is requested, then confirmed through a
 * single-use link sent by e-mail; without the confirmation nothing changes.
 * Once confirmed the product is terminated by the night of its date (its
 * backups deleted for good); open fees stay due.
 */

/** How long the link in the confirmation e-mail stays valid. */
export const TERMINATION_LINK_HOURS = 72;

export interface TerminationRequest {
  id: string;
  requestedBy: string;
  requestedAt: string;
  /** The night that terminates the product. */
  date: IsoDate;
  /** SHA-256 of the link's token, hex: the token itself is only in the e-mail. */
  tokenHash: string;
  expiresAt: string;
  confirmedAt?: string;
}

/** Only a legal owner or an administrator terminates a product (a partner's staff act as administrators). */
export function assertCanTerminate(member: Member | undefined): void {
  if (member && member.role !== 'legal-owner' && member.role !== 'administrator') {
    throw new ForbiddenError('Only a legal owner or an administrator can terminate a product', 'forbidden');
  }
}

/**
 * The nights a termination may fall on: from the next night (tonight's may
 * have run) to the end of the paid period; a product already past its expiry
 * (blocked) can only go at the next night. The default is the latest.
 */
export function terminationWindow(product: Pick<Product, 'expiry'>, today: IsoDate): { earliest: IsoDate; latest: IsoDate } {
  const earliest = addDays(today, 1);
  return { earliest, latest: maxDate(earliest, product.expiry) };
}

export function assertCanRequestTermination(product: Product): void {
  if (product.status === 'terminated') throw new BusinessRuleError(`${product.name} is already terminated`, 'product_terminated');
  if (product.status === 'pending') throw new BusinessRuleError(`${product.name} was never paid: cancel the order instead`, 'product_pending');
  if (product.termination?.confirmedAt) {
    throw new ConflictError(`The termination of ${product.name} was confirmed already; it is terminated on ${product.termination.date}`, 'termination_confirmed');
  }
}

export function chooseTerminationDate(product: Product, today: IsoDate, wanted?: IsoDate): IsoDate {
  const { earliest, latest } = terminationWindow(product, today);
  if (wanted === undefined) return latest;
  if (wanted < earliest || wanted > latest) {
    throw new ValidationError(`date: ${product.name} can be terminated from ${earliest} to ${latest}, got ${wanted}`, 'termination_date_out_of_range');
  }
  return wanted;
}

export function newTerminationRequest(id: string, requestedBy: string, now: string, date: IsoDate, tokenHash: string): TerminationRequest {
  return { id, requestedBy, requestedAt: now, date, tokenHash, expiresAt: addSeconds(now, TERMINATION_LINK_HOURS * 3600) };
}

/**
 * Whether the link (request id and token hash) confirms the product's
 * pending request now; each refusal says why, and none changes anything.
 * Comparing hashes, not tokens, keeps the comparison free of timing leaks on
 * the secret itself.
 */
export function assertConfirms(product: Product, requestId: string, tokenHash: string, now: string): TerminationRequest {
  const t = product.termination;
  if (product.status === 'terminated') throw new BusinessRuleError(`${product.name} is already terminated`, 'product_terminated');
  if (!t || t.id !== requestId || t.tokenHash !== tokenHash) {
    throw new ValidationError('This confirmation link is not valid (a newer request replaces an older one): request the termination again', 'termination_link_invalid');
  }
  if (t.confirmedAt) throw new ConflictError(`This link was used already: the termination was confirmed at ${t.confirmedAt}`, 'termination_link_used');
  if (now > t.expiresAt) {
    throw new BusinessRuleError(
      `This confirmation link expired at ${t.expiresAt} (valid ${TERMINATION_LINK_HOURS} hours): request the termination again`,
      'termination_link_expired',
    );
  }
  return t;
}

/** A product whose termination is confirmed is no longer renewed, by the night or by the customer, until it is withdrawn. */
export function terminationConfirmed(product: Pick<Product, 'termination'>): boolean {
  return product.termination?.confirmedAt !== undefined;
}

export function assertNotTerminating(product: Pick<Product, 'termination' | 'name'>): void {
  if (terminationConfirmed(product)) {
    throw new BusinessRuleError(`${product.name} is to be terminated on ${product.termination!.date}: withdraw the termination before renewing it`, 'termination_confirmed');
  }
}
