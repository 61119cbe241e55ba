import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbBillingStore } from '../shared/adapters/dynamodb/dynamodb-billing-store.ts';
import { SandboxPaymentGateway } from '../shared/adapters/local/sandbox-payment-gateway.ts';
import { RecordingProvisioning } from '../shared/adapters/local/recording-provisioning.ts';
import { SqsQueue } from '../shared/adapters/sqs/sqs-queue.ts';
import { systemClock } from '../shared/adapters/system-clock.ts';
import { Catalogue } from '../shared/domain/catalogue.ts';
import { DEFAULT_SELLER } from '../shared/domain/seller.ts';
import type { LifecycleMessage, RenewalMessage } from '../shared/ports/message-queue.ts';
import type { BillingDeps } from '../shared/use-cases/renewal-deps.ts';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

let deps: (BillingDeps & { renewalQueue: SqsQueue<RenewalMessage> }) | undefined;

/**
 * Wiring for Lambda, built once per container. The payment gateway is the
 * sandbox until the Stripe adapter lands; provisioning is recorded until the
 * provider's API is connected.
 */
export function awsDeps(): BillingDeps & { renewalQueue: SqsQueue<RenewalMessage> } {
  if (deps) return deps;
  const sqs = new SQSClient({});
  deps = {
    store: new DynamoDbBillingStore(new DynamoDBClient({}), env('TABLE_NAME')),
    gateway: new SandboxPaymentGateway(),
    catalogue: new Catalogue(),
    seller: DEFAULT_SELLER,
    clock: systemClock(),
    lifecycleQueue: new SqsQueue<LifecycleMessage>(sqs, env('LIFECYCLE_QUEUE_URL')),
    renewalQueue: new SqsQueue<RenewalMessage>(sqs, env('RENEWAL_QUEUE_URL')),
    provisioning: new RecordingProvisioning(),
  };
  return deps;
}
