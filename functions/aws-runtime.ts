import { SANDBOX_WEBHOOK_SECRET, SandboxPaymentGateway } from '../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import { stripeFromSecret } from '../shared/adapters/stripe/stripe-secret.ts';
import { StripeWebhookVerifier } from '../shared/adapters/stripe/stripe-webhook-verifier.ts';
import { awsDepsWith, type AwsDeps } from './aws-store-runtime.ts';

export { awsConfig, env } from './aws-environment.ts';

let deps: AwsDeps | undefined;

/**
 * Wiring for Lambda, built once per container: the store wiring of
 * aws-store-runtime.ts with the payment provider. Stripe's API key comes from
 * Secrets Manager (`STRIPE_SECRET_ID`), the webhook signing secret from
 * another secret (`STRIPE_WEBHOOK_SECRET_ID`, the webhook function only); the sandbox gateway answers only when
 * a stage asks for it (`PAYMENTS_SANDBOX=true`), since its webhook secret is
 * public. Functions that never call the provider use awsStoreDeps instead, so
 * their bundles carry no Stripe code.
 */
export function awsCheckoutDeps(): AwsDeps {
  if (deps) return deps;
  const secretId = process.env.STRIPE_SECRET_ID;
  if (!secretId && process.env.PAYMENTS_SANDBOX !== 'true') {
    throw new Error('STRIPE_SECRET_ID is not set (set PAYMENTS_SANDBOX=true to run a stage on the sandbox gateway)');
  }
  const webhookSecretId = process.env.STRIPE_WEBHOOK_SECRET_ID;
  const stripe = secretId || webhookSecretId ? stripeFromSecret(secretId, webhookSecretId, process.env.STRIPE_MAX_RPS ? Number(process.env.STRIPE_MAX_RPS) : undefined) : undefined;
  deps = awsDepsWith(stripe?.gateway ?? new SandboxPaymentGateway(), stripe?.verifier ?? new StripeWebhookVerifier(SANDBOX_WEBHOOK_SECRET));
  return deps;
}

/** The nightly handlers need only part of it. */
export const awsDeps = awsCheckoutDeps;
