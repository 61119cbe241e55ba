import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aws, Duration, RemovalPolicy, Stack, Validations, type CfnParameter } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type IBucket } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { writePortalFiles } from '../../functions/http/portal-assets.ts';
import { contentSecurityPolicy } from '../../functions/http/portal-headers.ts';

export interface PortalProps {
  /** Where S3 writes the portal bucket's server access logs (the stateful stack's log bucket). */
  readonly accessLogs: IBucket;
  /** The provider's OAuth 2 server the pages sign users in with (authorization code and PKCE). */
  readonly authorizeUrl: CfnParameter;
  readonly tokenUrl: CfnParameter;
  readonly clientId: CfnParameter;
  readonly scope: CfnParameter;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The customer portal and the finance console (web/): static files in a
 * private bucket, served by CloudFront through origin access control, with
 * the same security headers as `billing serve` (CSP: own scripts only, calls
 * to the API and the token endpoint; no framing; HSTS). Every path without a
 * file answers index.html, so the e-mails' `/pay?org=…` links open the page.
 */
export class Portal extends Construct {
  public readonly distribution: Distribution;
  public readonly bucket: Bucket;
  /** The built pages, and the sign-in server config.json will name. */
  private readonly files: ReturnType<typeof Source.asset>;
  private readonly login: PortalProps;

  constructor(scope: Construct, id: string, props: PortalProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy: props.removalPolicy,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'portal/',
    });

    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Billing portal: CSP, HSTS, no framing, no sniffing',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          // The API's execute-api host of this region (its id would make the distribution depend on the API, whose CORS names the distribution) and the token endpoint.
          contentSecurityPolicy: contentSecurityPolicy({ connect: [`https://*.execute-api.${Aws.REGION}.amazonaws.com`, props.tokenUrl.valueAsString] }),
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, preload: true, override: true },
      },
      customHeadersBehavior: { customHeaders: [{ header: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=()', override: true }] },
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Billing customer portal and finance console',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      // The pages route by path: a path that is no file gets index.html (S3 answers 403 for a missing key behind OAC).
      errorResponses: [403, 404].map((httpStatus) => ({ httpStatus, responseHttpStatus: 200, responsePagePath: '/index.html', ttl: Duration.seconds(0) })),
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'The portal serves customers wherever they are (travel, foreign subsidiaries); the API behind it authenticates every call, so a geo restriction would only lock customers out.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The distribution serves static files only; every data call goes to the HTTP API, which is throttled per stage and rate-limited per user (60 a minute). A WAF for CloudFront lives in us-east-1 and is left to the provider.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'CloudFront standard logs need an ACL-enabled bucket, which the stage log bucket (bucket owner enforced) refuses; the pages carry no data, and every call they make is in the API access logs.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'Served on the default cloudfront.net certificate until the provider attaches its domain; CloudFront then applies the TLSv1.2_2021 policy the provider chooses with its certificate.',
      },
    );

    // The files, then what the pages read first (where the API is, how to sign in): written at deploy time with the stack's values.
    const built = mkdtempSync(join(tmpdir(), 'billing-portal-'));
    writePortalFiles(built);
    this.files = Source.asset(built);
    this.login = props;
  }

  /** Deploys the files with config.json naming the API (called once the API exists). */
  deploy(apiUrl: string): BucketDeployment {
    const login = this.login;
    const deployment = new BucketDeployment(this, 'Files', {
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/config.json', '/assets/*'],
      prune: true,
      memoryLimit: 256,
      sources: [
        this.files,
        Source.jsonData('config.json', {
          apiUrl,
          login: {
            kind: 'oauth',
            authorizeUrl: login.authorizeUrl.valueAsString,
            tokenUrl: login.tokenUrl.valueAsString,
            clientId: login.clientId.valueAsString,
            scope: login.scope.valueAsString,
          },
        }),
      ],
    });
    // CDK's singleton that copies the files at deploy time, with the role and runtime CDK gives it.
    const handler = Stack.of(this).node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!handler) throw new Error('no Custom::CDKBucketDeployment singleton: CDK changed how it deploys files to a bucket');
    const why =
      "CDK's own BucketDeployment handler, run only while deploying: it copies the portal's files from CDK's asset bucket to the portal bucket and invalidates the distribution.";
    Validations.of(handler).acknowledge(
      { id: 'AwsSolutions-L1', reason: `${why} CDK pins its runtime (Python) and updates it with aws-cdk-lib.` },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: `${why} CDK gives its role the AWS-managed basic execution policy (its logs).`,
      },
      ...['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Action::s3:DeleteObject*', 'Action::s3:Abort*', 'Resource::*'].map((finding) => ({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason: `${why} CDK grants it read of the asset bucket and write of the portal bucket (prune deletes old files); CloudFront invalidation has no resource-level permission.`,
      })),
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
        reason: `${why} It reads the files from CDK's bootstrap asset bucket, whose objects are named by content hash.`,
      },
      { id: 'AwsSolutions-IAM5[Resource::<PortalBucketAF6949F3.Arn>/*]', reason: `${why} It writes (and prunes) every file of the portal bucket, which holds nothing else.` },
    );
    return deployment;
  }
}
