import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { ROUTES, routeKey } from '../../functions/http/routes.ts';
import { emittedMetrics } from '../support/emitted-metrics.ts';
import {
  BUCKET_NOTIFICATIONS_HANDLER_ID,
  CHARGE_MAX_CONCURRENCY,
  MAIL_MAX_CONCURRENCY,
  CHECKOUT_STRIPE_RESERVE,
  HTTP_HANDLERS,
  STRIPE_RATE_LIMIT_PER_SECOND,
} from '../../infra/stateless-stack.ts';
import { EXPORT_CONSUMER_TIMEOUT_SECONDS, MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT_FACTOR, type WorkQueueName } from '../../infra/stateful-stack.ts';
import { BillingFunction } from '../../infra/billing-function.ts';
import { describeNagChecks } from './nag-checks.ts';
import { type CfnResource, logicalIdOf, resourcesOf, type SynthesizedApp, synthBillingApp } from './synth-billing-app.ts';
import { functionPermissions, namer, permissionsOf, type Statement } from './permissions.ts';

// One synth per stage, shared by every test here and by cdk-nag's, without esbuild: the bundles are bundles.test.ts's.
const dev = synthBillingApp('dev', { bundle: false });
const prod = synthBillingApp('prod', { bundle: false });
describeNagChecks(dev, prod);
afterAll(() => {
  dev.cleanup();
  prod.cleanup();
});

type Json = unknown;

const devName = namer(dev);
/** CDK's singleton that copies the portal's files into its bucket at deploy time. */
const CDK_DEPLOYMENT = /^CustomCDKBucketDeployment/;

function functionResource(s: SynthesizedApp, id: string): CfnResource {
  const fn = s.stateless.functions[id];
  if (!fn) throw new Error(`no function ${id}`);
  const resource = s.statelessTemplate.toJSON().Resources[logicalIdOf(s.stateless, fn.function)] as CfnResource | undefined;
  if (!resource) throw new Error(`no resource for function ${id}`);
  return resource;
}

const own = (id: string) => [`logs:CreateLogStream log-group:${id}.Arn`, `logs:PutLogEvents log-group:${id}.Arn`, 'xray:PutTelemetryRecords *', 'xray:PutTraceSegments *'];
const consume = (queue: string) => ['ChangeMessageVisibility', 'DeleteMessage', 'GetQueueAttributes', 'GetQueueUrl', 'ReceiveMessage'].map((a) => `sqs:${a} ${queue}.Arn`);
const item = (actions: string[], resource = 'table.Arn') => actions.map((a) => `dynamodb:${a} ${resource}`);
const stripeSecret = 'secretsmanager:GetSecretValue stripe-secret.Ref';
const webhookSecret = 'secretsmanager:GetSecretValue stripe-webhook-secret.Ref';
const send = (queue: string) => `sqs:SendMessage ${queue}.Arn`;
const onlyNights = ' if {"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["NIGHTS"]}}';
const onlyEuroRates = ' if {"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["RATES#EUR"]}}';
/** DynamoDbRateLimiter's counters: UpdateItem on RATE#<client>#<minute> items only. */
const rateLimit = 'dynamodb:UpdateItem table.Arn if {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["RATE#*"]}}';
const leading = (...patterns: string[]) => ` if ${JSON.stringify({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': patterns } })}`;
const sesArn = (resource: string) => `arn:AWS::Partition.Ref:ses:AWS::Region.Ref:AWS::AccountId.Ref:${resource}`;
const objects = (actions: string[], prefix: string) => actions.map((a) => `s3:${a} documents-bucket.Arn/${prefix}*`);
/** The archive bucket's objects (Object Lock): read what was kept, put once with its retention. */
const archived = ['GetObject', 'PutObject', 'PutObjectRetention'].map((a) => `s3:${a} archive-bucket.Arn/archive/*`);
/** Lambda's on-failure destination of an asynchronous invocation. */
const onFailure = (queue: string) => [send(queue), `sqs:GetQueueAttributes ${queue}.Arn`, `sqs:GetQueueUrl ${queue}.Arn`];

/** What each function may do, derived from the DynamoDB adapter calls, queue sends, S3 keys and Stripe calls of its handler. */
const EXPECTED_PERMISSIONS: Record<string, string[]> = {
  PlanNight: [
    ...own('PlanNight'),
    `dynamodb:PutItem table.Arn${onlyNights}`,
    `dynamodb:Query table.Arn${onlyNights}`,
    `dynamodb:GetItem table.Arn${onlyEuroRates}`,
    'dynamodb:Query table.Arn/index/gsi1',
    send('renewal-queue'),
    ...onFailure('scheduler-dlq'),
  ],
  // Never calls Stripe (charges go to the charge queue): no secret.
  RenewProduct: [...own('RenewProduct'), ...item(['BatchGetItem', 'GetItem', 'PutItem', 'UpdateItem']), send('lifecycle-queue'), send('charge-queue'), ...consume('renewal-queue')],
  ChargeRenewal: [...own('ChargeRenewal'), ...item(['BatchGetItem', 'GetItem', 'PutItem', 'UpdateItem']), send('lifecycle-queue'), stripeSecret, ...consume('charge-queue')],
  ApplyLifecycle: [...own('ApplyLifecycle'), ...item(['GetItem', 'PutItem', 'Query']), ...consume('lifecycle-queue')],
  SweepLifecycle: [...own('SweepLifecycle'), 'dynamodb:Query table.Arn/index/gsi1', send('lifecycle-queue'), ...onFailure('scheduler-dlq')],
  SettlePayment: [
    ...own('SettlePayment'),
    ...item(['ConditionCheckItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem']),
    'dynamodb:Query table.Arn/index/gsi2',
    send('lifecycle-queue'),
    stripeSecret,
    ...consume('settlement-queue'),
  ],
  NightlyCheckouts: [
    ...own('NightlyCheckouts'),
    // BatchGetItem: the stored Stripe events of a reconciliation, 100 keys a read.
    ...item(['BatchGetItem', 'ConditionCheckItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem']),
    'dynamodb:Query table.Arn/index/gsi1',
    send('lifecycle-queue'),
    send('settlement-queue'),
    stripeSecret,
    ...onFailure('scheduler-dlq'),
  ],
  ImportStatement: [
    ...own('ImportStatement'),
    ...item(['DeleteItem', 'GetItem', 'PutItem', 'UpdateItem']),
    send('lifecycle-queue'),
    ...objects(['GetObject'], 'bank/incoming/'),
    ...onFailure('bank-import-dlq'),
  ],
  ImportProducts: [
    ...own('ImportProducts'),
    ...item(['GetItem', 'PutItem']),
    ...objects(['GetObject'], 'imports/incoming/'),
    ...objects(['PutObject'], 'imports/reports/'),
    ...onFailure('imports-dlq'),
  ],
  RunExport: [
    ...own('RunExport'),
    ...item(['GetItem', 'PutItem', 'Query']),
    'dynamodb:Query table.Arn/index/gsi3',
    ...objects(['AbortMultipartUpload', 'PutObject'], 'exports/'),
    ...archived,
    ...consume('exports-queue'),
  ],
  // The document by number and its organisation; the kept files.
  ArchiveDocuments: [...own('ArchiveDocuments'), 'dynamodb:GetItem table.Arn', ...archived, ...consume('archive-queue')],
  ListProducts: [...own('ListProducts'), 'dynamodb:GetItem table.Arn', 'dynamodb:Query table.Arn/index/gsi2', rateLimit],
  StartCheckout: [...own('StartCheckout'), ...item(['ConditionCheckItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem']), send('lifecycle-queue'), stripeSecret, rateLimit],
  GetCheckout: [...own('GetCheckout'), 'dynamodb:GetItem table.Arn', rateLimit],
  StartTopUp: [...own('StartTopUp'), ...item(['GetItem', 'PutItem', 'UpdateItem']), stripeSecret, rateLimit],
  StripeWebhook: [...own('StripeWebhook'), ...item(['GetItem', 'PutItem']), send('settlement-queue'), webhookSecret],
  InvoicePdf: [...own('InvoicePdf'), 'dynamodb:GetItem table.Arn', rateLimit, ...objects(['PutObject'], 'invoices/'), ...archived],
  RequestExport: [...own('RequestExport'), ...item(['GetItem', 'PutItem', 'Query']), send('exports-queue'), rateLimit],
  GetExport: [...own('GetExport'), 'dynamodb:GetItem table.Arn', rateLimit, ...objects(['GetObject'], 'exports/')],
  // Reads the table's stream (what Lambda's poller does with the role), queues e-mail keys, parks what it cannot read.
  OutboxStream: [
    ...own('OutboxStream'),
    ...['DescribeStream', 'GetRecords', 'GetShardIterator', 'ListStreams'].map((a) => `dynamodb:${a} table.StreamArn`),
    send('mail-queue'),
    ...onFailure('mail-events-dlq'),
  ],
  SendEmail: [
    ...own('SendEmail'),
    `dynamodb:GetItem table.Arn${leading('ORG#*', 'OUTBOX#*')}`,
    `dynamodb:UpdateItem table.Arn${leading('OUTBOX#*')}`,
    'dynamodb:Query table.Arn',
    `ses:SendEmail ${sesArn('identity/example-hosting.ch')}`,
    `ses:SendEmail ${sesArn('configuration-set/billing-dev-mail')}`,
    's3:GetObject archive-bucket.Arn/archive/*',
    ...consume('mail-queue'),
  ],
  RecordMailFeedback: [...own('RecordMailFeedback'), `dynamodb:UpdateItem table.Arn${leading('OUTBOX#*')}`, ...onFailure('mail-events-dlq')],
  // Reads the stream (Lambda's poller), puts on the stage's bus only; no table access of its own.
  PublishEvents: [
    ...own('PublishEvents'),
    ...['DescribeStream', 'GetRecords', 'GetShardIterator', 'ListStreams'].map((a) => `dynamodb:${a} table.StreamArn`),
    'events:PutEvents event-bus.Arn',
    send('webhooks-queue'),
    send('archive-queue'),
    ...onFailure('events-dlq'),
  ],
  // Consumes the webhook queue (the back-off is its ChangeMessageVisibility), reads the signing secret, and for a replay by hand the day's event records.
  DeliverWebhook: [
    ...own('DeliverWebhook'),
    ...consume('webhooks-queue'),
    'secretsmanager:GetSecretValue webhook-signing-secret.Ref',
    `dynamodb:Query table.Arn${leading('EVENTS#*')}`,
  ],
  CustomerAccount: [
    ...own('CustomerAccount'),
    ...item(['DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem']),
    'dynamodb:Query table.Arn/index/gsi2',
    stripeSecret,
    rateLimit,
  ],
  BackOffice: [
    ...own('BackOffice'),
    ...item(['ConditionCheckItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem']),
    // The OSS return: a quarter's documents by date.
    'dynamodb:Query table.Arn/index/gsi3',
    send('lifecycle-queue'),
    stripeSecret,
    rateLimit,
  ],
  // Serves the document from its bundle: its logs and traces, nothing else.
  OpenApi: [...own('OpenApi')],
};

