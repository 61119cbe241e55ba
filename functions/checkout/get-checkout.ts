import { z } from 'zod';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import { getCheckout } from '../../shared/use-cases/checkout/get-checkout.ts';
import { awsCheckoutDeps } from '../aws-runtime.ts';
import { apiHandler, lazyLambda, resourceId, type Logger } from '../http/api-handler.ts';

/** GET /v1/orgs/{orgId}/checkouts/{checkoutId}: what the front end polls after the customer paid. */
export function makeGetCheckoutHandler(deps: CheckoutDeps, logger?: Logger) {
  return apiHandler({ auth: true, params: z.object({ orgId: resourceId, checkoutId: resourceId }), logger, rateLimiter: deps.rateLimiter }, ({ actor, params }) =>
    getCheckout(deps, params.orgId, params.checkoutId, actor),
  );
}

export const handler = lazyLambda(awsCheckoutDeps, makeGetCheckoutHandler);
