import { Duration } from 'aws-cdk-lib';
import { CUSTOMER_ACCOUNT_CONTRACTS } from '../../functions/account/customer-account.ts';
import { BACK_OFFICE_CONTRACTS } from '../../functions/backoffice/back-office.ts';
import { FINANCE_CONSOLE_CONTRACTS } from '../../functions/finance/finance-console.ts';

/* The stateless stack's settings: concurrency caps, schedules, alarm thresholds and the HTTP handlers' modules. */

/**
 * Stripe's default rate limit is 25 requests per second. The Stripe adapter
 * paces each container to STRIPE_MAX_RPS, and SQS runs at most
 * `maxConcurrency` containers of a consumer, so a consumer's worst case is
 * maxConcurrency × STRIPE_MAX_RPS requests per second:
 *
 *   charge-renewal (PaymentIntents create/search): 4 × 5 = 20, plus the
 *                  CHECKOUT_STRIPE_RESERVE of 5 req/s kept for customers'
 *                  checkouts and top-ups (HTTP, not paced by a queue): 25;
 *   settle-payment (PaymentIntents retrieve, refunds): 2 × 5 = 10 ≤ 25;
 *   nightly-checkouts: one scheduled invocation at a time, 1 × 5: the chores an
 *                  hour after the night starts, and the hourly reconciliation;
 *                  beside a charge queue at full pace that is 30 for the minutes
 *                  both run, and the adapter backs off on Stripe's 429s.
 *
 * renew-product never calls Stripe: with CHARGE_QUEUE_URL set it settles
 * what the prepaid balance covers and hands every renewal that needs a
 * charge to the charge queue untouched. Its concurrency is therefore not
 * bounded by Stripe but by DynamoDB: each renewal is one transaction of
 * about ten writes (twice the WCU for a transaction), and a new on-demand
 * table absorbs about 4,000 WCU/s before it scales, so
 * RENEWAL_MAX_CONCURRENCY = 20 containers (each settling a batch of 10 in
 * parallel) is as much as the table takes on its first big night.
 *
 * The caps are the event sources' maxConcurrency, not reserved concurrency:
 * with reserved concurrency Lambda throttles the poller's invocations, the
 * messages count as received and land in the DLQ after maxReceiveCount.
 */
export const STRIPE_RATE_LIMIT_PER_SECOND = 25;
export const STRIPE_MAX_RPS = 5;
export const CHECKOUT_STRIPE_RESERVE = 5;
export const CHARGE_MAX_CONCURRENCY = 4;
export const SETTLEMENT_MAX_CONCURRENCY = 2;
export const RENEWAL_MAX_CONCURRENCY = 20;
/** Exports are heavy (a period's documents, PDFs rendered): two at a time at most. */
export const EXPORT_MAX_CONCURRENCY = 2;

/** The singleton Lambda CDK adds to a stack that configures bucket notifications (aws-s3 BucketNotificationsHandler). */
export const BUCKET_NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

export const PLAN_NIGHT_CRON = { minute: '0', hour: '2' } as const;

/** How often pending lifecycle commands are swept (a paid product unblocked within this, whoever crashed). */
export const LIFECYCLE_SWEEP_MINUTES = 5;
/** An hour after the renewals start, so reconciliation does not compete with them for Stripe's budget. */
export const NIGHTLY_CHECKOUTS_CRON = { minute: '0', hour: '3' } as const;

/**
 * The renewal and charge queues should be empty a few hours after
 * plan-night; older messages mean the night is not finishing.
 */
export const NIGHT_BACKLOG_ALARM_AGE = Duration.hours(4);

/** One function for every route of a module that serves several (functions/http/route-dispatcher.ts picks the route). */
const allRoutesOf = (contracts: object, id: string, entry: string) => Object.fromEntries(Object.keys(contracts).map((key) => [key, { id, entry }]));

/**
 * The module behind each HTTP route (routes.ts holds the paths, methods and auth; this maps them to bundles).
 * The customer's account and the back-office are one function each: their routes share their
 * grants, and one warm container answers them all.
 */
export const HTTP_HANDLERS: Readonly<Record<string, { id: string; entry: string }>> = {
  'GET /v1/orgs/{orgId}/products': { id: 'ListProducts', entry: 'functions/products/list-products.ts' },
  'POST /v1/orgs/{orgId}/checkout': { id: 'StartCheckout', entry: 'functions/checkout/start-checkout.ts' },
  'GET /v1/orgs/{orgId}/checkouts/{checkoutId}': { id: 'GetCheckout', entry: 'functions/checkout/get-checkout.ts' },
  'POST /v1/orgs/{orgId}/balance/top-ups': { id: 'StartTopUp', entry: 'functions/balance/start-top-up.ts' },
  'POST /v1/webhooks/stripe': { id: 'StripeWebhook', entry: 'functions/checkout/stripe-webhook.ts' },
  'GET /v1/orgs/{orgId}/invoices/{file}': { id: 'InvoicePdf', entry: 'functions/finance/invoice-pdf.ts' },
  'POST /v1/exports': { id: 'RequestExport', entry: 'functions/finance/request-export.ts' },
  'GET /v1/exports/{exportId}': { id: 'GetExport', entry: 'functions/finance/get-export.ts' },
  ...allRoutesOf(CUSTOMER_ACCOUNT_CONTRACTS, 'CustomerAccount', 'functions/account/customer-account.ts'),
  ...allRoutesOf(BACK_OFFICE_CONTRACTS, 'BackOffice', 'functions/backoffice/back-office.ts'),
  // The finance console's routes share the back-office's function (functions/backoffice/back-office.ts dispatches them).
  ...allRoutesOf(FINANCE_CONSOLE_CONTRACTS, 'BackOffice', 'functions/backoffice/back-office.ts'),
  'GET /v1/openapi.json': { id: 'OpenApi', entry: 'functions/http/openapi.ts' },
};

/**
 * SES's sending rate starts at 14 messages a second in a production
 * account. send-email sends a batch of 10 at once per container, one call
 * of about 100 ms each: two containers stay under that; a throttled send
 * fails its message, which comes back after the queue's visibility timeout.
 */
export const MAIL_MAX_CONCURRENCY = 2;

/** Partition keys of the outbox (shared/adapters/dynamodb/keys.ts outboxPk) and of organisation items. */
export const OUTBOX_LEADING_KEYS = 'OUTBOX#*';
export const ORG_LEADING_KEYS = 'ORG#*';

/** The failed-payments spike: the share of failed renewal attempts in an hour, from this many attempts on (a normal night fails well under 10 %). */
export const RENEWAL_FAILURE_ALARM = { minAttempts: 20, percent: 30 } as const;
