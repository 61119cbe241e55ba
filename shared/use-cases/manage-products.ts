import { terminationConfirmed } from '../domain/termination.ts';
import * as z from 'zod';
import { addMonths, isIsoDate, type IsoDate } from '../domain/calendar.ts';
import type { Catalogue } from '../domain/catalogue.ts';
import { ConflictError, DomainError, ValidationError } from '../domain/errors.ts';
import { canSeeProduct, type Organisation } from '../domain/organisation.ts';
import { Money } from '../domain/money.ts';
import { servesAutomaticRenewal } from '../domain/payment-methods.ts';
import { addDays } from '../domain/calendar.ts';
import { assertAllowedPeriod, assertCanSwitchAutoRenewOn, nextActionDate, renewsAutomatically, rescheduled, type Product } from '../domain/product.ts';
import type { OrganisationReads, ProductPosition, ProductReads } from '../ports/billing-store.ts';
import { WriteConflict, type UnitOfWork } from '../ports/unit-of-work.ts';
import type { Clock } from '../ports/clock.ts';
import type { IdGenerator } from '../ports/ids.ts';
import { authoriseBilling, authoriseView, SYSTEM, type Actor } from './actor.ts';
import { loadOrg, loadProduct, retryOnConflict, typeOf } from './renewal-deps.ts';
import { parseInput } from './validation.ts';

const isoDate = z.string().refine(isIsoDate, 'must be a date as YYYY-MM-DD');

export const NewProduct = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{0,80}$/, 'lower-case letters, digits, dots and dashes')
    .optional(),
  typeId: z.string().min(1),
  name: z.string().trim().min(1).max(200),
  expiry: isoDate,
  periodMonths: z.number().int().positive().optional(),
  autoRenew: z.boolean().default(false),
  paymentMethodId: z.string().optional(),
  /** `pending`: a new order waiting for its first payment; it starts on the day it is paid. */
  status: z.enum(['active', 'pending']).default('active'),
});

/** Products are added, listed and switched with the organisation's and the products' own records only. */
export type ProductStore = UnitOfWork & OrganisationReads & ProductReads;

interface ProductDeps {
  store: ProductStore;
  catalogue: Catalogue;
  clock: Clock;
  ids: IdGenerator;
}

/** Registers a product of an organisation and schedules its first action. */
export async function addProduct(deps: ProductDeps, orgId: string, raw: unknown): Promise<Product> {
  const input = parseInput(NewProduct, raw);
  const org = await loadOrg(deps.store, orgId);
  return commitNew(deps, await newProduct(deps, org, input, (methodId) => assertUsableMethod(deps.store, orgId, methodId)));
}

/** What became of each row of a bulk add, in the rows' order. */
export type AddProductsRow = { row: number; status: 'added'; id: string } | { row: number; status: 'refused'; code: string; message: string };

/**
 * Registers many products of one organisation, each row on its own: a row
 * refused (bad input, unknown type, a method not saved, an id taken) is
 * reported with its reason and changes nothing; the others are added. The
 * organisation is read once and each saved method checked once, whatever the
 * number of rows, and the products are written up to 25 to a transaction (a
 * transaction refused whole is written again row by row, so each row gets
 * its own answer).
 */
export async function addProducts(deps: ProductDeps, orgId: string, rows: readonly unknown[]): Promise<AddProductsRow[]> {
  const org = await loadOrg(deps.store, orgId);
  const checked = new Map<string, Promise<void>>();
  const usable = (methodId: string) => {
    if (!checked.has(methodId)) checked.set(methodId, assertUsableMethod(deps.store, orgId, methodId));
    return checked.get(methodId)!;
  };
  const report: AddProductsRow[] = [];
  const refuse = (row: number, err: DomainError) => (report[row] = { row, status: 'refused', code: err.code, message: err.message });
  const ready: { row: number; product: Product }[] = [];
  for (const [row, raw] of rows.entries()) {
    try {
      const product = await newProduct(deps, org, parseInput(NewProduct, raw), usable);
      // The same id twice in one call: the second is refused as a taken id would be.
      if (ready.some((r) => r.product.id === product.id)) throw taken(product.id);
      ready.push({ row, product });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      refuse(row, err);
    }
  }
  for (let i = 0; i < ready.length; i += BULK_TRANSACTION_ITEMS) {
    const chunk = ready.slice(i, i + BULK_TRANSACTION_ITEMS);
    try {
      await deps.store.commit(chunk.map(({ product }) => ({ type: 'product', product, expectedVersion: null })));
      for (const { row, product } of chunk) report[row] = { row, status: 'added', id: product.id };
    } catch (err) {
      if (!(err instanceof WriteConflict)) throw err;
      for (const { row, product } of chunk) {
        try {
          await commitNew(deps, product);
          report[row] = { row, status: 'added', id: product.id };
        } catch (rowErr) {
          if (!(rowErr instanceof DomainError)) throw rowErr;
          refuse(row, rowErr);
        }
      }
    }
  }
  return report;
}

