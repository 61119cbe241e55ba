import * as z from 'zod';
import { ValidationError } from '../../shared/domain/errors.ts';
import { InvalidSignatureError } from '../../shared/ports/payment-gateway.ts';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import { receiveWebhook } from '../../shared/use-cases/checkout/gateway-events.ts';
import { awsCheckoutDeps } from '../aws-runtime.ts';
import { apiHandler, lazyLambda, type Logger } from '../http/api-handler.ts';
import { WebhookAck } from '../http/response-schemas.ts';
import type { RouteContract } from '../http/route-contract.ts';

export const stripeWebhookContract = {
  summary: "Stripe's events (payments, refunds, disputes, methods), authenticated by their signature",
  description: 'Public: the `Stripe-Signature` HMAC over the exact body is checked (300 s tolerance); a duplicate delivery is acknowledged like the first.',
  tag: 'webhooks',
  access: 'public',
  headers: z.object({ 'stripe-signature': z.string().optional() }),
  request: { raw: { 'application/json': 'The event exactly as Stripe sent it' } },
  status: 200,
  response: { json: WebhookAck, description: 'Received (and stored once)' },
  errors: [400],
} satisfies RouteContract;

/**
 * POST /v1/webhooks/stripe: public (Stripe has no user token); the signature
 * on the exact raw body is the authentication, so the body is never parsed
 * here. A duplicate delivery is acknowledged like the first, or Stripe would
 * keep retrying it.
 */
export function makeStripeWebhookHandler(deps: CheckoutDeps, logger?: Logger) {
  return apiHandler({ auth: false, headers: stripeWebhookContract.headers, body: 'raw', logger }, async ({ body, headers }) => {
    try {
      await receiveWebhook(deps, body, headers['stripe-signature']);
    } catch (err) {
      if (err instanceof InvalidSignatureError) throw new ValidationError(err.message, 'invalid_signature');
      throw err;
    }
    return { received: true };
  });
}

export const handler = lazyLambda(awsCheckoutDeps, makeStripeWebhookHandler);
