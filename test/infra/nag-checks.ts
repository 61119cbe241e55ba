import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { logicalIdOf, type SynthesizedApp } from './synth-billing-app.ts';

type Acknowledgment = { path: string; id: string; reason: string };

function acknowledgments(root: IConstruct): Acknowledgment[] {
  const found: Acknowledgment[] = [];
  const walk = (c: IConstruct) => {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason });
      }
    }
    c.node.children.forEach(walk);
  };
  walk(root);
  return found;
}

/** Every function, under the construct of the stateless stack that builds it. */
const FUNCTIONS: Record<string, string> = {
  ApplyLifecycle: 'NightlyRenewal',
  ChargeRenewal: 'NightlyRenewal',
  PlanNight: 'NightlyRenewal',
  RenewProduct: 'NightlyRenewal',
  SweepLifecycle: 'NightlyRenewal',
  NightlyCheckouts: 'Payments',
  SettlePayment: 'Payments',
  ImportStatement: 'Finance',
  ImportProducts: 'Finance',
  RunExport: 'Finance',
  ArchiveDocuments: 'Finance',
  GetCheckout: 'Api',
  GetExport: 'Api',
  InvoicePdf: 'Api',
  ListProducts: 'Api',
  RequestExport: 'Api',
  StartCheckout: 'Api',
  StartTopUp: 'Api',
  StripeWebhook: 'Api',
  CustomerAccount: 'Api',
  BackOffice: 'Api',
  OpenApi: 'Api',
  OutboxStream: 'Mail',
  SendEmail: 'Mail',
  RecordMailFeedback: 'Mail',
  PublishEvents: 'Events',
  DeliverWebhook: 'Events',
};

/** Every acknowledged finding, where. A new suppression must be added here on purpose, with its reason in the code. */
function expectedAcknowledgments(stage: string, synthesized: SynthesizedApp): string[] {
  const at = (id: string) => `Billing-${stage}-Stateless/${FUNCTIONS[id]}/${id}`;
  const arn = (id: string) => `<${logicalIdOf(synthesized.stateless, synthesized.stateless.functions[id]!.function)}.Arn>`;
  return [
    `Billing-${stage}-Stateful/SchedulerDlq AwsSolutions-SQS3`,
    `Billing-${stage}-Stateful/BankImportDlq AwsSolutions-SQS3`,
    `Billing-${stage}-Stateful/ImportsDlq AwsSolutions-SQS3`,
    `Billing-${stage}-Stateful/MailEventsDlq AwsSolutions-SQS3`,
    `Billing-${stage}-Stateful/EventsDlq AwsSolutions-SQS3`,
    `Billing-${stage}-Stateful/AccessLogsBucket AwsSolutions-S1`,
    `Billing-${stage}-Stateful/StripeSecret AwsSolutions-SMG4`,
    `Billing-${stage}-Stateful/StripeWebhookSecret AwsSolutions-SMG4`,
    `Billing-${stage}-Stateful/WebhookSigningSecret AwsSolutions-SMG4`,
    ...Object.keys(FUNCTIONS).flatMap((id) => [`${at(id)}/Role AwsSolutions-IAM5[Resource::*]`, `${at(id)}/Function AwsSolutions-L1`]),
    `Billing-${stage}-Stateless/NightlyRenewal/PlanNightScheduleRole AwsSolutions-IAM5[Resource::${arn('PlanNight')}:*]`,
    `Billing-${stage}-Stateless/Payments/NightlyCheckoutsScheduleRole AwsSolutions-IAM5[Resource::${arn('NightlyCheckouts')}:*]`,
    `Billing-${stage}-Stateless/Payments/ReconcileEventsScheduleRole AwsSolutions-IAM5[Resource::${arn('NightlyCheckouts')}:*]`,
    `Billing-${stage}-Stateless/NightlyRenewal/SweepLifecycleScheduleRole AwsSolutions-IAM5[Resource::${arn('SweepLifecycle')}:*]`,
    `Billing-${stage}-Stateless/Api/HttpApi/POST--v1--webhooks--stripe AwsSolutions-APIG4`,
    `Billing-${stage}-Stateless/Api/HttpApi/GET--v1--openapi.json AwsSolutions-APIG4`,
    `Billing-${stage}-Stateless/Api/HttpApi/POST--v1--orgs--{orgId}--products--{productId}--termination--confirm AwsSolutions-APIG4`,
    // Each S3 grant is one prefix of the documents bucket, named through its ARN export.
    `${at('ImportStatement')}/Role AwsSolutions-IAM5[Resource::Billing-${stage}-DocumentsBucketArn/bank/incoming/*]`,
    `${at('ImportProducts')}/Role AwsSolutions-IAM5[Resource::Billing-${stage}-DocumentsBucketArn/imports/incoming/*]`,
    `${at('ImportProducts')}/Role AwsSolutions-IAM5[Resource::Billing-${stage}-DocumentsBucketArn/imports/reports/*]`,
    `${at('InvoicePdf')}/Role AwsSolutions-IAM5[Resource::Billing-${stage}-DocumentsBucketArn/invoices/*]`,
    `${at('RunExport')}/Role AwsSolutions-IAM5[Resource::Billing-${stage}-DocumentsBucketArn/exports/*]`,
    `${at('GetExport')}/Role AwsSolutions-IAM5[Resource::Billing-${stage}-DocumentsBucketArn/exports/*]`,
    // And the archive bucket's one prefix, for its writers and readers.
    ...['ArchiveDocuments', 'InvoicePdf', 'RunExport', 'SendEmail'].map((id) => `${at(id)}/Role AwsSolutions-IAM5[Resource::Billing-${stage}-ArchiveBucketArn/archive/*]`),
    `Billing-${stage}-Stateless/BucketNotificationsHandler050a0587b7544547bf325f094a3db834 AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]`,
    // The portal: CloudFront's findings that do not fit static pages on the default domain, and CDK's deploy-time copier.
    ...['CFR1', 'CFR2', 'CFR3', 'CFR4'].map((rule) => `Billing-${stage}-Stateless/Portal/Distribution AwsSolutions-${rule}`),
    ...[
      'L1',
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'IAM5[Action::s3:GetObject*]',
      'IAM5[Action::s3:GetBucket*]',
      'IAM5[Action::s3:List*]',
      'IAM5[Action::s3:DeleteObject*]',
      'IAM5[Action::s3:Abort*]',
      'IAM5[Resource::*]',
      'IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
      'IAM5[Resource::<PortalBucketAF6949F3.Arn>/*]',
    ].map((rule) => `Billing-${stage}-Stateless/Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C256MiB AwsSolutions-${rule}`),
  ].sort();
}

