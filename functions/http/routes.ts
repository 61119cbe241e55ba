import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import type { FinanceDeps } from '../../shared/use-cases/finance/finance-deps.ts';
import { makeGetExportHandler } from '../finance/get-export.ts';
import { makeRequestExportHandler } from '../finance/request-export.ts';
import { makeInvoicePdfHandler } from '../finance/invoice-pdf.ts';
import { makeStartTopUpHandler } from '../balance/start-top-up.ts';
import { makeGetCheckoutHandler } from '../checkout/get-checkout.ts';
import { makeStartCheckoutHandler } from '../checkout/start-checkout.ts';
import { makeStripeWebhookHandler } from '../checkout/stripe-webhook.ts';
import { makeListProductsHandler } from '../products/list-products.ts';
import type { ApiLambda } from './api-handler.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiRoute {
  method: HttpMethod;
  /** API Gateway route syntax: `{name}` is one path segment. */
  path: string;
  /** Behind the JWT authorizer; the handler answers 401 without a subject either way. */
  auth: boolean;
  make: (deps: CheckoutDeps & FinanceDeps) => ApiLambda;
}

/** The HTTP API, listed once: the local server serves it and the CDK stack deploys it. */
export const ROUTES: readonly ApiRoute[] = [
  { method: 'GET', path: '/v1/orgs/{orgId}/products', auth: true, make: makeListProductsHandler },
  { method: 'POST', path: '/v1/orgs/{orgId}/checkout', auth: true, make: makeStartCheckoutHandler },
  { method: 'GET', path: '/v1/orgs/{orgId}/checkouts/{checkoutId}', auth: true, make: makeGetCheckoutHandler },
  { method: 'POST', path: '/v1/orgs/{orgId}/balance/top-ups', auth: true, make: makeStartTopUpHandler },
  { method: 'POST', path: '/v1/webhooks/stripe', auth: false, make: makeStripeWebhookHandler },
  { method: 'GET', path: '/v1/orgs/{orgId}/invoices/{file}', auth: true, make: makeInvoicePdfHandler },
  { method: 'POST', path: '/v1/exports', auth: true, make: makeRequestExportHandler },
  { method: 'GET', path: '/v1/exports/{exportId}', auth: true, make: makeGetExportHandler },
];

/** `GET /v1/orgs/{orgId}/products`: the route key API Gateway puts in each event. */
export const routeKey = (r: Pick<ApiRoute, 'method' | 'path'>) => `${r.method} ${r.path}`;
