import { Decimal } from 'decimal.js';
import * as z from 'zod';
import { isIsoDate, type IsoDate } from '../domain/calendar.ts';
import type { Checkout, CheckoutMethod } from '../domain/checkout.ts';
import { BusinessRuleError, ConflictError, ForbiddenError, NotFoundError } from '../domain/errors.ts';
import type { Invoice } from '../domain/invoice.ts';
import { canSeeProduct, hasBillingRights, seesWholeOrganisation, type Language, type Member, type Organisation } from '../domain/organisation.ts';
import { assertMethodAcceptsCurrency, type SavedPaymentMethod } from '../domain/payment-methods.ts';
import type { LedgerEntry } from '../domain/records.ts';
import type { CheckoutReads, DocumentReads, OrganisationReads, PaymentReads, ProductReads } from '../ports/billing-store.ts';
import type { Clock } from '../ports/clock.ts';
import { GatewayRequestError, type PaymentGateway } from '../ports/payment-gateway.ts';
import type { UnitOfWork } from '../ports/unit-of-work.ts';
import { asClientAdministrator, authoriseBilling, type Actor } from './actor.ts';
import { viewOf, type CheckoutView } from './checkout/checkout-view.ts';
import { ensureCustomer } from './provider-customer.ts';
import { loadOrg } from './renewal-deps.ts';
import { parseInput } from './validation.ts';
import { payableMethods, returnUrl } from './checkout/start-checkout.ts';

/**
 * What the provider's Manager shows a customer besides the products: the
 * invoices, the balance with its ledger, the saved methods and the orders
 * waiting for their payment (docs/domain.md ). Every
 * read checks billing rights first, so a stranger learns nothing, not even
 * whether the organisation exists.
 */
type AccountStore = OrganisationReads & ProductReads & PaymentReads & DocumentReads & CheckoutReads & UnitOfWork;

const isoDate = z.string().refine(isIsoDate, 'must be a date as YYYY-MM-DD');

