import { FINANCE_SCOPE, type Actor } from '../../shared/use-cases/actor.ts';
import { observability } from '../observability.ts';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { DomainError, ForbiddenError, ValidationError } from '../../shared/domain/errors.ts';
import type { RateLimitDecision, RateLimiter } from '../../shared/ports/rate-limiter.ts';
import { lazyHandler } from '../entry-points.ts';

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type ApiResult = APIGatewayProxyStructuredResultV2;
/** What the route table holds: a Lambda handler for an HTTP API (payload v2) route. */
export type ApiLambda = (event: ApiEvent, context: Context) => Promise<ApiResult>;

export type UserActor = { kind: 'user'; userId: string; finance?: boolean };
export type Logger = (entry: Record<string, unknown>) => void;

/** The one error body of the API, whatever failed: `{ error: { code, message, status } }`. */
export interface ApiErrorBody {
  error: { code: string; message: string; status: number };
}

export interface ApiOptions<A extends boolean, P extends z.ZodType, Q extends z.ZodType, H extends z.ZodType, B extends BodyMode> {
  /** Routes behind the JWT authorizer act for the token's subject; public ones (webhooks) get no actor. */
  auth: A;
  params?: P;
  query?: Q;
  /** Header names are lower-case, as API Gateway v2 delivers them. */
  headers?: H;
  /** `json`: a JSON object; `raw`: the exact text (signatures cover the bytes sent); `none`: ignored. */
  body?: B;
  /** Status of a successful answer (200 unless the route creates something). */
  status?: number;
  logger?: Logger;
  /**
   * Counts each authenticated request against its OAuth client's window
   * (docs/domain.md R-42: 60 per minute); the request past the limit gets 429 before
   * anything else is read. Public routes (Stripe's webhooks) pass none.
   */
  rateLimiter?: RateLimiter;
  /** A scope the token must hold (the back-office's `billing:backoffice`); 403 without it. */
  scope?: string;
  /** Records each call that got past authentication, before it acts and with its outcome (the back-office's audit trail). */
  audit?: AuditTrail;
}

/** One authenticated call as the audit trail sees it. */
export interface AuditedCall {
  requestId: string;
  /** `<client_id>|<sub>`, as the rate limit counts. */
  client: string;
  routeKey: string;
  params: Record<string, string>;
}

export interface AuditTrail {
  /** Before the call reads its input or acts; a failure here fails the call, so nothing changes unrecorded. */
  start(call: AuditedCall): Promise<void>;
  finish(call: AuditedCall, outcome: { status: number; code?: string; result?: unknown }): Promise<void>;
}

type BodyMode = 'json' | 'raw' | 'none';
type BodyOf<B extends BodyMode> = B extends 'json' ? Record<string, unknown> : B extends 'raw' ? string : undefined;

export interface ApiRequest<A extends boolean, P extends z.ZodType, Q extends z.ZodType, H extends z.ZodType, B extends BodyMode> {
  actor: A extends true ? UserActor : undefined;
  params: z.infer<P>;
  query: z.infer<Q>;
  headers: z.infer<H>;
  body: BodyOf<B>;
  event: ApiEvent;
}

const JSON_HEADERS = {
  'content-type': 'application/json',
  // Billing data is per user and changes with every payment: never cached by a proxy.
  'cache-control': 'no-store',
};

