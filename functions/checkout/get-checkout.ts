import * as z from 'zod';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import { getCheckout } from '../../shared/use-cases/checkout/get-checkout.ts';
import { awsStoreDeps } from '../aws-store-runtime.ts';
import { apiHandler, lazyLambda, resourceId, type Logger } from '../http/api-handler.ts';
import { CheckoutResponse } from '../http/response-schemas.ts';
import type { RouteContract } from '../http/route-contract.ts';

export const getCheckoutContract = {
  summary: 'A checkout and its state, polled by the front end after the customer paid',
  tag: 'checkout',
  access: 'user',
  params: z.object({ orgId: resourceId, checkoutId: resourceId }),
  status: 200,
  response: { json: CheckoutResponse, description: 'The checkout' },
  errors: [400, 403, 404],
} satisfies RouteContract;

/** GET /v1/orgs/{orgId}/checkouts/{checkoutId}: what the front end polls after the customer paid. */
export function makeGetCheckoutHandler(deps: CheckoutDeps, logger?: Logger) {
  return apiHandler({ auth: true, params: getCheckoutContract.params, logger, rateLimiter: deps.rateLimiter }, ({ actor, params }) =>
    getCheckout(deps, params.orgId, params.checkoutId, actor),
  );
}

export const handler = lazyLambda(awsStoreDeps, makeGetCheckoutHandler);