/**
 * The environment each handler reads: functions/aws-runtime.ts (every function built on
 * awsCheckoutDeps needs STRIPE_SECRET_ID at cold start, STRIPE_MAX_RPS where it calls Stripe,
 * the queue URLs it sends to), functions/aws-store-runtime.ts (the functions that never call
 * Stripe: table and configuration, no Stripe secret) and functions/aws-export-runtime.ts (table and bucket).
 */
const store = { TABLE_NAME: 'table.Ref', BILLING_CONFIG_FILE: 'billing-config.json' };
const base = { ...store, STRIPE_SECRET_ID: 'stripe-secret.Ref' };
const stripeEnv = { ...base, STRIPE_MAX_RPS: '5' };
const financeEnv = { TABLE_NAME: 'table.Ref', DOCUMENTS_BUCKET: 'documents-bucket.Ref' };
const archiveEnv = { ARCHIVE_BUCKET: 'archive-bucket.Ref', ARCHIVE_LOCK_MODE: 'GOVERNANCE' };
const EXPECTED_ENVIRONMENT: Record<string, Record<string, string>> = {
  PlanNight: { ...store, RENEWAL_QUEUE_URL: 'renewal-queue.Ref' },
  RenewProduct: { ...store, LIFECYCLE_QUEUE_URL: 'lifecycle-queue.Ref', CHARGE_QUEUE_URL: 'charge-queue.Ref' },
  ChargeRenewal: { ...stripeEnv, LIFECYCLE_QUEUE_URL: 'lifecycle-queue.Ref' },
  ApplyLifecycle: { ...store },
  SweepLifecycle: { ...store, LIFECYCLE_QUEUE_URL: 'lifecycle-queue.Ref' },
  SettlePayment: { ...stripeEnv, LIFECYCLE_QUEUE_URL: 'lifecycle-queue.Ref' },
  NightlyCheckouts: { ...stripeEnv, LIFECYCLE_QUEUE_URL: 'lifecycle-queue.Ref', SETTLEMENT_QUEUE_URL: 'settlement-queue.Ref' },
  ImportStatement: { ...store, LIFECYCLE_QUEUE_URL: 'lifecycle-queue.Ref' },
  ImportProducts: { ...store },
  RunExport: { ...financeEnv, ...archiveEnv, BILLING_FONTS_DIR: 'fonts' },
  ArchiveDocuments: { ...financeEnv, ...archiveEnv, BILLING_FONTS_DIR: 'fonts' },
  ListProducts: { ...store },
  StartCheckout: { ...stripeEnv, LIFECYCLE_QUEUE_URL: 'lifecycle-queue.Ref' },
  GetCheckout: { ...store },
  StartTopUp: { ...stripeEnv },
  StripeWebhook: { ...base, STRIPE_WEBHOOK_SECRET_ID: 'stripe-webhook-secret.Ref', SETTLEMENT_QUEUE_URL: 'settlement-queue.Ref' },
  InvoicePdf: { ...financeEnv, ...archiveEnv, BILLING_FONTS_DIR: 'fonts' },
  RequestExport: { ...financeEnv, EXPORTS_QUEUE_URL: 'exports-queue.Ref' },
  GetExport: { ...financeEnv },
  OutboxStream: { MAIL_QUEUE_URL: 'mail-queue.Ref' },
  SendEmail: { TABLE_NAME: 'table.Ref', BILLING_CONFIG_FILE: 'billing-config.json', SES_CONFIGURATION_SET: 'billing-dev-mail', ARCHIVE_BUCKET: 'archive-bucket.Ref' },
  RecordMailFeedback: { TABLE_NAME: 'table.Ref' },
  PublishEvents: { EVENT_BUS_NAME: 'billing-dev', WEBHOOK_QUEUE_URL: 'webhooks-queue.Ref', ARCHIVE_QUEUE_URL: 'archive-queue.Ref' },
  DeliverWebhook: { WEBHOOK_URL: 'WebhookUrl.Ref', WEBHOOK_QUEUE_URL: 'webhooks-queue.Ref', WEBHOOK_SECRET_ID: 'webhook-signing-secret.Ref', TABLE_NAME: 'table.Ref' },
  CustomerAccount: { ...stripeEnv },
  BackOffice: { ...stripeEnv, LIFECYCLE_QUEUE_URL: 'lifecycle-queue.Ref' },
  OpenApi: {},
};

