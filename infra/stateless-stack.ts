import { Annotations, type CfnElement, CfnOutput, CfnParameter, Duration, Fn, RemovalPolicy, Stack, type StackProps, TimeZone, Validations } from 'aws-cdk-lib';
import { HttpApi, HttpMethod, HttpNoneAuthorizer, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, MathExpression, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Bucket, EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TABLE_KEYS } from '../shared/adapters/dynamodb/table-schema.ts';
import { ROUTES, routeKey } from '../functions/http/routes.ts';
import { BillingFunction } from './billing-function.ts';
import {
  BANK_INCOMING_PREFIX,
  CONSUMER_TIMEOUT_SECONDS,
  documentsBucketArnExportName,
  EXPORT_CONSUMER_TIMEOUT_SECONDS,
  EXPORTS_PREFIX,
  INVOICES_PREFIX,
  type Stage,
  type StatefulStack,
} from './stateful-stack.ts';

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
 *   nightly-checkouts: one scheduled invocation, 1 × 5, an hour after the
 *                  night starts.
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

/** Nightly jobs, in Zurich time (the nights of the domain are Zurich nights). */
export const NIGHTLY_TIME_ZONE = TimeZone.EUROPE_ZURICH;
export const PLAN_NIGHT_CRON = { minute: '0', hour: '2' } as const;

/** How often pending lifecycle commands are swept (a paid product unblocked within this, whoever crashed). */
export const LIFECYCLE_SWEEP_MINUTES = 5;
/** The partitions the sweep reads: the lifecycle commands of a day, in shards. */
export const LIFECYCLE_SWEEP_KEYS = ['LIFECYCLE#*'] as const;
/** An hour after the renewals start, so reconciliation does not compete with them for Stripe's budget. */
export const NIGHTLY_CHECKOUTS_CRON = { minute: '0', hour: '3' } as const;

/**
 * The renewal and charge queues should be empty a few hours after
 * plan-night; older messages mean the night is not finishing.
 */
export const NIGHT_BACKLOG_ALARM_AGE = Duration.hours(4);

/** The module behind each HTTP route (routes.ts holds the paths, methods and auth; this maps them to bundles). */
export const HTTP_HANDLERS: Readonly<Record<string, { id: string; entry: string }>> = {
  'GET /v1/orgs/{orgId}/products': { id: 'ListProducts', entry: 'functions/products/list-products.ts' },
  'POST /v1/orgs/{orgId}/checkout': { id: 'StartCheckout', entry: 'functions/checkout/start-checkout.ts' },
  'GET /v1/orgs/{orgId}/checkouts/{checkoutId}': { id: 'GetCheckout', entry: 'functions/checkout/get-checkout.ts' },
  'POST /v1/orgs/{orgId}/balance/top-ups': { id: 'StartTopUp', entry: 'functions/balance/start-top-up.ts' },
  'POST /v1/webhooks/stripe': { id: 'StripeWebhook', entry: 'functions/checkout/stripe-webhook.ts' },
  'GET /v1/orgs/{orgId}/invoices/{file}': { id: 'InvoicePdf', entry: 'functions/finance/invoice-pdf.ts' },
  'POST /v1/exports': { id: 'RequestExport', entry: 'functions/finance/request-export.ts' },
  'GET /v1/exports/{exportId}': { id: 'GetExport', entry: 'functions/finance/get-export.ts' },
};

export interface StatelessStackProps extends StackProps {
  readonly stage: Stage;
  /** The table, queues, bucket and secret this stack's functions work on. */
  readonly data: StatefulStack;
  /** Defaults of the JwtIssuer / JwtAudience parameters (`-c jwtIssuer=... -c jwtAudience=a,b`). */
  readonly jwtIssuer?: string;
  readonly jwtAudience?: string;
}

/**
 * The code: every Lambda function with exactly the access it needs, the
 * nightly schedules, the queue consumers, the HTTP API and the alarms.
 * Nothing here holds data, so it can be destroyed and redeployed freely.
 */
