import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';
import { isIsoDate, type IsoDate } from '../domain/calendar.ts';
import type { Catalogue } from '../domain/catalogue.ts';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.ts';
import { administrators } from '../domain/organisation.ts';
import { rescheduled, type Product } from '../domain/product.ts';
import type { OutboxEmail } from '../domain/records.ts';
import {
  assertCanRequestTermination,
  assertCanTerminate,
  assertConfirms,
  chooseTerminationDate,
  newTerminationRequest,
  TERMINATION_LINK_HOURS,
  type TerminationRequest,
} from '../domain/termination.ts';
import type { CheckoutReads, DocumentReads, OrganisationReads, ProductReads } from '../ports/billing-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { IdGenerator } from '../ports/ids.ts';
import type { UnitOfWork } from '../ports/unit-of-work.ts';
import { authoriseBilling, type Actor } from './actor.ts';
import { assertNotInOpenCheckout } from './checkout/open-checkout.ts';
import { loadOrg, loadProduct, retryOnConflict, typeOf } from './renewal-deps.ts';
import { parseInput } from './validation.ts';

/*
 * docs/domain.md R-35, the customer's termination of a product:
 * 1. a legal owner or an administrator asks, for a night from tomorrow to
 *    the end of the paid period; the e-mail to them carries a single-use
 *    link (a random token; the product keeps only its hash) valid 72 hours;
 * 2. nothing changes until the link is used: then the request is confirmed,
 *    auto-renewal stops, the product leaves the payable selection, the
 *    night of its date terminates it (backups deleted by the lifecycle
 *    command) and the other administrators are told;
 * 3. until that night an administrator may withdraw it. Open fees stay due:
 *    no invoice is touched.
 */

export interface TerminationDeps {
  store: UnitOfWork & OrganisationReads & ProductReads & Pick<CheckoutReads, 'getCheckout'> & Pick<DocumentReads, 'findInvoice'>;
  catalogue: Catalogue;
  clock: Clock;
  ids: IdGenerator;
}

const isoDate = z.string().refine(isIsoDate, 'must be a date as YYYY-MM-DD');
export const TerminationRequestInput = z.object({ date: isoDate.optional() }).strict();
export const TerminationConfirmation = z.object({ requestId: z.string().min(1).max(100), token: z.string().min(20).max(200) }).strict();

export interface TerminationView {
  productId: string;
  requestId: string;
  status: 'pending' | 'confirmed';
  date: IsoDate;
  requestedAt: string;
  /** While pending: until when the e-mailed link works. */
  expiresAt?: string;
  confirmedAt?: string;
}

export const viewOf = (productId: string, t: TerminationRequest): TerminationView => ({
  productId,
  requestId: t.id,
  status: t.confirmedAt ? 'confirmed' : 'pending',
  date: t.date,
  requestedAt: t.requestedAt,
  ...(t.confirmedAt ? { confirmedAt: t.confirmedAt } : { expiresAt: t.expiresAt }),
});

const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/** Step 1: the request and its e-mail; a new request replaces a pending one (the older link stops working). */
export async function requestTermination(deps: TerminationDeps, orgId: string, productId: string, raw: unknown, actor: Actor): Promise<TerminationView> {
  const input = parseInput(TerminationRequestInput, raw);
  const member = await authoriseBilling(deps.store, actor, orgId, productId);
  assertCanTerminate(member);
  const org = await loadOrg(deps.store, orgId);
  const requester = member;
  const to = requester ? [requester.email] : administrators(await deps.store.listMembers(orgId)).map((m) => m.email);
  return retryOnConflict(async () => {
    const product = await loadProduct(deps.store, orgId, productId);
    assertCanRequestTermination(product);
    // A period being paid right now is not terminated under the customer's feet: that payment settles first.
    await assertNotInOpenCheckout(deps.store, product);
    const today = deps.clock.today();
    const now = deps.clock.now();
    const date = chooseTerminationDate(product, today, input.date);
    const token = randomBytes(32).toString('base64url');
    const request = newTerminationRequest(deps.ids.next('tr'), requester?.userId ?? 'provider', now, date, hashOf(token));
    const next: Product = { ...product, termination: request, version: product.version + 1 };
    const email: OutboxEmail = {
      id: `${product.id}#termination-confirm#${request.id}`,
      date: today,
      orgId,
      productId: product.id,
      to,
      template: 'termination-confirm',
      data: {
        product: product.name,
        productId: product.id,
        expiry: product.expiry,
        terminationDate: date,
        requestedBy: requester?.name ?? org.name,
        requestId: request.id,
        token,
        hours: String(TERMINATION_LINK_HOURS),
      },
      createdAt: now,
    };
    await deps.store.commit([
      { type: 'product', product: next, expectedVersion: product.version },
      { type: 'email', email },
    ]);
    return viewOf(product.id, request);
  });
}