/** A line of an import file as read: its fields, or why it could not be read. */
export type ImportInputLine = { line: number; fields: Record<string, unknown> } | { line: number; error: string };

/** What became of each line of an import, in the file's order. */
export type ImportRow = { row: number; status: 'added' | 'unchanged'; id: string } | { row: number; status: 'refused'; code: string; message: string };

/**
 * A bulk import from the provider's systems, idempotent per row: each row
 * names its product's id, so a file posted (or dropped) twice adds nothing
 * twice. A row whose product exists as the row describes it is `unchanged`;
 * one whose id is taken by another product (of another type or name) is refused, as is a line that
 * could not be read or a row the catalogue refuses. The rest are added.
 */
export async function importProducts(deps: ProductDeps, orgId: string, lines: readonly ImportInputLine[]): Promise<ImportRow[]> {
  const out: ImportRow[] = [];
  const toAdd: { line: number; fields: Record<string, unknown> }[] = [];
  for (const l of lines) {
    if ('error' in l) out.push({ row: l.line, status: 'refused', code: 'unreadable_row', message: l.error });
    else if (typeof l.fields.id !== 'string' || l.fields.id === '') {
      out.push({ row: l.line, status: 'refused', code: 'id_required', message: 'an imported row names its product id, so that importing the file again adds nothing twice' });
    } else toAdd.push(l);
  }
  const added = await addProducts(
    deps,
    orgId,
    toAdd.map((l) => l.fields),
  );
  for (const [i, r] of added.entries()) {
    const { line, fields } = toAdd[i]!;
    if (r.status === 'added') out.push({ row: line, status: 'added', id: r.id });
    else if (r.code === 'product_exists' && (await sameProduct(deps.store, orgId, fields))) out.push({ row: line, status: 'unchanged', id: String(fields.id) });
    else out.push({ row: line, status: 'refused', code: r.code, message: r.message });
  }
  return out.sort((a, b) => a.row - b.row);
}

/** The product stored under the row's id is the one the row names (type and name; it may have renewed since): the row was imported before. */
async function sameProduct(store: ProductStore, orgId: string, fields: Record<string, unknown>): Promise<boolean> {
  const existing = await store.getProduct(orgId, String(fields.id));
  return !!existing && existing.typeId === fields.typeId && existing.name === String(fields.name ?? '').trim();
}

/** Products written to one transaction in a bulk add (DynamoDB takes 100; 25 keeps a refused one cheap to redo). */
const BULK_TRANSACTION_ITEMS = 25;

const taken = (id: string) => new ConflictError(`Product ${id} already exists`, 'product_exists');

/** Writes a new product; the commit's condition is the check: an id taken, even a moment ago by another request, is refused. */
async function commitNew(deps: ProductDeps, product: Product): Promise<Product> {
  try {
    await deps.store.commit([{ type: 'product', product, expectedVersion: null }]);
  } catch (err) {
    if (err instanceof WriteConflict && err.conflicts.includes('product')) throw taken(product.id);
    throw err;
  }
  return product;
}

/** The product a row describes, checked against the catalogue and the organisation's methods; not written. */
async function newProduct(deps: ProductDeps, org: Organisation, input: z.infer<typeof NewProduct>, usable: (methodId: string) => Promise<void>): Promise<Product> {
  const type = deps.catalogue.get(input.typeId);
  if (!type) {
    throw new ValidationError(
      `Unknown product type ${input.typeId}; known: ${deps.catalogue
        .all()
        .map((t) => t.id)
        .join(', ')}`,
      'unknown_product_type',
    );
  }
  const periodMonths = input.periodMonths ?? type.allowedPeriodsMonths.find((p) => p >= 12) ?? type.allowedPeriodsMonths[0]!;
  assertAllowedPeriod(type, periodMonths);
  if (input.autoRenew && !renewsAutomatically(type)) {
    throw new ValidationError(`${type.name} does not renew automatically: autoRenew must be false`, 'auto_renew_not_offered');
  }
  if (input.paymentMethodId) await usable(input.paymentMethodId);
  const id = input.id ?? deps.ids.next('prd');
  const today = deps.clock.today();
  const product: Product = {
    id,
    orgId: org.id,
    typeId: type.id,
    name: input.name,
    expiry: input.expiry,
    periodMonths,
    autoRenew: input.autoRenew,
    status: input.status,
    failedAttempts: 0,
    createdAt: deps.clock.now(),
    version: 1,
    ...(input.paymentMethodId ? { paymentMethodId: input.paymentMethodId } : {}),
  };
  const first = nextActionDate(product, type, addDays(today, -1), org.reminderDaysBefore);
  if (first) product.nextActionDate = first;
  return product;
}