const ENTRIES: Record<string, string> = {
  PlanNight: 'functions/renewal/plan-night.ts',
  RenewProduct: 'functions/renewal/renew-product.ts',
  ChargeRenewal: 'functions/renewal/charge-renewal.ts',
  ApplyLifecycle: 'functions/lifecycle/apply-lifecycle.ts',
  SweepLifecycle: 'functions/lifecycle/sweep-lifecycle.ts',
  SettlePayment: 'functions/checkout/settle-payment.ts',
  NightlyCheckouts: 'functions/checkout/nightly-checkouts.ts',
  ImportStatement: 'functions/bank/import-statement.ts',
  ImportProducts: 'functions/backoffice/import-products-file.ts',
  RunExport: 'functions/finance/run-export.ts',
  ArchiveDocuments: 'functions/finance/archive-documents.ts',
  ListProducts: 'functions/products/list-products.ts',
  StartCheckout: 'functions/checkout/start-checkout.ts',
  GetCheckout: 'functions/checkout/get-checkout.ts',
  StartTopUp: 'functions/balance/start-top-up.ts',
  StripeWebhook: 'functions/checkout/stripe-webhook.ts',
  InvoicePdf: 'functions/finance/invoice-pdf.ts',
  RequestExport: 'functions/finance/request-export.ts',
  GetExport: 'functions/finance/get-export.ts',
  OutboxStream: 'functions/mail/outbox-stream.ts',
  SendEmail: 'functions/mail/send-email.ts',
  RecordMailFeedback: 'functions/mail/record-mail-feedback.ts',
  PublishEvents: 'functions/events/publish-events.ts',
  DeliverWebhook: 'functions/events/deliver-webhook.ts',
  CustomerAccount: 'functions/account/customer-account.ts',
  BackOffice: 'functions/backoffice/back-office.ts',
  OpenApi: 'functions/http/openapi.ts',
};
const FUNCTION_IDS = Object.keys(ENTRIES).sort();
/** Functions behind the JWT authorizer: each counts its client's requests on the table. */
const JWT_FUNCTIONS = ROUTES.filter((r) => r.auth)
  .map((r) => HTTP_HANDLERS[routeKey(r)]!.id)
  .sort();