/**
 * Step 2, from the e-mailed link: no login (the token is the proof), so
 * every wrong link gets the same answer whatever the organisation or
 * product, and nothing changes. Two clicks at once confirm once: the second
 * finds the link used.
 */
export async function confirmTermination(deps: TerminationDeps, orgId: string, productId: string, raw: unknown): Promise<TerminationView> {
  const input = parseInput(TerminationConfirmation, raw);
  const tokenHash = hashOf(input.token);
  return retryOnConflict(async () => {
    const product = await deps.store.getProduct(orgId, productId);
    if (!product)
      throw new ValidationError('This confirmation link is not valid (a newer request replaces an older one): request the termination again', 'termination_link_invalid');
    const now = deps.clock.now();
    const request = assertConfirms(product, input.requestId, tokenHash, now);
    await assertNotInOpenCheckout(deps.store, product);
    const org = await loadOrg(deps.store, orgId);
    const type = typeOf(deps.catalogue, product);
    const today = deps.clock.today();
    const confirmed: TerminationRequest = { ...request, confirmedAt: now };
    const next = rescheduled({ ...product, termination: confirmed, autoRenew: false, version: product.version + 1 }, type, today, org.reminderDaysBefore);
    const members = await deps.store.listMembers(orgId);
    const requester = members.find((m) => m.userId === request.requestedBy);
    const to = [...new Set([...administrators(members).map((m) => m.email), ...(requester ? [requester.email] : [])])];
    const email: OutboxEmail = {
      id: `${product.id}#termination-confirmed#${request.id}`,
      date: today,
      orgId,
      productId: product.id,
      to,
      template: 'termination-confirmed',
      data: { product: product.name, productId: product.id, expiry: product.expiry, terminationDate: request.date, requestedBy: requester?.name ?? org.name },
      createdAt: now,
    };
    await deps.store.commit([
      { type: 'product', product: next, expectedVersion: product.version },
      { type: 'email', email },
    ]);
    return viewOf(product.id, confirmed);
  });
}

/** Step 3: an administrator withdraws the request (pending or confirmed) before its night; auto-renewal stays off until switched on. */
export async function withdrawTermination(deps: TerminationDeps, orgId: string, productId: string, actor: Actor): Promise<{ productId: string; withdrawn: string }> {
  const member = await authoriseBilling(deps.store, actor, orgId, productId);
  assertCanTerminate(member);
  const org = await loadOrg(deps.store, orgId);
  return retryOnConflict(async () => {
    const product = await loadProduct(deps.store, orgId, productId);
    if (product.status === 'terminated') throw new ConflictError(`${product.name} is terminated already`, 'product_terminated');
    if (!product.termination) throw new NotFoundError(`${product.name} has no termination request`, 'termination_not_found');
    const { termination, ...rest } = product;
    const next = rescheduled({ ...rest, version: product.version + 1 }, typeOf(deps.catalogue, product), deps.clock.today(), org.reminderDaysBefore);
    await deps.store.commit([{ type: 'product', product: next, expectedVersion: product.version }]);
    return { productId: product.id, withdrawn: termination.id };
  });
}
