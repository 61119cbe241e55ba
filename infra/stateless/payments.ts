import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { TABLE_KEYS } from '../../shared/adapters/dynamodb/table-schema.ts';
import type { BillingFunction } from '../billing-function.ts';
import { NIGHTLY_CHECKOUTS_CRON, SETTLEMENT_MAX_CONCURRENCY } from './settings.ts';
import { billingFunction, consume, every, nightly, type Wiring } from './wiring.ts';

/** Payments: the settlement queue's consumer (Stripe events stored by the webhook), and the nightly reconciliation and housekeeping. */
export class Payments extends Construct {
  public readonly nightlyCheckouts: BillingFunction;

  constructor(scope: Construct, id: string, w: Wiring) {
    super(scope, id);
    const { dueIndex, expiryIndex } = TABLE_KEYS;

    const settlePayment = billingFunction(this, w, 'SettlePayment', {
      entry: 'functions/checkout/settle-payment.ts',
      description: 'Settles stored Stripe events (checkouts, refunds, saved and detached methods)',
      timeout: w.consumerTimeout,
      environment: { ...w.base, ...w.stripe, LIFECYCLE_QUEUE_URL: w.data.lifecycleQueue.queueUrl },
    })
      .grantItems(w.data.table, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'])
      .grantQuery(w.data.table, { table: true, indexes: [expiryIndex.name] })
      .grantSend(w.data.lifecycleQueue)
      .grantSecretValue(w.data.stripeSecret);
    consume(settlePayment, w.data.settlementQueue, { maxConcurrency: SETTLEMENT_MAX_CONCURRENCY });

    this.nightlyCheckouts = billingFunction(this, w, 'NightlyCheckouts', {
      entry: 'functions/checkout/nightly-checkouts.ts',
      description: 'Nightly: settles missed Stripe events, refunds expired holds, releases abandoned checkouts',
      timeout: Duration.minutes(15),
      environment: { ...w.base, ...w.stripe, LIFECYCLE_QUEUE_URL: w.data.lifecycleQueue.queueUrl, SETTLEMENT_QUEUE_URL: w.data.settlementQueue.queueUrl },
      onFailureQueue: w.data.schedulerDlq,
    })
      // BatchGetItem: what is stored of the listed Stripe events, 100 keys a read (reconciliation).
      .grantItems(w.data.table, ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'])
      // The expiry index is settlement's (a detached method's products), now settle-payment's own: the lost events are queued.
      .grantQuery(w.data.table, { table: true, indexes: [dueIndex.name] })
      .grantSend(w.data.lifecycleQueue)
      // The events whose webhooks were lost go to settlement, as the webhook would have sent them.
      .grantSend(w.data.settlementQueue)
      .grantSecretValue(w.data.stripeSecret);

    nightly(this, w, 'NightlyCheckoutsSchedule', this.nightlyCheckouts, NIGHTLY_CHECKOUTS_CRON, w.data.schedulerDlq, 'Reconciles Stripe events and checkouts');
    // The provider's new events every hour as well: a night of a million card renewals is listed as it goes,
    // an hour at a time, never all at once after it (gateway-events.ts, reconcileGatewayEvents).
    every(this, w, 'ReconcileEventsSchedule', this.nightlyCheckouts, Duration.hours(1), w.data.schedulerDlq, 'Reconciles the Stripe events of the last hour', {
      reconcileOnly: true,
    });
  }
}
