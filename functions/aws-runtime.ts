import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbBillingStore } from '../shared/adapters/dynamodb/dynamodb-billing-store.ts';
import { SANDBOX_WEBHOOK_SECRET, SandboxPaymentGateway } from '../shared/adapters/local/sandbox-payment-gateway.ts';
import { stripeFromSecret } from '../shared/adapters/stripe/stripe-secret.ts';
import { StripeWebhookVerifier } from '../shared/adapters/stripe/stripe-webhook-verifier.ts';
import { RecordingProvisioning } from '../shared/adapters/local/recording-provisioning.ts';
import { SqsQueue } from '../shared/adapters/sqs/sqs-queue.ts';
import { randomIds, systemClock } from '../shared/adapters/system-clock.ts';
import { Catalogue } from '../shared/domain/catalogue.ts';
import { DEFAULT_SELLER } from '../shared/domain/seller.ts';
import type { LifecycleMessage, MessageQueue, RenewalMessage } from '../shared/ports/message-queue.ts';
import type { CheckoutDeps, SettlementMessage } from '../shared/use-cases/checkout/checkout-deps.ts';
import type { ExportMessage, FinanceDeps } from '../shared/use-cases/finance/finance-deps.ts';
import { S3Client } from '@aws-sdk/client-s3';
import { S3DocumentStore } from '../shared/adapters/s3/s3-document-store.ts';
import { FileFormatsRenderer } from '../shared/adapters/documents/document-renderer.ts';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

type AwsDeps = CheckoutDeps & FinanceDeps & { renewalQueue: MessageQueue<RenewalMessage> };
let deps: AwsDeps | undefined;

/**
 * Wiring for Lambda, built once per container. Stripe's keys come from
 * Secrets Manager (`STRIPE_SECRET_ID`); without it the sandbox gateway
 * answers, which suits a dev stage. Provisioning is recorded until the
 * provider's API is connected. Queue URLs a function does not use may be unset.
 */
export function awsCheckoutDeps(): AwsDeps {
  if (deps) return deps;
  const sqs = new SQSClient({});
  // A queue this function never sends to may be unset: fail on use, not at cold start.
  const queue = <T>(name: string): MessageQueue<T> => {
    const url = process.env[name];
    return url ? new SqsQueue<T>(sqs, url) : { send: () => Promise.reject(new Error(`environment variable ${name} is not set`)) };
  };
  const secretId = process.env.STRIPE_SECRET_ID;
  const stripe = secretId ? stripeFromSecret(secretId, process.env.STRIPE_MAX_RPS ? Number(process.env.STRIPE_MAX_RPS) : undefined) : undefined;
  deps = {
    store: new DynamoDbBillingStore(new DynamoDBClient({}), env('TABLE_NAME')),
    gateway: stripe?.gateway ?? new SandboxPaymentGateway(),
    verifier: stripe?.verifier ?? new StripeWebhookVerifier(SANDBOX_WEBHOOK_SECRET),
    catalogue: new Catalogue(),
    seller: DEFAULT_SELLER,
    clock: systemClock(),
    ids: randomIds,
    lifecycleQueue: queue<LifecycleMessage>('LIFECYCLE_QUEUE_URL'),
    renewalQueue: queue<RenewalMessage>('RENEWAL_QUEUE_URL'),
    settlementQueue: queue<SettlementMessage>('SETTLEMENT_QUEUE_URL'),
    exportsQueue: queue<ExportMessage>('EXPORTS_QUEUE_URL'),
    renderer: new FileFormatsRenderer(DEFAULT_SELLER),
    documents: new S3DocumentStore(new S3Client({}), process.env.DOCUMENTS_BUCKET ?? 'unset-DOCUMENTS_BUCKET'),
    provisioning: new RecordingProvisioning(),
  };
  return deps;
}

/** The nightly handlers need only part of it. */
export const awsDeps = awsCheckoutDeps;
export const awsFinanceDeps = awsCheckoutDeps;