async function assertUsableMethod(store: Pick<OrganisationReads, 'getPaymentMethod'>, orgId: string, methodId: string): Promise<void> {
  const method = await store.getPaymentMethod(orgId, methodId);
  if (!method) throw new ValidationError(`Payment method ${methodId} is not saved for organisation ${orgId}`, 'unknown_payment_method');
  if (!servesAutomaticRenewal(method)) {
    throw new ValidationError(`${method.label} cannot be charged automatically; use a card, Twint or PayPal`, 'method_not_automatic');
  }
}

export const AutoRenewInput = z
  .object({
    on: z.boolean(),
    productId: z.string().min(1).optional(),
    all: z.boolean().optional(),
    paymentMethodId: z.string().optional(),
  })
  .refine((v) => (v.productId ? !v.all : v.all === true), 'give either one product or all of them');

export interface AutoRenewResult {
  changed: string[];
  unchanged: string[];
  /** Products that could not be switched on, with the reason (too close to expiry, terminated). */
  refused: { productId: string; code: string; message: string }[];
}

/**
 * Switches auto-renewal on or off for one product or all of an organisation's.
 *
 * 1. Check the actor's billing rights.
 * 2. On: refuse any product less than 14 days from expiry (renew it manually first);
 *    off is always allowed.
 * 3. Save each product with its rescheduled next action.
 * For one product a refusal is an error; for all, refused products are listed.
 */
export async function switchAutoRenew(deps: ProductDeps, orgId: string, raw: unknown, actor: Actor = SYSTEM): Promise<AutoRenewResult> {
  const input = parseInput(AutoRenewInput, raw);
  // Rights first: a non-member must not learn whether the organisation exists.
  await authoriseBilling(deps.store, actor, orgId, input.productId);
  const org = await loadOrg(deps.store, orgId);
  if (input.paymentMethodId) await assertUsableMethod(deps.store, orgId, input.paymentMethodId);
  const today = deps.clock.today();
  const targets = input.productId ? [await loadProduct(deps.store, orgId, input.productId)] : (await deps.store.listProducts(orgId)).filter((p) => p.status !== 'terminated');
  const result: AutoRenewResult = { changed: [], unchanged: [], refused: [] };

  for (const target of targets) {
    await retryOnConflict(async () => {
      const product = await loadProduct(deps.store, orgId, target.id);
      const methodId = input.paymentMethodId ?? product.paymentMethodId;
      if (product.autoRenew === input.on && methodId === product.paymentMethodId) {
        result.unchanged.push(product.id);
        return;
      }
      const type = typeOf(deps.catalogue, product);
      if (input.on) {
        try {
          assertCanSwitchAutoRenewOn(product, today, type);
        } catch (err) {
          if (input.productId) throw err;
          const e = err as { code: string; message: string };
          result.refused.push({ productId: product.id, code: e.code, message: e.message });
          return;
        }
      }
      const next: Product = { ...product, autoRenew: input.on, version: product.version + 1 };
      if (methodId) next.paymentMethodId = methodId;
      await deps.store.commit([{ type: 'product', product: rescheduled(next, type, today, org.reminderDaysBefore), expectedVersion: product.version }]);
      result.changed.push(product.id);
    });
  }
  return result;
}

export type DueWindow = '2m' | 'all';

/** docs/domain.md R-13: by default the customer sees what falls due in the next 2 months, or everything. */
export async function listProducts(deps: { store: ProductStore; clock: Clock }, orgId: string, due: DueWindow = '2m', actor: Actor = SYSTEM): Promise<Product[]> {
  // Seeing needs no billing rights: a collaborator without them sees their products, with no way to pay.
  const member = await authoriseView(deps.store, actor, orgId);
  await loadOrg(deps.store, orgId);
  const upTo: IsoDate | undefined = due === '2m' ? addMonths(deps.clock.today(), 2) : undefined;
  const products = await deps.store.listProducts(orgId, upTo ? { expiryUpTo: upTo } : {});
  const visible = member ? products.filter((p) => canSeeProduct(member, p.id)) : products;
  return visible.filter((p) => due === 'all' || p.status !== 'terminated');
}