describe('StatelessStack functions', () => {
  it("deploys exactly the twenty-seven handlers (and CDK's bucket-notifications and bucket-deployment handlers)", () => {
    expect(FUNCTION_IDS).toHaveLength(27);
    expect(Object.keys(dev.stateless.functions).sort()).toEqual(FUNCTION_IDS);
    const functions = Object.keys(resourcesOf(dev.statelessTemplate, 'AWS::Lambda::Function'));
    const ours = FUNCTION_IDS.map((id) => logicalIdOf(dev.stateless, dev.stateless.functions[id]!.function));
    expect(functions.filter((f) => !ours.includes(f)).sort()).toEqual([
      expect.stringMatching(new RegExp(`^${BUCKET_NOTIFICATIONS_HANDLER_ID}`)),
      expect.stringMatching(CDK_DEPLOYMENT),
    ]);
  });

  it.each(FUNCTION_IDS)('%s runs Node 22 on arm64 with JSON logs into its own log group, X-Ray and source maps', (id) => {
    const { Properties } = functionResource(dev, id);
    expect(Properties.Runtime).toBe('nodejs22.x');
    expect(Properties.Architectures).toEqual(['arm64']);
    expect(Properties.Handler).toBe('index.handler');
    expect(Properties.TracingConfig).toEqual({ Mode: 'Active' });
    expect(Properties.LoggingConfig).toMatchObject({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO' });
    expect(devName((Properties.LoggingConfig as { LogGroup: Json }).LogGroup)).toBe(`log-group:${id}.Ref`);
    expect((Properties.Environment as { Variables: Record<string, string> }).Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    // Throttling is done by the event sources' maxConcurrency, never by reserved concurrency.
    expect(Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it.each(FUNCTION_IDS)('%s gets exactly the environment its handler reads', (id) => {
    const { Variables } = functionResource(dev, id).Properties.Environment as { Variables: Record<string, Json> };
    const named = Object.fromEntries(
      Object.entries(Variables)
        .filter(([k]) => k !== 'NODE_OPTIONS')
        .map(([k, v]) => [k, devName(v)]),
    );
    expect(named).toEqual(EXPECTED_ENVIRONMENT[id]);
  });

  it.each(FUNCTION_IDS)('%s may do exactly what its handler does, on the resources it uses', (id) => {
    expect(functionPermissions(dev, id, devName)).toEqual([...EXPECTED_PERMISSIONS[id]!].sort());
  });

  it('grants no wildcard action and no "*" resource except for X-Ray and one object prefix, and never Scan', () => {
    // CDK's own deploy-time copier of the portal's files is left as CDK makes it (acknowledged in cdk-nag, with why).
    for (const [, policy] of Object.entries(resourcesOf(dev.statelessTemplate, 'AWS::IAM::Policy')).filter(([id]) => !CDK_DEPLOYMENT.test(id))) {
      for (const st of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
        const actions = Array.isArray(st.Action) ? st.Action : [st.Action];
        for (const action of actions) {
          expect(action).not.toContain('*');
          expect(action).not.toMatch(/^dynamodb:(Scan|BatchWriteItem|DeleteTable|PartiQL)/);
          // Readers of several keys at once: the reconciliation's stored events, a product-night's product and organisation.
          if (action === 'dynamodb:BatchGetItem') expect(devName(policy.Properties.Roles)).toMatch(/NightlyCheckouts|RenewProduct|ChargeRenewal/);
        }
        const resources = Array.isArray(st.Resource) ? (st.Resource as Json[]) : [st.Resource];
        if (resources.includes('*')) expect(actions.every((a) => a.startsWith('xray:'))).toBe(true);
        for (const resource of resources) {
          if (!actions.some((a) => /^(dynamodb|sqs|s3|secretsmanager):/.test(a))) continue;
          const named = devName(resource);
          if (actions.every((a) => /^s3:(Get|Put)BucketNotification$/.test(a))) {
            // CDK's notifications handler: the bucket's notification configuration, nothing else.
            expect(named).toBe('documents-bucket.Arn');
          } else if (actions.every((a) => a.startsWith('s3:'))) {
            // Objects under one of the documents bucket's folders: the only wildcard, at the end of a known prefix.
            expect(named).toMatch(/^(documents-bucket\.Arn\/(invoices|exports|bank\/incoming|imports\/incoming|imports\/reports)|archive-bucket\.Arn\/archive)\/\*$/);
          } else {
            expect(named).not.toContain('*');
          }
        }
      }
    }
  });

  it.each(JWT_FUNCTIONS)('%s (a JWT route) may update the rate-limit counters (RATE#… items)', (id) => {
    expect(functionPermissions(dev, id, devName)).toContain(rateLimit);
  });

  it('lets no public or background function touch the rate-limit counters', () => {
    for (const id of FUNCTION_IDS.filter((f) => !JWT_FUNCTIONS.includes(f))) expect(functionPermissions(dev, id, devName)).not.toContain(rateLimit);
  });

  it('grants the Stripe secret exactly to the functions that call Stripe', () => {
    const withSecret = FUNCTION_IDS.filter((id) => functionPermissions(dev, id, devName).includes(stripeSecret));
    // The back-office refunds an order it releases when its product was terminated while it was held; the customer account makes SetupIntents.
    expect(withSecret).toEqual(['BackOffice', 'ChargeRenewal', 'CustomerAccount', 'NightlyCheckouts', 'SettlePayment', 'StartCheckout', 'StartTopUp']);
    // The public webhook function reads the signing secret and nothing else; no other function reads that one.
    expect(FUNCTION_IDS.filter((id) => functionPermissions(dev, id, devName).includes(webhookSecret))).toEqual(['StripeWebhook']);
    expect(functionPermissions(dev, 'StripeWebhook', devName).filter((p) => p.startsWith('secretsmanager:'))).toEqual([webhookSecret]);
    // Paced where granted; no pace where Stripe is never called.
    for (const id of FUNCTION_IDS) {
      const rps = (functionResource(dev, id).Properties.Environment as { Variables: Record<string, unknown> }).Variables.STRIPE_MAX_RPS;
      expect(rps !== undefined, id).toBe(withSecret.includes(id));
    }
  });

  it('refuses an S3 grant that is not one folder of a bucket', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Probe');
    const fn = new BillingFunction(stack, 'Fn', { stage: 'dev', entry: 'functions/renewal/plan-night.ts', description: 'probe', timeout: Duration.seconds(3) });
    const bucket = new Bucket(stack, 'Bucket');
    for (const prefix of ['', '*', 'exports', 'exports/*', '../', 'a//']) {
      expect(() => fn.grantObjects(bucket, prefix, ['s3:GetObject'], 'a test'), prefix).toThrow(/folder prefix/);
    }
    expect(() => fn.grantObjects(bucket, 'bank/incoming/', ['s3:GetObject'], 'a test')).not.toThrow();
  });

  it('limits every S3 grant to the prefix its function uses, never the bucket or another prefix', () => {
    const s3 = FUNCTION_IDS.flatMap((id) =>
      functionPermissions(dev, id, devName)
        .filter((p) => p.startsWith('s3:'))
        .map((p) => `${id} ${p}`),
    );
    expect(s3.sort()).toEqual(
      [
        'GetExport s3:GetObject documents-bucket.Arn/exports/*',
        'ImportStatement s3:GetObject documents-bucket.Arn/bank/incoming/*',
        'ImportProducts s3:GetObject documents-bucket.Arn/imports/incoming/*',
        'ImportProducts s3:PutObject documents-bucket.Arn/imports/reports/*',
        'InvoicePdf s3:PutObject documents-bucket.Arn/invoices/*',
        'RunExport s3:AbortMultipartUpload documents-bucket.Arn/exports/*',
        'RunExport s3:PutObject documents-bucket.Arn/exports/*',
        // The archive (Object Lock): its writers and readers, under archive/ only.
        ...['ArchiveDocuments', 'InvoicePdf', 'RunExport'].flatMap((id) => archived.map((p) => `${id} ${p}`)),
        'SendEmail s3:GetObject archive-bucket.Arn/archive/*',
      ].sort(),
    );
  });

  it("attaches no managed policy to any role but CDK's bucket-notifications and bucket-deployment handlers'", () => {
    for (const [id, role] of Object.entries(resourcesOf(dev.statelessTemplate, 'AWS::IAM::Role'))) {
      if (id.startsWith(BUCKET_NOTIFICATIONS_HANDLER_ID) || CDK_DEPLOYMENT.test(id)) continue;
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    }
  });

  it('keeps function logs for a month in dev and a year (retained) in prod', () => {
    for (const [s, days, policy] of [
      [dev, 30, 'Delete'],
      [prod, 365, 'Retain'],
    ] as const) {
      for (const id of FUNCTION_IDS) {
        const logGroup = s.statelessTemplate.toJSON().Resources[logicalIdOf(s.stateless, s.stateless.functions[id]!.logGroup)] as CfnResource;
        expect(logGroup.Properties.RetentionInDays).toBe(days);
        expect(logGroup.DeletionPolicy).toBe(policy);
      }
    }
  });
});

describe('StatelessStack queue consumers', () => {
  const consumers = {
    RenewProduct: 'renewal-queue',
    ChargeRenewal: 'charge-queue',
    ApplyLifecycle: 'lifecycle-queue',
    SettlePayment: 'settlement-queue',
    RunExport: 'exports-queue',
    SendEmail: 'mail-queue',
  } as const;

  function mappingOf(id: string): Record<string, unknown> {
    const fnId = logicalIdOf(dev.stateless, dev.stateless.functions[id]!.function);
    const mappings = Object.values(resourcesOf(dev.statelessTemplate, 'AWS::Lambda::EventSourceMapping')).filter(
      (m) => (m.Properties.FunctionName as { Ref: string }).Ref === fnId,
    );
    expect(mappings).toHaveLength(1);
    return mappings[0]!.Properties;
  }

  it("consumes every work queue, each with one function, and the table's stream with two (e-mails, events)", () => {
    const sources = Object.values(resourcesOf(dev.statelessTemplate, 'AWS::Lambda::EventSourceMapping')).map((m) => devName(m.Properties.EventSourceArn));
    expect(sources.sort()).toEqual([...Object.keys(dev.stateful.workQueues).map((q) => `${q}-queue.Arn`), 'table.StreamArn', 'table.StreamArn'].sort());
  });

  it('reads only new outbox e-mails from the stream, bisects a failing batch, retries, then parks it on the mail events DLQ', () => {
    const mapping = mappingOf('OutboxStream');
    expect(devName(mapping.EventSourceArn)).toBe('table.StreamArn');
    expect(mapping.FilterCriteria).toEqual({ Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { Keys: { pk: { S: [{ prefix: 'OUTBOX#' }] } } } }) }] });
    expect(mapping).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
    });
    expect(devName((mapping.DestinationConfig as { OnFailure: { Destination: Json } }).OnFailure.Destination)).toBe('mail-events-dlq.Arn');
  });

  it('reads only new event records from the stream, bisects a failing batch, retries, then parks it on the events DLQ', () => {
    const mapping = mappingOf('PublishEvents');
    expect(mapping.FilterCriteria).toEqual({ Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { Keys: { pk: { S: [{ prefix: 'EVENTS#' }] } } } }) }] });
    expect(mapping).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
    });
    expect(devName((mapping.DestinationConfig as { OnFailure: { Destination: Json } }).OnFailure.Destination)).toBe('events-dlq.Arn');
  });

  it("sends e-mails at most MAIL_MAX_CONCURRENCY containers at a time (SES's starting rate of 14 a second)", () => {
    expect(mappingOf('SendEmail').ScalingConfig).toEqual({ MaximumConcurrency: MAIL_MAX_CONCURRENCY });
    expect(MAIL_MAX_CONCURRENCY * 10 * 0.1).toBeLessThanOrEqual(14 / 5);
  });

  it.each(Object.entries(consumers))('%s reads %s in batches and reports partial batch failures', (id, queue) => {
    const mapping = mappingOf(id);
    expect(devName(mapping.EventSourceArn)).toBe(`${queue}.Arn`);
    // An export runs for minutes: one per invocation.
    expect(mapping.BatchSize).toBe(id === 'RunExport' ? 1 : 10);
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
  });

  it("gives run-export Lambda's longest timeout, and its queue 6 × that", () => {
    expect(functionResource(dev, 'RunExport').Properties.Timeout).toBe(EXPORT_CONSUMER_TIMEOUT_SECONDS);
    expect(EXPORT_CONSUMER_TIMEOUT_SECONDS).toBe(900);
  });

  it.each(Object.entries(consumers))('%s: %s hides a message for at least 6 × the consumer timeout', (id, queue) => {
    const timeout = functionResource(dev, id).Properties.Timeout as number;
    const queueConstruct = dev.stateful.workQueues[queue.replace('-queue', '') as WorkQueueName].queue;
    const queueResource = dev.statefulTemplate.toJSON().Resources[logicalIdOf(dev.stateful, queueConstruct)] as CfnResource;
    expect(queueResource.Properties.VisibilityTimeout as number).toBeGreaterThanOrEqual(VISIBILITY_TIMEOUT_FACTOR * timeout);
    expect((queueResource.Properties.RedrivePolicy as { maxReceiveCount: number }).maxReceiveCount).toBe(MAX_RECEIVE_COUNT);
  });

  const concurrencyOf = (id: string) => (mappingOf(id).ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency;
  const rpsOf = (id: string) => Number((functionResource(dev, id).Properties.Environment as { Variables: Record<string, string> }).Variables.STRIPE_MAX_RPS);

  it("charge-renewal leaves checkouts their share of Stripe's rate limit: maxConcurrency × STRIPE_MAX_RPS + reserve ≤ 25", () => {
    expect(concurrencyOf('ChargeRenewal')).toBe(CHARGE_MAX_CONCURRENCY);
    expect(rpsOf('ChargeRenewal')).toBeGreaterThan(0);
    expect(CHECKOUT_STRIPE_RESERVE).toBeGreaterThanOrEqual(5);
    expect(concurrencyOf('ChargeRenewal')! * rpsOf('ChargeRenewal') + CHECKOUT_STRIPE_RESERVE).toBeLessThanOrEqual(STRIPE_RATE_LIMIT_PER_SECOND);
  });

  it("settle-payment stays under Stripe's rate limit: maxConcurrency × STRIPE_MAX_RPS ≤ 25", () => {
    expect(concurrencyOf('SettlePayment')).toBeGreaterThanOrEqual(2);
    expect(concurrencyOf('SettlePayment')! * rpsOf('SettlePayment')).toBeLessThanOrEqual(STRIPE_RATE_LIMIT_PER_SECOND);
  });

  it('renew-product, which never calls Stripe, runs wider than the charge queue but capped', () => {
    expect(concurrencyOf('RenewProduct')).toBeGreaterThan(concurrencyOf('ChargeRenewal')!);
    expect(concurrencyOf('RenewProduct')).toBeLessThanOrEqual(50);
  });

  it.each(['ApplyLifecycle', 'RunExport'])('%s has its concurrency capped only where it matters', (id) => {
    expect(concurrencyOf(id)).toBe(id === 'RunExport' ? 2 : undefined);
  });
});

