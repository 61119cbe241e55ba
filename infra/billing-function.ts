import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime, SystemLogLevel, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FONTS_DIR_IN_BUNDLE, PDF_BUNDLE_FILES_SCRIPT } from './pdf-bundle-files.ts';
import type { Stage } from './stateful-stack.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Modules every bundle replaces (esbuild aliases), each by a file that says why: the SDK's default
 * credential chain by Lambda's environment credentials, fontkit's WOFF2 decoder by a refusal.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': 'infra/lambda-credentials.ts',
  'brotli/decompress.js': 'infra/no-woff2.ts',
};

/**
 * Prepended to every bundle. CommonJS dependencies bundled into ESM still
 * call require() for Node built-ins, and may read files next to themselves
 * through __dirname / __filename (pdfkit's CommonJS build reads
 * `__dirname + '/data/…'`): in the bundle those are index.mjs's.
 */
export const BUNDLE_BANNER = [
  "import { createRequire as __billingCreateRequire } from 'node:module';",
  "import { fileURLToPath as __billingFileURLToPath } from 'node:url';",
  "import { dirname as __billingDirname } from 'node:path';",
  'const require = __billingCreateRequire(import.meta.url);',
  'const __filename = __billingFileURLToPath(import.meta.url);',
  'const __dirname = __billingDirname(__filename);',
].join(' ');

/** Where the stage's configuration lies in every bundle (functions/aws-runtime.ts reads it). */
export const CONFIG_FILE_IN_BUNDLE = 'billing-config.json';

/** The runtime every function runs on (the issue fixes Node 22; see the AwsSolutions-L1 suppression). */
export const FUNCTION_RUNTIME = Runtime.NODEJS_22_X;

/**
 * DynamoDB actions a function may be granted. TransactWriteItems is not an
 * IAM action: DynamoDB authorises each item of a transaction with PutItem,
 * UpdateItem, DeleteItem or ConditionCheckItem. Scan is deliberately absent.
 */
export type DynamoDbAction =
  'dynamodb:GetItem' | 'dynamodb:BatchGetItem' | 'dynamodb:Query' | 'dynamodb:PutItem' | 'dynamodb:UpdateItem' | 'dynamodb:DeleteItem' | 'dynamodb:ConditionCheckItem';

/**
 * Object actions a function may be granted under one prefix of a bucket.
 * s3:PutObject also authorises the multipart upload calls (create, parts,
 * complete) of lib-storage's Upload; aborting one is its own action.
 */
export type S3ObjectAction = 's3:GetObject' | 's3:PutObject' | 's3:AbortMultipartUpload' | 's3:PutObjectRetention';

/** The partition keys DynamoDbRateLimiter writes: `RATE#<client>#<minute>` (shared/adapters/dynamodb/dynamodb-rate-limiter.ts). */
export const RATE_LIMIT_LEADING_KEYS = 'RATE#*';

export interface BillingFunctionProps {
  readonly stage: Stage;
  /** Handler module, relative to the repository root; its export `handler` is the entry point. */
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Renders PDFs: the bundle also gets pdfkit's run-time files and the
   * DejaVu fonts (infra/pdf-bundle-files.ts, copied by an afterBundling
   * hook, no npm install at synth), and BILLING_FONTS_DIR names the fonts.
   */
  readonly rendersPdfs?: boolean;
  /**
   * The stage's configuration as JSON (checked at synth): copied into the
   * bundle as billing-config.json, for a function whose environment names
   * it in BILLING_CONFIG_FILE.
   */
  readonly configJson?: string;
  /** Parks an asynchronous invocation (a schedule's, an S3 notification's) that failed all its retries. */
  readonly onFailureQueue?: IQueue;
}

/**
 * A Lambda function with the project's defaults: Node 22 on arm64, bundled
 * by the local esbuild (ESM, minified, source maps; PDF functions with their
 * font files), JSON logs into its own log group, X-Ray tracing, and a role
 * of its own that starts with nothing but writing its logs. Every other
 * permission is granted per action and per resource through the grant
 * methods below.
 */
