import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbBillingStore } from '../shared/adapters/dynamodb/dynamodb-billing-store.ts';
import { DynamoDbRateLimiter } from '../shared/adapters/dynamodb/dynamodb-rate-limiter.ts';
import { noPaymentProvider } from '../shared/adapters/no-provider/no-payment-provider.ts';
import { RecordingProvisioning } from '../shared/adapters/sandbox/recording-provisioning.ts';
import { SqsQueue } from '../shared/adapters/sqs/sqs-queue.ts';
import { randomIds, systemClock } from '../shared/adapters/system-clock.ts';
import type { BillingStore } from '../shared/ports/billing-store.ts';
import type { LifecycleMessage, MessageQueue, RenewalMessage } from '../shared/ports/message-queue.ts';
import type { PaymentGateway, WebhookVerifier } from '../shared/ports/payment-gateway.ts';
import type { RateLimiter } from '../shared/ports/rate-limiter.ts';
import type { CheckoutDeps, SettlementMessage } from '../shared/use-cases/checkout/checkout-deps.ts';
import { withBusinessEvents } from '../shared/use-cases/events/with-business-events.ts';
import { NumberRangeLeases } from '../shared/use-cases/numbering.ts';
import { CHARGE_INLINE } from '../shared/use-cases/renewal-deps.ts';
import { awsConfig, env } from './aws-environment.ts';

/** The whole store is wired; each handler's use case types the part it reads. */
export type AwsDeps = Omit<CheckoutDeps, 'store'> & { store: BillingStore; renewalQueue: MessageQueue<RenewalMessage>; rateLimiter: RateLimiter };

let deps: AwsDeps | undefined;

/**
 * Wiring for Lambda, built once per container, for a function that never
 * calls the payment provider (its role has no Stripe secret): the table,
 * queues, configuration and a gateway that refuses every call by name. Its
 * bundle carries no Stripe code. Provisioning is recorded until the
 * provider's API is connected. Queue URLs a function does not use may be
 * unset. Sellers, catalogue and VAT rates come from the stage's configuration
 * file (awsConfig). PDFs and the bucket are wired apart
 * (aws-finance-runtime.ts) so only finance functions carry pdfkit.
 */
export function awsStoreDeps(): AwsDeps {
  if (deps) return deps;
  const provider = noPaymentProvider(process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'this function');
  deps = awsDepsWith(provider, provider);
  return deps;
}

/** The wiring with the given payment provider (aws-runtime.ts passes Stripe's). */
export function awsDepsWith(gateway: PaymentGateway, verifier: WebhookVerifier): AwsDeps {
  const sqs = new SQSClient({});
  const queue = <T>(name: string) => queueFromEnv<T>(sqs, name);
  const dynamodb = new DynamoDBClient({});
  const config = awsConfig();
  // Every commit carries its business events; the table's stream publishes them (publish-events).
  const store = withBusinessEvents(new DynamoDbBillingStore(dynamodb, env('TABLE_NAME')));
  const clock = systemClock();
  return {
    store,
    // This container's number ranges, for sellers numbering by process: leased as renewals need them.
    numberRanges: new NumberRangeLeases(store, clock, randomIds.next('container')),
    // Each product-night's outcome goes to the handler's log and metrics; no function reads a stored one.
    storeNightOutcomes: false,
    // Counted on the table, so every container of every API function shares each client's window.
    rateLimiter: new DynamoDbRateLimiter(dynamodb, env('TABLE_NAME')),
    gateway,
    verifier,
    catalogue: config.catalogue,
    seller: config.seller,
    sellers: config.sellers,
    vatRates: config.vatRates,
    clock,
    ids: randomIds,
    lifecycleQueue: queue<LifecycleMessage>('LIFECYCLE_QUEUE_URL'),
    renewalQueue: queue<RenewalMessage>('RENEWAL_QUEUE_URL'),
    // The stack gives the charge queue to renew-product only: its renewals needing a charge go to that throttled
    // queue, whose consumer (charge-renewal) charges inline. Every other function never charges a renewal.
    charges: process.env.CHARGE_QUEUE_URL ? { mode: 'deferred', queue: new SqsQueue<RenewalMessage>(sqs, process.env.CHARGE_QUEUE_URL) } : CHARGE_INLINE,
    settlementQueue: queue<SettlementMessage>('SETTLEMENT_QUEUE_URL'),
    provisioning: new RecordingProvisioning(),
  };
}

/** A queue this function may not send to is left unset: it fails on use, not at cold start. */
export function queueFromEnv<T>(sqs: SQSClient, name: string): MessageQueue<T> {
  const url = process.env[name];
  return url ? new SqsQueue<T>(sqs, url) : { send: () => Promise.reject(new Error(`environment variable ${name} is not set`)) };
}
