import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { promisify } from 'node:util';

/**
 * Runs function bundles (index.mjs of a cloud assembly's asset directory)
 * the way Lambda does, as far as it can be done offline: a fresh Node
 * process outside the repository (no node_modules to fall back on), an
 * environment holding nothing but what a Lambda container holds (region,
 * credentials, LAMBDA_TASK_ROOT, the function's variables), and the
 * handler called with an event and a context.
 */

/** Stand-in credentials: nothing here ever reaches AWS (every endpoint is local or closed). */
const SANDBOX_ENV = {
  AWS_REGION: 'eu-central-2',
  AWS_DEFAULT_REGION: 'eu-central-2',
  AWS_ACCESS_KEY_ID: 'AKIDLOCALSANDBOX',
  AWS_SECRET_ACCESS_KEY: 'local-sandbox-secret',
  // Any endpoint a test does not point somewhere: a closed port, so a call fails fast instead of reaching AWS.
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_MAX_ATTEMPTS: '1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_LAMBDA_FUNCTION_NAME: 'sandbox',
  TZ: 'UTC',
};

export type InvokeResult = { ok: true; value: unknown } | { ok: false; error: string };

export interface Invocation {
  /** The asset directory holding index.mjs. */
  bundleDir: string;
  /** The function's environment (replaces the previous invocation's). */
  env: Record<string, string>;
  event: unknown;
  /**
   * Invocations naming the same container share one module instance (a warm
   * Lambda container); by default each gets a fresh one (a cold start).
   */
  container?: string;
}

const RUNNER = `
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
const { invocations, out } = JSON.parse(readFileSync(process.argv[1], 'utf8'));
const results = [];
let previous = [];
for (const [i, { bundleDir, env, event, container }] of invocations.entries()) {
  for (const key of previous) delete process.env[key];
  Object.assign(process.env, env, { LAMBDA_TASK_ROOT: bundleDir });
  previous = Object.keys(env);
  const context = { functionName: 'sandbox', awsRequestId: 'req-' + results.length, getRemainingTimeInMillis: () => 60000, callbackWaitsForEmptyEventLoop: false };
  try {
    const url = pathToFileURL(join(bundleDir, 'index.mjs')).href + '?container=' + encodeURIComponent(container ?? 'cold-' + i);
    const mod = await import(url);
    results.push({ ok: true, value: await mod.handler(event, context) });
  } catch (err) {
    results.push({ ok: false, error: String(err && err.stack ? err.stack : err) });
  }
}
writeFileSync(out, JSON.stringify(results));
process.exit(0);
`;

/**
 * Imports each bundle and calls its handler once, in order, in one fresh
 * Node process. Returns each result (or thrown error) and the process's
 * output (the functions' logs).
 */
export async function invokeBundles(
  invocations: Invocation[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ results: InvokeResult[]; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'billing-sandbox-'));
  try {
    const input = join(dir, 'input.json');
    const out = join(dir, 'results.json');
    writeFileSync(input, JSON.stringify({ invocations, out }));
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', RUNNER, input], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '--enable-source-maps', ...SANDBOX_ENV, ...options.env },
      timeout: options.timeoutMs ?? 60_000,
      maxBuffer: 32 * 1024 * 1024,
    });
    return { results: JSON.parse(readFileSync(out, 'utf8')) as InvokeResult[], stdout, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A tiny S3 for path-style PutObject / GetObject, enough for S3DocumentStore and S3DocumentArchive in a
 * bundle. As S3's conditional writes do (user guide, "Conditional writes"): a put with `If-None-Match: *`
 * on a key that holds an object is refused with 412 and changes nothing.
 */
export interface LocalS3 {
  endpoint: string;
  /** `<bucket>/<key>` → body. */
  objects: Map<string, Buffer>;
  /** `<bucket>/<key>` → the headers of the put that wrote it (lower-case names), to check what a writer asked S3 for. */
  putHeaders: Map<string, Record<string, string>>;
  close(): Promise<void>;
}

export async function startLocalS3(): Promise<LocalS3> {
  const objects = new Map<string, Buffer>();
  const putHeaders = new Map<string, Record<string, string>>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://local').pathname.slice(1));
      if (req.method === 'PUT' && req.headers['if-none-match'] === '*' && objects.has(path)) {
        res
          .writeHead(412, { 'content-type': 'application/xml' })
          .end('<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>');
      } else if (req.method === 'PUT') {
        objects.set(path, Buffer.concat(chunks));
        putHeaders.set(path, Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])));
        res.writeHead(200, { ETag: `"${objects.size}"` }).end();
      } else if (req.method === 'GET' && objects.has(path)) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(objects.get(path));
      } else {
        res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    objects,
    putHeaders,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The files of a zip archive (central directory, stored or deflated entries), enough to read an export's zip. */
export function unzip(zip: Buffer): Map<string, Buffer> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip: no end of central directory');
  const entries = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory entry');
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localHeader = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

/** An API Gateway HTTP API (payload v2) event, as the JWT authorizer hands it to a function. */
export function apiEvent(opts: {
  routeKey: string;
  path: string;
  pathParameters?: Record<string, string>;
  claims?: Record<string, string>;
  body?: string;
}): Record<string, unknown> {
  const [method] = opts.routeKey.split(' ');
  return {
    version: '2.0',
    routeKey: opts.routeKey,
    rawPath: opts.path,
    rawQueryString: '',
    headers: { host: 'api.example.com', 'content-type': 'application/json' },
    ...(opts.pathParameters ? { pathParameters: opts.pathParameters } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      http: { method, path: opts.path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
      requestId: 'req-1',
      routeKey: opts.routeKey,
      stage: '$default',
      time: '10/Dec/2026:10:00:00 +0000',
      timeEpoch: 1_796_896_800_000,
      ...(opts.claims ? { authorizer: { jwt: { claims: opts.claims, scopes: null } } } : {}),
    },
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    isBase64Encoded: false,
  };
}

/** An SQS batch as Lambda's event source mapping delivers it. */
export function sqsEvent(bodies: unknown[]): Record<string, unknown> {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `m-${i}`,
      receiptHandle: `r-${i}`,
      body: JSON.stringify(body),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'sandbox', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-central-2:123456789012:sandbox',
      awsRegion: 'eu-central-2',
    })),
  };
}

/** A tiny HTTP service that answers each request with `answer` and keeps what it was sent. */
export interface LocalService {
  endpoint: string;
  requests: { method: string; path: string; headers: Record<string, string | string[] | undefined>; body: string }[];
  close(): Promise<void>;
}

export async function startLocalService(
  answer: (req: { path: string; headers: Record<string, unknown>; body: string }) => { status?: number; json: unknown },
): Promise<LocalService> {
  const requests: LocalService['requests'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', path: new URL(req.url ?? '/', 'http://local').pathname, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(request);
      const { status, json } = answer(request);
      res.writeHead(status ?? 200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { endpoint: `http://127.0.0.1:${address.port}`, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A DynamoDB stream batch as Lambda's event source mapping delivers it (new images only). */
export function streamEvent(images: Record<string, unknown>[]): Record<string, unknown> {
  return {
    Records: images.map((image, i) => ({
      eventID: `ev-${i}`,
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'eu-central-2',
      dynamodb: {
        Keys: { pk: image.pk, sk: image.sk },
        NewImage: image,
        SequenceNumber: String(1000 + i),
        SizeBytes: 100,
        StreamViewType: 'NEW_IMAGE',
      },
      eventSourceARN: 'arn:aws:dynamodb:eu-central-2:123456789012:table/billing/stream/2026-12-01T00:00:00.000',
    })),
  };
}