export const InvoiceFilter = z
  .object({
    from: isoDate.optional(),
    to: isoDate.optional(),
    series: z.enum(['INV', 'PRO', 'CN']).optional(),
    status: z.enum(['paid', 'open', 'void']).optional(),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, 'from must not be after to');

/** One document in the list: what a customer needs to find it and see whether anything is left to pay. */
export interface InvoiceSummary {
  number: string;
  series: Invoice['series'];
  issueDate: IsoDate;
  currency: string;
  totalNet: string;
  totalVat: string;
  total: string;
  status: Invoice['status'];
  amountDue: string;
  paymentReference?: string;
  refersTo?: string;
  products: string[];
  /** The PDF, on the route `GET /v1/orgs/{orgId}/invoices/{number}.pdf`. */
  pdf: string;
  /** A final invoice's or credit note's EN 16931 e-invoice, on `GET /v1/orgs/{orgId}/invoices/{number}.xml`. */
  xml?: string;
}

/** The organisation's documents, newest first; a collaborator sees those of their products only. */
export async function listInvoicesOf(deps: { store: AccountStore }, orgId: string, raw: unknown, actor: Actor): Promise<InvoiceSummary[]> {
  const filter = parseInput(InvoiceFilter, raw);
  const member = await authoriseBilling(deps.store, actor, orgId);
  await loadOrg(deps.store, orgId);
  const invoices = await deps.store.listInvoices(orgId);
  return invoices
    .filter((i) => (!filter.from || i.issueDate >= filter.from) && (!filter.to || i.issueDate <= filter.to))
    .filter((i) => (!filter.series || i.series === filter.series) && (!filter.status || i.status === filter.status))
    .filter((i) => visibleTo(member, productsOf(i)))
    .sort((a, b) => (a.issueDate === b.issueDate ? (a.number < b.number ? 1 : -1) : a.issueDate < b.issueDate ? 1 : -1))
    .map((i) => ({
      number: i.number,
      series: i.series,
      issueDate: i.issueDate,
      currency: i.currency,
      totalNet: i.totalNet,
      totalVat: i.totalVat,
      total: i.total,
      status: i.status,
      amountDue: i.status === 'open' ? (i.amountDue ?? i.total) : '0.00',
      ...(i.paymentReference ? { paymentReference: i.paymentReference } : {}),
      ...(i.refersTo ? { refersTo: i.refersTo } : {}),
      products: productsOf(i),
      pdf: `/v1/orgs/${orgId}/invoices/${i.number}.pdf`,
      ...(i.series === 'PRO' ? {} : { xml: `/v1/orgs/${orgId}/invoices/${i.number}.xml` }),
    }));
}

const productsOf = (i: Invoice) => [...new Set(i.lines.flatMap((l) => (l.productId ? [l.productId] : [])))];

function visibleTo(member: Member | undefined, productIds: string[]): boolean {
  if (!member || seesWholeOrganisation(member)) return true;
  return productIds.length > 0 && productIds.every((p) => canSeeProduct(member, p));
}

export interface BalanceView {
  currency: string;
  balance: string;
  /** Newest first. */
  ledger: Pick<LedgerEntry, 'id' | 'date' | 'amount' | 'reason' | 'ref' | 'balanceAfter' | 'createdAt'>[];
}

/** The prepaid balance and every movement that made it, newest first. */
export async function balanceOf(deps: { store: AccountStore }, orgId: string, actor: Actor): Promise<BalanceView> {
  const member = await authoriseBilling(deps.store, actor, orgId);
  if (member && !seesWholeOrganisation(member)) return denyWholeAccount();
  const org = await loadOrg(deps.store, orgId);
  const ledger = await deps.store.listLedger(orgId);
  return {
    currency: org.currency,
    balance: org.balance,
    ledger: chronological(ledger)
      .reverse()
      .map(({ id, date, amount, reason, ref, balanceAfter, createdAt }) => ({ id, date, amount, reason, ref, balanceAfter, createdAt })),
  };
}

/**
 * The ledger in the order it happened: by time, and among movements of one
 * instant (a simulated night stamps them alike) by the balance each starts
 * from, which is the one the movement before left. The balance starts at 0.
 */
function chronological(entries: readonly LedgerEntry[]): LedgerEntry[] {
  const byTime = [...entries].sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1));
  const out: LedgerEntry[] = [];
  let balance = new Decimal(0);
  while (byTime.length > 0) {
    const instant = byTime[0]!.createdAt;
    const sameInstant = byTime.filter((e) => e.createdAt === instant);
    const next = sameInstant.find((e) => new Decimal(e.balanceAfter).minus(e.amount).equals(balance)) ?? sameInstant[0]!;
    byTime.splice(byTime.indexOf(next), 1);
    out.push(next);
    balance = new Decimal(next.balanceAfter);
  }
  return out;
}

export type SavedMethodView = Pick<SavedPaymentMethod, 'id' | 'kind' | 'label' | 'createdAt' | 'brand'> & { renews: string[] };

/** The saved methods (references held by the provider, never card data) and the products each renews. */
export async function listSavedMethods(deps: { store: AccountStore }, orgId: string, actor: Actor): Promise<SavedMethodView[]> {
  const member = await authoriseBilling(deps.store, actor, orgId);
  if (member && !seesWholeOrganisation(member)) return denyWholeAccount();
  await loadOrg(deps.store, orgId);
  const [methods, products] = await Promise.all([deps.store.listPaymentMethods(orgId), deps.store.listProducts(orgId)]);
  return methods.map((m) => ({
    id: m.id,
    kind: m.kind,
    label: m.label,
    createdAt: m.createdAt,
    ...(m.brand ? { brand: m.brand } : {}),
    renews: products.filter((p) => p.status !== 'terminated' && p.autoRenew && p.paymentMethodId === m.id).map((p) => p.id),
  }));
}

