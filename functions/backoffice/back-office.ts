import * as z from 'zod';
import { importProductFile } from './product-file.ts';
import { changeProduct, moveProduct, ProductChange, ProductMove } from '../../shared/use-cases/change-product.ts';
import { isIsoDate } from '../../shared/domain/calendar.ts';
import { DomainError, ValidationError } from '../../shared/domain/errors.ts';
import type { Product } from '../../shared/domain/product.ts';
import { SYSTEM, type Actor } from '../../shared/use-cases/actor.ts';
import type { AuditLog } from '../../shared/ports/audit-log.ts';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import { releaseHold } from '../../shared/use-cases/checkout/settle-checkout.ts';
import { viewOf } from '../../shared/use-cases/checkout/checkout-view.ts';
import {
  addPaymentMethod,
  createOrganisation,
  MemberInput,
  NewOrganisation,
  OrganisationUpdate,
  PaymentMethodInput,
  removeMember,
  setIdentityCheck,
  setMember,
  updateOrganisation,
} from '../../shared/use-cases/manage-organisation.ts';
import { linkToPartner, PartnerLinkInput, PartnerProfileInput, setPartnerProfile } from '../../shared/use-cases/manage-partners.ts';
import { addProduct, NewProduct } from '../../shared/use-cases/manage-products.ts';
import { loadOrg } from '../../shared/use-cases/renewal-deps.ts';
import { awsCheckoutDeps } from '../aws-runtime.ts';
import { apiHandler, resourceId, type ApiLambda, type Logger } from '../http/api-handler.ts';
import {
  AuditResponse,
  CheckoutResponse,
  ErasureResponse,
  IdentityCheckResponse,
  ImportReport,
  MemberResponse,
  OrganisationDetailResponse,
  OrganisationListResponse,
  OrganisationResponse,
  PaymentMethodResponse,
  ProductResponse,
  RemovedResponse,
} from '../http/response-schemas.ts';
import { routeDispatcher } from '../http/route-dispatcher.ts';
import { erasePerson } from '../../shared/use-cases/erase-person.ts';
import type { RouteContract } from '../http/route-contract.ts';
import { storeAuditTrail } from './store-audit-trail.ts';
import { makeFinanceConsoleHandlers } from '../finance/finance-console.ts';

/** The OAuth 2 scope of the provider's own systems (a client-credentials token); customers' tokens never carry it. */
export const BACK_OFFICE_SCOPE = 'billing:backoffice';

/**
 * The back-office API: the provider's shop, provisioning and support tools
 * create organisations, members and products, and release held orders.
 * Machine to machine, behind its own scope; every call is in the audit
 * trail (who, what, when, how it ended), written before it acts.
 */
type BackOfficeDeps = Omit<CheckoutDeps, 'store'> & { store: CheckoutDeps['store'] & AuditLog };

const orgParams = z.object({ orgId: resourceId });
/** A member acting through the provider's systems: the FAQ's role rules then apply as that member. */
const ActingUser = z.object({ 'x-acting-user': resourceId.optional() });
const IdentityCheckInput = z.object({ state: z.enum(['required', 'passed']) }).strict();
const importFormats = { 'application/x-ndjson': 'ndjson', 'text/csv': 'csv' } as const;

const contract = <C extends Omit<RouteContract, 'access' | 'scope' | 'tag'>>(c: C) =>
  ({ ...c, access: 'back-office', scope: BACK_OFFICE_SCOPE, tag: 'back-office' }) as const satisfies RouteContract;

