import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { traced } from './observability.ts';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbBillingStore } from '../shared/adapters/dynamodb/dynamodb-billing-store.ts';
import { DynamoDbRateLimiter } from '../shared/adapters/dynamodb/dynamodb-rate-limiter.ts';
import { SANDBOX_WEBHOOK_SECRET, SandboxPaymentGateway } from '../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import { stripeFromSecret } from '../shared/adapters/stripe/stripe-secret.ts';
import { StripeWebhookVerifier } from '../shared/adapters/stripe/stripe-webhook-verifier.ts';
import { RecordingProvisioning } from '../shared/adapters/sandbox/recording-provisioning.ts';
import { SqsQueue } from '../shared/adapters/sqs/sqs-queue.ts';
import { withBusinessEvents } from '../shared/use-cases/events/with-business-events.ts';
import { randomIds, systemClock } from '../shared/adapters/system-clock.ts';
import { awsConfig, env } from './aws-environment.ts';
import type { LifecycleMessage, MessageQueue, RenewalMessage } from '../shared/ports/message-queue.ts';
import type { CheckoutDeps, SettlementMessage } from '../shared/use-cases/checkout/checkout-deps.ts';
import type { RateLimiter } from '../shared/ports/rate-limiter.ts';
import type { BillingStore } from '../shared/ports/billing-store.ts';
import { CHARGE_INLINE } from '../shared/use-cases/renewal-deps.ts';

export { awsConfig, env } from './aws-environment.ts';

/** The whole store is wired; each handler's use case types the part it reads. */
type AwsDeps = Omit<CheckoutDeps, 'store'> & { store: BillingStore; renewalQueue: MessageQueue<RenewalMessage>; rateLimiter: RateLimiter };
let deps: AwsDeps | undefined;

/**
 * Wiring for Lambda, built once per container. Stripe's API key comes from
 * Secrets Manager (`STRIPE_SECRET_ID`), the webhook signing secret from
 * another secret (`STRIPE_WEBHOOK_SECRET_ID`, the webhook function only); the sandbox gateway answers only when
 * a stage asks for it (`PAYMENTS_SANDBOX=true`), since its webhook secret is
 * public. Provisioning is recorded until the provider's API is connected.
 * Queue URLs a function does not use may be unset. Sellers, catalogue and
 * VAT rates come from the stage's configuration file (awsConfig). PDFs and the bucket are
 * wired apart (aws-finance-runtime.ts) so only finance functions carry pdfkit.
 */
export function awsCheckoutDeps(): AwsDeps {
  if (deps) return deps;
  const sqs = traced(new SQSClient({}));
  const queue = <T>(name: string) => queueFromEnv<T>(sqs, name);
  const secretId = process.env.STRIPE_SECRET_ID;
  if (!secretId && process.env.PAYMENTS_SANDBOX !== 'true') {
    throw new Error('STRIPE_SECRET_ID is not set (set PAYMENTS_SANDBOX=true to run a stage on the sandbox gateway)');
  }
  const webhookSecretId = process.env.STRIPE_WEBHOOK_SECRET_ID;
  const stripe = secretId || webhookSecretId ? stripeFromSecret(secretId, webhookSecretId, process.env.STRIPE_MAX_RPS ? Number(process.env.STRIPE_MAX_RPS) : undefined) : undefined;
  const dynamodb = traced(new DynamoDBClient({}));
  const config = awsConfig();
  deps = {
    // Every commit carries its business events; the table's stream publishes them (publish-events).
    store: withBusinessEvents(new DynamoDbBillingStore(dynamodb, env('TABLE_NAME'))),
    // Counted on the table, so every container of every API function shares each client's window.
    rateLimiter: new DynamoDbRateLimiter(dynamodb, env('TABLE_NAME')),
    gateway: stripe?.gateway ?? new SandboxPaymentGateway(),
    verifier: stripe?.verifier ?? new StripeWebhookVerifier(SANDBOX_WEBHOOK_SECRET),
    catalogue: config.catalogue,
    seller: config.seller,
    sellers: config.sellers,
    vatRates: config.vatRates,
    clock: systemClock(),
    ids: randomIds,
    lifecycleQueue: queue<LifecycleMessage>('LIFECYCLE_QUEUE_URL'),
    renewalQueue: queue<RenewalMessage>('RENEWAL_QUEUE_URL'),
    // The stack gives the charge queue to renew-product only: its renewals needing a charge go to that throttled
    // queue, whose consumer (charge-renewal) charges inline. Every other function never charges a renewal.
    charges: process.env.CHARGE_QUEUE_URL ? { mode: 'deferred', queue: new SqsQueue<RenewalMessage>(sqs, process.env.CHARGE_QUEUE_URL) } : CHARGE_INLINE,
    settlementQueue: queue<SettlementMessage>('SETTLEMENT_QUEUE_URL'),
    provisioning: new RecordingProvisioning(),
  };
  return deps;
}

/** The nightly handlers need only part of it. */
export const awsDeps = awsCheckoutDeps;

/** A queue this function may not send to is left unset: it fails on use, not at cold start. */
export function queueFromEnv<T>(sqs: SQSClient, name: string): MessageQueue<T> {
  const url = process.env[name];
  return url ? new SqsQueue<T>(sqs, url) : { send: () => Promise.reject(new Error(`environment variable ${name} is not set`)) };
}
