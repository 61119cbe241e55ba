import { z } from 'zod';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import { startTopUp } from '../../shared/use-cases/checkout/start-top-up.ts';
import { awsCheckoutDeps } from '../aws-runtime.ts';
import { apiHandler, IdempotencyHeaders, lazyLambda, resourceId, type Logger } from '../http/api-handler.ts';

/** POST /v1/orgs/{orgId}/balance/top-ups: a deposit paid by card, PostFinance or bank transfer. */
export function makeStartTopUpHandler(deps: CheckoutDeps, logger?: Logger) {
  return apiHandler(
    { auth: true, params: z.object({ orgId: resourceId }), headers: IdempotencyHeaders, body: 'json', status: 201, logger, rateLimiter: deps.rateLimiter },
    ({ actor, params, headers, body }) => startTopUp(deps, params.orgId, { ...body, requestId: headers['idempotency-key'] }, actor),
  );
}

export const handler = lazyLambda(awsCheckoutDeps, makeStartTopUpHandler);