/** A route's answer that is a file (a PDF), not JSON: sent base64-encoded, as API Gateway wants binary bodies. */
export class FileBody {
  constructor(
    readonly body: Buffer,
    readonly contentType: string,
    readonly fileName: string,
  ) {}
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return { statusCode: status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function errorResponse(status: number, code: string, message: string): ApiResult {
  const body: ApiErrorBody = { error: { code, message, status } };
  return jsonResponse(status, body, status === 401 ? { 'www-authenticate': 'Bearer realm="billing-api"' } : {});
}

/** Powertools' logger: JSON with the invocation's context and the request's business ids (see `correlate`). */
export const defaultLogger: Logger = ({ message, level, ...rest }) => {
  const logger = observability().logger;
  (level === 'warn' ? logger.warn.bind(logger) : logger.error.bind(logger))(String(message ?? 'api'), rest);
};

/** The business ids of a request, on every log line of its invocation (reset by the next one). */
function correlate(event: ApiEvent, actor: Actor | undefined): void {
  const p = event.pathParameters ?? {};
  observability().logger.appendKeys({
    routeKey: event.routeKey,
    requestId: event.requestContext?.requestId,
    ...(actor?.kind === 'user' ? { userId: actor.userId } : {}),
    ...(p.orgId ? { orgId: p.orgId } : {}),
    ...(p.productId ? { productId: p.productId } : {}),
    ...(p.checkoutId ? { checkoutId: p.checkoutId } : {}),
  });
}

/**
 * Typed errors keep their status and code; anything else is a bug or an
 * outage, logged with its stack and answered with a message that reveals
 * nothing about the internals.
 */
export function toErrorResponse(err: unknown, event: ApiEvent | undefined, log: Logger): ApiResult {
  if (err instanceof DomainError) return errorResponse(err.status, err.code, err.message);
  const e = err instanceof Error ? err : new Error(String(err));
  log({
    level: 'error',
    message: 'unhandled error',
    routeKey: event?.routeKey,
    requestId: event?.requestContext?.requestId,
    error: { name: e.name, message: e.message, stack: e.stack },
  });
  return errorResponse(500, 'internal_error', 'Internal server error');
}

class UnauthorizedError extends DomainError {
  constructor() {
    super('unauthorized', 'A valid bearer token is required', 401);
  }
}

/**
 * A thin HTTP API handler: authenticates, counts the request against its
 * client's rate limit (429 past it), validates the path, query and headers,
 * then the body, and hands plain values to `route`, whose result is the JSON
 * answer. Checks run in that order so an anonymous caller learns nothing
 * about a route's inputs, and a malformed body is never parsed for a request
 * that would be refused anyway. Every answer of a limited route carries
 * `X-RateLimit-Limit` and `X-RateLimit-Remaining`.
 */
export function apiHandler<
  A extends boolean,
  P extends z.ZodType = z.ZodType<undefined>,
  Q extends z.ZodType = z.ZodType<undefined>,
  H extends z.ZodType = z.ZodType<undefined>,
  B extends BodyMode = 'none',
>(options: ApiOptions<A, P, Q, H, B>, route: (req: ApiRequest<A, P, Q, H, B>) => Promise<unknown>) {
  const log = options.logger ?? defaultLogger;
  const jsonErrors: middy.MiddlewareObj<ApiEvent, ApiResult> = {
    name: 'jsonErrors',
    onError: (request) => {
      request.response = toErrorResponse(request.error, request.event, log);
    },
  };
  return middy<ApiEvent, ApiResult>()
    .use(jsonErrors)
    .handler(async (event) => {
      const actor = options.auth ? actorOf(event) : undefined;
      correlate(event, actor);
      // Before the path, the query, the headers and the body are even looked at: a limited request costs one write and changes nothing.
      const rate = options.rateLimiter && actor ? await options.rateLimiter.hit(clientOf(event)) : undefined;
      const limitHeaders = rate && options.rateLimiter ? rateLimitHeaders(options.rateLimiter, rate) : {};
      if (rate && !rate.allowed) {
        return withHeaders(
          errorResponse(429, 'rate_limited', `Too many requests: each user of a client may send ${options.rateLimiter!.limit} per minute; retry in ${rate.retryAfterSeconds} s`),
          { ...limitHeaders, 'retry-after': String(rate.retryAfterSeconds) },
        );
      }
      const call: AuditedCall | undefined =
        options.audit && actor
          ? { requestId: event.requestContext?.requestId ?? '-', client: clientOf(event), routeKey: event.routeKey, params: definedOnly(event.pathParameters) }
          : undefined;
      if (call) await options.audit!.start(call);
      const answer = (result: ApiResult, outcome: { status: number; code?: string; result?: unknown }) =>
        call
          ? options.audit!.finish(call, outcome).then(
              () => result,
              (err: unknown) => {
                // The call has acted: its answer stands, and its entry stays `started` for the operator to see.
                log({ level: 'error', message: 'audit entry not completed', requestId: call.requestId, error: String(err) });
                return result;
              },
            )
          : Promise.resolve(result);
      try {
        if (options.scope && !scopesOf(event).includes(options.scope)) {
          throw new ForbiddenError(`This route needs a token with the scope ${options.scope}`, 'insufficient_scope');
        }
        const params = validate(options.params, event.pathParameters ?? {}, 'path parameter', 'invalid_path');
        const query = validate(options.query, event.queryStringParameters ?? {}, 'query parameter', 'invalid_query');
        const headers = validate(options.headers, lowerCased(event.headers), 'header', 'invalid_header');
        const body = readBody(event, options.body ?? 'none');
        const result = await route({ actor, params, query, headers, body, event } as ApiRequest<A, P, Q, H, B>);
        if (result instanceof FileBody) {
          return await answer(
            {
              statusCode: 200,
              isBase64Encoded: true,
              headers: {
                'content-type': result.contentType,
                'content-disposition': `inline; filename="${result.fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
                'cache-control': 'no-store',
                ...limitHeaders,
              },
              body: result.body.toString('base64'),
            },
            { status: 200 },
          );
        }
        const status = options.status ?? 200;
        return await answer(jsonResponse(status, result, limitHeaders), { status, result });
      } catch (err) {
        const refused = withHeaders(toErrorResponse(err, event, log), limitHeaders);
        return answer(refused, { status: refused.statusCode ?? 500, code: err instanceof DomainError ? err.code : 'internal_error' });
      }
    });
}

/**
 * Whose quota a request uses: the OAuth client the token was issued to
 * (`client_id` in access tokens, `azp` in ID tokens), else its subject.
 */
/**
 * What one rate-limit window counts: the OAuth client and the user together
 * (`<client_id or azp>|<sub>`). docs/domain.md R-42 gives 60 requests a minute per
 * client; keyed on the client alone, every customer of one front end (the
 * provider's Manager) would share 60 a minute, and one user's burst would
 * lock out all the others. A token without a client id counts by its subject.
 */
export function clientOf(event: ApiEvent): string {
  const claims = event.requestContext?.authorizer?.jwt?.claims ?? {};
  const text = (name: string) => {
    const value = claims[name];
    return typeof value === 'string' && value.trim() !== '' ? value : undefined;
  };
  const sub = text('sub');
  const client = text('client_id') ?? text('azp');
  if (!sub && !client) throw new UnauthorizedError();
  return `${client ?? '-'}|${sub ?? '-'}`;
}

function rateLimitHeaders(limiter: RateLimiter, rate: RateLimitDecision): Record<string, string> {
  return { 'x-ratelimit-limit': String(limiter.limit), 'x-ratelimit-remaining': String(rate.remaining) };
}

function withHeaders(result: ApiResult, headers: Record<string, string>): ApiResult {
  return Object.keys(headers).length === 0 ? result : { ...result, headers: { ...result.headers, ...headers } };
}

/** The token's OAuth 2 scopes: API Gateway hands `scope` over as the token's space-separated string (or a list). */
export function scopesOf(event: ApiEvent): string[] {
  const raw = event.requestContext?.authorizer?.jwt?.claims?.scope;
  return Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(' ').filter(Boolean) : [];
}

function definedOnly(values: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

/** API Gateway's JWT authorizer has checked signature, issuer, audience and expiry; the subject is the user. */
function actorOf(event: ApiEvent): UserActor {
  const claims = event.requestContext?.authorizer?.jwt?.claims;
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub.trim() === '') throw new UnauthorizedError();
  const scopes = scopesOf(event);
  return { kind: 'user', userId: sub, ...(scopes.includes(FINANCE_SCOPE) ? { finance: true } : {}) };
}

function validate<S extends z.ZodType>(schema: S | undefined, raw: unknown, label: string, code: string): z.infer<S> {
  if (!schema) return undefined as z.infer<S>;
  const res = schema.safeParse(raw);
  if (res.success) return res.data;
  const issue = res.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${label} ${issue.path.join('.')}` : label;
  throw new ValidationError(`${where}: ${issue?.message ?? 'invalid'}`, code);
}

function lowerCased(headers: ApiEvent['headers'] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

/** API Gateway base64-encodes bodies it considers binary; the text is what the client sent. */
function bodyText(event: Pick<ApiEvent, 'body' | 'isBase64Encoded'>): string {
  if (event.body === undefined || event.body === null) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** The Content-Type is not checked: `curl -d` sends form-encoded by default, and the body speaks for itself. */
function readBody(event: ApiEvent, mode: BodyMode): unknown {
  if (mode === 'none') return undefined;
  const text = bodyText(event);
  if (mode === 'raw') return text;
  if (text.trim() === '') throw new ValidationError('The request needs a JSON body', 'invalid_json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ValidationError('The request body is not valid JSON', 'invalid_json');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ValidationError('The request body must be a JSON object', 'invalid_json');
  }
  return parsed;
}

/** Ids in paths: checked before any lookup, so a crafted path never reaches the store. */
export const resourceId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be an id of letters, digits, dots, dashes and underscores');

/**
 * `Idempotency-Key` (the Stripe convention): a retried POST carries the same
 * key and so starts nothing twice. Checked here so the client is told about
 * the header, not about the use case's `requestId` it becomes.
 */
export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string({ error: 'required: send a unique key (a UUID) per payment and the same key when retrying' })
    .trim()
    .min(8, 'must be at least 8 characters (use a UUID)')
    .max(100, 'must be at most 100 characters'),
});

/** A Lambda entry point that builds its handler on the first invocation, so cold imports stay cheap and testable. */
export function lazyLambda<D>(deps: () => D, make: (deps: D) => ApiLambda): ApiLambda {
  return lazyHandler(() => make(deps()));
}
