import { Annotations, type CfnParameter, RemovalPolicy, Duration, Validations } from 'aws-cdk-lib';
import { CorsHttpMethod, HttpApi, HttpMethod, HttpNoneAuthorizer, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { TABLE_KEYS } from '../../shared/adapters/dynamodb/table-schema.ts';
import { ROUTES, routeKey } from '../../functions/http/routes.ts';
import type { BillingFunction } from '../billing-function.ts';
import { ARCHIVE_PREFIX, EXPORTS_PREFIX, INVOICES_PREFIX } from '../stateful-stack.ts';
import { HTTP_HANDLERS } from './settings.ts';
import { billingFunction, type Wiring } from './wiring.ts';

/** The routes without a token, each with why that is safe (cdk-nag's APIG4 asks). */
const PUBLIC_ROUTES: Readonly<Record<string, string>> = {
  'POST /v1/webhooks/stripe':
    'Stripe calls the webhook without a user token: the handler authenticates every request by the Stripe-Signature HMAC over the raw body (300 s tolerance) and refuses anything else with 400.',
  'POST /v1/orgs/{orgId}/products/{productId}/termination/confirm':
    'The confirmation link of a termination is opened from an e-mail, without a session: the handler accepts only the request id with its 256-bit single-use token (hash compared, valid 72 hours) and changes nothing otherwise.',
  'GET /v1/openapi.json':
    'The OpenAPI document describes the public API and nothing of any customer; it is served from the bundle (the function has no data access), throttled by the stage.',
};

export interface BillingHttpApiProps {
  /** Issuer (iss) and audiences of the bearer tokens, as stack parameters. */
  readonly jwtIssuer: CfnParameter;
  readonly jwtAudience: CfnParameter;
  /** Origins whose pages call the API from a browser (the portal's distribution): CORS allows them alone. */
  readonly corsOrigins?: string[];
}

/**
 * The HTTP API: a function per route of routes.ts (HTTP_HANDLERS maps them), the JWT authorizer, the
 * throttled default stage and its access logs. A route without a function is left out, with a warning.
 */
export class BillingHttpApi extends Construct {
  public readonly httpApi: HttpApi;
  public readonly stage: HttpStage;
  /** Routes of routes.ts without a function here (not deployed; a synth warning names them). */
  public readonly undeployedRoutes: readonly string[];

  constructor(scope: Construct, id: string, w: Wiring, props: BillingHttpApiProps) {
    super(scope, id);
    const { expiryIndex } = TABLE_KEYS;
    /** A route's function: its id and module from HTTP_HANDLERS, the route as description, the HTTP timeout unless told. */
    const route = (key: string, note: string | undefined, props: Omit<Parameters<typeof billingFunction>[3], 'entry' | 'description' | 'timeout'> & { timeout?: Duration }) => {
      const handler = HTTP_HANDLERS[key]!;
      return billingFunction(this, w, handler.id, { timeout: w.httpTimeout, ...props, entry: handler.entry, description: note ? `${key} ${note}` : key });
    };
    // Every JWT route counts its client's requests on the table (RATE#… items) before anything else.
    const http: Record<string, BillingFunction> = {
      ListProducts: route('GET /v1/orgs/{orgId}/products', undefined, {
        environment: { ...w.store },
      })
        .grantItems(w.data.table, ['dynamodb:GetItem'])
        .grantQuery(w.data.table, { indexes: [expiryIndex.name] })
        .grantRateLimit(w.data.table),
      StartCheckout: route('POST /v1/orgs/{orgId}/checkout', undefined, {
        environment: { ...w.base, ...w.stripe, LIFECYCLE_QUEUE_URL: w.data.lifecycleQueue.queueUrl },
      })
        .grantItems(w.data.table, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'])
        .grantQuery(w.data.table, { table: true })
        .grantSend(w.data.lifecycleQueue)
        .grantSecretValue(w.data.stripeSecret)
        .grantRateLimit(w.data.table),
      GetCheckout: route('GET /v1/orgs/{orgId}/checkouts/{checkoutId}', undefined, {
        environment: { ...w.store },
      })
        .grantItems(w.data.table, ['dynamodb:GetItem'])
        .grantRateLimit(w.data.table),
      StartTopUp: route('POST /v1/orgs/{orgId}/balance/top-ups', undefined, {
        environment: { ...w.base, ...w.stripe },
      })
        .grantItems(w.data.table, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'])
        .grantSecretValue(w.data.stripeSecret)
        .grantRateLimit(w.data.table),
      StripeWebhook: route('POST /v1/webhooks/stripe', '(Stripe signature, no JWT)', {
        // The signing secret only: the public endpoint never calls Stripe and cannot read the API key.
        environment: { ...w.base, STRIPE_WEBHOOK_SECRET_ID: w.data.stripeWebhookSecret.secretArn, SETTLEMENT_QUEUE_URL: w.data.settlementQueue.queueUrl },
      })
        .grantItems(w.data.table, ['dynamodb:GetItem', 'dynamodb:PutItem'])
        .grantSend(w.data.settlementQueue)
        .grantSecretValue(w.data.stripeWebhookSecret),
      InvoicePdf: route('GET /v1/orgs/{orgId}/invoices/{file}', '(serves the kept document, or renders a pro-forma)', {
        timeout: Duration.seconds(29),
        memorySize: 1024,
        rendersPdfs: true,
        environment: { ...w.finance, ...w.archiveEnv },
      })
        // The caller's membership, the organisation, the number's series entry and the document.
        .grantItems(w.data.table, ['dynamodb:GetItem'])
        .grantRateLimit(w.data.table)
        .grantObjects(w.documents, INVOICES_PREFIX, ['s3:PutObject'], 'invoice-pdf leaves a copy of each pro-forma it renders at invoices/<seller>/<year>/<number>.pdf')
        .grantObjects(
          w.archive,
          ARCHIVE_PREFIX,
          ['s3:GetObject', 's3:PutObject', 's3:PutObjectRetention'],
          'invoice-pdf serves a final invoice or credit note as kept, and keeps (locked, once) one the archive worker has not come to yet',
          'archive',
        ),
      RequestExport: route('POST /v1/exports', '(queues the export)', {
        environment: { ...w.finance, EXPORTS_QUEUE_URL: w.data.exportsQueue.queueUrl },
      })
        // Rights and scope (member, organisation, a partner's clients by Query), then the job (PutItem).
        .grantItems(w.data.table, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'])
        .grantSend(w.data.exportsQueue)
        .grantRateLimit(w.data.table),
      GetExport: route('GET /v1/exports/{exportId}', '(state and download links)', {
        environment: { ...w.finance },
      })
        .grantItems(w.data.table, ['dynamodb:GetItem'])
        .grantRateLimit(w.data.table)
        // A presigned link is a request signed by this role: it works only if the role may read the object.
        .grantObjects(w.documents, EXPORTS_PREFIX, ['s3:GetObject'], 'get-export presigns download links of finished exports, which S3 authorises as this role'),
      CustomerAccount: route('GET /v1/orgs/{orgId}/invoices', "and the customer account's other routes", {
        environment: { ...w.base, ...w.stripe },
      })
        // Auto-renewal switched product by product (versioned writes); invoices, ledger, methods and orders by Query; a method removed.
        .grantItems(w.data.table, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'])
        // "For all products at once" reads the organisation's products by their expiry index.
        .grantQuery(w.data.table, { indexes: [expiryIndex.name] })
        // A method added without paying: the organisation's Stripe customer, then a SetupIntent.
        .grantSecretValue(w.data.stripeSecret)
        .grantRateLimit(w.data.table),
      BackOffice: route('POST /v1/admin/orgs', 'and the other back-office routes (scope billing:backoffice)', {
        environment: { ...w.base, ...w.stripe, LIFECYCLE_QUEUE_URL: w.data.lifecycleQueue.queueUrl },
      })
        // Organisations, members, products and audit entries; releasing a held order renews (lifecycle commands) or refunds (Stripe).
        .grantItems(w.data.table, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Query'])
        // The finance console's OSS return reads a quarter's documents from the date index.
        .grantQuery(w.data.table, { indexes: [TABLE_KEYS.docsIndex.name] })
        .grantSend(w.data.lifecycleQueue)
        .grantSecretValue(w.data.stripeSecret)
        .grantRateLimit(w.data.table),
      // The document is in the bundle: no table, no secret, no configuration.
      OpenApi: route('GET /v1/openapi.json', '(the OpenAPI document, public)', { environment: {} }),
    };

    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `billing-${w.stage}`,
      description: `Renewal billing engine API (${w.stage})`,
      createDefaultStage: false,
      ...(props.corsOrigins
        ? {
            corsPreflight: {
              allowOrigins: props.corsOrigins,
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PUT, CorsHttpMethod.PATCH, CorsHttpMethod.DELETE],
              allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
              exposeHeaders: ['retry-after', 'ratelimit-limit', 'ratelimit-remaining'],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: w.stage === 'prod' ? RetentionDays.ONE_YEAR : RetentionDays.ONE_MONTH,
      removalPolicy: w.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'HttpApiDefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: w.stage === 'prod' ? 100 : 20, burstLimit: w.stage === 'prod' ? 200 : 40 },
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
    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer.valueAsString, {
      jwtAudience: props.jwtAudience.valueAsList,
      identitySource: ['$request.header.Authorization'],
    });

    const integrations = new Map<string, HttpLambdaIntegration>();
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
      // One integration per function, shared by its routes.
      const integration = integrations.get(handler.id) ?? new HttpLambdaIntegration(`${handler.id}Integration`, fn.function);
      integrations.set(handler.id, integration);
      const [created] = this.httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        authorizer: route.auth ? authorizer : new HttpNoneAuthorizer(),
        // The back-office's scope is checked by API Gateway as well as by the handler: a customer's token never reaches it.
        ...(route.auth && route.contract.scope ? { authorizationScopes: [route.contract.scope] } : {}),
      });
      if (!route.auth && created) {
        const reason = PUBLIC_ROUTES[key];
        if (!reason) throw new Error(`${key} is public in routes.ts, but no reason for it is written in http-api.ts`);
        Validations.of(created).acknowledge({ id: 'AwsSolutions-APIG4', reason });
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
  }
}