export const BACK_OFFICE_CONTRACTS = {
  'POST /v1/admin/orgs': contract({
    summary: 'Create an organisation with its first legal owner',
    request: { json: NewOrganisation },
    status: 201,
    response: { json: OrganisationResponse, description: 'The organisation' },
    errors: [400, 403, 409],
  }),
  'GET /v1/admin/orgs': contract({
    summary: 'List the organisations',
    status: 200,
    response: { json: OrganisationListResponse, description: 'Every organisation, by id' },
    errors: [403],
  }),
  'GET /v1/admin/orgs/{orgId}': contract({
    summary: 'An organisation and its members',
    params: orgParams,
    status: 200,
    response: { json: OrganisationDetailResponse, description: 'The organisation' },
    errors: [400, 403, 404],
  }),
  'PATCH /v1/admin/orgs/{orgId}': contract({
    summary: "Change an organisation's name, address, VAT number, language, billing contacts or reminder days",
    description: 'The currency, country, seller and balance never change: issued documents rest on them.',
    params: orgParams,
    request: { json: OrganisationUpdate },
    status: 200,
    response: { json: OrganisationResponse, description: 'The organisation as changed' },
    errors: [400, 403, 404],
  }),
  'PUT /v1/admin/orgs/{orgId}/members/{userId}': contract({
    summary: 'Add a member or change their role (legal owner, administrator, collaborator, external)',
    description:
      'Only a legal owner makes someone legal owner, and the last legal owner is never demoted (docs/domain.md R-3). With `X-Acting-User`, the rules apply as that member; the member is told by e-mail.',
    params: z.object({ orgId: resourceId, userId: resourceId }),
    headers: ActingUser,
    request: { json: MemberInput.omit({ userId: true }) },
    status: 200,
    response: { json: MemberResponse, description: 'The member' },
    errors: [400, 403, 404, 422],
  }),
  'DELETE /v1/admin/orgs/{orgId}/members/{userId}': contract({
    summary: 'Remove a member (never the last legal owner)',
    params: z.object({ orgId: resourceId, userId: resourceId }),
    headers: ActingUser,
    status: 200,
    response: { json: RemovedResponse, description: 'The member removed' },
    errors: [400, 403, 404, 422],
  }),
  'POST /v1/admin/orgs/{orgId}/products': contract({
    summary: 'Create a product from an order of the shop',
    description: '`status: pending` for an order waiting for its first payment (it starts on the day it is paid).',
    params: orgParams,
    request: { json: NewProduct },
    status: 201,
    response: { json: ProductResponse, description: 'The product' },
    errors: [400, 403, 404, 409],
  }),
  'PATCH /v1/admin/orgs/{orgId}/products/{productId}': contract({
    summary: 'Change a product: its name, plan, period, renewal method or a corrected expiry',
    description:
      'Only the fields given change; a new plan or period is priced from the next renewal (nothing issued changes) and its schedule follows. Plan, period and expiry are refused (409) while a payment of the product is under way.',
    params: z.object({ orgId: resourceId, productId: resourceId }),
    request: { json: ProductChange },
    status: 200,
    response: { json: ProductResponse, description: 'The product as changed' },
    errors: [400, 403, 404, 409],
  }),
  'POST /v1/admin/orgs/{orgId}/products/{productId}/move': contract({
    summary: 'Move a product to another organisation, under the same id',
    description:
      'In one transaction. Its invoices and payments stay with the organisation that paid them; its saved method belongs to the old organisation, so it renews automatically afterwards only with `paymentMethodId` of the new one. Refused (409) while a payment of the product is under way or if the new organisation has a product of that id.',
    params: z.object({ orgId: resourceId, productId: resourceId }),
    request: { json: ProductMove },
    status: 200,
    response: { json: ProductResponse, description: 'The product in its new organisation' },
    errors: [400, 403, 404, 409],
  }),
  'POST /v1/admin/orgs/{orgId}/products/import': contract({
    summary: 'Import products in bulk (NDJSON or CSV), with a report per row',
    description:
      'Each row names its product id, so posting a file twice adds nothing twice (`unchanged`). A row refused (unreadable, unknown type, id taken by another product) is reported with its reason and changes nothing; the others are added. At most 5,000 rows.',
    params: orgParams,
    headers: z.object({ 'content-type': z.string().optional() }),
    request: {
      raw: {
        'application/x-ndjson': 'One product per line, the fields of POST .../products with its id',
        'text/csv': 'A header line (id,typeId,name,expiry,periodMonths,autoRenew,paymentMethodId,status), then a product per line',
      },
    },
    status: 200,
    response: { json: ImportReport, description: 'What became of each row' },
    errors: [400, 403, 404, 415],
  }),
  'POST /v1/admin/orgs/{orgId}/payment-methods': contract({
    summary: 'Save a reference to a payment method held by Stripe (never card data)',
    params: orgParams,
    request: { json: PaymentMethodInput },
    status: 201,
    response: { json: PaymentMethodResponse, description: 'The saved method' },
    errors: [400, 403, 404, 422],
  }),
  'PUT /v1/admin/orgs/{orgId}/identity-check': contract({
    summary: 'Require an identity check (paid orders are then held) or record that it passed',
    params: orgParams,
    request: { json: IdentityCheckInput },
    status: 200,
    response: { json: IdentityCheckResponse, description: 'The state recorded' },
    errors: [400, 403, 404],
  }),
  'POST /v1/admin/orgs/{orgId}/orders/{checkoutId}/release': contract({
    summary: 'Release an order held for an identity check: it is fulfilled now',
    params: z.object({ orgId: resourceId, checkoutId: resourceId }),
    status: 200,
    response: { json: CheckoutResponse, description: 'The checkout, paid and fulfilled' },
    errors: [400, 403, 404, 422],
  }),
  'PUT /v1/admin/orgs/{orgId}/partner': contract({
    summary: 'Make an organisation a partner (reseller): its discount and the method that renews its clients',
    params: orgParams,
    request: { json: PartnerProfileInput },
    status: 200,
    response: { json: OrganisationResponse, description: 'The partner' },
    errors: [400, 403, 404],
  }),
  'PUT /v1/admin/orgs/{orgId}/partner-link': contract({
    summary: 'Entrust an organisation to a partner, billed to the partner or not',
    params: orgParams,
    request: { json: PartnerLinkInput },
    status: 200,
    response: { json: OrganisationResponse, description: 'The client organisation' },
    errors: [400, 403, 404, 422],
  }),
  'POST /v1/admin/persons/{userId}/erasure': contract({
    summary: "Erase a person's data at their request (GDPR art. 17), keeping what the legal retention needs",
    description:
      'Their memberships go; an organisation of which they are the last legal owner is erased with them (name, address, contacts, VAT number, e-invoice settings, members, saved payment methods), its invoices, payments and ledger kept (docs/domain.md R-51). Refused (409), changing nothing, while such an organisation has products not terminated, a balance, an open pro-forma, a checkout under way or partner clients.',
    params: z.object({ userId: resourceId }),
    status: 200,
    response: { json: ErasureResponse, description: 'What was erased, and what stays' },
    errors: [400, 403, 404, 409],
  }),
  'GET /v1/admin/audit': contract({
    summary: "A day's audit trail of the back-office: who called what, when, and how it ended",
    query: z.object({ date: z.string().refine(isIsoDate, 'must be a date as YYYY-MM-DD') }),
    status: 200,
    response: { json: AuditResponse, description: 'The entries, oldest first' },
    errors: [400, 403],
  }),
} as const;

