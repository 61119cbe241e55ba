import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { GatewayEvent, PaymentGateway, WebhookVerifier } from '../../ports/payment-gateway.ts';
import { RatePacer } from './rate-pacer.ts';
import { STRIPE_ON_SESSION_METHODS, StripePaymentGateway } from './stripe-payment-gateway.ts';
import { StripeWebhookVerifier } from './stripe-webhook-verifier.ts';

/** The API key secret's JSON: `{ "secretKey": "sk_..." }`. */
interface StripeApiSecret {
  secretKey?: string;
}

/** The webhook secret's JSON: `{ "webhookSecret": "whsec_..." }`. */
interface StripeWebhookSecret {
  webhookSecret?: string;
}

/**
 * Stripe in Lambda: keys live in Secrets Manager, fetched once per container
 * on first use (never in environment variables, where the console shows them).
 * The API key and the webhook signing secret are two secrets, so the public
 * webhook function is granted the second only. The gateway and verifier
 * resolve their secret lazily so building the handler's dependencies stays
 * synchronous, and a function never asks for a secret it does not use.
 */
export function stripeFromSecret(
  secretId: string | undefined,
  webhookSecretId: string | undefined,
  maxRequestsPerSecond?: number,
): { gateway: PaymentGateway; verifier: WebhookVerifier } {
  const client = () => new SecretsManagerClient({});
  const read = async <T>(id: string | undefined, what: string): Promise<T> => {
    if (!id) throw new Error(`no secret id is set for the ${what} (this function is not meant to use it)`);
    const res = await client().send(new GetSecretValueCommand({ SecretId: id }));
    return JSON.parse(res.SecretString ?? '{}') as T;
  };
  let gateway: Promise<StripePaymentGateway> | undefined;
  const gw = () =>
    (gateway ??= read<StripeApiSecret>(secretId, 'Stripe API key').then((s) => {
      if (!s.secretKey) throw new Error(`secret ${secretId} has no secretKey`);
      return new StripePaymentGateway({ secretKey: s.secretKey, ...(maxRequestsPerSecond ? { pacer: new RatePacer({ ratePerSecond: maxRequestsPerSecond }) } : {}) });
    }));
  let verifier: Promise<StripeWebhookVerifier> | undefined;
  const ver = () =>
    (verifier ??= read<StripeWebhookSecret>(webhookSecretId, 'Stripe webhook signing secret').then((s) => {
      if (!s.webhookSecret) throw new Error(`secret ${webhookSecretId} has no webhookSecret`);
      return new StripeWebhookVerifier(s.webhookSecret);
    }));
  return {
    gateway: {
      onSessionMethods: STRIPE_ON_SESSION_METHODS,
      charge: async (r) => (await gw()).charge(r),
      retrieve: async (r) => (await gw()).retrieve(r),
      findChargeByAttempt: async (id) => (await gw()).findChargeByAttempt(id),
      ensureCustomer: async (r) => (await gw()).ensureCustomer(r),
      createPayment: async (r) => (await gw()).createPayment(r),
      createSetup: async (r) => (await gw()).createSetup(r),
      getPayment: async (r) => (await gw()).getPayment(r),
      refund: async (r) => (await gw()).refund(r),
      getPaymentMethod: async (r) => (await gw()).getPaymentMethod(r),
      listEvents: async (since, types, until) => (await gw()).listEvents(since, types, until),
    },
    verifier: { verify: async (raw, sig): Promise<GatewayEvent> => (await ver()).verify(raw, sig) },
  };
}