/**
 * Forgets a saved method. Refused while products renew automatically with
 * it, or while the organisation renews its partner's clients with it: the
 * customer switches them to another method (or off) first, so no renewal
 * finds its method gone on the night.
 */
export async function removeSavedMethod(deps: { store: AccountStore }, orgId: string, methodId: string, actor: Actor): Promise<SavedPaymentMethod> {
  const member = await authoriseBilling(deps.store, actor, orgId);
  if (member && !seesWholeOrganisation(member)) return denyWholeAccount();
  const org = await loadOrg(deps.store, orgId);
  const method = await deps.store.getPaymentMethod(orgId, methodId);
  if (!method) throw new NotFoundError(`Payment method ${methodId} not found`, 'payment_method_not_found');
  const renewing = (await deps.store.listProducts(orgId)).filter((p) => p.status !== 'terminated' && p.autoRenew && p.paymentMethodId === methodId);
  if (renewing.length > 0) {
    throw new ConflictError(
      `${method.label} renews ${renewing.map((p) => p.name).join(', ')} automatically: switch them to another method or turn auto-renewal off first`,
      'payment_method_in_use',
    );
  }
  if (org.partner?.renewalMethodId === methodId) {
    throw new ConflictError(`${method.label} renews this partner's clients: choose another renewal method first`, 'payment_method_in_use');
  }
  await deps.store.commit([{ type: 'paymentMethodRemoved', orgId, methodId, gatewayRef: method.gatewayRef }]);
  return method;
}

export interface PendingOrders {
  /** Checkouts waiting for the provider or the transfer, or paid and held for an identity check. */
  checkouts: CheckoutView[];
  /** New products ordered and not yet paid (they start on the day they are paid). */
  products: { id: string; name: string; typeId: string }[];
}

const PENDING: readonly Checkout['status'][] = ['awaiting_payment', 'held'];

/** What is ordered and not settled yet, oldest first. */
export async function listPendingOrders(deps: { store: AccountStore; clock: Clock }, orgId: string, actor: Actor): Promise<PendingOrders> {
  const member = await authoriseBilling(deps.store, actor, orgId);
  await loadOrg(deps.store, orgId);
  const [checkouts, products] = await Promise.all([deps.store.listCheckouts(orgId), deps.store.listProducts(orgId)]);
  const today = deps.clock.today();
  const byId = new Map(products.map((p) => [p.id, p]));
  return {
    checkouts: checkouts
      .filter((c) => PENDING.includes(c.status))
      .filter((c) =>
        visibleTo(
          member,
          c.items.map((i) => i.productId),
        ),
      )
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1))
      .map((c) => viewOf(c, byId, today)),
    products: products.filter((p) => p.status === 'pending' && (!member || canSeeProduct(member, p.id))).map((p) => ({ id: p.id, name: p.name, typeId: p.typeId })),
  };
}

/** The balance and the saved methods are the whole account's: a collaborator with billing rights on some products sees neither. */
function denyWholeAccount(): never {
  throw new ForbiddenError('The balance and the payment methods are for the legal owners and administrators of the organisation');
}

export const MethodSetupInput = z.object({ kind: z.enum(['card', 'twint', 'paypal']), returnUrl }).strict();

export interface MethodSetupView {
  provider: 'stripe';
  setupRef: string;
  /** For Stripe.js confirmSetup in the customer's browser; the method is saved when Stripe tells us it succeeded. */
  clientSecret?: string;
  /** With a returnUrl: the provider's hosted page where the customer saves the method. */
  url?: string;
  kind: 'card' | 'twint' | 'paypal';
}

/**
 * Adds a saved method without paying (R-28: card, Twint, PayPal renew
 * automatically): a SetupIntent for the organisation's customer at the
 * provider. Nothing is saved here: setup_intent.succeeded saves the method
 * (gateway-events.ts), checked against the organisation's customer. One
 * request key makes one SetupIntent however often it is retried.
 */
