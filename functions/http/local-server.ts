import { randomUUID } from 'node:crypto';
import { createServer, maxHeaderSize, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Context } from 'aws-lambda';
import { errors as joseErrors } from 'jose';
import * as z from 'zod';
import { SandboxPaymentGateway } from '../../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../shared/domain/errors.ts';
import { GatewayRequestError } from '../../shared/ports/payment-gateway.ts';
import { parseInput } from '../../shared/use-cases/validation.ts';
import { drainQueues, type LocalRuntime } from '../local-runtime.ts';
import { apiHandler, defaultLogger, errorResponse, resourceId, toErrorResponse, type ApiEvent, type ApiLambda, type ApiResult, type Logger } from './api-handler.ts';
import { verifyLocalToken, type LocalClaims } from './local-tokens.ts';
import { localPortal, type LocalPortal } from './local-portal.ts';
import { ROUTES, routeKey, type HttpMethod } from './routes.ts';

/** API Gateway HTTP APIs refuse larger payloads too (10 MB there; 1 MB is plenty for this API). */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** API Gateway's integration time-out: a handler sees the same remaining time it would in AWS. */
const INTEGRATION_TIMEOUT_MS = 30_000;

export interface LocalServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Data folder holding the token secret. */
  home: string;
  /** One line per request (method, path, status); silent when omitted. */
  accessLog?: (line: string) => void;
  logger?: Logger;
  /** Also serve the customer portal and finance console (web/), their demo sign-in, and the sandbox's hosted payment page. */
  portal?: boolean;
}

export interface LocalServer {
  url: string;
  close(): Promise<void>;
}

interface ServedRoute {
  method: HttpMethod;
  path: string;
  auth: boolean;
  pattern: RegExp;
  names: string[];
  handler: ApiLambda;
}

/**
 * The HTTP API on 127.0.0.1, doing API Gateway's part (routing, the JWT
 * authorizer, the v2 event) in front of the very handlers Lambda runs. After
 * every POST the in-process queues are drained, so the state a curl user
 * reads next is already settled.
 */
export async function startLocalServer(rt: LocalRuntime, opts: LocalServerOptions): Promise<LocalServer> {
  const log = opts.logger ?? defaultLogger;
  const routes: ServedRoute[] = [
    ...ROUTES.map((r) => served(r.method, r.path, r.auth, r.make(rt.deps))),
    served('POST', '/sandbox/payments/{paymentRef}/confirm', false, sandboxConfirmHandler(rt, log)),
  ];
  const portal = opts.portal ? await localPortal(rt, opts.home, log) : undefined;
  if (portal) routes.push(...portal.routes.map((r) => served(r.method, r.path, false, r.handler)));
  let draining: Promise<void> = Promise.resolve();
  const drain = () => {
    // One drain at a time: concurrent drains would hand the same queue to two consumers.
    draining = draining.then(() => drainQueues(rt)).catch((err: unknown) => log({ level: 'error', message: 'draining the local queues failed', error: describe(err) }));
    return draining;
  };

  const server = createServer((req, res) => {
    const started = performance.now();
    serve(req, routes, opts.home, drain, portal)
      .catch((err: unknown) => {
        // The client went away mid-body (or sent one Node could not parse, answered by refuseMalformed): nobody left to answer.
        if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' && req.destroyed) return undefined;
        return toErrorResponse(err, undefined, log);
      })
      .then((result) => {
        if (!result) return;
        write(res, result);
        opts.accessLog?.(`${req.method} ${req.url} → ${result.statusCode} (${Math.round(performance.now() - started)} ms)`);
      })
      .catch((err: unknown) => log({ level: 'error', message: 'writing the response failed', error: describe(err) }));
  });
  // Requests Node refuses before any handler (a request line or headers over its limit, broken HTTP) get the API's error shape too.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => refuseMalformed(err, socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new ConflictError(`port ${opts.port} is already in use; pick another with --port`, 'port_in_use') : err),
    );
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  portal?.listening(`http://127.0.0.1:${port}`);
  return {
    url: `http://127.0.0.1:${port}`,
    // Requests in flight finish (and their drains with them); idle keep-alive sockets are dropped.
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await draining;
    },
  };
}

function served(method: HttpMethod, path: string, auth: boolean, handler: ApiLambda): ServedRoute {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { method, path, auth, pattern: new RegExp(`^${source}$`), names, handler };
}

async function serve(req: IncomingMessage, routes: ServedRoute[], home: string, drain: () => Promise<void>, portal?: LocalPortal): Promise<ApiResult> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const onPath = routes.filter((r) => r.pattern.test(url.pathname));
  if (onPath.length === 0) {
    const page = portal && (req.method === 'GET' || req.method === 'HEAD') ? await portal.file(url) : undefined;
    if (page) return page;
    return errorResponse(404, 'route_not_found', `No route for ${url.pathname}`);
  }
  const route = onPath.find((r) => r.method === req.method);
  if (!route) {
    const allowed = onPath.map((r) => r.method).join(', ');
    return withHeaders(errorResponse(405, 'method_not_allowed', `${req.method} is not allowed on ${url.pathname}; use ${allowed}`), { allow: allowed });
  }
  const body = await readBody(req, BODY_LIMIT_BYTES);
  if (body === undefined) return errorResponse(413, 'payload_too_large', `The request body exceeds ${BODY_LIMIT_BYTES} bytes`);
  const claims = route.auth ? await authenticate(home, req.headers.authorization) : undefined;
  if (claims instanceof Error) return errorResponse(401, 'unauthorized', claims.message);

  const event = toEvent(req, url, route, body, claims);
  const result = await route.handler(event, lambdaContext(event.requestContext.requestId));
  if (req.method === 'POST') await drain();
  return result;
}

