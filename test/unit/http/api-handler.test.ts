import type { Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { BusinessRuleError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../../shared/domain/errors.ts';
import { InvalidSignatureError, type GatewayEvent } from '../../../shared/ports/payment-gateway.ts';
import type { CheckoutDeps } from '../../../shared/use-cases/checkout/checkout-deps.ts';
import { makeStripeWebhookHandler } from '../../../functions/checkout/stripe-webhook.ts';
import { apiHandler, IdempotencyHeaders, type ApiEvent, type ApiResult } from '../../../functions/http/api-handler.ts';
import { ROUTES } from '../../../functions/http/routes.ts';

const context = {} as Context;

/** An HTTP API payload v2 event as API Gateway delivers it after the JWT authorizer. */
function anEvent(
  over: {
    sub?: string;
    body?: string;
    isBase64Encoded?: boolean;
    pathParameters?: Record<string, string>;
    query?: Record<string, string>;
    headers?: Record<string, string>;
  } = {},
): ApiEvent {
  return {
    version: '2.0',
    routeKey: 'POST /v1/test/{id}',
    rawPath: '/v1/test/x',
    rawQueryString: '',
    headers: over.headers ?? {},
    ...(over.query ? { queryStringParameters: over.query } : {}),
    ...(over.pathParameters ? { pathParameters: over.pathParameters } : {}),
    ...(over.body !== undefined ? { body: over.body } : {}),
    isBase64Encoded: over.isBase64Encoded ?? false,
    requestContext: {
      requestId: 'req-1',
      routeKey: 'POST /v1/test/{id}',
      ...(over.sub !== undefined ? { authorizer: { jwt: { claims: { sub: over.sub }, scopes: null } } } : {}),
    },
  } as unknown as ApiEvent;
}

const json = (r: ApiResult) => JSON.parse(r.body ?? '') as Record<string, unknown>;
const silent = () => {};

describe('apiHandler', () => {
  it('answers the route result as JSON, acting for the token subject', async () => {
    const route = vi.fn(async (_req: { actor: unknown }) => ({ ok: true }));
    const res = await apiHandler({ auth: true, logger: silent }, route)(anEvent({ sub: 'alice' }), context);
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['content-type']).toBe('application/json');
    expect(json(res)).toEqual({ ok: true });
    expect(route.mock.calls[0]![0].actor).toEqual({ kind: 'user', userId: 'alice' });
  });

  it('answers 401 in the one error shape when an authenticated route has no subject', async () => {
    const route = vi.fn(async () => ({ secret: 'data' }));
    for (const event of [anEvent(), anEvent({ sub: '' })]) {
      const res = await apiHandler({ auth: true, logger: silent }, route)(event, context);
      expect(res.statusCode).toBe(401);
      expect(res.headers?.['content-type']).toBe('application/json');
      expect(json(res)).toEqual({ error: { code: 'unauthorized', message: expect.any(String), status: 401 } });
    }
    expect(route).not.toHaveBeenCalled();
  });

  it('runs a public route without an authorizer and gives it no actor', async () => {
    const route = vi.fn(async (_req: { actor: unknown }) => ({}));
    const res = await apiHandler({ auth: false, logger: silent }, route)(anEvent(), context);
    expect(res.statusCode).toBe(200);
    expect(route.mock.calls[0]![0].actor).toBeUndefined();
  });

  it('refuses a body that is not a JSON object with 400 invalid_json', async () => {
    const route = vi.fn(async () => ({}));
    const handler = apiHandler({ auth: true, body: 'json', logger: silent }, route);
    for (const body of ['{"items": [', '[1, 2]', 'null', '"text"', '']) {
      const res = await handler(anEvent({ sub: 'alice', body }), context);
      expect(res.statusCode, body).toBe(400);
      expect(json(res)).toMatchObject({ error: { code: 'invalid_json', status: 400 } });
    }
    expect(route).not.toHaveBeenCalled();
  });

  it('validates path and query with zod and names the parameter in a 400', async () => {
    const handler = apiHandler(
      { auth: true, params: z.object({ orgId: z.string().regex(/^[a-z]+$/) }), query: z.object({ due: z.enum(['2m', 'all']).default('2m') }), logger: silent },
      async ({ params, query }) => ({ params, query }),
    );
    const badQuery = await handler(anEvent({ sub: 'a', pathParameters: { orgId: 'acme' }, query: { due: 'weird' } }), context);
    expect(badQuery.statusCode).toBe(400);
    expect(json(badQuery)).toMatchObject({ error: { code: 'invalid_query', status: 400, message: expect.stringContaining('query parameter due') } });
    const badPath = await handler(anEvent({ sub: 'a', pathParameters: { orgId: 'ACME!' } }), context);
    expect(json(badPath)).toMatchObject({ error: { code: 'invalid_path', message: expect.stringContaining('path parameter orgId') } });
    const ok = await handler(anEvent({ sub: 'a', pathParameters: { orgId: 'acme' } }), context);
    expect(json(ok)).toEqual({ params: { orgId: 'acme' }, query: { due: '2m' } });
  });

  it('checks the token, then the path, then the body', async () => {
    const handler = apiHandler({ auth: true, params: z.object({ id: z.string().min(3) }), body: 'json', logger: silent }, async () => ({}));
    const anonymous = await handler(anEvent({ pathParameters: { id: 'x' }, body: '{' }), context);
    expect(anonymous.statusCode).toBe(401);
    const badPath = await handler(anEvent({ sub: 'a', pathParameters: { id: 'x' }, body: '{' }), context);
    expect(json(badPath)).toMatchObject({ error: { code: 'invalid_path' } });
  });

  it('requires the Idempotency-Key header, whatever its case', async () => {
    const handler = apiHandler({ auth: true, headers: IdempotencyHeaders, logger: silent }, async ({ headers }) => headers);
    const missing = await handler(anEvent({ sub: 'a' }), context);
    expect(missing.statusCode).toBe(400);
    expect(json(missing)).toMatchObject({ error: { code: 'invalid_header', message: expect.stringContaining('idempotency-key') } });
    const given = await handler(anEvent({ sub: 'a', headers: { 'Idempotency-Key': 'key-12345678' } }), context);
    expect(json(given)).toEqual({ 'idempotency-key': 'key-12345678' });
  });

  it.each([
    [new ValidationError('bad amount', 'top_up_out_of_range'), 400],
    [new ForbiddenError(), 403],
    [new NotFoundError('no such checkout', 'checkout_not_found'), 404],
    [new ConflictError('already paid', 'checkout_paid'), 409],
    [new BusinessRuleError('too late', 'auto_renew_too_late'), 422],
  ])('answers a typed error with its status and code (%s)', async (err, status) => {
    const res = await apiHandler({ auth: true, logger: silent }, async () => {
      throw err;
    })(anEvent({ sub: 'a' }), context);
    expect(res.statusCode).toBe(status);
    expect(json(res)).toEqual({ error: { code: err.code, message: err.message, status } });
  });

  it('answers anything else with a generic 500, logging the error but never leaking it', async () => {
    const logger = vi.fn();
    const res = await apiHandler({ auth: true, logger }, async () => {
      throw new Error('ResourceNotFoundException: table arn:aws:dynamodb:eu-central-2:123:table/billing');
    })(anEvent({ sub: 'a' }), context);
    expect(res.statusCode).toBe(500);
    expect(json(res)).toEqual({ error: { code: 'internal_error', message: 'Internal server error', status: 500 } });
    expect(res.body).not.toMatch(/arn:aws|ResourceNotFound|\bat /);
    expect(logger).toHaveBeenCalledOnce();
    expect(JSON.stringify(logger.mock.calls[0]![0])).toContain('arn:aws:dynamodb');
  });

  it('hands a raw route the decoded text of a base64-encoded body', async () => {
    const text = '{"id":"evt_1","note":"Zürich €"}';
    const route = vi.fn(async ({ body }: { body: string }) => ({ length: body.length }));
    const handler = apiHandler({ auth: false, body: 'raw', logger: silent }, route);
    await handler(anEvent({ body: Buffer.from(text, 'utf8').toString('base64'), isBase64Encoded: true }), context);
    await handler(anEvent({ body: text }), context);
    expect(route.mock.calls.map((c) => c[0].body)).toEqual([text, text]);
  });
});

/** Checkout deps with only what the webhook intake touches; nothing else may be used. */
function webhookDeps(verify: (raw: string, sig: string | undefined) => GatewayEvent) {
  const commit = vi.fn(async () => {});
  const send = vi.fn(async () => {});
  const deps = {
    verifier: { verify: vi.fn(verify) },
    store: { commit, getGatewayEvent: vi.fn(async () => undefined) },
    settlementQueue: { send },
    clock: { today: () => '2026-11-01', now: () => '2026-11-01T10:00:00.000Z' },
  } as unknown as CheckoutDeps;
  return { deps, commit, send, verify: deps.verifier.verify as ReturnType<typeof vi.fn> };
}

describe('Stripe webhook handler', () => {
  it('answers 400 on a bad signature and stores nothing', async () => {
    const { deps, commit, send } = webhookDeps(() => {
      throw new InvalidSignatureError('No signatures found matching the expected signature for payload');
    });
    const res = await makeStripeWebhookHandler(deps, silent)(anEvent({ body: '{"id":"evt_forged"}', headers: { 'stripe-signature': 't=1,v1=00' } }), context);
    expect(res.statusCode).toBe(400);
    expect(json(res)).toMatchObject({ error: { code: 'invalid_signature', status: 400 } });
    expect(commit).not.toHaveBeenCalled();
    expect(send).not.toHaveBeenCalled();
  });

  it('verifies the exact bytes sent, decoding a base64 body, and acknowledges with 200', async () => {
    const raw = '{"id":"evt_1","type":"customer.updated",  "data":{"object":{"id":"cus_1"}}}';
    const { deps, verify } = webhookDeps(() => ({ id: 'evt_1', type: 'customer.updated', created: 1, object: { id: 'cus_1' } }));
    const event = anEvent({ body: Buffer.from(raw).toString('base64'), isBase64Encoded: true, headers: { 'stripe-signature': 't=1,v1=ab' } });
    const res = await makeStripeWebhookHandler(deps, silent)(event, context);
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({ received: true });
    expect(verify).toHaveBeenCalledWith(raw, 't=1,v1=ab');
  });
});

describe('route table', () => {
  it('lists unique routes, and a route needs a token exactly when the table says so', async () => {
    expect(new Set(ROUTES.map((r) => `${r.method} ${r.path}`)).size).toBe(ROUTES.length);
    const { deps } = webhookDeps(() => {
      throw new InvalidSignatureError('missing Stripe-Signature header');
    });
    for (const route of ROUTES) {
      const event = { ...anEvent({ pathParameters: { orgId: 'acme', checkoutId: 'chk_1' }, body: '{}' }), routeKey: `${route.method} ${route.path}` };
      const res = await route.make(deps as Parameters<typeof route.make>[0])(event, context);
      if (route.auth) expect(res.statusCode, route.path).toBe(401);
      else expect(res.statusCode, route.path).not.toBe(401);
    }
  });
});