export class StatelessStack extends Stack {
  public readonly stage: Stage;
  public readonly functions: Record<string, BillingFunction> = {};
  public readonly httpApi: HttpApi;
  public readonly alarmTopic: Topic;
  /** Routes of routes.ts without a function here (not deployed; a synth warning names them). */
  public readonly undeployedRoutes: readonly string[];

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { stage, data } = props;
    this.stage = stage;
    const isProd = stage === 'prod';
    const { table, stripeSecret } = data;
    // The documents bucket through its ARN export (see documentsBucketArnExportName): grants name it the same way before and after synthesis.
    const documents = Bucket.fromBucketAttributes(this, 'DocumentsBucketRef', {
      bucketArn: Fn.importValue(documentsBucketArnExportName(stage)),
      bucketName: data.documentsBucket.bucketName,
    });
    // The import is by name: make the order explicit.
    this.addStackDependency(data);
    const { dueIndex, expiryIndex, docsIndex } = TABLE_KEYS;

    const jwtIssuer = new CfnParameter(this, 'JwtIssuer', {
      type: 'String',
      description: 'Issuer (iss) of the bearer tokens the HTTP API accepts, e.g. https://auth.example.com/',
      allowedPattern: '^https://\\S+$',
      constraintDescription: 'must be an https:// URL',
      ...(props.jwtIssuer ? { default: props.jwtIssuer } : {}),
    });
    const jwtAudience = new CfnParameter(this, 'JwtAudience', {
      type: 'CommaDelimitedList',
      description: 'Accepted audiences (aud or client_id) of the bearer tokens, comma-separated',
      ...(props.jwtAudience ? { default: props.jwtAudience } : {}),
    });

    // Every function built on functions/aws-runtime.ts (awsCheckoutDeps) refuses to start without
    // STRIPE_SECRET_ID (PAYMENTS_SANDBOX aside). The secret is read on the first Stripe call only,
    // so a function that never calls Stripe gets the id but no secretsmanager:GetSecretValue.
    const base = { TABLE_NAME: table.tableName, STRIPE_SECRET_ID: stripeSecret.secretArn };
    const stripe = { STRIPE_MAX_RPS: String(STRIPE_MAX_RPS) };
    // functions/aws-export-runtime.ts (awsExportDeps, and awsFinanceDeps on top of it) needs the table and the bucket at cold start.
    const finance = { TABLE_NAME: table.tableName, DOCUMENTS_BUCKET: data.documentsBucket.bucketName };
    const consumerTimeout = Duration.seconds(CONSUMER_TIMEOUT_SECONDS);
    const httpTimeout = Duration.seconds(20);

    // ---- Nightly renewal: schedule → plan-night → renewal queue → renew-product (→ charge queue → charge-renewal) → lifecycle queue → apply-lifecycle

    const planNight = this.fn('PlanNight', {
      entry: 'functions/renewal/plan-night.ts',
      description: 'Plans the night: one renewal message per product due',
      timeout: Duration.minutes(5),
      environment: { ...base, RENEWAL_QUEUE_URL: data.renewalQueue.queueUrl },
      onFailureQueue: data.schedulerDlq,
    })
      // The table only for its own run records (pk NIGHTS); products come from the date index.
      .grantItems(table, ['dynamodb:Query', 'dynamodb:PutItem'], { leadingKeys: ['NIGHTS'] })
      .grantQuery(table, { indexes: [dueIndex.name] })
      .grantSend(data.renewalQueue);