describe('StatelessStack bucket notifications', () => {
  it('invokes import-statement for objects created under bank/incoming/, import-products-file under imports/incoming/, and nothing else', () => {
    const notifications = Object.values(resourcesOf(dev.statelessTemplate, 'Custom::S3BucketNotifications')).map((n) => n.Properties);
    expect(notifications).toHaveLength(1);
    expect(devName(notifications[0]!.BucketName)).toBe('documents-bucket.Ref');
    // Merged with the bucket's other notifications (none today), not replacing them.
    expect(notifications[0]!.Managed).toBe(false);
    const configuration = notifications[0]!.NotificationConfiguration as { LambdaFunctionConfigurations: Record<string, Json>[] };
    expect(Object.keys(configuration)).toEqual(['LambdaFunctionConfigurations']);
    const lambdas = configuration.LambdaFunctionConfigurations as { Events: string[]; Filter: { Key: { FilterRules: { Value: string }[] } }; LambdaFunctionArn: Json }[];
    expect(lambdas.map((l) => [l.Events, l.Filter.Key.FilterRules, devName(l.LambdaFunctionArn)])).toEqual([
      [['s3:ObjectCreated:*'], [{ Name: 'prefix', Value: 'bank/incoming/' }], 'fn:ImportStatement.Arn'],
      [['s3:ObjectCreated:*'], [{ Name: 'prefix', Value: 'imports/incoming/' }], 'fn:ImportProducts.Arn'],
    ]);
  });

  it('lets S3 invoke the two import functions only for the documents bucket of this account', () => {
    const permissions = Object.values(resourcesOf(dev.statelessTemplate, 'AWS::Lambda::Permission'))
      .map((p) => p.Properties)
      .filter((p) => p.Principal === 's3.amazonaws.com');
    expect(permissions.map((p) => devName(p.FunctionName)).sort()).toEqual(['fn:ImportProducts.Arn', 'fn:ImportStatement.Arn']);
    for (const p of permissions) {
      expect(devName(p.SourceArn)).toBe('documents-bucket.Arn');
      expect(p.SourceAccount).toEqual({ Ref: 'AWS::AccountId' });
    }
  });

  it.each([
    ['ImportStatement', 'bank-import-dlq.Arn'],
    ['ImportProducts', 'imports-dlq.Arn'],
  ])('retries a failed %s twice, then parks the S3 event on its DLQ', (id, dlq) => {
    const fnId = logicalIdOf(dev.stateless, dev.stateless.functions[id]!.function);
    const configs = Object.values(resourcesOf(dev.statelessTemplate, 'AWS::Lambda::EventInvokeConfig')).filter((c) => (c.Properties.FunctionName as { Ref: string }).Ref === fnId);
    expect(configs).toHaveLength(1);
    expect(configs[0]!.Properties.MaximumRetryAttempts).toBe(2);
    expect(devName((configs[0]!.Properties.DestinationConfig as { OnFailure: { Destination: Json } }).OnFailure.Destination)).toBe(dlq);
  });

  it("lets CDK's notifications handler configure only the documents bucket", () => {
    const policies = Object.values(resourcesOf(dev.statelessTemplate, 'AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith(BUCKET_NOTIFICATIONS_HANDLER_ID)),
    );
    expect(policies).toHaveLength(1);
    const statements = (policies[0]!.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    expect(statements.map((st) => [st.Action, devName(st.Resource)])).toEqual([[['s3:GetBucketNotification', 's3:PutBucketNotification'], 'documents-bucket.Arn']]);
  });
});

describe('StatelessStack nightly schedules', () => {
  const schedules = () => Object.values(resourcesOf(dev.statelessTemplate, 'AWS::Scheduler::Schedule')).map((s) => s.Properties);
  // A function's schedules; NightlyCheckouts has two (the nightly chores, the hourly reconciliation), told apart by their expression.
  const scheduleOf = (id: string, kind?: 'cron' | 'rate') => {
    const found = schedules().filter(
      (s) => devName((s.Target as { Arn: Json }).Arn) === `fn:${id}.Arn` && (kind === undefined || String(s.ScheduleExpression).startsWith(`${kind}(`)),
    );
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  it('schedules plan-night at 02:00 and the checkout chores at 03:00, Europe/Zurich, the lifecycle sweep every 5 minutes, the reconciliation hourly, and nothing else', () => {
    expect(schedules()).toHaveLength(4);
    expect(scheduleOf('SweepLifecycle')).toMatchObject({ ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' });
    expect(scheduleOf('PlanNight')).toMatchObject({ ScheduleExpression: 'cron(0 2 * * ? *)', ScheduleExpressionTimezone: 'Europe/Zurich', State: 'ENABLED' });
    expect(scheduleOf('NightlyCheckouts', 'cron')).toMatchObject({ ScheduleExpression: 'cron(0 3 * * ? *)', ScheduleExpressionTimezone: 'Europe/Zurich', State: 'ENABLED' });
    const hourly = scheduleOf('NightlyCheckouts', 'rate');
    expect(hourly).toMatchObject({ ScheduleExpression: 'rate(1 hour)', State: 'ENABLED' });
    // The provider's new events only: no chores every hour.
    expect(JSON.parse((hourly.Target as { Input: string }).Input)).toEqual({ reconcileOnly: true });
  });

  it.each([
    ['PlanNight', undefined],
    ['NightlyCheckouts', 'cron'],
    ['SweepLifecycle', undefined],
  ] as const)('%s: retries, then parks the invocation on the scheduler DLQ', (id, kind) => {
    const target = scheduleOf(id, kind).Target as { RetryPolicy: Record<string, number>; DeadLetterConfig: { Arn: Json }; Input: string; RoleArn: Json };
    expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThanOrEqual(1);
    expect(target.RetryPolicy.MaximumEventAgeInSeconds).toBeGreaterThan(0);
    expect(devName(target.DeadLetterConfig.Arn)).toBe('scheduler-dlq.Arn');
    // No night in the event: the handler takes tonight from its Zurich clock.
    expect(JSON.parse(target.Input)).toEqual({});
    // The scheduler's role invokes this function and writes to the DLQ, nothing else.
    const roleId = (target.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    expect(permissionsOf(dev, roleId, devName)).toEqual([`lambda:InvokeFunction fn:${id}.Arn`, `lambda:InvokeFunction fn:${id}.Arn:*`, send('scheduler-dlq')]);
  });

  it.each(['PlanNight', 'NightlyCheckouts'])('%s: a failed asynchronous run is retried twice, then parked on the scheduler DLQ', (id) => {
    const fnId = logicalIdOf(dev.stateless, dev.stateless.functions[id]!.function);
    const configs = Object.values(resourcesOf(dev.statelessTemplate, 'AWS::Lambda::EventInvokeConfig')).filter((c) => (c.Properties.FunctionName as { Ref: string }).Ref === fnId);
    expect(configs).toHaveLength(1);
    expect(configs[0]!.Properties.MaximumRetryAttempts).toBe(2);
    expect(devName((configs[0]!.Properties.DestinationConfig as { OnFailure: { Destination: Json } }).OnFailure.Destination)).toBe('scheduler-dlq.Arn');
  });
});

describe('StatelessStack HTTP API', () => {
  const routes = () => Object.values(resourcesOf(dev.statelessTemplate, 'AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
  const integrations = resourcesOf(dev.statelessTemplate, 'AWS::ApiGatewayV2::Integration');
  const deployedKeys = () => routes().map((r) => r.RouteKey as string);
  const FUNCTION_OF_ROUTE: Record<string, string> = {
    'GET /v1/orgs/{orgId}/products': 'ListProducts',
    'POST /v1/orgs/{orgId}/checkout': 'StartCheckout',
    'GET /v1/orgs/{orgId}/checkouts/{checkoutId}': 'GetCheckout',
    'POST /v1/orgs/{orgId}/balance/top-ups': 'StartTopUp',
    'POST /v1/webhooks/stripe': 'StripeWebhook',
    'GET /v1/orgs/{orgId}/invoices/{file}': 'InvoicePdf',
    'POST /v1/exports': 'RequestExport',
    'GET /v1/exports/{exportId}': 'GetExport',
    'GET /v1/me': 'CustomerAccount',
    'POST /v1/orgs/{orgId}/checkout/quote': 'CustomerAccount',
    'POST /v1/orgs/{orgId}/checkouts/{checkoutId}/cancel': 'CustomerAccount',
    'PUT /v1/orgs/{orgId}/products/{productId}/auto-renew': 'CustomerAccount',
    'PUT /v1/orgs/{orgId}/auto-renew': 'CustomerAccount',
    'GET /v1/orgs/{orgId}/invoices': 'CustomerAccount',
    'GET /v1/orgs/{orgId}/balance': 'CustomerAccount',
    'GET /v1/orgs/{orgId}/payment-methods': 'CustomerAccount',
    'DELETE /v1/orgs/{orgId}/payment-methods/{methodId}': 'CustomerAccount',
    'GET /v1/orgs/{orgId}/orders': 'CustomerAccount',
    'POST /v1/orgs/{orgId}/payment-methods/setup': 'CustomerAccount',
    'POST /v1/orgs/{orgId}/products/{productId}/termination': 'CustomerAccount',
    'POST /v1/orgs/{orgId}/products/{productId}/termination/confirm': 'CustomerAccount',
    'DELETE /v1/orgs/{orgId}/products/{productId}/termination': 'CustomerAccount',
    'POST /v1/admin/orgs': 'BackOffice',
    'GET /v1/admin/orgs': 'BackOffice',
    'GET /v1/admin/orgs/{orgId}': 'BackOffice',
    'PATCH /v1/admin/orgs/{orgId}': 'BackOffice',
    'PUT /v1/admin/orgs/{orgId}/members/{userId}': 'BackOffice',
    'DELETE /v1/admin/orgs/{orgId}/members/{userId}': 'BackOffice',
    'POST /v1/admin/persons/{userId}/erasure': 'BackOffice',
    'GET /v1/finance/oss-return': 'BackOffice',
    'POST /v1/admin/orgs/{orgId}/products': 'BackOffice',
    'PATCH /v1/admin/orgs/{orgId}/products/{productId}': 'BackOffice',
    'POST /v1/admin/orgs/{orgId}/products/{productId}/move': 'BackOffice',
    'POST /v1/admin/orgs/{orgId}/products/import': 'BackOffice',
    'POST /v1/admin/orgs/{orgId}/payment-methods': 'BackOffice',
    'PUT /v1/admin/orgs/{orgId}/identity-check': 'BackOffice',
    'POST /v1/admin/orgs/{orgId}/orders/{checkoutId}/release': 'BackOffice',
    'PUT /v1/admin/orgs/{orgId}/partner': 'BackOffice',
    'PUT /v1/admin/orgs/{orgId}/partner-link': 'BackOffice',
    'GET /v1/admin/audit': 'BackOffice',
    'POST /v1/finance/bank-statements': 'BackOffice',
    'GET /v1/finance/bank-credits': 'BackOffice',
    'GET /v1/finance/held-orders': 'BackOffice',
    'POST /v1/finance/orgs/{orgId}/orders/{checkoutId}/release': 'BackOffice',
    'POST /v1/finance/orgs/{orgId}/orders/{checkoutId}/cancel': 'BackOffice',
    'GET /v1/openapi.json': 'OpenApi',
  };

  it('maps every route of routes.ts to its function here', () => {
    expect(Object.keys(FUNCTION_OF_ROUTE).sort()).toEqual(ROUTES.map(routeKey).sort());
    for (const [key, id] of Object.entries(FUNCTION_OF_ROUTE)) expect(HTTP_HANDLERS[key]).toEqual({ id, entry: ENTRIES[id] });
  });

  it('synthesizes without warnings (an undeployed route would be one)', () => {
    const warnings = [dev, prod].flatMap((s) =>
      s.assembly.stacks.flatMap((stack) => stack.messages.filter((m) => m.level === 'warning' || m.level === 'error').map((m) => `${stack.stackName}: ${String(m.entry.data)}`)),
    );
    expect(warnings).toEqual([]);
  });

  it('deploys every route of functions/http/routes.ts, and no other', () => {
    expect(dev.stateless.undeployedRoutes).toEqual([]);
    expect(deployedKeys().sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  it('puts every deployed route behind the JWT authorizer exactly when routes.ts says auth', () => {
    for (const route of routes()) {
      const declared = ROUTES.find((r) => routeKey(r) === route.RouteKey);
      expect(declared, `${String(route.RouteKey)} is not in routes.ts`).toBeDefined();
      if (declared!.auth) {
        expect(route.AuthorizationType).toBe('JWT');
        expect(route.AuthorizerId).toBeDefined();
      } else {
        expect(route.AuthorizationType).toBe('NONE');
        expect(route.AuthorizerId).toBeUndefined();
      }
    }
  });

  it("leaves exactly the Stripe webhook, a termination's e-mailed confirmation and the OpenAPI document without an authorizer", () => {
    expect(
      routes()
        .filter((r) => r.AuthorizationType !== 'JWT')
        .map((r) => r.RouteKey)
        .sort(),
    ).toEqual(['GET /v1/openapi.json', 'POST /v1/orgs/{orgId}/products/{productId}/termination/confirm', 'POST /v1/webhooks/stripe']);
  });

  it('asks API Gateway for the billing:backoffice scope on every /v1/admin route, billing:finance on every /v1/finance route, and on no other', () => {
    for (const route of routes()) {
      const path = (route.RouteKey as string).split(' ')[1]!;
      const scope = path.startsWith('/v1/admin/') ? ['billing:backoffice'] : path.startsWith('/v1/finance/') ? ['billing:finance'] : undefined;
      expect([route.RouteKey, route.AuthorizationScopes]).toEqual([route.RouteKey, scope]);
    }
    expect(routes().filter((r) => r.AuthorizationScopes)).toHaveLength(17 + 6);
  });

  it('integrates each function once, however many routes it serves', () => {
    expect(Object.keys(integrations)).toHaveLength(new Set(Object.values(FUNCTION_OF_ROUTE)).size);
  });

  it.each(Object.entries(FUNCTION_OF_ROUTE))('%s invokes %s with the v2 payload', (key, fnId) => {
    const route = routes().find((r) => r.RouteKey === key);
    expect(route, `${key} is not deployed`).toBeDefined();
    const integrationId = ((route!.Target as { 'Fn::Join': [string, Json[]] })['Fn::Join'][1][1] as { Ref: string }).Ref;
    const integration = integrations[integrationId]!.Properties;
    expect(integration).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    expect(devName(integration.IntegrationUri)).toBe(`fn:${fnId}.Arn`);
  });

  it('validates tokens against the JwtIssuer and JwtAudience parameters', () => {
    const template = dev.statelessTemplate;
    template.hasParameter('JwtIssuer', { Type: 'String', AllowedPattern: '^https://\\S+$' });
    template.hasParameter('JwtAudience', { Type: 'CommaDelimitedList' });
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: { Ref: 'JwtIssuer' }, Audience: { Ref: 'JwtAudience' } },
    });
  });

  it('takes the parameter defaults from -c jwtIssuer / -c jwtAudience', () => {
    const configured = synthBillingApp('dev', { bundle: false, context: { jwtIssuer: 'https://auth.example.com/', jwtAudience: 'billing-api,portal' } });
    try {
      configured.statelessTemplate.hasParameter('JwtIssuer', { Default: 'https://auth.example.com/' });
      configured.statelessTemplate.hasParameter('JwtAudience', { Default: 'billing-api,portal' });
    } finally {
      configured.cleanup();
    }
  });

  it('logs every request and throttles the default stage', () => {
    dev.statelessTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('\\$context\\.requestId') },
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
    });
  });

  it('lets API Gateway invoke each HTTP function only from its own route', () => {
    const permissions = Object.values(resourcesOf(dev.statelessTemplate, 'AWS::Lambda::Permission'))
      .map((p) => p.Properties)
      .filter((p) => p.Principal !== 's3.amazonaws.com' && p.Principal !== 'events.amazonaws.com');
    expect(permissions).toHaveLength(routes().length);
    for (const p of permissions) {
      expect(p.Principal).toBe('apigateway.amazonaws.com');
      expect(JSON.stringify(p.SourceArn)).toMatch(/\/v1\//);
    }
  });
});

describe('StatelessStack mail', () => {
  const only = <T>(type: string) => {
    const found = Object.values(resourcesOf(dev.statelessTemplate, type));
    expect(found, type).toHaveLength(1);
    return found[0]!.Properties as T;
  };

  it('keeps SES from writing again to addresses that bounced or complained, and reports both to the default bus', () => {
    expect(only<Record<string, Json>>('AWS::SES::ConfigurationSet')).toMatchObject({
      Name: 'billing-dev-mail',
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      ReputationOptions: { ReputationMetricsEnabled: true },
    });
    const destination = only<{ EventDestination: { Enabled: boolean; MatchingEventTypes: string[]; EventBridgeDestination: { EventBusArn: Json } } }>(
      'AWS::SES::ConfigurationSetEventDestination',
    ).EventDestination;
    expect(destination.MatchingEventTypes.sort()).toEqual(['bounce', 'complaint']);
    expect(JSON.stringify(destination.EventBridgeDestination.EventBusArn)).toContain('event-bus/default');
  });

  it("routes this configuration set's bounces and complaints, and nothing else, to record-mail-feedback", () => {
    const rule = only<{ EventPattern: Json; Targets: { Arn: Json }[] }>('AWS::Events::Rule');
    expect(rule.EventPattern).toEqual({
      source: ['aws.ses'],
      'detail-type': ['Email Bounced', 'Email Complaint Received'],
      detail: { mail: { tags: { 'ses:configuration-set': ['billing-dev-mail'] } } },
    });
    expect(rule.Targets.map((t) => devName(t.Arn))).toEqual(['fn:RecordMailFeedback.Arn']);
    const invoke = Object.values(resourcesOf(dev.statelessTemplate, 'AWS::Lambda::Permission'))
      .map((p) => p.Properties)
      .filter((p) => p.Principal === 'events.amazonaws.com');
    expect(invoke.map((p) => devName(p.FunctionName))).toEqual(['fn:RecordMailFeedback.Arn']);
  });

  it('lets send-email send from the sender domains of the configuration only, in its configuration set', () => {
    const ses = functionPermissions(dev, 'SendEmail', devName).filter((p) => p.startsWith('ses:'));
    expect(ses).toEqual([
      'ses:SendEmail arn:AWS::Partition.Ref:ses:AWS::Region.Ref:AWS::AccountId.Ref:configuration-set/billing-dev-mail',
      'ses:SendEmail arn:AWS::Partition.Ref:ses:AWS::Region.Ref:AWS::AccountId.Ref:identity/example-hosting.ch',
    ]);
  });
});

describe('StatelessStack events', () => {
  it('puts the business events on a bus of the stage, archived for replays (30 days in dev, a year in prod)', () => {
    const buses = Object.values(resourcesOf(dev.statelessTemplate, 'AWS::Events::EventBus')).map((b) => b.Properties);
    expect(buses).toEqual([expect.objectContaining({ Name: 'billing-dev' })]);
    const archives = (s: SynthesizedApp) => Object.values(resourcesOf(s.statelessTemplate, 'AWS::Events::Archive')).map((a) => a.Properties);
    expect(archives(dev)).toEqual([expect.objectContaining({ ArchiveName: 'billing-dev-events', RetentionDays: 30, EventPattern: { source: ['billing-engine'] } })]);
    expect(archives(prod)).toEqual([expect.objectContaining({ RetentionDays: 365 })]);
  });
});

describe('StatelessStack outputs', () => {
  it('outputs the portal address: its CloudFront domain', () => {
    const outputs = dev.statelessTemplate.toJSON().Outputs as Record<string, { Value: Json }>;
    expect(JSON.stringify(outputs.PortalUrl!.Value)).toContain('PortalDistribution');
  });

  it('outputs the API and webhook URLs, the alarm topic and what the runbook needs', () => {
    const outputs = dev.statelessTemplate.toJSON().Outputs as Record<string, { Value: Json }>;
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'AlarmTopicArn',
        'ApiUrl',
        'DashboardName',
        'EventBusArn',
        'EventBusName',
        'ImportStatementFunctionName',
        'MailConfigurationSetName',
        'PlanNightFunctionName',
        'PlanNightScheduleName',
        'PortalUrl',
        'SendEmailFunctionName',
        'StripeWebhookUrl',
      ].sort(),
    );
    expect(devName(outputs.PlanNightFunctionName!.Value)).toBe('fn:PlanNight.Ref');
    expect(devName(outputs.ImportStatementFunctionName!.Value)).toBe('fn:ImportStatement.Ref');
    expect(devName(outputs.SendEmailFunctionName!.Value)).toBe('fn:SendEmail.Ref');
    expect(outputs.MailConfigurationSetName!.Value).toBe('billing-dev-mail');
    expect(JSON.stringify(outputs.StripeWebhookUrl!.Value)).toContain('v1/webhooks/stripe');
  });
});

describe('StatelessStack dashboard', () => {
  const body = () => {
    const dashboards = Object.values(resourcesOf(dev.statelessTemplate, 'AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    // The body is a Fn::Join of literal JSON pieces and references: the literal text is what names the metrics.
    return JSON.stringify(dashboards[0]!.Properties.DashboardBody).replace(/\\"/g, '"');
  };

  it("graphs each metric the functions emit, under Powertools' namespace and service dimension", () => {
    const text = body();
    for (const name of ['RenewalsAttempted', 'RenewalsPaid', 'RenewalsFailed', 'RemindersSent', 'ProductsBlocked', 'ProductsUnblocked', 'ProductsTerminated', 'Redeliveries']) {
      expect(text, name).toContain(`"Billing","${name}","service","billing"`);
    }
    // CloudWatch matches a metric on all its dimensions (the dashboard lists them by name).
    expect(text).toContain('"Billing","CollectedMinorUnits","Currency","CHF","service","billing"');
    expect(text).toContain('"Billing","CollectedMinorUnits","Currency","EUR","service","billing"');
    for (const action of ['block', 'unblock', 'terminate']) expect(text).toContain(`"Billing","LifecycleCommands","Action","${action}","Result","applied","service","billing"`);
    // Those dimensions are the ones Powertools writes for a paid renewal in CHF.
    const collected = emittedMetrics([{ attempted: true, paid: true, collected: '14.05', currency: 'CHF' }]).find((m) => m.name === 'CollectedMinorUnits');
    expect(collected).toEqual({ namespace: 'Billing', name: 'CollectedMinorUnits', dimensions: { service: 'billing', Currency: 'CHF' }, value: 1405 });
  });

  it('shows the state of every alarm of the stack', () => {
    const alarmIds = Object.keys(resourcesOf(dev.statelessTemplate, 'AWS::CloudWatch::Alarm'));
    const text = body();
    expect(alarmIds.length).toBeGreaterThan(60);
    for (const id of alarmIds) expect(text, id).toContain(id);
  });
});

describe('StatelessStack alarms', () => {
  const alarms = () => Object.values(resourcesOf(dev.statelessTemplate, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);

  it('alarms on a spike of failed renewal payments: 30 % of an hour, from 20 attempts, on the metrics the functions really emit', () => {
    const found = alarms().filter((a) => JSON.stringify(a.Metrics ?? []).includes('RenewalsFailed'));
    expect(found).toHaveLength(1);
    const spike = found[0]!;
    expect(spike).toMatchObject({ Threshold: 30, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
    const metrics = spike.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] }; Period: number; Stat: string };
    }[];
    expect(metrics.find((m) => m.Expression)!.Expression).toBe('IF(FILL(attempted, 0) >= 20, 100 * FILL(failed, 0) / attempted, 0)');
    // What Powertools writes for a night with one paid and one failed renewal (EMF documents on stdout), read back:
    const emitted = emittedMetrics([
      { attempted: true, paid: true, collected: '14.05', currency: 'CHF' },
      { attempted: true, failed: true, currency: 'CHF' },
    ]);
    for (const id of ['attempted', 'failed']) {
      const stat = metrics.find((m) => m.Id === id)!.MetricStat!;
      expect(stat).toMatchObject({ Period: 3600, Stat: 'Sum' });
      const sent = emitted.find((e) => e.name === stat.Metric.MetricName);
      expect(sent, stat.Metric.MetricName).toBeDefined();
      expect(stat.Metric.Namespace).toBe(sent!.namespace);
      expect(Object.fromEntries(stat.Metric.Dimensions.map((d) => [d.Name, d.Value]))).toEqual(sent!.dimensions);
    }
  });

  it('alarms on the depth of every dead-letter queue', () => {
    const watched = alarms()
      .filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible')
      .map((a) => devName((a.Dimensions as { Name: string; Value: Json }[]).find((d) => d.Name === 'QueueName')!.Value));
    expect(watched.sort()).toEqual(
      [
        'bank-import-dlq',
        'charge-dlq',
        'events-dlq',
        'exports-dlq',
        'imports-dlq',
        'lifecycle-dlq',
        'mail-dlq',
        'mail-events-dlq',
        'renewal-dlq',
        'scheduler-dlq',
        'settlement-dlq',
        'webhooks-dlq',
      ].map((q) => `${q}.QueueName`),
    );
    for (const a of alarms().filter((x) => x.MetricName === 'ApproximateNumberOfMessagesVisible')) {
      expect(a).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    }
  });

  it("alarms before SES reviews the account: bounce rate 5 %, complaint rate 0.1 % (SES's published thresholds)", () => {
    const ses = alarms().filter((a) => a.Namespace === 'AWS/SES');
    expect(ses.map((a) => [a.MetricName, a.Threshold, a.ComparisonOperator]).sort()).toEqual([
      ['Reputation.BounceRate', 0.05, 'GreaterThanOrEqualToThreshold'],
      ['Reputation.ComplaintRate', 0.001, 'GreaterThanOrEqualToThreshold'],
    ]);
  });

  it.each(['Errors', 'Throttles'])('alarms on %s of every function', (metric) => {
    const watched = alarms()
      .filter((a) => a.MetricName === metric && a.Namespace === 'AWS/Lambda')
      .map((a) => devName((a.Dimensions as { Name: string; Value: Json }[]).find((d) => d.Name === 'FunctionName')!.Value));
    expect(watched.sort()).toEqual(FUNCTION_IDS.map((id) => `fn:${id}.Ref`).sort());
  });

  it.each(['PlanNight', 'NightlyCheckouts'])('alarms when %s has not finished a run for 24 hours', (id) => {
    const found = alarms().filter((a) => Array.isArray(a.Metrics) && JSON.stringify(a.Metrics).includes(logicalIdOf(dev.stateless, dev.stateless.functions[id]!.function)));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ ComparisonOperator: 'LessThanThreshold', Threshold: 1, EvaluationPeriods: 24, DatapointsToAlarm: 24, TreatMissingData: 'breaching' });
  });

  it('alarms when renewal or charge messages wait for hours (the night is not finishing)', () => {
    const found = alarms().filter((a) => a.MetricName === 'ApproximateAgeOfOldestMessage');
    expect(found.map((a) => devName((a.Dimensions as { Value: Json }[])[0]!.Value)).sort()).toEqual(['charge-queue.QueueName', 'renewal-queue.QueueName']);
    for (const a of found) expect(a).toMatchObject({ Threshold: 4 * 60 * 60, Statistic: 'Maximum', ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  });

  it('sends every alarm to the alarm topic', () => {
    for (const a of alarms()) expect((a.AlarmActions as Json[]).map(devName)).toEqual(['alarm-topic.Ref']);
  });
});

describe('StatelessStack portal (S3 + CloudFront)', () => {
  const t = dev.statelessTemplate;
  const only = <T = Json>(type: string) => {
    const found = Object.entries(resourcesOf(t, type));
    expect(found, type).toHaveLength(1);
    return found[0]! as [string, CfnResource & { Properties: T }];
  };

  it('keeps the files in a private, encrypted bucket that only the distribution may read (origin access control)', () => {
    const [bucketId] = Object.entries(resourcesOf(t, 'AWS::S3::Bucket')).find(([id]) => id.startsWith('PortalBucket'))!;
    t.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LoggingConfiguration: { LogFilePrefix: 'portal/' },
    });
    const policy = Object.values(resourcesOf(t, 'AWS::S3::BucketPolicy')).find((p) => JSON.stringify(p.Properties.Bucket).includes(bucketId))!;
    const statements = (policy.Properties.PolicyDocument as { Statement: { Effect: string; Principal?: Json; Action: string | string[]; Condition?: Json }[] }).Statement;
    const read = statements.filter((st) => st.Effect === 'Allow');
    expect(read).toHaveLength(1);
    expect(read[0]!.Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
    expect(read[0]!.Action).toBe('s3:GetObject');
    expect(JSON.stringify(read[0]!.Condition)).toContain('AWS:SourceArn');
    // And TLS only, as for every bucket of the stage.
    expect(statements.some((st) => st.Effect === 'Deny' && JSON.stringify(st.Condition).includes('aws:SecureTransport'))).toBe(true);
    const [, oac] = only<{ OriginAccessControlConfig: Json }>('AWS::CloudFront::OriginAccessControl');
    expect(oac.Properties.OriginAccessControlConfig).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
  });

  it('serves index.html for every path that is no file (the e-mails link to /pay?org=…), over https only', () => {
    const [, dist] = only<{ DistributionConfig: Json }>('AWS::CloudFront::Distribution');
    const config = dist.Properties.DistributionConfig as {
      DefaultRootObject: string;
      CustomErrorResponses: Json[];
      DefaultCacheBehavior: { ViewerProtocolPolicy: string; AllowedMethods: string[]; ResponseHeadersPolicyId: Json };
      Origins: { OriginAccessControlId?: Json }[];
    };
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.CustomErrorResponses).toEqual([
      { ErrorCode: 403, ResponseCode: 200, ResponsePagePath: '/index.html', ErrorCachingMinTTL: 0 },
      { ErrorCode: 404, ResponseCode: 200, ResponsePagePath: '/index.html', ErrorCachingMinTTL: 0 },
    ]);
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.DefaultCacheBehavior.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(config.Origins[0]!.OriginAccessControlId).toBeDefined();
  });

  it('sends the security headers of billing serve, with HSTS: own scripts only, calls to the API and the token endpoint, no framing', () => {
    const [, policy] = only<{ ResponseHeadersPolicyConfig: { SecurityHeadersConfig: Record<string, Json>; CustomHeadersConfig: Json } }>('AWS::CloudFront::ResponseHeadersPolicy');
    const sec = policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig as Record<string, Record<string, unknown>>;
    const csp = JSON.stringify(sec.ContentSecurityPolicy!.ContentSecurityPolicy);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "connect-src 'self' https://*.execute-api.",
    ]) {
      expect(csp).toContain(directive);
    }
    expect(csp).toContain('PortalTokenUrl');
    expect(sec.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(sec.ContentTypeOptions).toEqual({ Override: true });
    expect(sec.StrictTransportSecurity).toEqual({ AccessControlMaxAgeSec: 63072000, IncludeSubdomains: true, Preload: true, Override: true });
    expect(sec.ReferrerPolicy).toEqual({ ReferrerPolicy: 'strict-origin-when-cross-origin', Override: true });
  });

  it('lets the portal alone call the API from a browser (CORS: its distribution, the headers the pages send)', () => {
    const [, api] = only<{ CorsConfiguration: { AllowOrigins: Json[]; AllowHeaders: string[]; ExposeHeaders: string[] } }>('AWS::ApiGatewayV2::Api');
    const cors = api.Properties.CorsConfiguration;
    expect(cors.AllowOrigins).toHaveLength(1);
    expect(JSON.stringify(cors.AllowOrigins[0])).toMatch(/https:\/\/.*PortalDistribution.*DomainName/);
    expect(cors.AllowHeaders.sort()).toEqual(['authorization', 'content-type', 'idempotency-key']);
    expect(cors.ExposeHeaders).toContain('retry-after');
  });

  it("deploys the built pages with a config.json naming the API and the provider's OAuth 2 server", () => {
    const [, deployment] = only<{ DestinationBucketName: Json; DistributionId: Json; SourceMarkers: Json[] }>('Custom::CDKBucketDeployment');
    expect(JSON.stringify(deployment.Properties.DestinationBucketName)).toContain('PortalBucket');
    expect(JSON.stringify(deployment.Properties.DistributionId)).toContain('PortalDistribution');
    const markers = JSON.stringify(deployment.Properties.SourceMarkers);
    for (const param of ['PortalAuthorizeUrl', 'PortalTokenUrl', 'PortalClientId', 'PortalScope', 'ApiHttpApi']) expect(markers).toContain(param);
  });
});
