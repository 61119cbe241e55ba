import { EXPORT_LEASE_SECONDS } from '../../shared/use-cases/finance/export-invoices.ts';
import { WEBHOOK_RETRY_DELAYS_SECONDS } from '../../shared/use-cases/events/deliver-webhooks.ts';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { CDK_CONTEXT } from './cdk-context.ts';
import { TABLE_INDEXES, TABLE_KEYS } from '../../shared/adapters/dynamodb/table-schema.ts';
import {
  CONSUMER_TIMEOUT_SECONDS,
  archiveBucketArnExportName,
  documentsBucketArnExportName,
  EXPORT_CONSUMER_TIMEOUT_SECONDS,
  EXPORTS_EXPIRY_DAYS,
  EXPORTS_PREFIX,
  parseStage,
  type Stage,
  StatefulStack,
} from '../../infra/stateful-stack.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FOURTEEN_DAYS_IN_SECONDS = 14 * 24 * 60 * 60;

type CfnResource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

interface Synthesized {
  stack: StatefulStack;
  template: Template;
}

function synth(stage: Stage): Synthesized {
  // The feature flags of cdk.json, as `cdk synth` uses them.
  const app = new App({ context: CDK_CONTEXT });
  const stack = new StatefulStack(app, `Billing-${stage}-Stateful`, { stage });
  return { stack, template: Template.fromStack(stack) };
}

const dev = synth('dev');
const prod = synth('prod');