export class BillingFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: Role;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: BillingFunctionProps) {
    super(scope, id);
    const isProd = props.stage === 'prod';

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: isProd ? RetentionDays.ONE_YEAR : RetentionDays.ONE_MONTH,
      removalPolicy: isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    // No AWSLambdaBasicExecutionRole: it allows writing to every log group of the account.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (${props.stage})`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: join(REPO_ROOT, props.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      tracing: Tracing.ACTIVE,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...(props.rendersPdfs ? { BILLING_FONTS_DIR: FONTS_DIR_IN_BUNDLE } : {}),
        ...props.environment,
      },
      ...(props.onFailureQueue ? { onFailure: new SqsDestination(props.onFailureQueue), retryAttempts: 2, maxEventAge: Duration.hours(2) } : {}),
      bundling: {
        // Local esbuild (a devDependency): synth needs no Docker.
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        esbuildArgs: Object.fromEntries(Object.entries(BUNDLE_ALIASES).map(([module, file]) => [`--alias:${module}`, join(REPO_ROOT, file)])),
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        // Bundled (not taken from the runtime) so Lambda runs the SDK version the tests ran.
        bundleAwsSDK: true,
        banner: BUNDLE_BANNER,
        ...(props.rendersPdfs || props.configJson
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) => [
                  // Local bundling runs this in the repository (cwd), where tsx is installed.
                  ...(props.rendersPdfs ? [`node --import tsx "${join(inputDir, relative(REPO_ROOT, PDF_BUNDLE_FILES_SCRIPT))}" "${outputDir}"`] : []),
                  ...(props.configJson ? [`cp "${props.configJson}" "${join(outputDir, CONFIG_FILE_IN_BUNDLE)}"`] : []),
                ],
              },
            }
          : {}),
      },
    });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so CDK grants them on "*". Every other statement of this role names its resources (an S3 grant names one folder, acknowledged on its own).',
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The deployment issue fixes the Node 22 runtime (supported by AWS, and what the code is built and tested for); Node 24 is newer, and moving to it is a separate, tested upgrade.',
    });
  }

  /** Item actions on the table itself (not its indexes), optionally limited to partition keys. */
  public grantItems(table: ITableV2, actions: readonly DynamoDbAction[], options: { leadingKeys?: readonly string[]; leadingKeyPatterns?: readonly string[] } = {}): this {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...actions],
        resources: [table.tableArn],
        ...(options.leadingKeys
          ? { conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [...options.leadingKeys] } } }
          : options.leadingKeyPatterns
            ? { conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...options.leadingKeyPatterns] } } }
            : {}),
      }),
    );
    return this;
  }

  /** dynamodb:Query on the table and/or on named global secondary indexes only. */
  public grantQuery(table: ITableV2, on: { table?: boolean; indexes?: readonly string[] }): this {
    const resources = [...(on.table ? [table.tableArn] : []), ...(on.indexes ?? []).map((index) => `${table.tableArn}/index/${index}`)];
    if (resources.length === 0) throw new Error('grantQuery needs the table or at least one index');
    this.role.addToPrincipalPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['dynamodb:Query'], resources }));
    return this;
  }

  /** sqs:SendMessage (which also authorises SendMessageBatch) on these queues only. */
  public grantSend(...queues: IQueue[]): this {
    this.role.addToPrincipalPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['sqs:SendMessage'], resources: queues.map((q) => q.queueArn) }));
    return this;
  }

  /**
   * The API's per-client request counter (DynamoDbRateLimiter): UpdateItem on
   * the table, only on items whose partition key starts with `RATE#`.
   */
  public grantRateLimit(table: ITableV2): this {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:UpdateItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [RATE_LIMIT_LEADING_KEYS] } },
      }),
    );
    return this;
  }

  /**
   * Object actions on the keys under one prefix of a bucket only (never the
   * bucket itself, never another prefix). cdk-nag's IAM5 reports the
   * prefix wildcard; it is acknowledged here, naming the prefix.
   */
  public grantObjects(bucket: IBucket, prefix: string, actions: readonly S3ObjectAction[], why: string, bucketLabel = 'documents'): this {
    if (!/^[a-z0-9-]+(\/[a-z0-9-]+)*\/$/.test(prefix)) throw new Error(`grantObjects needs a folder prefix such as "exports/", got ${JSON.stringify(prefix)}`);
    const resource = bucket.arnForObjects(`${prefix}*`);
    this.role.addToPrincipalPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: [...actions], resources: [resource] }));
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagName(Stack.of(this).resolve(resource))}]`,
      reason: `${actions.join(', ')} on the objects under ${prefix} of the ${bucketLabel} bucket only: ${why}. Object keys are made at run time, so the prefix ends in a wildcard.`,
    });
    return this;
  }

  /** secretsmanager:GetSecretValue on this secret only. */
  public grantSecretValue(secret: ISecret): this {
    this.role.addToPrincipalPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }));
    return this;
  }
}

/**
 * A resolved policy resource as cdk-nag names it in a finding id
 * (`AwsSolutions-IAM5[Resource::<name>]`): strings as they are, Ref as
 * `<Id>`, Fn::GetAtt as `<Id.Attr>`, Fn::ImportValue as the export name.
 */
export function nagName(resolved: unknown): string {
  if (typeof resolved === 'string') return resolved.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const v = resolved as Record<string, unknown>;
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(nagName).join(separator);
  }
  if (Array.isArray(v['Fn::GetAtt'])) {
    const [id, attribute] = v['Fn::GetAtt'] as [unknown, unknown];
    return `<${nagName(id)}.${nagName(attribute)}>`;
  }
  if ('Fn::ImportValue' in v) return nagName(v['Fn::ImportValue']);
  if ('Ref' in v) return `<${nagName(v.Ref)}>`;
  return JSON.stringify(resolved);
}
