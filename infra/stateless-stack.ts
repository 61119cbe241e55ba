import { Annotations, CfnOutput, CfnParameter, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Portal } from './stateless/portal.ts';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { EventBus } from 'aws-cdk-lib/aws-events';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { BillingFunction } from './billing-function.ts';
import { archiveBucketArnExportName, documentsBucketArnExportName, type Stage, type StatefulStack } from './stateful-stack.ts';
import { Alarms } from './stateless/alarms.ts';
import { BillingDashboard } from './stateless/dashboard.ts';
import { Finance } from './stateless/finance.ts';
import { BillingHttpApi } from './stateless/http-api.ts';
import { Events, eventBusName } from './stateless/events.ts';
import { Mail, mailConfigurationSetName } from './stateless/mail.ts';
import { NightlyRenewal } from './stateless/nightly-renewal.ts';
import { Payments } from './stateless/payments.ts';
import { STRIPE_MAX_RPS } from './stateless/settings.ts';
import { wiring } from './stateless/wiring.ts';
import { prepareStageConfig } from './stage-config.ts';

export * from './stateless/settings.ts';
export { NIGHTLY_TIME_ZONE } from './stateless/wiring.ts';

export interface StatelessStackProps extends StackProps {
  readonly stage: Stage;
  /** The table, queues, bucket and secret this stack's functions work on. */
  readonly data: StatefulStack;
  /** Defaults of the JwtIssuer / JwtAudience parameters (`-c jwtIssuer=... -c jwtAudience=a,b`). */
  readonly jwtIssuer?: string;
  readonly jwtAudience?: string;
  /** The stage's configuration file (sellers, catalogue, VAT rates); see stageConfigPath. */
  readonly configFile: string;
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
  /** The business events' bus (docs/events.md). */
  public readonly eventBus: EventBus;
  /** Routes of routes.ts without a function here (not deployed; a synth warning names them). */
  public readonly undeployedRoutes: readonly string[];

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { stage, data } = props;
    this.stage = stage;
    // The documents bucket through its ARN export (see documentsBucketArnExportName): grants name it the same way before and after synthesis.
    const documents = Bucket.fromBucketAttributes(this, 'DocumentsBucketRef', {
      bucketArn: Fn.importValue(documentsBucketArnExportName(stage)),
      bucketName: data.documentsBucket.bucketName,
    });
    const archive = Bucket.fromBucketAttributes(this, 'ArchiveBucketRef', {
      bucketArn: Fn.importValue(archiveBucketArnExportName(stage)),
      bucketName: data.archiveBucket.bucketName,
    });
    // The import is by name: make the order explicit.
    this.addStackDependency(data);

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

    const webhookUrl = new CfnParameter(this, 'WebhookUrl', {
      type: 'String',
      description: 'Your endpoint for the signed outbound webhooks (docs/events.md), https; empty sends none',
      allowedPattern: '^(https://\\S+)?$',
      constraintDescription: 'must be an https:// URL, or empty',
      default: '',
    });

    const config = prepareStageConfig(props.configFile);
    if (config.stage !== stage) {
      // Said, not refused: dev deploys the sample (stage demo) on purpose; prod never falls back to it (stageConfigPath).
      Annotations.of(this).addInfo(`${props.configFile} names stage "${config.stage}" and is deployed to ${stage}`);
    }
    const w = wiring(stage, data, { documents, archive }, this.functions, STRIPE_MAX_RPS, config.json);
    const nightlyRenewal = new NightlyRenewal(this, 'NightlyRenewal', w);
    const payments = new Payments(this, 'Payments', w);
    const finance = new Finance(this, 'Finance', w);
    const mail = new Mail(this, 'Mail', w, { domains: config.senderDomains });
    const events = new Events(this, 'Events', w, { webhookUrl: webhookUrl.valueAsString });
    this.eventBus = events.bus;
    // Empty until the provider's OAuth 2 server is known: the pages then cannot sign anyone in, and say so.
    const portalParam = (id: string, description: string, allowedPattern: string, def = '') =>
      new CfnParameter(this, id, { type: 'String', description, default: def, allowedPattern, constraintDescription: `must match ${allowedPattern}` });
    const httpsUrl = '^(https://\\S+)?$';
    const portal = new Portal(this, 'Portal', {
      accessLogs: data.accessLogsBucket,
      authorizeUrl: portalParam('PortalAuthorizeUrl', "The OAuth 2 authorization endpoint the portal signs users in with (the JwtIssuer's), https", httpsUrl),
      tokenUrl: portalParam('PortalTokenUrl', 'Its token endpoint, https', httpsUrl),
      clientId: portalParam('PortalClientId', "The portal's public client id at that server (authorization code with PKCE, no secret)", '^[\\w.-]*$'),
      scope: portalParam('PortalScope', 'The scopes the portal asks for (finance staff get billing:finance from the server)', '^[\\w:./ -]*$', 'openid'),
      removalPolicy: stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const api = new BillingHttpApi(this, 'Api', w, { jwtIssuer, jwtAudience, corsOrigins: [`https://${portal.distribution.distributionDomainName}`] });
    portal.deploy(api.stage.url);
    this.httpApi = api.httpApi;
    this.undeployedRoutes = api.undeployedRoutes;
    const alarms = new Alarms(this, 'Alarms', w, { planNight: nightlyRenewal.planNight, nightlyCheckouts: payments.nightlyCheckouts, apiStage: api.stage });
    this.alarmTopic = alarms.topic;
    const dashboard = new BillingDashboard(this, 'Observability', w, { alarms: alarms.all, apiStage: api.stage });

    new CfnOutput(this, 'ApiUrl', { value: api.stage.url });
    new CfnOutput(this, 'PortalUrl', {
      value: `https://${portal.distribution.distributionDomainName}`,
      description: "The customer portal and finance console; set the stage config's mail.portalUrl to it (or the domain in front of it)",
    });
    new CfnOutput(this, 'StripeWebhookUrl', { value: `${api.stage.url}v1/webhooks/stripe`, description: 'Register this endpoint in Stripe' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'Subscribe the on-call address to it' });
    new CfnOutput(this, 'DashboardName', { value: dashboard.dashboard.dashboardName, description: 'The CloudWatch dashboard of the stage' });
    // For the runbook (docs/operations.md): a night run by hand, and the bank import's logs.
    new CfnOutput(this, 'PlanNightFunctionName', {
      value: nightlyRenewal.planNight.function.functionName,
      description: 'aws lambda invoke it with {"night":"YYYY-MM-DD"} to run a night by hand',
    });
    new CfnOutput(this, 'PlanNightScheduleName', {
      value: nightlyRenewal.planNightSchedule.scheduleName,
      description: "The nightly schedule; its target's role can run a one-off night",
    });
    new CfnOutput(this, 'EventBusName', { value: eventBusName(stage), description: 'Where the business events go (docs/events.md): attach your rules here' });
    new CfnOutput(this, 'EventBusArn', { value: events.bus.eventBusArn });
    new CfnOutput(this, 'SendEmailFunctionName', {
      value: mail.sendEmail.function.functionName,
      description: 'aws lambda invoke it with {"date":"YYYY-MM-DD"} to send what that day left unsent',
    });
    new CfnOutput(this, 'MailConfigurationSetName', {
      value: mailConfigurationSetName(stage),
      description: `Verify the sender domains in SES (${config.senderDomains.join(', ')}); bounces and complaints are recorded through this set`,
    });
    new CfnOutput(this, 'ImportStatementFunctionName', {
      value: finance.importStatement.function.functionName,
      description: 'Settles camt.054 files dropped under bank/incoming/',
    });
  }
}