function logicalId({ stack }: Synthesized, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

function resource({ template }: Synthesized, id: string): CfnResource {
  const found = template.toJSON().Resources?.[id] as CfnResource | undefined;
  if (!found) throw new Error(`no resource ${id} in template`);
  return found;
}

function table(synthesized: Synthesized): CfnResource {
  const tables = synthesized.template.findResources('AWS::DynamoDB::GlobalTable');
  expect(Object.keys(tables)).toEqual([logicalId(synthesized, synthesized.stack.table)]);
  return resource(synthesized, logicalId(synthesized, synthesized.stack.table));
}

function onlyReplica(synthesized: Synthesized): Record<string, unknown> {
  const replicas = table(synthesized).Properties.Replicas as Record<string, unknown>[];
  expect(replicas).toHaveLength(1);
  return replicas[0]!;
}

function gsi(synthesized: Synthesized, indexName: string): unknown {
  const indexes = table(synthesized).Properties.GlobalSecondaryIndexes as { IndexName: string }[];
  return indexes.find((index) => index.IndexName === indexName);
}

const workQueues = [
  { name: 'renewal', queue: (s: StatefulStack) => s.renewalQueue, dlq: (s: StatefulStack) => s.renewalDlq },
  { name: 'charge', queue: (s: StatefulStack) => s.chargeQueue, dlq: (s: StatefulStack) => s.chargeDlq },
  { name: 'lifecycle', queue: (s: StatefulStack) => s.lifecycleQueue, dlq: (s: StatefulStack) => s.lifecycleDlq },
  { name: 'settlement', queue: (s: StatefulStack) => s.settlementQueue, dlq: (s: StatefulStack) => s.settlementDlq },
  { name: 'exports', queue: (s: StatefulStack) => s.exportsQueue, dlq: (s: StatefulStack) => s.exportsDlq },
] as const;

function allQueues(stack: StatefulStack): IQueue[] {
  return [
    ...Object.values(stack.workQueues).flatMap(({ queue, dlq }) => [queue, dlq]),
    stack.schedulerDlq,
    stack.bankImportDlq,
    stack.importsDlq,
    stack.mailEventsDlq,
    stack.eventsDlq,
  ];
}

describe('StatefulStack table', () => {
  it("streams new images only (the outbox stream needs an e-mail's key, never an item's old state)", () => {
    expect(table(dev).Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
  });

  it('keys items by string pk (partition) and string sk (sort)', () => {
    const { Properties } = table(dev);
    expect(Properties.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    const attributes = (Properties.AttributeDefinitions as { AttributeName: string; AttributeType: string }[]).map((a) => `${a.AttributeName}:${a.AttributeType}`).sort();
    expect(attributes).toEqual(['gsi1pk:S', 'gsi1sk:S', 'gsi2pk:S', 'gsi2sk:S', 'gsi3pk:S', 'gsi3sk:S', 'pk:S', 'sk:S']);
  });

  it('has exactly the global secondary indexes of TABLE_INDEXES, the definition the local table is built from', () => {
    const expected = TABLE_INDEXES.map(({ index, projection }) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.pk, KeyType: 'HASH' },
        { AttributeName: index.sk, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: projection },
    }));
    const indexes = table(dev).Properties.GlobalSecondaryIndexes as { IndexName: string }[];
    const byName = (a: { IndexName: string }, b: { IndexName: string }) => a.IndexName.localeCompare(b.IndexName);
    expect([...indexes].sort(byName)).toEqual([...expected].sort(byName));
    expect(indexes.map((index) => index.IndexName).sort()).toEqual(['gsi1', 'gsi2', 'gsi3']);
  });

  it('indexes the due-date key (gsi1pk/gsi1sk) in gsi1 with a keys-only projection', () => {
    expect(gsi(dev, 'gsi1')).toEqual({
      IndexName: 'gsi1',
      KeySchema: [
        { AttributeName: 'gsi1pk', KeyType: 'HASH' },
        { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    });
  });

  it('indexes organisation products by expiry (gsi2pk/gsi2sk) in gsi2 projecting all attributes', () => {
    expect(gsi(dev, 'gsi2')).toEqual({
      IndexName: 'gsi2',
      KeySchema: [
        { AttributeName: 'gsi2pk', KeyType: 'HASH' },
        { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    });
  });

  it('indexes finance documents by issue date (gsi3pk/gsi3sk) in gsi3 projecting all attributes (exports read whole documents from it)', () => {
    expect(TABLE_KEYS.docsIndex).toEqual({ name: 'gsi3', pk: 'gsi3pk', sk: 'gsi3sk' });
    expect(gsi(dev, 'gsi3')).toEqual({
      IndexName: 'gsi3',
      KeySchema: [
        { AttributeName: 'gsi3pk', KeyType: 'HASH' },
        { AttributeName: 'gsi3sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    });
  });

  it('bills per request (on-demand) without provisioned throughput', () => {
    const { Properties } = table(dev);
    expect(Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Properties.WriteProvisionedThroughputSettings).toBeUndefined();
  });

  it.each([['dev', dev] as const, ['prod', prod] as const])('keeps point-in-time recovery on in %s', (_stage, synthesized) => {
    expect(onlyReplica(synthesized).PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('expires items through the expiresAt TTL attribute', () => {
    expect(TABLE_KEYS.ttl).toBe('expiresAt');
    expect(table(dev).Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('encrypts with the AWS-managed KMS key, not a customer-managed one', () => {
    expect(table(dev).Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(onlyReplica(dev).SSESpecification).toBeUndefined();
  });

  it('protects the prod table with deletion protection and retains it on delete and replace', () => {
    const prodTable = table(prod);
    expect(onlyReplica(prod).DeletionProtectionEnabled).toBe(true);
    expect(prodTable.DeletionPolicy).toBe('Retain');
    expect(prodTable.UpdateReplacePolicy).toBe('Retain');
  });

  it('leaves the dev table unprotected and deletes it with the stack', () => {
    const devTable = table(dev);
    expect(onlyReplica(dev).DeletionProtectionEnabled).not.toBe(true);
    expect(devTable.DeletionPolicy).toBe('Delete');
    expect(devTable.UpdateReplacePolicy).toBe('Delete');
  });
});

describe('StatefulStack queues', () => {
  it("creates the eight work queues, one dead-letter queue for each, and the schedules', bank import's, product imports', mail events' and business events' dead-letter queues", () => {
    dev.template.resourceCountIs('AWS::SQS::Queue', 21);
    const ids = new Set(allQueues(dev.stack).map((q) => logicalId(dev, q)));
    expect(ids.size).toBe(21);
    expect(Object.keys(dev.stack.workQueues).sort()).toEqual(['archive', 'charge', 'exports', 'lifecycle', 'mail', 'renewal', 'settlement', 'webhooks']);
  });

  it('gives a webhook 8 tries (the first and the 7 delays of its back-off) before its dead letter', () => {
    const dlqId = logicalId(dev, dev.stack.webhookDlq);
    expect(resource(dev, logicalId(dev, dev.stack.webhookQueue)).Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 8 });
    expect(WEBHOOK_RETRY_DELAYS_SECONDS).toHaveLength(8 - 1);
  });

  it('gives every queue that is not itself a dead-letter queue a redrive policy', () => {
    const dlqIds = new Set([
      ...Object.values(dev.stack.workQueues).map(({ dlq }) => logicalId(dev, dlq)),
      logicalId(dev, dev.stack.schedulerDlq),
      logicalId(dev, dev.stack.bankImportDlq),
      logicalId(dev, dev.stack.importsDlq),
      logicalId(dev, dev.stack.mailEventsDlq),
      logicalId(dev, dev.stack.eventsDlq),
    ]);
    for (const [id, queue] of Object.entries(dev.template.findResources('AWS::SQS::Queue') as Record<string, CfnResource>)) {
      if (dlqIds.has(id)) expect(queue.Properties.RedrivePolicy).toBeUndefined();
      else
        expect((queue.Properties.RedrivePolicy as { deadLetterTargetArn: { 'Fn::GetAtt': [string, string] } }).deadLetterTargetArn['Fn::GetAtt'][0]).toSatisfy((dlq: string) =>
          dlqIds.has(dlq),
        );
    }
  });

  it('keeps what the schedules and the bank import could not deliver for 14 days', () => {
    expect(resource(dev, logicalId(dev, dev.stack.schedulerDlq)).Properties.MessageRetentionPeriod).toBe(FOURTEEN_DAYS_IN_SECONDS);
    expect(resource(dev, logicalId(dev, dev.stack.bankImportDlq)).Properties.MessageRetentionPeriod).toBe(FOURTEEN_DAYS_IN_SECONDS);
    expect(resource(dev, logicalId(dev, dev.stack.mailEventsDlq)).Properties.MessageRetentionPeriod).toBe(FOURTEEN_DAYS_IN_SECONDS);
    expect(resource(dev, logicalId(dev, dev.stack.eventsDlq)).Properties.MessageRetentionPeriod).toBe(FOURTEEN_DAYS_IN_SECONDS);
  });

  it("hides an in-flight export for at least 6 × the export consumer's (15 minute) timeout", () => {
    expect(EXPORT_CONSUMER_TIMEOUT_SECONDS).toBe(900);
    expect(resource(dev, logicalId(dev, dev.stack.exportsQueue)).Properties.VisibilityTimeout).toBe(6 * EXPORT_CONSUMER_TIMEOUT_SECONDS);
  });

  it("lets an export's lease outlast its worker but run out before the message comes back", () => {
    expect(EXPORT_LEASE_SECONDS).toBeGreaterThan(EXPORT_CONSUMER_TIMEOUT_SECONDS);
    expect(EXPORT_LEASE_SECONDS).toBeLessThan(resource(dev, logicalId(dev, dev.stack.exportsQueue)).Properties.VisibilityTimeout as number);
  });

  it.each(workQueues)('moves a $name message to its own DLQ after 5 receives', ({ queue, dlq }) => {
    const dlqId = logicalId(dev, dlq(dev.stack));
    expect(resource(dev, logicalId(dev, queue(dev.stack))).Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
      maxReceiveCount: 5,
    });
    const dlqProperties = resource(dev, dlqId).Properties;
    expect(dlqProperties.MessageRetentionPeriod).toBe(FOURTEEN_DAYS_IN_SECONDS);
    expect(dlqProperties.RedrivePolicy).toBeUndefined();
  });

  it.each(workQueues)('hides an in-flight $name message for at least 6 × the consumer timeout', ({ queue }) => {
    const visibility = resource(dev, logicalId(dev, queue(dev.stack))).Properties.VisibilityTimeout as number;
    expect(visibility).toBeGreaterThanOrEqual(6 * CONSUMER_TIMEOUT_SECONDS);
    expect(visibility).toBeLessThanOrEqual(12 * 60 * 60); // the SQS maximum
  });

  it('denies every request to every queue that is not sent over TLS', () => {
    for (const queue of allQueues(dev.stack)) {
      dev.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: Match.arrayWith([{ Ref: logicalId(dev, queue) }]),
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('encrypts every queue with SQS-managed keys', () => {
    for (const queue of allQueues(dev.stack)) {
      const { Properties } = resource(dev, logicalId(dev, queue));
      expect(Properties.SqsManagedSseEnabled).toBe(true);
      expect(Properties.KmsMasterKeyId).toBeUndefined();
    }
  });

  it('retains the prod queues (with their parked messages) and deletes the dev ones', () => {
    for (const queue of allQueues(prod.stack)) {
      expect(resource(prod, logicalId(prod, queue)).DeletionPolicy).toBe('Retain');
    }
    for (const queue of allQueues(dev.stack)) {
      expect(resource(dev, logicalId(dev, queue)).DeletionPolicy).toBe('Delete');
    }
  });
});

describe('StatefulStack archive bucket (docs/domain.md R-30)', () => {
  const archive = (s: Synthesized) => resource(s, logicalId(s, s.stack.archiveBucket));

  it('locks what it keeps with S3 Object Lock: compliance mode in prod, governance in dev, a one-year floor, versions kept, never deleted with a stack', () => {
    const prod_ = archive(prod);
    expect(prod_.Properties.ObjectLockEnabled).toBe(true);
    expect(prod_.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(prod_.Properties.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } } });
    expect(archive(dev).Properties.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 365 } } });
    for (const s of [dev, prod]) {
      expect(archive(s).DeletionPolicy).toBe('Retain');
      expect(archive(s).UpdateReplacePolicy).toBe('Retain');
      expect(archive(s).Properties.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: logicalId(s, s.stack.accessLogsBucket) }, LogFilePrefix: 'archive/' });
      // No rule may expire or remove what is kept.
      const rules = (archive(s).Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
      for (const r of rules) expect(Object.keys(r).filter((k) => /Expiration/.test(k) && k !== 'AbortIncompleteMultipartUpload')).toEqual([]);
    }
    dev.template.hasOutput('ArchiveBucketArn', { Export: { Name: archiveBucketArnExportName('dev') } });
  });
});

describe('StatefulStack documents bucket', () => {
  const bucket = (s: Synthesized) => resource(s, logicalId(s, s.stack.documentsBucket));
  const policyOf = (s: Synthesized, bucketId: string) => {
    const policies = Object.values(s.template.findResources('AWS::S3::BucketPolicy') as Record<string, CfnResource>).filter(
      (p) => (p.Properties.Bucket as { Ref: string }).Ref === bucketId,
    );
    expect(policies).toHaveLength(1);
    return (policies[0]!.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
  };
  const buckets = (s: Synthesized) => [s.stack.documentsBucket, s.stack.accessLogsBucket, s.stack.archiveBucket].map((b) => logicalId(s, b));

  it('blocks every kind of public access on all three buckets', () => {
    for (const id of buckets(dev)) {
      expect(resource(dev, id).Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(resource(dev, id).Properties.AccessControl).toBeUndefined();
      expect(resource(dev, id).Properties.WebsiteConfiguration).toBeUndefined();
      expect(resource(dev, id).Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    }
  });

  it('never allows anyone ("*") in a bucket policy, and denies every request without TLS 1.2', () => {
    for (const id of buckets(dev)) {
      const statements = policyOf(dev, id);
      for (const st of statements) {
        if (st.Effect === 'Allow') expect(JSON.stringify(st.Principal)).not.toContain('"*"');
      }
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      );
    }
  });

  it('encrypts at rest, keeps versions and logs access to the log bucket', () => {
    const { Properties } = bucket(dev);
    expect(Properties.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logicalId(dev, dev.stack.accessLogsBucket) },
      LogFilePrefix: 'documents/',
    });
  });

  it('expires exports (and their old versions) but never the PDFs', () => {
    const rules = (bucket(dev).Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual(expect.objectContaining({ Id: 'expire-exports', Prefix: EXPORTS_PREFIX, ExpirationInDays: EXPORTS_EXPIRY_DAYS, Status: 'Enabled' }));
    // The only rule that expires current objects is the exports one.
    expect(rules.filter((r) => r.ExpirationInDays !== undefined).map((r) => r.Prefix)).toEqual([EXPORTS_PREFIX]);
    expect(rules).toContainEqual(expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }));
  });

  it('retains the buckets in prod and deletes the documents and log buckets with a dev stack (the archive, locked, stays)', () => {
    for (const id of buckets(prod)) expect(resource(prod, id).DeletionPolicy).toBe('Retain');
    for (const id of buckets(dev).slice(0, 2)) expect(resource(dev, id).DeletionPolicy).toBe('Delete');
  });
});

describe('StatefulStack Stripe secret', () => {
  it('holds a placeholder with the keys the functions read, without a value in the template', () => {
    const { Properties } = resource(dev, logicalId(dev, dev.stack.stripeSecret));
    const generate = Properties.GenerateSecretString as { SecretStringTemplate: string; GenerateStringKey: string };
    expect(JSON.parse(generate.SecretStringTemplate)).toEqual({ secretKey: '' });
    expect(Properties.SecretString).toBeUndefined();
    // The webhook signing secret is a secret of its own, so the public webhook function never holds the API key.
    const webhook = resource(dev, logicalId(dev, dev.stack.stripeWebhookSecret)).Properties.GenerateSecretString as { SecretStringTemplate: string };
    expect(JSON.parse(webhook.SecretStringTemplate)).toEqual({ webhookSecret: '' });
  });

  it('retains the prod secret (an operator set its value)', () => {
    expect(resource(prod, logicalId(prod, prod.stack.stripeSecret)).DeletionPolicy).toBe('Retain');
    expect(resource(dev, logicalId(dev, dev.stack.stripeSecret)).DeletionPolicy).toBe('Delete');
  });
});

describe('StatefulStack outputs', () => {
  it('outputs the table name and the URL of every queue', () => {
    const { stack, template } = dev;
    template.hasOutput('TableName', { Value: { Ref: logicalId(dev, stack.table) } });
    template.hasOutput('RenewalQueueUrl', { Value: { Ref: logicalId(dev, stack.renewalQueue) } });
    template.hasOutput('RenewalDlqUrl', { Value: { Ref: logicalId(dev, stack.renewalDlq) } });
    template.hasOutput('ChargeQueueUrl', { Value: { Ref: logicalId(dev, stack.chargeQueue) } });
    template.hasOutput('ChargeDlqUrl', { Value: { Ref: logicalId(dev, stack.chargeDlq) } });
    template.hasOutput('LifecycleQueueUrl', { Value: { Ref: logicalId(dev, stack.lifecycleQueue) } });
    template.hasOutput('LifecycleDlqUrl', { Value: { Ref: logicalId(dev, stack.lifecycleDlq) } });
    template.hasOutput('SettlementQueueUrl', { Value: { Ref: logicalId(dev, stack.settlementQueue) } });
    template.hasOutput('SettlementDlqUrl', { Value: { Ref: logicalId(dev, stack.settlementDlq) } });
    template.hasOutput('ExportsQueueUrl', { Value: { Ref: logicalId(dev, stack.exportsQueue) } });
    template.hasOutput('ExportsDlqUrl', { Value: { Ref: logicalId(dev, stack.exportsDlq) } });
    template.hasOutput('SchedulerDlqUrl', { Value: { Ref: logicalId(dev, stack.schedulerDlq) } });
    template.hasOutput('BankImportDlqUrl', { Value: { Ref: logicalId(dev, stack.bankImportDlq) } });
    template.hasOutput('DocumentsBucketName', { Value: { Ref: logicalId(dev, stack.documentsBucket) } });
    template.hasOutput('StripeSecretArn', { Value: { Ref: logicalId(dev, stack.stripeSecret) } });
    template.hasOutput('StripeWebhookSecretArn', { Value: { Ref: logicalId(dev, stack.stripeWebhookSecret) } });
  });

  it("exports the documents bucket ARN under a per-stage name (the stateless stack's S3 grants import it)", () => {
    dev.template.hasOutput('DocumentsBucketArn', {
      Value: { 'Fn::GetAtt': [logicalId(dev, dev.stack.documentsBucket), 'Arn'] },
      Export: { Name: 'Billing-dev-DocumentsBucketArn' },
    });
    prod.template.hasOutput('DocumentsBucketArn', { Export: { Name: documentsBucketArnExportName('prod') } });
    expect(documentsBucketArnExportName('prod')).toBe('Billing-prod-DocumentsBucketArn');
  });
});

describe('stage selection', () => {
  it('defaults to dev and accepts dev and prod', () => {
    expect(parseStage(undefined)).toBe('dev');
    expect(parseStage('dev')).toBe('dev');
    expect(parseStage('prod')).toBe('prod');
  });

  it.each(['staging', 'Prod', 'production', '', 'dev '])('refuses the stage %j', (stage) => {
    expect(() => parseStage(stage)).toThrow(/Invalid stage .*expected one of dev, prod/);
  });

  it('refuses to build a stack for an unknown stage even when the type is bypassed', () => {
    expect(() => new StatefulStack(new App(), 'Billing-qa-Stateful', { stage: 'qa' as Stage })).toThrow(/Invalid stage "qa"/);
  });

  describe('the CDK app (infra/app.ts, run as the CLI runs it)', () => {
    // A whole app run (tsx, both stacks, cdk-nag) takes ~15 s alone; allow for a busy CI machine.
    const APP_RUN_TIMEOUT_MS = 180_000;
    const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };

    /** Runs the app the way `cdk synth` does: context from cdk.json (+ -c) in CDK_CONTEXT_JSON, output to CDK_OUTDIR. */
    async function runApp(context: Record<string, unknown>): Promise<{ stackNames: string[] }> {
      const outdir = mkdtempSync(join(tmpdir(), 'billing-cdk-'));
      try {
        await promisify(execFile)(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
          cwd: REPO_ROOT,
          // Bundling skipped (as `cdk synth --exclusively` does for other stacks): these tests are about the stacks' names.
          env: {
            ...process.env,
            CDK_OUTDIR: outdir,
            CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context }),
          },
        });
        const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
          artifacts: Record<string, { type: string }>;
        };
        const stackNames = Object.entries(manifest.artifacts)
          .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
          .map(([name]) => name);
        return { stackNames };
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    }

    it.concurrent(
      'synthesizes the dev stacks when no stage is given',
      async () => {
        expect((await runApp({})).stackNames.sort()).toEqual(['Billing-dev-Stateful', 'Billing-dev-Stateless']);
      },
      APP_RUN_TIMEOUT_MS,
    );

    it.concurrent(
      'synthesizes the prod stacks for -c stage=prod',
      async () => {
        expect((await runApp({ stage: 'prod', config: 'config/sample.yaml' })).stackNames.sort()).toEqual(['Billing-prod-Stateful', 'Billing-prod-Stateless']);
      },
      APP_RUN_TIMEOUT_MS,
    );

    it.concurrent(
      'refuses prod without a configuration of its own (never the sample by default)',
      async () => {
        await expect(runApp({ stage: 'prod' })).rejects.toMatchObject({
          code: 1,
          stderr: expect.stringMatching(/^no configuration for prod: write config\/prod\.yaml or pass -c config=FILE/),
        });
      },
      APP_RUN_TIMEOUT_MS,
    );

    it.concurrent(
      'refuses a broken configuration, listing each problem with its line',
      async () => {
        await expect(runApp({ config: 'test/fixtures/config/broken.yaml' })).rejects.toMatchObject({
          code: 1,
          stderr: expect.stringMatching(
            /the configuration is not valid\ntest\/fixtures\/config\/broken\.yaml:3:1 {2}defaultSeller: names no seller[\s\S]*broken\.yaml:28:11 {2}vat\.rates\.CH\.1\.from/,
          ),
        });
      },
      APP_RUN_TIMEOUT_MS,
    );

    it.concurrent('exits non-zero with a one-line message for -c stage=staging', async () => {
      await expect(runApp({ stage: 'staging' })).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/^Invalid stage "staging": expected one of dev, prod/),
      });
    });
  });
});
