/**
 * What renewing 1,000,000 products in one night costs on AWS, from the
 * figures the benchmark measured per renewal, at list prices.
 */

/**
 * List prices, AWS Europe (Frankfurt) eu-central-1, on-demand, USD, as
 * published by AWS in 2025 (DynamoDB after the 1 November 2024 on-demand
 * price reduction). They were not fetched from this machine (it reaches no
 * AWS page): check them against the AWS pricing pages before quoting. Free
 * tiers are ignored.
 */
export const PRICES = {
  region: 'eu-central-1 (Frankfurt)',
  asOf: '2025 list prices (DynamoDB on-demand after the 2024-11-01 reduction)',
  dynamoWritePerMillion: 0.7625,
  dynamoReadPerMillion: 0.1525,
  sqsPerMillionRequests: 0.4,
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  s3PutPer1000: 0.0054,
  httpApiPerMillion: 1.2,
  stripeBillingRate: 0.007,
  renewalChf: 50,
} as const;

/**
 * Assumptions for what this machine cannot measure: how long AWS takes to
 * answer, and how much CPU a 512 MB arm64 Lambda has.
 */
export const ASSUMPTIONS = {
  lambdaMemoryGb: 0.5,
  /** Lambda gives CPU in proportion to memory: 1 vCPU at 1,769 MB. */
  lambdaVcpu: 512 / 1769,
  getItemMs: 5,
  transactWriteMs: 20,
  /** An off-session PaymentIntent (create + confirm) at Stripe. */
  stripeChargeMs: 700,
  /** Records per Lambda invocation from SQS (the event source's batch size). */
  batchSize: 10,
  /** A webhook intake invocation (verify, store the event, queue it). */
  webhookMs: 40,
} as const;

export interface CostInputs {
  /** DynamoDB units per renewal as DynamoDB Local reported them (ReturnConsumedCapacity). */
  writeUnits: number;
  readUnits: number;
  /** The same by DynamoDB's billing rules, from the items' sizes (bench/lib/capacity.ts). */
  awsWriteUnits: number;
  awsReadUnits: number;
  /** Extra units per renewal from lost races, at the engine's best concurrency. */
  retryReadUnits: number;
  retryWriteUnits: number;
  /** Read units per due product to find the night's work (date index). */
  planReadUnits: number;
  /** Calls per renewal in the engine's own sequence, by kind (GetItem, TransactWriteItems). */
  gets: number;
  transactions: number;
  /** Share of renewals charged on a card (each brings a webhook and a settlement message). */
  cardShare: number;
  /** SQS: messages sent per renewal (renewal queue + settlement queue), and SendMessage(Batch) requests. */
  messages: number;
  sendRequests: number;
  /** Node CPU per renewal in the engine (measured, ms). */
  cpuMs: number;
  s3Puts: number;
}

export interface CostLine {
  item: string;
  quantity: string;
  usd: number;
}

export function costOfMillion(i: CostInputs, opts: { awsRules?: boolean } = {}): { lines: CostLine[]; totalUsd: number; perRenewalUsd: number } {
  const n = 1_000_000;
  const write = (opts.awsRules ? i.awsWriteUnits : i.writeUnits) + i.retryWriteUnits;
  const read = (opts.awsRules ? i.awsReadUnits : i.readUnits) + i.retryReadUnits + i.planReadUnits;
  // SQS: every message is sent (batched), received and deleted in batches of up to 10 by the Lambda event source.
  const sqsRequests = i.sendRequests + (2 * i.messages) / ASSUMPTIONS.batchSize;
  // Lambda renew-product: one invocation per batch; its duration is the CPU of its records on a
  // fraction of a vCPU plus the longest record's chain of calls (records of a batch run concurrently).
  const chainMs = i.gets * ASSUMPTIONS.getItemMs + i.transactions * ASSUMPTIONS.transactWriteMs + i.cardShare * ASSUMPTIONS.stripeChargeMs;
  const batchMs = (ASSUMPTIONS.batchSize * i.cpuMs) / ASSUMPTIONS.lambdaVcpu + chainMs;
  const renewGbS = (n / ASSUMPTIONS.batchSize) * (batchMs / 1000) * ASSUMPTIONS.lambdaMemoryGb;
  const webhookGbS = n * i.cardShare * (ASSUMPTIONS.webhookMs / 1000) * ASSUMPTIONS.lambdaMemoryGb;
  const invocations = n / ASSUMPTIONS.batchSize + n * i.cardShare + (n * i.cardShare) / ASSUMPTIONS.batchSize;
  const lines: CostLine[] = [
    { item: 'DynamoDB write request units', quantity: `${fmt(write)} per renewal → ${fmt((write * n) / 1e6)} M`, usd: ((write * n) / 1e6) * PRICES.dynamoWritePerMillion },
    { item: 'DynamoDB read request units', quantity: `${fmt(read)} per renewal → ${fmt((read * n) / 1e6)} M`, usd: ((read * n) / 1e6) * PRICES.dynamoReadPerMillion },
    {
      item: 'SQS requests (send, receive, delete)',
      quantity: `${fmt(sqsRequests)} per renewal → ${fmt((sqsRequests * n) / 1e6)} M`,
      usd: ((sqsRequests * n) / 1e6) * PRICES.sqsPerMillionRequests,
    },
    {
      item: 'Lambda arm64 duration (renew-product, webhook intake)',
      quantity: `${fmt(batchMs)} ms per batch of ${ASSUMPTIONS.batchSize} at ${ASSUMPTIONS.lambdaMemoryGb * 1024} MB → ${fmt(renewGbS + webhookGbS)} GB-s`,
      usd: (renewGbS + webhookGbS) * PRICES.lambdaArmPerGbSecond,
    },
    { item: 'Lambda requests', quantity: `${fmt(invocations / 1e6, 3)} M invocations`, usd: (invocations / 1e6) * PRICES.lambdaPerMillionRequests },
    { item: 'API Gateway HTTP API (card webhooks)', quantity: `${fmt(i.cardShare)} per renewal → ${fmt(i.cardShare, 2)} M`, usd: i.cardShare * PRICES.httpApiPerMillion },
    { item: 'S3 PUT', quantity: `${fmt(i.s3Puts, 3)} per renewal`, usd: ((i.s3Puts * n) / 1000) * PRICES.s3PutPer1000 },
  ];
  const totalUsd = lines.reduce((s, l) => s + l.usd, 0);
  return { lines, totalUsd, perRenewalUsd: totalUsd / n };
}

/** Stripe Billing's fee on the same renewals, in CHF. */
export function stripeBillingChf(renewals = 1_000_000): { perRenewal: number; total: number } {
  const perRenewal = PRICES.renewalChf * PRICES.stripeBillingRate;
  return { perRenewal, total: perRenewal * renewals };
}

function fmt(x: number, digits = 2): string {
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}
