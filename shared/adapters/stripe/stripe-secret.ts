import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { GatewayEvent, PaymentGateway, WebhookVerifier } from '../../ports/payment-gateway.ts';
import { RatePacer } from './rate-pacer.ts';
import { STRIPE_ON_SESSION_METHODS, StripePaymentGateway } from './stripe-payment-gateway.ts';
import { StripeWebhookVerifier } from './stripe-webhook-verifier.ts';

/** The secret's JSON: `{ "secretKey": "sk_...", "webhookSecret": "whsec_..." }`. */
interface StripeSecret {
  secretKey: string;
  webhookSecret?: string;
}

/**
 * Stripe in Lambda: keys live in Secrets Manager, fetched once per container
 * on first use (never in environment variables, where the console shows them).
 * The gateway and verifier resolve the secret lazily so building the
 * handler's dependencies stays synchronous.
 */
export function stripeFromSecret(secretId: string, maxRequestsPerSecond?: number): { gateway: PaymentGateway; verifier: WebhookVerifier } {
  let secret: Promise<StripeSecret> | undefined;
  const load = () =>
    (secret ??= new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretId })).then((res) => {
      const parsed = JSON.parse(res.SecretString ?? '{}') as Partial<StripeSecret>;
      if (!parsed.secretKey) throw new Error(`secret ${secretId} has no secretKey`);
      return parsed as StripeSecret;
    }));
  let gateway: Promise<StripePaymentGateway> | undefined;
  const gw = () =>
    (gateway ??= load().then((s) => new StripePaymentGateway({ secretKey: s.secretKey, ...(maxRequestsPerSecond ? { pacer: new RatePacer({ ratePerSecond: maxRequestsPerSecond }) } : {}) })));
  let verifier: Promise<StripeWebhookVerifier> | undefined;
  const ver = () =>
    (verifier ??= load().then((s) => {
      if (!s.webhookSecret) throw new Error(`secret ${secretId} has no webhookSecret`);
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
      getPayment: async (r) => (await gw()).getPayment(r),
      refund: async (r) => (await gw()).refund(r),
      getPaymentMethod: async (r) => (await gw()).getPaymentMethod(r),
      listEvents: async (since, types) => (await gw()).listEvents(since, types),
    },
    verifier: { verify: async (raw, sig): Promise<GatewayEvent> => (await ver()).verify(raw, sig) },
  };
}
