import type { BillingStore } from '../../shared/ports/billing-store.ts';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import type { FinanceDeps } from '../../shared/use-cases/finance/finance-deps.ts';
import { CUSTOMER_ACCOUNT_CONTRACTS, makeCustomerAccountHandlers } from '../account/customer-account.ts';
import { BACK_OFFICE_CONTRACTS, makeBackOfficeHandlers } from '../backoffice/back-office.ts';
import { getExportContract, makeGetExportHandler } from '../finance/get-export.ts';
import { FINANCE_CONSOLE_CONTRACTS, makeFinanceConsoleHandlers } from '../finance/finance-console.ts';
import { makeRequestExportHandler, requestExportContract } from '../finance/request-export.ts';
import { invoicePdfContract, makeInvoicePdfHandler } from '../finance/invoice-pdf.ts';
import { makeStartTopUpHandler, startTopUpContract } from '../balance/start-top-up.ts';
import { getCheckoutContract, makeGetCheckoutHandler } from '../checkout/get-checkout.ts';
import { makeStartCheckoutHandler, startCheckoutContract } from '../checkout/start-checkout.ts';
import { makeStripeWebhookHandler, stripeWebhookContract } from '../checkout/stripe-webhook.ts';
import { listProductsContract, makeListProductsHandler } from '../products/list-products.ts';
import type { ApiLambda } from './api-handler.ts';
import { makeOpenApiHandler, openApiContract } from './openapi.ts';
import type { RouteContract } from './route-contract.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a route's handler is made with: the engine's ports (the local runtime's, or one Lambda's). */
export type RouteDeps = Omit<CheckoutDeps & FinanceDeps, 'store'> & { store: BillingStore };

export interface ApiRoute {
  method: HttpMethod;
  /** API Gateway route syntax: `{name}` is one path segment. */
  path: string;
  /** Behind the JWT authorizer; the handler answers 401 without a subject either way. */
  auth: boolean;
  /** What it takes and answers: the handler validates with it, the OpenAPI document is made of it. */
  contract: RouteContract;
  make: (deps: RouteDeps) => ApiLambda;
}

const route = (key: string, contract: RouteContract, make: (deps: RouteDeps) => ApiLambda): ApiRoute => {
  const [method, path] = key.split(' ') as [HttpMethod, string];
  return { method, path, auth: contract.access !== 'public', contract, make };
};

/** The routes of a module that serves several: each route's handler, made once per deps. */
function grouped<K extends string>(contracts: Readonly<Record<K, RouteContract>>, makeAll: (deps: RouteDeps) => Record<K, ApiLambda>): ApiRoute[] {
  const made = new WeakMap<RouteDeps, Record<K, ApiLambda>>();
  const of = (deps: RouteDeps) => made.get(deps) ?? made.set(deps, makeAll(deps)).get(deps)!;
  return (Object.keys(contracts) as K[]).map((key) => route(key, contracts[key], (deps) => of(deps)[key]));
}

/** The HTTP API, listed once: the local server serves it, the CDK stack deploys it, the OpenAPI document describes it. */
export const ROUTES: readonly ApiRoute[] = [
  route('GET /v1/orgs/{orgId}/products', listProductsContract, makeListProductsHandler),
  route('POST /v1/orgs/{orgId}/checkout', startCheckoutContract, makeStartCheckoutHandler),
  route('GET /v1/orgs/{orgId}/checkouts/{checkoutId}', getCheckoutContract, makeGetCheckoutHandler),
  route('POST /v1/orgs/{orgId}/balance/top-ups', startTopUpContract, makeStartTopUpHandler),
  route('POST /v1/webhooks/stripe', stripeWebhookContract, makeStripeWebhookHandler),
  route('GET /v1/orgs/{orgId}/invoices/{file}', invoicePdfContract, makeInvoicePdfHandler),
  route('POST /v1/exports', requestExportContract, makeRequestExportHandler),
  route('GET /v1/exports/{exportId}', getExportContract, makeGetExportHandler),
  ...grouped(CUSTOMER_ACCOUNT_CONTRACTS, makeCustomerAccountHandlers),
  ...grouped(BACK_OFFICE_CONTRACTS, makeBackOfficeHandlers),
  ...grouped(FINANCE_CONSOLE_CONTRACTS, makeFinanceConsoleHandlers),
  route('GET /v1/openapi.json', openApiContract, () => makeOpenApiHandler()),
];

/** `GET /v1/orgs/{orgId}/products`: the route key API Gateway puts in each event. */
export const routeKey = (r: Pick<ApiRoute, 'method' | 'path'>) => `${r.method} ${r.path}`;