/** What API Gateway's JWT authorizer does before the Lambda is called: the token or a 401. */
async function authenticate(home: string, header: string | undefined): Promise<LocalClaims | Error> {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  if (!token) return new Error('Send "Authorization: Bearer <token>"; make one with: billing token --user <user>');
  try {
    return await verifyLocalToken(home, token);
  } catch (err) {
    return new Error(err instanceof joseErrors.JWTExpired ? 'The bearer token has expired' : 'The bearer token is not valid');
  }
}

/** Collects the body up to `limit` bytes; undefined past it (the rest is discarded by Node). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > limit) return;
      size += chunk.length;
      if (size > limit) resolve(undefined);
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** An HTTP API payload v2 event, as API Gateway builds it. */
function toEvent(req: IncomingMessage, url: URL, route: ServedRoute, body: Buffer, claims: LocalClaims | undefined): ApiEvent {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && name !== 'cookie') headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  // API Gateway joins repeated query parameters with commas.
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const match = route.pattern.exec(url.pathname)!;
  const pathParameters = Object.fromEntries(route.names.map((n, i) => [n, safeDecode(match[i + 1]!)]));
  const now = new Date();
  const key = routeKey(route);
  const cookies = req.headers.cookie?.split(/;\s*/).filter(Boolean);
  return {
    version: '2.0',
    routeKey: key,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(route.names.length > 0 ? { pathParameters } : {}),
    ...(body.length > 0 ? { body: body.toString('utf8') } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: key,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      // Public routes carry no authorizer at all, as in AWS.
      ...(claims ? { authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: gatewayClaims(claims), scopes: null } } } : {}),
    },
  } as ApiEvent;
}

/** The authorizer hands claims over as strings (numbers included). */
function gatewayClaims(claims: LocalClaims): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : typeof v === 'object' ? JSON.stringify(v) : String(v)]));
}

/** A malformed escape stays as sent; the handler's validation then refuses it. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function lambdaContext(requestId: string): Context {
  const deadline = Date.now() + INTEGRATION_TIMEOUT_MS;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'billing-local-api',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:billing-local-api',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/local/billing-api',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

function describe(err: unknown): Record<string, unknown> {
  return err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : { message: String(err) };
}

function withHeaders(result: ApiResult, headers: Record<string, string>): ApiResult {
  return { ...result, headers: { ...result.headers, ...headers } };
}

function refuseMalformed(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const result =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? errorResponse(431, 'headers_too_large', `The request line and headers exceed ${maxHeaderSize} bytes`)
      : errorResponse(400, 'bad_request', 'The request is not valid HTTP/1.1');
  const body = result.body ?? '';
  const headers = Object.entries({ ...result.headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' }).map(([k, v]) => `${k}: ${String(v)}`);
  socket.end([`HTTP/1.1 ${result.statusCode} ${STATUS_CODES[result.statusCode ?? 400] ?? ''}`, ...headers, '', body].join('\r\n'));
}

function write(res: ServerResponse, result: ApiResult): void {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body = result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(body);
}

/**
 * Local only: what Stripe.js does in the customer's browser, confirming a
 * payment with a test method (`pm_card_visa`, `pm_twint`, ...). The outcome
 * reaches the engine as a signed webhook, as it would from Stripe.
 */
function sandboxConfirmHandler(rt: LocalRuntime, logger: Logger): ApiLambda {
  const ConfirmInput = z.object({ paymentMethod: z.string().regex(/^pm_[A-Za-z0-9_]+$/, 'must be a test method such as pm_card_visa') });
  return apiHandler({ auth: false, params: z.object({ paymentRef: resourceId }), body: 'json', logger }, async ({ params, body }) => {
    const input = parseInput(ConfirmInput, body);
    const gateway = rt.gateway;
    if (!(gateway instanceof SandboxPaymentGateway)) {
      throw new NotFoundError('Payments are confirmed in the browser with Stripe.js: the sandbox gateway is not in use', 'sandbox_unavailable');
    }
    try {
      // A SetupIntent (a method saved without paying) is confirmed here too, as Stripe.js confirmSetup would.
      const status = params.paymentRef.startsWith('seti_')
        ? await gateway.confirmSetup(params.paymentRef, input.paymentMethod)
        : await gateway.confirmPayment(params.paymentRef, input.paymentMethod);
      return { paymentRef: params.paymentRef, status };
    } catch (err) {
      if (!(err instanceof GatewayRequestError)) throw err;
      if (err.code === 'resource_missing') throw new NotFoundError(err.message, 'payment_not_found');
      throw new ValidationError(err.message, err.code);
    }
  });
}
