import { z } from 'zod';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import { startCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { awsCheckoutDeps } from '../aws-runtime.ts';
import { apiHandler, IdempotencyHeaders, lazyLambda, resourceId, type Logger } from '../http/api-handler.ts';

/** POST /v1/orgs/{orgId}/checkout: pay selected products; the Idempotency-Key header is the request id. */
export function makeStartCheckoutHandler(deps: CheckoutDeps, logger?: Logger) {
  return apiHandler(
    { auth: true, params: z.object({ orgId: resourceId }), headers: IdempotencyHeaders, body: 'json', status: 201, logger, rateLimiter: deps.rateLimiter },
    ({ actor, params, headers, body }) => startCheckout(deps, params.orgId, { ...body, requestId: headers['idempotency-key'] }, actor),
  );
}

export const handler = lazyLambda(awsCheckoutDeps, makeStartCheckoutHandler);
