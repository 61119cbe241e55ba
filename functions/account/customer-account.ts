import * as z from 'zod';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import {
  balanceOf,
  InvoiceFilter,
  listInvoicesOf,
  listPendingOrders,
  listSavedMethods,
  MethodSetupInput,
  removeSavedMethod,
  startMethodSetup,
  whoAmI,
} from '../../shared/use-cases/customer-account.ts';
import { QuoteInput, quoteCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { cancelCheckout } from '../../shared/use-cases/checkout/settle-checkout.ts';
import { viewOf } from '../../shared/use-cases/checkout/checkout-view.ts';
import { switchAutoRenew } from '../../shared/use-cases/manage-products.ts';
import { confirmTermination, requestTermination, TerminationConfirmation, TerminationRequestInput, withdrawTermination } from '../../shared/use-cases/terminate-product.ts';
import { parseInput } from '../../shared/use-cases/validation.ts';
import { awsCheckoutDeps } from '../aws-runtime.ts';
import { apiHandler, IdempotencyHeaders, resourceId, type ApiLambda, type Logger } from '../http/api-handler.ts';
import { routeDispatcher } from '../http/route-dispatcher.ts';
import {
  AutoRenewResponse,
  BalanceResponse,
  CheckoutResponse,
  InvoiceListResponse,
  MeResponse,
  QuoteResponse,
  PaymentMethodListResponse,
  MethodSetupResponse,
  PendingOrdersResponse,
  RemovedResponse,
  TerminationResponse,
  TerminationWithdrawnResponse,
} from '../http/response-schemas.ts';
import type { RouteContract } from '../http/route-contract.ts';

/**
 * The customer's account over the JWT API, as the provider's Manager shows
 * it: auto-renewal, invoices, balance, saved methods, pending orders,
 * termination requests. One
 * function serves these routes (each a thin call of its use case); the
 * rights are the use cases' (docs/domain.md R-2).
 */
type AccountDeps = CheckoutDeps;

const orgParams = z.object({ orgId: resourceId });
const AutoRenewBody = z.object({ on: z.boolean(), paymentMethodId: resourceId.optional() }).strict();

export const CUSTOMER_ACCOUNT_CONTRACTS = {
  'GET /v1/me': {
    summary: 'The signed-in user: their organisations, with the role and rights they have in each',
    description: "For a front end's menus: the organisations the user belongs to, and the clients of a partner they belong to (docs/domain.md R-2, R-5).",
    tag: 'account',
    access: 'user',
    status: 200,
    response: { json: MeResponse, description: 'The user and their organisations' },
    errors: [401],
  },
  'POST /v1/orgs/{orgId}/checkout/quote': {
    summary: 'Price a selection as the checkout would, without starting it',
    description:
      'The same periods, VAT, partner discount and balance split as `POST /v1/orgs/{orgId}/checkout`, refused for the same reasons (a product in another checkout, a period its type does not allow); nothing is written.',
    tag: 'checkout',
    access: 'user',
    params: orgParams,
    request: { json: QuoteInput },
    status: 200,
    response: { json: QuoteResponse, description: 'What the selection costs now' },
    errors: [400, 403, 404, 409, 422],
  },
  'POST /v1/orgs/{orgId}/checkouts/{checkoutId}/cancel': {
    summary: 'Give up an order not paid yet: its products are free again, the balance hold and the pro-forma released',
    description:
      'Refused (409 `payment_received`) when the provider says the payment went through: its webhook settles the order. A payment made later on a page left open is refunded.',
    tag: 'checkout',
    access: 'user',
    params: z.object({ orgId: resourceId, checkoutId: resourceId }),
    status: 200,
    response: { json: CheckoutResponse, description: 'The checkout, cancelled' },
    errors: [400, 403, 404, 409, 422],
  },
  'PUT /v1/orgs/{orgId}/products/{productId}/auto-renew': {
    summary: "Switch one product's automatic renewal on or off",
    description:
      'Off is always allowed; on is refused less than 14 days before expiry (renew it manually first, docs/domain.md R-9) and needs a saved card, Twint or PayPal (or the balance).',
    tag: 'products',
    access: 'user',
    params: z.object({ orgId: resourceId, productId: resourceId }),
    request: { json: AutoRenewBody },
    status: 200,
    response: { json: AutoRenewResponse, description: 'What changed' },
    errors: [400, 403, 404, 409, 422],
  },
  'PUT /v1/orgs/{orgId}/auto-renew': {
    summary: 'Switch automatic renewal on or off for all products at once',
    description: 'Products too close to expiry are listed under `refused` with the reason; the others are switched.',
    tag: 'products',
    access: 'user',
    params: orgParams,
    request: { json: AutoRenewBody },
    status: 200,
    response: { json: AutoRenewResponse, description: 'What changed, what was already so, and what was refused' },
    errors: [400, 403, 404, 422],
  },
  'GET /v1/orgs/{orgId}/invoices': {
    summary: 'Invoices, pro-formas and credit notes, newest first, with what is left to pay',
    tag: 'account',
    access: 'user',
    params: orgParams,
    query: InvoiceFilter,
    status: 200,
    response: { json: InvoiceListResponse, description: 'The documents the caller may read' },
    errors: [400, 403, 404],
  },
  'GET /v1/orgs/{orgId}/balance': {
    summary: 'The prepaid balance and its ledger, newest first',
    tag: 'account',
    access: 'user',
    params: orgParams,
    status: 200,
    response: { json: BalanceResponse, description: 'The balance' },
    errors: [400, 403, 404],
  },
  'GET /v1/orgs/{orgId}/payment-methods': {
    summary: 'Saved payment methods (references held by Stripe) and the products each renews',
    tag: 'account',
    access: 'user',
    params: orgParams,
    status: 200,
    response: { json: PaymentMethodListResponse, description: 'The saved methods' },
    errors: [400, 403, 404],
  },
  'DELETE /v1/orgs/{orgId}/payment-methods/{methodId}': {
    summary: 'Forget a saved payment method',
    description: 'Refused (409) while products renew automatically with it: switch them first.',
    tag: 'account',
    access: 'user',
    params: z.object({ orgId: resourceId, methodId: resourceId }),
    status: 200,
    response: { json: RemovedResponse, description: 'The method forgotten' },
    errors: [400, 403, 404, 409],
  },
  'POST /v1/orgs/{orgId}/payment-methods/setup': {
    summary: 'Add a saved method (card, Twint, PayPal) without paying: a Stripe SetupIntent to confirm in the browser',
    description:
      'Answers the SetupIntent client secret for Stripe.js confirmSetup; the method is saved when Stripe reports setup_intent.succeeded for this organisation, and can then renew products automatically. The same Idempotency-Key gives the same SetupIntent.',
    tag: 'account',
    access: 'user',
    params: orgParams,
    headers: IdempotencyHeaders,
    request: { json: MethodSetupInput },
    status: 201,
    response: { json: MethodSetupResponse, description: 'The SetupIntent to confirm' },
    errors: [400, 403, 404, 422],
  },
  'GET /v1/orgs/{orgId}/orders': {
    summary: 'Pending orders: checkouts waiting for their payment or held, and new products not paid yet',
    tag: 'checkout',
    access: 'user',
    params: orgParams,
    status: 200,
    response: { json: PendingOrdersResponse, description: 'What is ordered and not settled' },
    errors: [400, 403, 404],
  },
  'POST /v1/orgs/{orgId}/products/{productId}/termination': {
    summary: 'Ask to terminate a product: a single-use confirmation link is e-mailed to the caller',
    description:
      'A legal owner or an administrator asks, for a night from tomorrow to the end of the paid period (`date`, by default the expiry). Nothing changes until the link in the e-mail is used (valid 72 hours); a new request replaces a pending one.',
    tag: 'products',
    access: 'user',
    params: z.object({ orgId: resourceId, productId: resourceId }),
    request: { json: TerminationRequestInput },
    status: 201,
    response: { json: TerminationResponse, description: 'The pending request (the link goes by e-mail only)' },
    errors: [400, 403, 404, 409, 422],
  },
  'POST /v1/orgs/{orgId}/products/{productId}/termination/confirm': {
    summary: "Confirm a termination with the e-mailed link's request id and token",
    description:
      'No login: the token is the proof, it works once and for 72 hours. Auto-renewal stops, the product is terminated by the night of its date (backups deleted for good) and the administrators are told; open fees stay due.',
    tag: 'products',
    access: 'public',
    params: z.object({ orgId: resourceId, productId: resourceId }),
    request: { json: TerminationConfirmation },
    status: 200,
    response: { json: TerminationResponse, description: 'The confirmed termination' },
    errors: [400, 409, 422],
  },
  'DELETE /v1/orgs/{orgId}/products/{productId}/termination': {
    summary: 'Withdraw a termination request, pending or confirmed, before its night',
    tag: 'products',
    access: 'user',
    params: z.object({ orgId: resourceId, productId: resourceId }),
    status: 200,
    response: { json: TerminationWithdrawnResponse, description: 'The request withdrawn' },
    errors: [400, 403, 404, 409],
  },
} as const satisfies Record<string, RouteContract>;

type Key = keyof typeof CUSTOMER_ACCOUNT_CONTRACTS;
const c = CUSTOMER_ACCOUNT_CONTRACTS;

export function makeCustomerAccountHandlers(deps: AccountDeps, logger?: Logger): Record<Key, ApiLambda> {
  const base = { auth: true as const, logger, rateLimiter: deps.rateLimiter };
  return {
    'GET /v1/me': apiHandler(base, ({ actor }) => whoAmI(deps, actor)),
    'POST /v1/orgs/{orgId}/checkouts/{checkoutId}/cancel': apiHandler(
      { ...base, params: c['POST /v1/orgs/{orgId}/checkouts/{checkoutId}/cancel'].params },
      async ({ actor, params }) => viewOf(await cancelCheckout(deps, params.orgId, params.checkoutId, actor)),
    ),
    'POST /v1/orgs/{orgId}/checkout/quote': apiHandler({ ...base, params: orgParams, body: 'json' }, ({ actor, params, body }) => quoteCheckout(deps, params.orgId, body, actor)),
    'PUT /v1/orgs/{orgId}/products/{productId}/auto-renew': apiHandler(
      { ...base, params: c['PUT /v1/orgs/{orgId}/products/{productId}/auto-renew'].params, body: 'json' },
      ({ actor, params, body }) => switchAutoRenew(deps, params.orgId, { ...parseInput(AutoRenewBody, body), productId: params.productId }, actor),
    ),
    'PUT /v1/orgs/{orgId}/auto-renew': apiHandler({ ...base, params: orgParams, body: 'json' }, ({ actor, params, body }) =>
      switchAutoRenew(deps, params.orgId, { ...parseInput(AutoRenewBody, body), all: true }, actor),
    ),
    'GET /v1/orgs/{orgId}/invoices': apiHandler({ ...base, params: orgParams, query: c['GET /v1/orgs/{orgId}/invoices'].query }, async ({ actor, params, query }) => ({
      invoices: await listInvoicesOf(deps, params.orgId, query, actor),
    })),
    'GET /v1/orgs/{orgId}/balance': apiHandler({ ...base, params: orgParams }, ({ actor, params }) => balanceOf(deps, params.orgId, actor)),
    'GET /v1/orgs/{orgId}/payment-methods': apiHandler({ ...base, params: orgParams }, async ({ actor, params }) => ({
      paymentMethods: await listSavedMethods(deps, params.orgId, actor),
    })),
    'DELETE /v1/orgs/{orgId}/payment-methods/{methodId}': apiHandler(
      { ...base, params: c['DELETE /v1/orgs/{orgId}/payment-methods/{methodId}'].params },
      async ({ actor, params }) => ({ removed: (await removeSavedMethod(deps, params.orgId, params.methodId, actor)).id }),
    ),
    'POST /v1/orgs/{orgId}/payment-methods/setup': apiHandler(
      { ...base, params: orgParams, headers: IdempotencyHeaders, body: 'json', status: 201 },
      ({ actor, params, headers, body }) => startMethodSetup(deps, params.orgId, body, actor, headers['idempotency-key']),
    ),
    'GET /v1/orgs/{orgId}/orders': apiHandler({ ...base, params: orgParams }, ({ actor, params }) => listPendingOrders(deps, params.orgId, actor)),
    'POST /v1/orgs/{orgId}/products/{productId}/termination': apiHandler(
      { ...base, params: c['POST /v1/orgs/{orgId}/products/{productId}/termination'].params, body: 'json', status: 201 },
      ({ actor, params, body }) => requestTermination(deps, params.orgId, params.productId, body, actor),
    ),
    'POST /v1/orgs/{orgId}/products/{productId}/termination/confirm': apiHandler(
      { auth: false, logger, params: c['POST /v1/orgs/{orgId}/products/{productId}/termination/confirm'].params, body: 'json' },
      ({ params, body }) => confirmTermination(deps, params.orgId, params.productId, body),
    ),
    'DELETE /v1/orgs/{orgId}/products/{productId}/termination': apiHandler(
      { ...base, params: c['DELETE /v1/orgs/{orgId}/products/{productId}/termination'].params },
      ({ actor, params }) => withdrawTermination(deps, params.orgId, params.productId, actor),
    ),
  };
}

export const handler = routeDispatcher(awsCheckoutDeps, makeCustomerAccountHandlers);
