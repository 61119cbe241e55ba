import { Duration, Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { ConfigurationSet, EmailSendingEvent, EventDestination, SuppressionReasons } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { CONFIG_FILE_IN_BUNDLE, type BillingFunction } from '../billing-function.ts';
import { MAIL_MAX_CONCURRENCY, OUTBOX_LEADING_KEYS, ORG_LEADING_KEYS } from './settings.ts';
import { billingFunction, consume, consumeStream, type Wiring } from './wiring.ts';
import { ARCHIVE_PREFIX } from '../stateful-stack.ts';

/** The detail-types SES gives the configuration set's events on EventBridge's default bus. */
export const SES_FEEDBACK_DETAIL_TYPES = ['Email Bounced', 'Email Complaint Received'] as const;

/**
 * E-mails go out: the table's stream turns each new outbox e-mail into a
 * message on the mail queue (outbox-stream), send-email sends it through
 * SES once, and SES's bounce and complaint reports come back through
 * EventBridge to record-mail-feedback. The configuration set keeps SES
 * from writing again to addresses that bounced or complained.
 */
/** Named, so the function's grant, its environment and the runbook name it the same way. */
export const mailConfigurationSetName = (stage: string) => `billing-${stage}-mail`;

export class Mail extends Construct {
  public readonly configurationSet: ConfigurationSet;
  public readonly outboxStream: BillingFunction;
  public readonly sendEmail: BillingFunction;
  public readonly recordFeedback: BillingFunction;
  public readonly feedbackRule: Rule;

  constructor(scope: Construct, id: string, w: Wiring, senders: { domains: readonly string[] }) {
    super(scope, id);
    const stack = Stack.of(this);
    const { table } = w.data;
    const configurationSetName = mailConfigurationSetName(w.stage);

    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName,
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      reputationMetrics: true,
    });
    // SES publishes to the default bus only.
    this.configurationSet.addEventDestination('ToEventBridge', {
      destination: EventDestination.eventBus(EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
    });

    this.outboxStream = billingFunction(this, w, 'OutboxStream', {
      entry: 'functions/mail/outbox-stream.ts',
      description: 'Queues each new outbox e-mail (from the table stream) for send-email',
      timeout: w.consumerTimeout,
      environment: { MAIL_QUEUE_URL: w.data.mailQueue.queueUrl },
    }).grantSend(w.data.mailQueue);
    consumeStream(this.outboxStream, table, 'OUTBOX#', w.data.mailEventsDlq);

    this.sendEmail = billingFunction(this, w, 'SendEmail', {
      entry: 'functions/mail/send-email.ts',
      description: "Sends outbox e-mails through SES, once each; invoked with {date} sends that day's unsent ones",
      timeout: w.consumerTimeout,
      environment: {
        TABLE_NAME: table.tableName,
        BILLING_CONFIG_FILE: CONFIG_FILE_IN_BUNDLE,
        SES_CONFIGURATION_SET: configurationSetName,
        ARCHIVE_BUCKET: w.data.archiveBucket.bucketName,
      },
    })
      .grantItems(table, ['dynamodb:GetItem'], { leadingKeyPatterns: [ORG_LEADING_KEYS, OUTBOX_LEADING_KEYS] })
      .grantItems(table, ['dynamodb:UpdateItem'], { leadingKeyPatterns: [OUTBOX_LEADING_KEYS] })
      .grantQuery(table, { table: true })
      .grantObjects(
        w.archive,
        ARCHIVE_PREFIX,
        ['s3:GetObject'],
        'send-email attaches the document an e-mail announces, as kept, when its organisation receives documents by e-mail',
        'archive',
      );
    // SES authorises a send on the sending identity (the domain of each sender address) and on the configuration set.
    this.sendEmail.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['ses:SendEmail'],
        resources: [
          ...senders.domains.map((domain) => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: domain })),
          stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: configurationSetName }),
        ],
      }),
    );
    consume(this.sendEmail, w.data.mailQueue, { maxConcurrency: MAIL_MAX_CONCURRENCY });

    this.recordFeedback = billingFunction(this, w, 'RecordMailFeedback', {
      entry: 'functions/mail/record-mail-feedback.ts',
      description: 'Records SES bounce and complaint reports on the outbox e-mail they concern',
      timeout: Duration.seconds(30),
      environment: { TABLE_NAME: table.tableName },
      onFailureQueue: w.data.mailEventsDlq,
    }).grantItems(table, ['dynamodb:UpdateItem'], { leadingKeyPatterns: [OUTBOX_LEADING_KEYS] });
    this.feedbackRule = new Rule(this, 'FeedbackRule', {
      description: `SES bounces and complaints of the billing engine's mail (${w.stage})`,
      eventPattern: {
        source: ['aws.ses'],
        detailType: [...SES_FEEDBACK_DETAIL_TYPES],
        detail: { mail: { tags: { 'ses:configuration-set': [configurationSetName] } } },
      },
      // Invoked asynchronously: Lambda retries twice, then parks the event on the mail events DLQ (onFailureQueue).
      targets: [new LambdaFunction(this.recordFeedback.function)],
    });
  }
}