/** A product as the customer picks it for payment: what it costs (without VAT) for each period it may be renewed for. */
export interface SelectableProduct {
  id: string;
  name: string;
  typeId: string;
  typeName: string;
  status: Product['status'];
  expiry: IsoDate;
  autoRenew: boolean;
  currency: string;
  /** The period renewed by default and its price. */
  periodMonths: number;
  price: string;
  periods: { months: number; price: string }[];
}

/** docs/domain.md R-13 "pay a selection": the products due in the next 2 months (or all), with prices and allowed periods. */
export async function listSelectableProducts(
  deps: { store: ProductStore; clock: Clock; catalogue: Catalogue },
  orgId: string,
  due: DueWindow = '2m',
  actor: Actor = SYSTEM,
): Promise<SelectableProduct[]> {
  const products = await listProducts(deps, orgId, due, actor);
  const org = await loadOrg(deps.store, orgId);
  return products.filter(payable).map((p) => selectable(deps.catalogue, org, p));
}

/** At most this many products a page (a DynamoDB read stays far under its 1 MB). */
export const MAX_PAGE = 500;

export interface ProductPage {
  products: SelectableProduct[];
  /** Opaque: where the next page starts; absent on the last page. */
  nextCursor?: string;
}

/**
 * One page of an organisation's products, from one read whatever its size:
 * in expiry order, `limit` products read, the cursor of the previous page
 * continuing after its last product. Products the member may not see (a
 * collaborator's others), and terminated ones in the 2-month window, make a
 * page shorter, never a second read.
 */
export async function listProductsPage(
  deps: { store: ProductStore; clock: Clock },
  orgId: string,
  due: DueWindow,
  actor: Actor,
  page: { limit: number; cursor?: string },
): Promise<{ products: Product[]; nextCursor?: string }> {
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > MAX_PAGE) throw new ValidationError(`limit: from 1 to ${MAX_PAGE}`, 'invalid_input');
  const member = await authoriseView(deps.store, actor, orgId);
  await loadOrg(deps.store, orgId);
  const after = page.cursor === undefined ? undefined : positionOf(page.cursor);
  const upTo: IsoDate | undefined = due === '2m' ? addMonths(deps.clock.today(), 2) : undefined;
  const read = await deps.store.listProductsPage(orgId, { limit: page.limit, ...(upTo ? { expiryUpTo: upTo } : {}), ...(after ? { after } : {}) });
  return {
    products: read.products.filter((p) => (!member || canSeeProduct(member, p.id)) && (due === 'all' || p.status !== 'terminated')),
    ...(read.next ? { nextCursor: Buffer.from(`${read.next.expiry}#${read.next.productId}`).toString('base64url') } : {}),
  };
}

/** One page of what `listSelectableProducts` lists (see listProductsPage). */
export async function listSelectableProductsPage(
  deps: { store: ProductStore; clock: Clock; catalogue: Catalogue },
  orgId: string,
  due: DueWindow,
  actor: Actor,
  page: { limit: number; cursor?: string },
): Promise<ProductPage> {
  const read = await listProductsPage(deps, orgId, due, actor, page);
  const org = await loadOrg(deps.store, orgId);
  return { products: read.products.filter(payable).map((p) => selectable(deps.catalogue, org, p)), ...(read.nextCursor ? { nextCursor: read.nextCursor } : {}) };
}

const payable = (p: Product) => p.status !== 'terminated' && !terminationConfirmed(p);

function positionOf(cursor: string): ProductPosition {
  const m = /^(\d{4}-\d{2}-\d{2})#([A-Za-z0-9._:@-]{1,100})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m || !isIsoDate(m[1]!)) throw new ValidationError('cursor: not one this list gave; start again without it', 'invalid_cursor');
  return { expiry: m[1]!, productId: m[2]! };
}

function selectable(catalogue: Catalogue, org: Organisation, p: Product): SelectableProduct {
  const type = typeOf(catalogue, p);
  const unit = Money.of(type.prices[org.currency], org.currency);
  const priceOf = (months: number) => unit.times(months / type.basePeriodMonths).toString();
  return {
    id: p.id,
    name: p.name,
    typeId: type.id,
    typeName: type.name,
    status: p.status,
    expiry: p.expiry,
    autoRenew: p.autoRenew,
    currency: org.currency,
    periodMonths: p.periodMonths,
    price: priceOf(p.periodMonths),
    periods: type.allowedPeriodsMonths.map((months) => ({ months, price: priceOf(months) })),
  };
}