type Key = keyof typeof BACK_OFFICE_CONTRACTS;
const c = BACK_OFFICE_CONTRACTS;

export function makeBackOfficeHandlers(deps: BackOfficeDeps, logger?: Logger): Record<Key, ApiLambda> {
  const base = { auth: true as const, scope: BACK_OFFICE_SCOPE, logger, rateLimiter: deps.rateLimiter, audit: storeAuditTrail(deps.store, deps.clock) };
  const actingAs = (user: string | undefined): Actor => (user ? { kind: 'user', userId: user } : SYSTEM);
  return {
    'POST /v1/admin/orgs': apiHandler({ ...base, body: 'json', status: 201 }, ({ body }) => createOrganisation(deps, body)),
    'GET /v1/admin/orgs': apiHandler(base, async () => ({ organisations: await deps.store.listOrganisations() })),
    'GET /v1/admin/orgs/{orgId}': apiHandler({ ...base, params: orgParams }, async ({ params }) => ({
      organisation: await loadOrg(deps.store, params.orgId),
      members: await deps.store.listMembers(params.orgId),
    })),
    'PATCH /v1/admin/orgs/{orgId}': apiHandler({ ...base, params: orgParams, body: 'json' }, ({ params, body }) => updateOrganisation(deps, params.orgId, body)),
    'PUT /v1/admin/orgs/{orgId}/members/{userId}': apiHandler(
      { ...base, params: c['PUT /v1/admin/orgs/{orgId}/members/{userId}'].params, headers: ActingUser, body: 'json' },
      ({ params, headers, body }) => setMember(deps, actingAs(headers['x-acting-user']), params.orgId, { ...body, userId: params.userId }),
    ),
    'DELETE /v1/admin/orgs/{orgId}/members/{userId}': apiHandler(
      { ...base, params: c['DELETE /v1/admin/orgs/{orgId}/members/{userId}'].params, headers: ActingUser },
      async ({ params, headers }) => ({ removed: (await removeMember(deps, actingAs(headers['x-acting-user']), params.orgId, params.userId)).userId }),
    ),
    'POST /v1/admin/orgs/{orgId}/products': apiHandler({ ...base, params: orgParams, body: 'json', status: 201 }, async ({ params, body }) =>
      productView(await addProduct(deps, params.orgId, body)),
    ),
    'PATCH /v1/admin/orgs/{orgId}/products/{productId}': apiHandler(
      { ...base, params: c['PATCH /v1/admin/orgs/{orgId}/products/{productId}'].params, body: 'json' },
      async ({ params, body }) => productView(await changeProduct(deps, params.orgId, params.productId, body)),
    ),
    'POST /v1/admin/orgs/{orgId}/products/{productId}/move': apiHandler(
      { ...base, params: c['POST /v1/admin/orgs/{orgId}/products/{productId}/move'].params, body: 'json' },
      async ({ params, body }) => productView(await moveProduct(deps, params.orgId, params.productId, body)),
    ),
    'POST /v1/admin/orgs/{orgId}/products/import': apiHandler(
      { ...base, params: orgParams, headers: z.object({ 'content-type': z.string().optional() }), body: 'raw' },
      async ({ params, headers, body }) => {
        const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        const format = Object.hasOwn(importFormats, type) ? importFormats[type as keyof typeof importFormats] : undefined;
        if (!format) throw new DomainError('unsupported_media_type', `Content-Type must be ${Object.keys(importFormats).join(' or ')}, got ${type || 'none'}`, 415);
        return importProductFile(deps, params.orgId, body, format);
      },
    ),
    'POST /v1/admin/orgs/{orgId}/payment-methods': apiHandler({ ...base, params: orgParams, body: 'json', status: 201 }, ({ params, body }) =>
      addPaymentMethod(deps, params.orgId, body),
    ),
    'PUT /v1/admin/orgs/{orgId}/identity-check': apiHandler({ ...base, params: orgParams, body: 'json' }, async ({ params, body }) => {
      const input = IdentityCheckInput.safeParse(body);
      if (!input.success) throw new ValidationError('state must be required or passed', 'invalid_input');
      await setIdentityCheck(deps, params.orgId, input.data.state);
      return { orgId: params.orgId, identityCheck: input.data.state };
    }),
    'POST /v1/admin/orgs/{orgId}/orders/{checkoutId}/release': apiHandler(
      { ...base, params: c['POST /v1/admin/orgs/{orgId}/orders/{checkoutId}/release'].params },
      async ({ params }) => {
        await loadOrg(deps.store, params.orgId);
        return viewOf(await releaseHold(deps, params.orgId, params.checkoutId));
      },
    ),
    'PUT /v1/admin/orgs/{orgId}/partner': apiHandler({ ...base, params: orgParams, body: 'json' }, async ({ params, body }) => {
      await setPartnerProfile(deps, params.orgId, body);
      return loadOrg(deps.store, params.orgId);
    }),
    'PUT /v1/admin/orgs/{orgId}/partner-link': apiHandler({ ...base, params: orgParams, body: 'json' }, async ({ params, body }) => {
      await linkToPartner(deps, params.orgId, body);
      return loadOrg(deps.store, params.orgId);
    }),
    'POST /v1/admin/persons/{userId}/erasure': apiHandler({ ...base, params: c['POST /v1/admin/persons/{userId}/erasure'].params }, ({ params }) =>
      erasePerson(deps, params.userId),
    ),
    'GET /v1/admin/audit': apiHandler({ ...base, query: c['GET /v1/admin/audit'].query }, async ({ query }) => ({
      date: query.date,
      entries: await deps.store.listAuditEntries(query.date),
    })),
  };
}

/** A product as the provider's systems see it: its state, not the engine's bookkeeping (versions, attempts). */
function productView(p: Product) {
  return {
    id: p.id,
    orgId: p.orgId,
    typeId: p.typeId,
    name: p.name,
    expiry: p.expiry,
    periodMonths: p.periodMonths,
    autoRenew: p.autoRenew,
    status: p.status,
    createdAt: p.createdAt,
    ...(p.paymentMethodId ? { paymentMethodId: p.paymentMethodId } : {}),
    ...(p.nextActionDate ? { nextActionDate: p.nextActionDate } : {}),
  };
}

/** The back-office and the finance console's routes: one function, the same grants. */
export const handler = routeDispatcher(awsCheckoutDeps, (deps) => ({ ...makeBackOfficeHandlers(deps), ...makeFinanceConsoleHandlers(deps) }));