    const renewProduct = this.fn('RenewProduct', {
      entry: 'functions/renewal/renew-product.ts',
      description: "One product's night: reminder, balance payment, block or termination; charges go to the charge queue",
      timeout: consumerTimeout,
      environment: { ...base, LIFECYCLE_QUEUE_URL: data.lifecycleQueue.queueUrl, CHARGE_QUEUE_URL: data.chargeQueue.queueUrl },
    })
      .grantItems(table, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'])
      .grantSend(data.lifecycleQueue, data.chargeQueue);
    this.consume(renewProduct, data.renewalQueue, { maxConcurrency: RENEWAL_MAX_CONCURRENCY });

    const chargeRenewal = this.fn('ChargeRenewal', {
      entry: 'functions/renewal/charge-renewal.ts',
      description: "A renewal the balance does not cover: the product's night with the saved method charged",
      timeout: consumerTimeout,
      environment: { ...base, ...stripe, LIFECYCLE_QUEUE_URL: data.lifecycleQueue.queueUrl },
    })
      .grantItems(table, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'])
      .grantSend(data.lifecycleQueue)
      .grantSecretValue(stripeSecret);
    this.consume(chargeRenewal, data.chargeQueue, { maxConcurrency: CHARGE_MAX_CONCURRENCY });

    const applyLifecycle = this.fn('ApplyLifecycle', {
      entry: 'functions/lifecycle/apply-lifecycle.ts',
      description: 'Carries block, unblock and terminate commands to provisioning',
      timeout: consumerTimeout,
      environment: { ...base },
    })
      .grantItems(table, ['dynamodb:GetItem', 'dynamodb:PutItem'])
      .grantQuery(table, { table: true });
    this.consume(applyLifecycle, data.lifecycleQueue);

    // Every 5 minutes: commands committed with a payment whose worker died before queueing them.
    const sweepLifecycle = this.fn('SweepLifecycle', {
      entry: 'functions/lifecycle/sweep-lifecycle.ts',
      description: 'Sends again lifecycle commands left pending (a worker died between its commit and the queue)',
      timeout: Duration.minutes(1),
      environment: { ...base, LIFECYCLE_QUEUE_URL: data.lifecycleQueue.queueUrl },
      onFailureQueue: data.schedulerDlq,
    })
      // The lifecycle partitions of today and yesterday only.
      .grantItems(table, ['dynamodb:Query'], { leadingKeyPatterns: LIFECYCLE_SWEEP_KEYS })
      .grantSend(data.lifecycleQueue);

    // ---- Payments: webhook → settlement queue → settle-payment; nightly reconciliation and housekeeping

    const settlePayment = this.fn('SettlePayment', {
      entry: 'functions/checkout/settle-payment.ts',
      description: 'Settles stored Stripe events (checkouts, refunds, saved and detached methods)',
      timeout: consumerTimeout,
      environment: { ...base, ...stripe, LIFECYCLE_QUEUE_URL: data.lifecycleQueue.queueUrl },
    })
      .grantItems(table, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'])
      .grantQuery(table, { table: true, indexes: [expiryIndex.name] })
      .grantSend(data.lifecycleQueue)
      .grantSecretValue(stripeSecret);
    this.consume(settlePayment, data.settlementQueue, { maxConcurrency: SETTLEMENT_MAX_CONCURRENCY });

    const nightlyCheckouts = this.fn('NightlyCheckouts', {
      entry: 'functions/checkout/nightly-checkouts.ts',
      description: 'Nightly: settles missed Stripe events, refunds expired holds, releases abandoned checkouts',
      timeout: Duration.minutes(15),
      environment: { ...base, ...stripe, LIFECYCLE_QUEUE_URL: data.lifecycleQueue.queueUrl },
      onFailureQueue: data.schedulerDlq,
    })
      .grantItems(table, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'])
      .grantQuery(table, { table: true, indexes: [expiryIndex.name] })
      .grantSend(data.lifecycleQueue)
      .grantSecretValue(stripeSecret);

    const planNightSchedule = this.nightly('PlanNightSchedule', planNight, PLAN_NIGHT_CRON, data.schedulerDlq, 'Plans the renewals of the night');
    this.nightly('NightlyCheckoutsSchedule', nightlyCheckouts, NIGHTLY_CHECKOUTS_CRON, data.schedulerDlq, 'Reconciles Stripe events and checkouts');
    this.every('SweepLifecycleSchedule', sweepLifecycle, Duration.minutes(LIFECYCLE_SWEEP_MINUTES), data.schedulerDlq, 'Unblocks paid products whose worker died');

    // ---- Finance: bank notifications, exports

    const importStatement = this.fn('ImportStatement', {
      entry: 'functions/bank/import-statement.ts',
      description: `Settles the credits of a camt.054 file dropped under ${BANK_INCOMING_PREFIX}`,
      timeout: Duration.minutes(5),
      environment: { ...base, LIFECYCLE_QUEUE_URL: data.lifecycleQueue.queueUrl },
      onFailureQueue: data.bankImportDlq,
    })
      // Credits, payments, invoices, balance moves, renewed products; a paid pro-forma's checkout pointer is deleted.
      .grantItems(table, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'])
      .grantSend(data.lifecycleQueue)
      .grantObjects(documents, BANK_INCOMING_PREFIX, ['s3:GetObject'], 'import-statement reads the camt.054 file it was notified of');
    // S3 invokes it for each new object under bank/incoming/ (asynchronously: retried twice, then parked on the bank import DLQ).
    // The bucket is the stateful stack's, imported: the notification lives here and the stateful stack never refers to a function.
    documents.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(importStatement.function), { prefix: BANK_INCOMING_PREFIX });
    const notificationsHandler = this.node.tryFindChild(BUCKET_NOTIFICATIONS_HANDLER_ID);
    if (!notificationsHandler) throw new Error(`no ${BUCKET_NOTIFICATIONS_HANDLER_ID}: CDK changed how it writes bucket notifications`);
    Validations.of(notificationsHandler).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        "CDK's own singleton custom-resource handler that writes the bucket's notification configuration at deploy time; CDK gives its role the AWS-managed basic execution policy (its logs) and offers no way to replace it. It runs only during deployments.",
    });

    const runExport = this.fn('RunExport', {
      entry: 'functions/finance/run-export.ts',
      description: 'Writes a queued finance export (CSV, optionally a zip of the PDFs) under exports/',
      timeout: Duration.seconds(EXPORT_CONSUMER_TIMEOUT_SECONDS),
      memorySize: 2048,
      rendersPdfs: true,
      environment: { ...finance },
    })
      // The job (EXPORT#<id>), the organisation or partner in scope, a partner's clients (Query PARTNER#…), the period's documents (gsi3).
      .grantItems(table, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'])
      .grantQuery(table, { indexes: [docsIndex.name] })
      .grantObjects(documents, EXPORTS_PREFIX, ['s3:PutObject', 's3:AbortMultipartUpload'], 'run-export streams the CSV and the zip of PDFs there in parts');
    // One export per invocation: each can run for the whole timeout.
    this.consume(runExport, data.exportsQueue, { batchSize: 1, maxConcurrency: EXPORT_MAX_CONCURRENCY });

    // ---- HTTP API

    // Every JWT route counts its client's requests on the table (RATE#… items) before anything else.
    const http: Record<string, BillingFunction> = {
      ListProducts: this.fn('ListProducts', {
        entry: HTTP_HANDLERS['GET /v1/orgs/{orgId}/products']!.entry,
        description: 'GET /v1/orgs/{orgId}/products',
        timeout: httpTimeout,
        environment: { ...base },
      })
        .grantItems(table, ['dynamodb:GetItem'])
        .grantQuery(table, { indexes: [expiryIndex.name] })
        .grantRateLimit(table),
      StartCheckout: this.fn('StartCheckout', {
        entry: HTTP_HANDLERS['POST /v1/orgs/{orgId}/checkout']!.entry,
        description: 'POST /v1/orgs/{orgId}/checkout',
        timeout: httpTimeout,
        environment: { ...base, ...stripe, LIFECYCLE_QUEUE_URL: data.lifecycleQueue.queueUrl },
      })
        .grantItems(table, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'])
        .grantQuery(table, { table: true })
        .grantSend(data.lifecycleQueue)
        .grantSecretValue(stripeSecret)
        .grantRateLimit(table),
      GetCheckout: this.fn('GetCheckout', {
        entry: HTTP_HANDLERS['GET /v1/orgs/{orgId}/checkouts/{checkoutId}']!.entry,
        description: 'GET /v1/orgs/{orgId}/checkouts/{checkoutId}',
        timeout: httpTimeout,
        environment: { ...base },
      })
        .grantItems(table, ['dynamodb:GetItem'])
        .grantRateLimit(table),
      StartTopUp: this.fn('StartTopUp', {
        entry: HTTP_HANDLERS['POST /v1/orgs/{orgId}/balance/top-ups']!.entry,
        description: 'POST /v1/orgs/{orgId}/balance/top-ups',
        timeout: httpTimeout,
        environment: { ...base, ...stripe },
      })
        .grantItems(table, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'])
        .grantSecretValue(stripeSecret)
        .grantRateLimit(table),
      StripeWebhook: this.fn('StripeWebhook', {
        entry: HTTP_HANDLERS['POST /v1/webhooks/stripe']!.entry,
        description: 'POST /v1/webhooks/stripe (Stripe signature, no JWT)',
        timeout: httpTimeout,
        // The signing secret only: the public endpoint never calls Stripe and cannot read the API key.
        environment: { ...base, STRIPE_WEBHOOK_SECRET_ID: data.stripeWebhookSecret.secretArn, SETTLEMENT_QUEUE_URL: data.settlementQueue.queueUrl },
      })
        .grantItems(table, ['dynamodb:GetItem', 'dynamodb:PutItem'])
        .grantSend(data.settlementQueue)
        .grantSecretValue(data.stripeWebhookSecret),
      InvoicePdf: this.fn('InvoicePdf', {
        entry: HTTP_HANDLERS['GET /v1/orgs/{orgId}/invoices/{file}']!.entry,
        description: 'GET /v1/orgs/{orgId}/invoices/{file} (renders the PDF)',
        timeout: Duration.seconds(29),
        memorySize: 1024,
        rendersPdfs: true,
        environment: { ...finance },
      })
        // The caller's membership, the organisation, the number's series entry and the document.
        .grantItems(table, ['dynamodb:GetItem'])
        .grantRateLimit(table)
        .grantObjects(documents, INVOICES_PREFIX, ['s3:PutObject'], 'invoice-pdf keeps a copy of each document it renders at invoices/<seller>/<year>/<number>.pdf'),
      RequestExport: this.fn('RequestExport', {
        entry: HTTP_HANDLERS['POST /v1/exports']!.entry,
        description: 'POST /v1/exports (queues the export)',
        timeout: httpTimeout,
        environment: { ...finance, EXPORTS_QUEUE_URL: data.exportsQueue.queueUrl },
      })
        // Rights and scope (member, organisation, a partner's clients by Query), then the job (PutItem).
        .grantItems(table, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'])
        .grantSend(data.exportsQueue)
        .grantRateLimit(table),
      GetExport: this.fn('GetExport', {
        entry: HTTP_HANDLERS['GET /v1/exports/{exportId}']!.entry,
        description: 'GET /v1/exports/{exportId} (state and download links)',
        timeout: httpTimeout,
        environment: { ...finance },
      })
        .grantItems(table, ['dynamodb:GetItem'])
        .grantRateLimit(table)
        // A presigned link is a request signed by this role: it works only if the role may read the object.
        .grantObjects(documents, EXPORTS_PREFIX, ['s3:GetObject'], 'get-export presigns download links of finished exports, which S3 authorises as this role'),
    };

    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `billing-${stage}`,
      description: `Renewal billing engine API (${stage})`,
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: isProd ? RetentionDays.ONE_YEAR : RetentionDays.ONE_MONTH,
      removalPolicy: isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const apiStage = new HttpStage(this, 'HttpApiDefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: isProd ? 100 : 20, burstLimit: isProd ? 200 : 40 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            sub: '$context.authorizer.claims.sub',
          }),
        ),
      },
    });
    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', jwtIssuer.valueAsString, {
      jwtAudience: jwtAudience.valueAsList,
      identitySource: ['$request.header.Authorization'],
    });

    const deployed = new Set<string>();
    const undeployed: string[] = [];
    for (const route of ROUTES) {
      const key = routeKey(route);
      const handler = HTTP_HANDLERS[key];
      const fn = handler ? http[handler.id] : undefined;
      if (!handler || !fn) {
        // A route whose function is not wired here yet is left out (API Gateway answers 404), loudly:
        // a warning at every synth and deploy, and the infra tests fail until it is deployed.
        undeployed.push(key);
        continue;
      }
      deployed.add(key);
      const [created] = this.httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${handler.id}Integration`, fn.function),
        authorizer: route.auth ? authorizer : new HttpNoneAuthorizer(),
      });
      if (!route.auth && created) {
        Validations.of(created).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'Stripe calls the webhook without a user token: the handler authenticates every request by the Stripe-Signature HMAC over the raw body (300 s tolerance) and refuses anything else with 400.',
        });
      }
    }
    this.undeployedRoutes = undeployed;
    if (undeployed.length > 0) {
      Annotations.of(this).addWarningV2(
        'billing:undeployed-routes',
        `routes.ts lists routes this stack does not deploy yet (no function in HTTP_HANDLERS): ${undeployed.join(', ')}`,
      );
    }
    const extra = Object.keys(HTTP_HANDLERS).filter((key) => !deployed.has(key));
    if (extra.length > 0) throw new Error(`HTTP_HANDLERS maps routes that routes.ts does not list: ${extra.join(', ')}`);

    // ---- Alarms

    this.alarmTopic = new Topic(this, 'AlarmTopic', { displayName: `Billing ${stage} alarms`, enforceSSL: true });
    const alarm = (
      id: string,
      metric: IMetric,
      threshold: number,
      description: string,
      options: { missing?: TreatMissingData; periods?: number; comparison?: ComparisonOperator } = {},
    ) => {
      const created = new Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: options.periods ?? 1,
        datapointsToAlarm: options.periods ?? 1,
        comparisonOperator: options.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: options.missing ?? TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(new SnsAction(this.alarmTopic));
      return created;
    };

    const dlqs: [string, IQueue][] = [
      ['Renewal', data.renewalDlq],
      ['Charge', data.chargeDlq],
      ['Lifecycle', data.lifecycleDlq],
      ['Settlement', data.settlementDlq],
      ['Exports', data.exportsDlq],
      ['Scheduler', data.schedulerDlq],
      ['BankImport', data.bankImportDlq],
    ];
    for (const [name, dlq] of dlqs) {
      alarm(
        `${name}DlqDepthAlarm`,
        dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        1,
        `Messages are parked on the ${name} dead-letter queue`,
      );
    }

    for (const [name, fn] of Object.entries(this.functions)) {
      alarm(`${name}ErrorsAlarm`, fn.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), 1, `${name} failed (function errors)`);
      alarm(`${name}ThrottlesAlarm`, fn.function.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }), 1, `${name} was throttled`);
    }

    // The night did not finish: no successful plan-night (or checkout chores) run in 24 hours,
    // or renewal or charge messages still waiting hours after the night began.
    for (const [name, fn] of [
      ['PlanNight', planNight],
      ['NightlyCheckouts', nightlyCheckouts],
    ] as const) {
      const successes = new MathExpression({
        expression: 'FILL(invocations, 0) - FILL(errors, 0)',
        usingMetrics: {
          invocations: fn.function.metricInvocations({ period: Duration.hours(1), statistic: 'Sum' }),
          errors: fn.function.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
        },
        period: Duration.hours(1),
        label: `${name} successful runs`,
      });
      alarm(`${name}NotFinishedAlarm`, successes, 1, `No successful ${name} run in the last 24 hours: the nightly run did not finish`, {
        comparison: ComparisonOperator.LESS_THAN_THRESHOLD,
        periods: 24,
        missing: TreatMissingData.BREACHING,
      });
    }
    for (const [name, queue] of [
      ['Renewal', data.renewalQueue],
      ['Charge', data.chargeQueue],
    ] as const) {
      alarm(
        `${name}BacklogAlarm`,
        queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
        NIGHT_BACKLOG_ALARM_AGE.toSeconds(),
        `${name} messages older than ${NIGHT_BACKLOG_ALARM_AGE.toHours()} hours: the night's renewals are not finishing`,
      );
    }
    // HTTP handlers answer errors with a 500 themselves, so function errors do not show them.
    alarm('HttpApi5xxAlarm', apiStage.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }), 5, 'The HTTP API answered 5xx');

    new CfnOutput(this, 'ApiUrl', { value: apiStage.url });
    new CfnOutput(this, 'StripeWebhookUrl', { value: `${apiStage.url}v1/webhooks/stripe`, description: 'Register this endpoint in Stripe' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'Subscribe the on-call address to it' });
    // For the runbook (docs/operations.md): a night run by hand, and the bank import's logs.
    new CfnOutput(this, 'PlanNightFunctionName', {
      value: planNight.function.functionName,
      description: 'aws lambda invoke it with {"night":"YYYY-MM-DD"} to run a night by hand',
    });
    new CfnOutput(this, 'PlanNightScheduleName', { value: planNightSchedule.scheduleName, description: "The nightly schedule; its target's role can run a one-off night" });
    new CfnOutput(this, 'ImportStatementFunctionName', { value: importStatement.function.functionName, description: 'Settles camt.054 files dropped under bank/incoming/' });
  }

  private fn(id: string, props: Omit<ConstructorParameters<typeof BillingFunction>[2], 'stage'>): BillingFunction {
    const created = new BillingFunction(this, id, { ...props, stage: this.stage });
    this.functions[id] = created;
    return created;
  }

  /** SQS consumer: batches of 10 (unless told), partial batch failures, concurrency capped at the event source. */
  private consume(fn: BillingFunction, queue: IQueue, options: { batchSize?: number; maxConcurrency?: number } = {}): void {
    fn.function.addEventSource(
      new SqsEventSource(queue, {
        batchSize: options.batchSize ?? 10,
        reportBatchItemFailures: true,
        ...(options.maxConcurrency ? { maxConcurrency: options.maxConcurrency } : {}),
      }),
    );
  }

  private every(id: string, fn: BillingFunction, rate: Duration, dlq: IQueue, description: string): Schedule {
    return this.scheduled(id, fn, ScheduleExpression.rate(rate), dlq, `${description} (${this.stage}), every ${rate.toMinutes()} minutes`, Duration.minutes(10));
  }

  private nightly(id: string, fn: BillingFunction, cron: { minute: string; hour: string }, dlq: IQueue, description: string): Schedule {
    return this.scheduled(
      id,
      fn,
      ScheduleExpression.cron({ ...cron, timeZone: NIGHTLY_TIME_ZONE }),
      dlq,
      `${description} (${this.stage}), nightly at ${cron.hour.padStart(2, '0')}:${cron.minute.padStart(2, '0')} Europe/Zurich`,
      Duration.hours(2),
    );
  }

  private scheduled(id: string, fn: BillingFunction, schedule: ScheduleExpression, dlq: IQueue, description: string, maxEventAge: Duration): Schedule {
    const role = new Role(this, `${id}Role`, {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': this.account } } }),
      description: `Lets EventBridge Scheduler invoke ${fn.node.id} and park failed deliveries (${this.stage})`,
    });
    const functionLogicalId = this.getLogicalId(fn.function.node.defaultChild as CfnElement);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${functionLogicalId}.Arn>:*]`,
      reason: `lambda:InvokeFunction on the versions and aliases (":*") of ${fn.node.id} only, as CDK's grantInvoke writes it; no other function or action.`,
    });
    return new Schedule(this, id, {
      description,
      schedule,
      target: new LambdaInvoke(fn.function, {
        role,
        // No `night`: the handler takes tonight from its Zurich clock.
        input: ScheduleTargetInput.fromObject({}),
        retryAttempts: 3,
        maxEventAge,
        deadLetterQueue: dlq,
      }),
    });
  }
}
