import * as z from 'zod';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import { startTopUp, TopUpCheckoutInput } from '../../shared/use-cases/checkout/start-top-up.ts';
import { awsCheckoutDeps } from '../aws-runtime.ts';
import { apiHandler, IdempotencyHeaders, lazyLambda, resourceId, type Logger } from '../http/api-handler.ts';
import { CheckoutResponse } from '../http/response-schemas.ts';
import type { RouteContract } from '../http/route-contract.ts';

export const startTopUpContract = {
  summary: 'Top up the prepaid balance (0.10 to 9999 in the organisation currency)',
  description: 'Paid by card, PostFinance (CHF) or bank transfer; the balance is credited when the payment arrives (docs/domain.md R-29).',
  tag: 'account',
  access: 'user',
  params: z.object({ orgId: resourceId }),
  headers: IdempotencyHeaders,
  request: { json: TopUpCheckoutInput.omit({ requestId: true }) },
  status: 201,
  response: { json: CheckoutResponse, description: 'The top-up checkout' },
  errors: [400, 403, 404, 409, 422],
} satisfies RouteContract;

/** POST /v1/orgs/{orgId}/balance/top-ups: a deposit paid by card, PostFinance or bank transfer. */
export function makeStartTopUpHandler(deps: CheckoutDeps, logger?: Logger) {
  return apiHandler(
    { auth: true, params: startTopUpContract.params, headers: startTopUpContract.headers, body: 'json', status: startTopUpContract.status, logger, rateLimiter: deps.rateLimiter },
    ({ actor, params, headers, body }) => startTopUp(deps, params.orgId, { ...body, requestId: headers['idempotency-key'] }, actor),
  );
}

export const handler = lazyLambda(awsCheckoutDeps, makeStartTopUpHandler);