export async function startMethodSetup(
  deps: { store: AccountStore & UnitOfWork; gateway: PaymentGateway },
  orgId: string,
  raw: unknown,
  actor: Actor,
  requestKey: string,
): Promise<MethodSetupView> {
  const input = parseInput(MethodSetupInput, raw);
  await authoriseBilling(deps.store, actor, orgId);
  const org = await loadOrg(deps.store, orgId);
  assertMethodAcceptsCurrency(input.kind, org.currency);
  const customerRef = await ensureCustomer(deps, org);
  let created: Awaited<ReturnType<PaymentGateway['createSetup']>>;
  try {
    created = await deps.gateway.createSetup({
      orgId,
      customerRef,
      kind: input.kind,
      idempotencyKey: `setup:${orgId}:${requestKey}`,
      // On the provider's hosted page, back to the portal either way; the webhook saves the method.
      ...(input.returnUrl ? { hosted: { successUrl: input.returnUrl, cancelUrl: input.returnUrl, currency: org.currency } } : {}),
    });
  } catch (err) {
    if (err instanceof GatewayRequestError) throw new BusinessRuleError(`The payment provider refused to save this method: ${err.message}`, err.code);
    throw err;
  }
  return {
    provider: 'stripe',
    setupRef: created.setupRef,
    ...(created.clientSecret ? { clientSecret: created.clientSecret } : {}),
    ...(created.url ? { url: created.url } : {}),
    kind: input.kind,
  };
}

/** One organisation the signed-in user may open, with what they may do there. */
export interface Membership {
  orgId: string;
  name: string;
  currency: string;
  country: string;
  language: Language;
  role: Member['role'];
  /** Pay, switch auto-renewal, top up, read invoices (docs/domain.md R-2). */
  billingRights: boolean;
  /** Every product, or only those given to them. */
  wholeOrganisation: boolean;
  /** Reached as the organisation's partner, not as its member. */
  viaPartner?: string;
  /** What this organisation can pay with here: its currency's methods the provider offers, and the bank transfer. */
  methods: CheckoutMethod[];
}

export interface WhoAmI {
  userId: string;
  /** Finance staff (scope billing:finance): exports of every organisation. */
  finance: boolean;
  organisations: Membership[];
}

/**
 * Who the token's user is, for a front end to build its menus: the
 * organisations they belong to, and those a partner they belong to manages,
 * each with the rights the use cases will apply anyway.
 */
export async function whoAmI(deps: { store: OrganisationReads; gateway: PaymentGateway }, actor: Actor): Promise<WhoAmI> {
  if (actor.kind !== 'user') throw new ForbiddenError('Only a signed-in user has organisations');
  const out: Membership[] = [];
  const seen = new Set<string>();
  const add = (org: Organisation, member: Member, viaPartner?: string) => {
    if (seen.has(org.id)) return;
    seen.add(org.id);
    out.push({
      orgId: org.id,
      name: org.name,
      currency: org.currency,
      country: org.country,
      language: org.language ?? 'fr',
      role: member.role,
      billingRights: hasBillingRights(member),
      wholeOrganisation: seesWholeOrganisation(member),
      ...(viaPartner ? { viaPartner } : {}),
      methods: payableMethods(deps, org.currency),
    });
  };
  const ids = await deps.store.listMembershipsOf(actor.userId);
  const direct: { org: Organisation; member: Member }[] = [];
  for (const id of ids) {
    const [org, member] = await Promise.all([deps.store.getOrganisation(id), deps.store.getMember(id, actor.userId)]);
    if (org && member) direct.push({ org, member });
  }
  for (const { org, member } of direct) add(org, member);
  // A partner's user with billing rights acts on its clients as their administrator.
  for (const { org, member } of direct) {
    if (!hasBillingRights(member)) continue;
    for (const clientId of await deps.store.listPartnerClients(org.id)) {
      const client = await deps.store.getOrganisation(clientId);
      if (client) add(client, asClientAdministrator(member, client.id), org.id);
    }
  }
  return { userId: actor.userId, finance: actor.finance === true, organisations: out };
}
