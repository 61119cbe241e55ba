import { Duration } from 'aws-cdk-lib';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { TABLE_KEYS } from '../../shared/adapters/dynamodb/table-schema.ts';
import type { BillingFunction } from '../billing-function.ts';
import { CHARGE_MAX_CONCURRENCY, LIFECYCLE_SWEEP_MINUTES, PLAN_NIGHT_CRON, RENEWAL_MAX_CONCURRENCY } from './settings.ts';
import { billingFunction, consume, every, nightly, type Wiring } from './wiring.ts';

/**
 * The nightly renewal: schedule → plan-night → renewal queue → renew-product (→ charge queue →
 * charge-renewal) → lifecycle queue → apply-lifecycle, and the sweep of commands a worker left pending.
 */
export class NightlyRenewal extends Construct {
  public readonly planNight: BillingFunction;
  public readonly planNightSchedule: Schedule;

  constructor(scope: Construct, id: string, w: Wiring) {
    super(scope, id);
    const { dueIndex } = TABLE_KEYS;

    this.planNight = billingFunction(this, w, 'PlanNight', {
      entry: 'functions/renewal/plan-night.ts',
      description: 'Plans the night: one renewal message per product due',
      timeout: Duration.minutes(5),
      environment: { ...w.store, RENEWAL_QUEUE_URL: w.data.renewalQueue.queueUrl },
      onFailureQueue: w.data.schedulerDlq,
    })
      // The table only for its own run records (pk NIGHTS) and the night's CHF rate for EUR documents (RATES#EUR,
      // read once for all the night's renewals); products come from the date index.
      .grantItems(w.data.table, ['dynamodb:Query', 'dynamodb:PutItem'], { leadingKeys: ['NIGHTS'] })
      .grantItems(w.data.table, ['dynamodb:GetItem'], { leadingKeys: ['RATES#EUR'] })
      .grantQuery(w.data.table, { indexes: [dueIndex.name] })
      .grantSend(w.data.renewalQueue);

    const renewProduct = billingFunction(this, w, 'RenewProduct', {
      entry: 'functions/renewal/renew-product.ts',
      description: "One product's night: reminder, balance payment, block or termination; charges go to the charge queue",
      timeout: w.consumerTimeout,
      environment: { ...w.store, LIFECYCLE_QUEUE_URL: w.data.lifecycleQueue.queueUrl, CHARGE_QUEUE_URL: w.data.chargeQueue.queueUrl },
    })
      .grantItems(w.data.table, ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'])
      .grantSend(w.data.lifecycleQueue, w.data.chargeQueue);
    consume(renewProduct, w.data.renewalQueue, { maxConcurrency: RENEWAL_MAX_CONCURRENCY });

    const chargeRenewal = billingFunction(this, w, 'ChargeRenewal', {
      entry: 'functions/renewal/charge-renewal.ts',
      description: "A renewal the balance does not cover: the product's night with the saved method charged",
      timeout: w.consumerTimeout,
      environment: { ...w.base, ...w.stripe, LIFECYCLE_QUEUE_URL: w.data.lifecycleQueue.queueUrl },
    })
      .grantItems(w.data.table, ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'])
      .grantSend(w.data.lifecycleQueue)
      .grantSecretValue(w.data.stripeSecret);
    consume(chargeRenewal, w.data.chargeQueue, { maxConcurrency: CHARGE_MAX_CONCURRENCY });

    const applyLifecycle = billingFunction(this, w, 'ApplyLifecycle', {
      entry: 'functions/lifecycle/apply-lifecycle.ts',
      description: 'Carries block, unblock and terminate commands to provisioning',
      timeout: w.consumerTimeout,
      environment: { ...w.store },
    })
      .grantItems(w.data.table, ['dynamodb:GetItem', 'dynamodb:PutItem'])
      .grantQuery(w.data.table, { table: true });
    consume(applyLifecycle, w.data.lifecycleQueue);

    // Every 5 minutes: commands committed with a payment whose worker died before queueing them.
    const sweepLifecycle = billingFunction(this, w, 'SweepLifecycle', {
      entry: 'functions/lifecycle/sweep-lifecycle.ts',
      description: 'Sends again lifecycle commands left pending (a worker died between its commit and the queue)',
      timeout: Duration.minutes(1),
      environment: { ...w.store, LIFECYCLE_QUEUE_URL: w.data.lifecycleQueue.queueUrl },
      onFailureQueue: w.data.schedulerDlq,
    })
      // The pending commands in the date index (keys only): nothing of the table itself.
      .grantQuery(w.data.table, { indexes: [dueIndex.name] })
      .grantSend(w.data.lifecycleQueue);

    this.planNightSchedule = nightly(this, w, 'PlanNightSchedule', this.planNight, PLAN_NIGHT_CRON, w.data.schedulerDlq, 'Plans the renewals of the night');
    every(this, w, 'SweepLifecycleSchedule', sweepLifecycle, Duration.minutes(LIFECYCLE_SWEEP_MINUTES), w.data.schedulerDlq, 'Unblocks paid products whose worker died');
  }
}
