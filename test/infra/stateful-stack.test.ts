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
import { CONSUMER_TIMEOUT_SECONDS, parseStage, type Stage, StatefulStack } from '../../infra/stateful-stack.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FOURTEEN_DAYS_IN_SECONDS = 14 * 24 * 60 * 60;

type CfnResource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

interface Synthesized {
  stack: StatefulStack;
  template: Template;
}

function synth(stage: Stage): Synthesized {
  const app = new App();
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
  { name: 'lifecycle', queue: (s: StatefulStack) => s.lifecycleQueue, dlq: (s: StatefulStack) => s.lifecycleDlq },
] as const;

function allQueues(stack: StatefulStack): IQueue[] {
  return [stack.renewalQueue, stack.renewalDlq, stack.lifecycleQueue, stack.lifecycleDlq];
}

describe('StatefulStack table', () => {
  it('keys items by string pk (partition) and string sk (sort)', () => {
    const { Properties } = table(dev);
    expect(Properties.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    const attributes = (Properties.AttributeDefinitions as { AttributeName: string; AttributeType: string }[])
      .map((a) => `${a.AttributeName}:${a.AttributeType}`)
      .sort();
    expect(attributes).toEqual(['gsi1pk:S', 'gsi1sk:S', 'gsi2pk:S', 'gsi2sk:S', 'pk:S', 'sk:S']);
  });

  it('has exactly the two global secondary indexes gsi1 and gsi2', () => {
    const indexes = table(dev).Properties.GlobalSecondaryIndexes as { IndexName: string }[];
    expect(indexes.map((index) => index.IndexName).sort()).toEqual(['gsi1', 'gsi2']);
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

  it('bills per request (on-demand) without provisioned throughput', () => {
    const { Properties } = table(dev);
    expect(Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Properties.WriteProvisionedThroughputSettings).toBeUndefined();
  });

  it.each([['dev', dev] as const, ['prod', prod] as const])('keeps point-in-time recovery on in %s', (_stage, synthesized) => {
    expect(onlyReplica(synthesized).PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('expires items through the expiresAt TTL attribute', () => {
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
  it('creates the two work queues and one dead-letter queue for each', () => {
    dev.template.resourceCountIs('AWS::SQS::Queue', 4);
    const ids = new Set(allQueues(dev.stack).map((q) => logicalId(dev, q)));
    expect(ids.size).toBe(4);
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

describe('StatefulStack outputs', () => {
  it('outputs the table name and the URL of every queue', () => {
    const { stack, template } = dev;
    template.hasOutput('TableName', { Value: { Ref: logicalId(dev, stack.table) } });
    template.hasOutput('RenewalQueueUrl', { Value: { Ref: logicalId(dev, stack.renewalQueue) } });
    template.hasOutput('RenewalDlqUrl', { Value: { Ref: logicalId(dev, stack.renewalDlq) } });
    template.hasOutput('LifecycleQueueUrl', { Value: { Ref: logicalId(dev, stack.lifecycleQueue) } });
    template.hasOutput('LifecycleDlqUrl', { Value: { Ref: logicalId(dev, stack.lifecycleDlq) } });
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
    const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };

    /** Runs the app the way `cdk synth` does: context from cdk.json (+ -c) in CDK_CONTEXT_JSON, output to CDK_OUTDIR. */
    async function runApp(context: Record<string, unknown>): Promise<{ stackNames: string[] }> {
      const outdir = mkdtempSync(join(tmpdir(), 'billing-cdk-'));
      try {
        await promisify(execFile)(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
          cwd: REPO_ROOT,
          env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJson.context, ...context }) },
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

    it.concurrent('synthesizes Billing-dev-Stateful when no stage is given', async () => {
      expect((await runApp({})).stackNames).toEqual(['Billing-dev-Stateful']);
    });

    it.concurrent('synthesizes Billing-prod-Stateful for -c stage=prod', async () => {
      expect((await runApp({ stage: 'prod' })).stackNames).toEqual(['Billing-prod-Stateful']);
    });

    it.concurrent('exits non-zero with a one-line message for -c stage=staging', async () => {
      await expect(runApp({ stage: 'staging' })).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/^Invalid stage "staging": expected one of dev, prod/),
      });
    });
  });
});
