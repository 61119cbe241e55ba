import * as z from 'zod';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import { CheckoutInput, startCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { awsCheckoutDeps } from '../aws-runtime.ts';
import { apiHandler, IdempotencyHeaders, lazyLambda, resourceId, type Logger } from '../http/api-handler.ts';
import { CheckoutResponse } from '../http/response-schemas.ts';
import type { RouteContract } from '../http/route-contract.ts';

export const startCheckoutContract = {
  summary: 'Pay a selection of products (card, Twint, PayPal, PostFinance, bank transfer or the balance)',
  description:
    'Prices the selection with VAT, takes what the balance covers when `useBalance`, and starts the payment: a PaymentIntent to confirm with Stripe.js, a pro-forma to pay by transfer, or nothing left to pay. The `Idempotency-Key` header makes a retry return the same checkout.',
  tag: 'checkout',
  access: 'user',
  params: z.object({ orgId: resourceId }),
  headers: IdempotencyHeaders,
  request: { json: CheckoutInput.omit({ requestId: true }) },
  status: 201,
  response: { json: CheckoutResponse, description: 'The checkout started (or the one this key started before)' },
  errors: [400, 403, 404, 409, 422],
} satisfies RouteContract;

/** POST /v1/orgs/{orgId}/checkout: pay selected products; the Idempotency-Key header is the request id. */
export function makeStartCheckoutHandler(deps: CheckoutDeps, logger?: Logger) {
  return apiHandler(
    {
      auth: true,
      params: startCheckoutContract.params,
      headers: startCheckoutContract.headers,
      body: 'json',
      status: startCheckoutContract.status,
      logger,
      rateLimiter: deps.rateLimiter,
    },
    ({ actor, params, headers, body }) => startCheckout(deps, params.orgId, { ...body, requestId: headers['idempotency-key'] }, actor),
  );
}

export const handler = lazyLambda(awsCheckoutDeps, makeStartCheckoutHandler);