/**
 * cdk-nag's checks of both stacks, on the apps another test file synthesized
 * (cdk-nag looks at the construct tree, not at the bundles; synthesis itself
 * already threw on any unacknowledged AwsSolutions finding). Called from
 * stateless-stack.test.ts so each stage is synthesized once.
 */
export function describeNagChecks(dev: SynthesizedApp, prod: SynthesizedApp): void {
  describe('cdk-nag AwsSolutionsChecks', () => {
    it.each([['dev', dev] as const, ['prod', prod] as const])('finds nothing unacknowledged in the %s stacks', (_stage, synthesized) => {
      const report = new AwsSolutionsChecks(synthesized.app, { verbose: true }).validateScope(synthesized.app);
      expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    });

    it.each([['dev', dev] as const, ['prod', prod] as const])('acknowledges exactly the expected findings in %s, each with a written reason', (stage, synthesized) => {
      const found = acknowledgments(synthesized.app);
      expect(found.map((a) => `${a.path} ${a.id}`).sort()).toEqual(expectedAcknowledgments(stage, synthesized));
      for (const a of found) {
        expect(a.id).toMatch(/^AwsSolutions-/);
        expect(a.reason.length, `${a.path} ${a.id}`).toBeGreaterThanOrEqual(60);
      }
    });

    it('writes the acknowledgments and their reasons into the templates (audit trail)', () => {
      const suppressed = Object.values({ ...dev.statefulTemplate.toJSON().Resources, ...dev.statelessTemplate.toJSON().Resources } as Record<
        string,
        { Metadata?: Record<string, unknown> }
      >).flatMap((r) => (r.Metadata?.cdk_nag as { rules_to_suppress?: { id: string; reason: string }[] } | undefined)?.rules_to_suppress ?? []);
      expect(suppressed.length).toBeGreaterThan(0);
      for (const rule of suppressed) expect(rule.reason.length).toBeGreaterThanOrEqual(60);
    });

    it('is not a no-op: it reports the mistakes it is meant to catch', () => {
      const app = new App();
      const stack = new Stack(app, 'Careless');
      new Queue(stack, 'NoDlqNoTls');
      new Bucket(stack, 'Unlogged');
      new LambdaFunction(stack, 'OldRuntime', {
        runtime: Runtime.NODEJS_20_X,
        handler: 'index.handler',
        code: Code.fromInline('exports.handler=()=>1'),
        timeout: Duration.seconds(3),
      });
      const rules = new AwsSolutionsChecks(app).validateScope(app).violations.map((v) => v.ruleName);
      expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4', 'AwsSolutions-S1', 'AwsSolutions-S10', 'AwsSolutions-L1']));
      expect(rules.some((r) => r.startsWith('AwsSolutions-IAM4'))).toBe(true);
    });
  });
}
