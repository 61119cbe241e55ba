import { Duration } from 'aws-cdk-lib';
import { Archive, EventBus } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { BillingFunction } from '../billing-function.ts';
import { billingFunction, consume, consumeStream, type Wiring } from './wiring.ts';

/** Named, so the provider's rules and the runbook name it the same way. */
export const eventBusName = (stage: string) => `billing-${stage}`;

/** How long the archive keeps the bus's events for a replay (docs/events.md). */
export const EVENT_ARCHIVE_DAYS = { dev: 30, prod: 365 } as const;

/**
 * The business events go out: the table's stream gives each new event
 * record to publish-events, which puts its events on the stage's bus,
 * where the provider's rules (provisioning, shop, accounting) pick what
 * they need by detail-type. The archive keeps them for replays.
 */
export interface EventsProps {
  /** The provider's endpoint for signed webhooks (a stack parameter); empty: none are sent. */
  readonly webhookUrl: string;
}

export class Events extends Construct {
  public readonly bus: EventBus;
  public readonly publishEvents: BillingFunction;
  public readonly deliverWebhook: BillingFunction;

  constructor(scope: Construct, id: string, w: Wiring, props: EventsProps) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', { eventBusName: eventBusName(w.stage), description: `Business events of the billing engine (${w.stage}), docs/events.md` });
    new Archive(this, 'Archive', {
      archiveName: `${eventBusName(w.stage)}-events`,
      sourceEventBus: this.bus,
      eventPattern: { source: ['billing-engine'] },
      retention: Duration.days(EVENT_ARCHIVE_DAYS[w.stage]),
      description: 'Every business event, for replays',
    });

    this.publishEvents = billingFunction(this, w, 'PublishEvents', {
      entry: 'functions/events/publish-events.ts',
      description: 'Puts the business events of each commit (from the table stream) on the event bus',
      timeout: w.consumerTimeout,
      environment: { EVENT_BUS_NAME: eventBusName(w.stage), WEBHOOK_QUEUE_URL: w.data.webhookQueue.queueUrl, ARCHIVE_QUEUE_URL: w.data.archiveQueue.queueUrl },
    });
    this.publishEvents.role.addToPrincipalPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }));
    // Beside the bus, each event goes on the webhook queue for the provider's endpoint.
    this.publishEvents.grantSend(w.data.webhookQueue);
    // And each final invoice and credit note issued goes on the archive queue, to be kept as issued.
    this.publishEvents.grantSend(w.data.archiveQueue);
    consumeStream(this.publishEvents, w.data.table, 'EVENTS#', w.data.eventsDlq);

    this.deliverWebhook = billingFunction(this, w, 'DeliverWebhook', {
      entry: 'functions/events/deliver-webhook.ts',
      description: "POSTs each business event, signed, to the provider's webhook endpoint; failures back off, then the webhook DLQ",
      timeout: w.consumerTimeout,
      environment: {
        WEBHOOK_URL: props.webhookUrl,
        WEBHOOK_QUEUE_URL: w.data.webhookQueue.queueUrl,
        WEBHOOK_SECRET_ID: w.data.webhookSigningSecret.secretArn,
        TABLE_NAME: w.data.table.tableName,
      },
    })
      .grantSecretValue(w.data.webhookSigningSecret)
      // A replay by hand reads the day's event records: Query on EVENTS# partitions only.
      .grantItems(w.data.table, ['dynamodb:Query'], { leadingKeyPatterns: ['EVENTS#*'] });
    // The event source's grants include sqs:ChangeMessageVisibility: the back-off puts a failed delivery back after its delay.
    // A few at a time: one slow endpoint must not hold many containers.
    consume(this.deliverWebhook, w.data.webhookQueue, { batchSize: 10, maxConcurrency: 2 });
  }
}
