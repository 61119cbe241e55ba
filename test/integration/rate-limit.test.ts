import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiEvent } from '../../functions/http/api-handler.ts';
import { startLocalServer, type LocalServer } from '../../functions/http/local-server.ts';
import { signLocalToken } from '../../functions/http/local-tokens.ts';
import { ROUTES } from '../../functions/http/routes.ts';
import { openLocalRuntime, type LocalRuntime } from '../../functions/local-runtime.ts';
import { DynamoDbRateLimiter } from '../../shared/adapters/dynamodb/dynamodb-rate-limiter.ts';
import { localClient } from '../../shared/adapters/local/dynamodb-local.ts';
import { SANDBOX_WEBHOOK_SECRET, SandboxPaymentGateway, signWebhookPayload } from '../../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import { StripeWebhookVerifier } from '../../shared/adapters/stripe/stripe-webhook-verifier.ts';
import type { RateLimiter } from '../../shared/ports/rate-limiter.ts';
import { TestClock, aProduct, anOrg, useDynamoDbLocal } from '../support/local-stack.ts';
import { digestOf, tableOf } from '../support/table-digest.ts';

/**
 * docs/domain.md R-42: 60 requests per minute per client. The limit is counted on the
 * table, so each "container" below is a runtime of its own (its own DynamoDB
 * client and limiter) in front of one shared table. Time is one variable the
 * test moves; nothing sleeps.
 */
const db = useDynamoDbLocal();

/** 15 s into a minute: the window closes 45 s later. */
const START = Date.UTC(2026, 11, 10, 9, 30, 15);
let nowMs = START;
const minuteOf = (ms: number) => Math.floor(ms / 60_000);

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

interface Container {
  rt: LocalRuntime;
  server: LocalServer;
  call(method: string, path: string, opts?: { token?: string; body?: string; headers?: Record<string, string> }): Promise<Answer>;
}

let home: string;
let tables = 0;
const open: Container[] = [];

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'billing-rate-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));
afterEach(async () => {
  for (const c of open.splice(0)) {
    await c.server.close();
    await c.rt.close();
  }
  nowMs = START;
});

async function container(tableName: string): Promise<Container> {
  const rt = await openLocalRuntime({
    endpoint: db.endpoint(),
    tableName,
    outDir: mkdtempSync(join(tmpdir(), 'billing-out-')),
    clock: new TestClock('2026-12-10'),
    gateway: new SandboxPaymentGateway({ nowSeconds: () => Math.floor(nowMs / 1000) }),
    verifier: new StripeWebhookVerifier(SANDBOX_WEBHOOK_SECRET, { now: () => nowMs }),
    rateLimitNow: () => nowMs,
  });
  const server = await startLocalServer(rt, { port: 0, home });
  const c: Container = {
    rt,
    server,
    async call(method, path, opts = {}) {
      const res = await fetch(server.url + path, {
        method,
        headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers },
        ...(opts.body !== undefined ? { body: opts.body } : {}),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
  };
  open.push(c);
  return c;
}

/** One table with an organisation and a product, and `n` containers in front of it. */
async function stack(n = 1): Promise<Container[]> {
  const tableName = `rate${process.pid}-${++tables}`;
  const first = await container(tableName);
  await anOrg(first.rt, { id: 'acme' });
  await anOrg(first.rt, { id: 'globex' });
  await aProduct(first.rt, 'acme', { id: 'acme-ch', expiry: '2026-12-31', autoRenew: false });
  const rest: Container[] = [];
  for (let i = 1; i < n; i++) rest.push(await container(tableName));
  return [first, ...rest];
}

const token = (userId: string, clientId?: string) => signLocalToken(home, { userId, ttlSeconds: 600, ...(clientId ? { clientId } : {}) });
const listProducts = (c: Container, t: string) => c.call('GET', '/v1/orgs/acme/products?due=all', { token: t });

function expectLimited(a: Answer, retryAfter: number) {
  expect(a.status).toBe(429);
  expect(a.headers.get('content-type')).toBe('application/json');
  expect(a.headers.get('retry-after')).toBe(String(retryAfter));
  expect(a.headers.get('x-ratelimit-limit')).toBe('60');
  expect(a.headers.get('x-ratelimit-remaining')).toBe('0');
  expect(a.json).toEqual({ error: { code: 'rate_limited', message: expect.stringMatching(/user of a client may send 60 per minute.*retry in \d+ s/), status: 429 } });
}

/** Uses up a client's window directly on the table, as 60 requests elsewhere would. */
async function exhaust(c: Container, client: string) {
  for (let i = 0; i < 60; i++) expect((await c.rt.deps.rateLimiter!.hit(client)).allowed).toBe(true);
}

describe('the public API rate limit: 60 requests per minute per client, counted in DynamoDB', () => {
  it('lets 60 requests through, answers the 61st with 429 and Retry-After, and opens again in the next window', async () => {
    const [api] = await stack();
    const owner = await token('owner-acme');
    for (let i = 1; i <= 60; i++) {
      const res = await listProducts(api!, owner);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBe('60');
      expect(res.headers.get('x-ratelimit-remaining')).toBe(String(60 - i));
    }
    nowMs = START + 5_000;
    const limited = await listProducts(api!, owner);
    expectLimited(limited, 40);
    expect(limited.text).not.toContain('acme-ch');

    // The counter is one item per client, user and minute, with a TTL a little after its window.
    const client = localClient(db.endpoint());
    try {
      const item = await client.send(
        new GetItemCommand({ TableName: tableOf(api!.rt), Key: { pk: { S: `RATE#-|owner-acme#${minuteOf(START)}` }, sk: { S: 'RATE' } }, ConsistentRead: true }),
      );
      expect(item.Item?.hits?.N).toBe('60');
      const windowEnd = (minuteOf(START) + 1) * 60;
      const ttl = Number(item.Item?.expiresAt?.N);
      expect(ttl).toBeGreaterThan(windowEnd);
      expect(ttl).toBeLessThanOrEqual(windowEnd + 300);
    } finally {
      client.destroy();
    }

    // Still the same minute one second before it ends; a new window at its end.
    nowMs = (minuteOf(START) + 1) * 60_000 - 1;
    expectLimited(await listProducts(api!, owner), 1);
    nowMs = (minuteOf(START) + 1) * 60_000;
    const next = await listProducts(api!, owner);
    expect(next.status).toBe(200);
    expect(next.headers.get('x-ratelimit-remaining')).toBe('59');
  });

  it('shares the count between two Lambda containers in front of the same table', async () => {
    const [a, b] = await stack(2);
    const owner = await token('owner-acme');
    for (let i = 0; i < 30; i++) {
      expect((await listProducts(a!, owner)).status).toBe(200);
      expect((await listProducts(b!, owner)).status).toBe(200);
    }
    expectLimited(await listProducts(a!, owner), 45);
    expectLimited(await listProducts(b!, owner), 45);
  });

  it("counts per OAuth client and user: one user's burst never blocks another user of the same front end", async () => {
    const [api] = await stack();
    const acme = await token('owner-acme', 'app-one');
    for (let i = 0; i < 65; i++) await listProducts(api!, acme);
    expectLimited(await listProducts(api!, acme), 45);
    // Another user of the same client (the provider's front end) keeps a window of its own.
    const other = await api!.call('GET', '/v1/orgs/globex/products', { token: await token('owner-globex', 'app-one') });
    expect(other.status).toBe(200);
    expect(other.headers.get('x-ratelimit-remaining')).toBe('59');
    // The same user through another client, or a token without a client id, counts apart too.
    expect((await listProducts(api!, await token('owner-acme', 'app-two'))).status).toBe(200);
    expect((await listProducts(api!, await token('owner-acme'))).status).toBe(200);
  });

  it('never limits the Stripe webhook route nor the local sandbox route', async () => {
    const [api] = await stack();
    await exhaust(api!, '-|owner-acme');
    const exhausted = await token('owner-acme');
    const before = await digestOf(api!.rt.endpoint, tableOf(api!.rt), { ignore: (pk) => !pk.startsWith('RATE#') });
    for (let i = 0; i < 65; i++) {
      const payload = JSON.stringify({ id: `evt_rate_${i}`, object: 'event', type: 'customer.updated', created: Math.floor(nowMs / 1000), data: { object: { id: 'cus_1' } } });
      const res = await api!.call('POST', '/v1/webhooks/stripe', {
        body: payload,
        // A caller whose client is limited elsewhere: the webhook route does not care.
        headers: { authorization: `Bearer ${exhausted}`, 'stripe-signature': signWebhookPayload(payload, SANDBOX_WEBHOOK_SECRET, Math.floor(nowMs / 1000)) },
      });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ received: true });
    }
    expect(await api!.rt.store.getGatewayEvent('evt_rate_64')).toMatchObject({ id: 'evt_rate_64' });
    const sandbox = await api!.call('POST', '/sandbox/payments/pi_unknown/confirm', {
      body: JSON.stringify({ paymentMethod: 'pm_card_visa' }),
      headers: { authorization: `Bearer ${exhausted}` },
    });
    expect(sandbox.status).toBe(404);
    // No counter was touched by either route.
    expect(await digestOf(api!.rt.endpoint, tableOf(api!.rt), { ignore: (pk) => !pk.startsWith('RATE#') })).toEqual(before);
    expectLimited(await listProducts(api!, exhausted), 45);
  });

  it('puts every authenticated route behind the limiter, and the three public routes (webhook, termination confirmation, OpenAPI document) behind none', async () => {
    const [api] = await stack();
    const denyAll: RateLimiter = { limit: 60, hit: vi.fn(async () => ({ allowed: false, retryAfterSeconds: 7, remaining: 0 })) };
    const deps = { ...api!.rt.deps, rateLimiter: denyAll };
    for (const route of ROUTES) {
      const handler = route.make(deps);
      const event = {
        version: '2.0',
        routeKey: `${route.method} ${route.path}`,
        rawPath: route.path,
        rawQueryString: '',
        headers: {},
        body: '{"not": "read"',
        isBase64Encoded: false,
        requestContext: { requestId: 'r', routeKey: `${route.method} ${route.path}`, authorizer: { jwt: { claims: { sub: 'owner-acme' }, scopes: null } } },
      } as unknown as ApiEvent;
      const calls = vi.mocked(denyAll.hit).mock.calls.length;
      const res = await handler(event, {} as Context);
      if (route.auth) {
        expect({ route: route.path, status: res.statusCode }).toEqual({ route: route.path, status: 429 });
        expect(res.headers?.['retry-after']).toBe('7');
        expect(vi.mocked(denyAll.hit).mock.calls.at(-1)).toEqual(['-|owner-acme']);
      } else {
        // The webhook refuses the unsigned body, the confirmation the broken one; the document is served whatever the body.
        expect({ route: route.path, status: res.statusCode }).toEqual({ route: route.path, status: route.path === '/v1/openapi.json' ? 200 : 400 });
        expect(vi.mocked(denyAll.hit).mock.calls.length).toBe(calls);
      }
    }
    expect(ROUTES.filter((r) => !r.auth).map((r) => r.path)).toEqual(['/v1/webhooks/stripe', '/v1/orgs/{orgId}/products/{productId}/termination/confirm', '/v1/openapi.json']);
  });

  it('refuses a limited request before reading its path, headers or body, and changes nothing', async () => {
    const [api] = await stack();
    const owner = await token('owner-acme');
    await exhaust(api!, '-|owner-acme');
    const before = await digestOf(api!.rt.endpoint, tableOf(api!.rt));
    const checkout = JSON.stringify({ items: [{ productId: 'acme-ch' }], method: 'iban' });
    const attempts = [
      await api!.call('POST', '/v1/orgs/acme/checkout', { token: owner, body: checkout, headers: { 'idempotency-key': 'rate-limited-0001' } }),
      await api!.call('POST', '/v1/orgs/acme/balance/top-ups', { token: owner, body: '{"amount":"50","method":"iban"}', headers: { 'idempotency-key': 'rate-limited-0002' } }),
      await api!.call('POST', '/v1/exports', { token: owner, body: '{"from":"2026-12-01","to":"2026-12-31","orgId":"acme"}' }),
      // Malformed requests are refused for the limit too: nothing of them is parsed.
      await api!.call('POST', '/v1/orgs/acme/checkout', { token: owner, body: '{"items": [' }),
      await api!.call('GET', '/v1/orgs/ORG%23acme/products?due=never', { token: owner }),
      await api!.call('GET', '/v1/orgs/acme/invoices/INV-CH-2026-000001.pdf', { token: owner }),
    ];
    for (const res of attempts) expectLimited(res, 45);
    expect(await digestOf(api!.rt.endpoint, tableOf(api!.rt))).toEqual(before);
    expect(await api!.rt.store.listCheckouts('acme')).toEqual([]);
    expect(api!.rt.exportsQueue.depth).toBe(0);

    // The same checkout in the next window goes through: the refusal was the limit's alone.
    nowMs = (minuteOf(START) + 1) * 60_000;
    const paid = await api!.call('POST', '/v1/orgs/acme/checkout', { token: owner, body: checkout, headers: { 'idempotency-key': 'rate-limited-0001' } });
    expect(paid.status).toBe(201);
    expect(paid.json).toMatchObject({ method: 'iban', status: 'awaiting_payment' });
  });

  it('shares one window across limiter instances in the adapter itself, and hashes very long client ids', async () => {
    const [api] = await stack();
    const clients = [localClient(db.endpoint()), localClient(db.endpoint())];
    try {
      const [one, two] = clients.map((c) => new DynamoDbRateLimiter(c, tableOf(api!.rt), { now: () => nowMs }));
      const long = `client-${'x'.repeat(5000)}`;
      const seen = [];
      for (let i = 0; i < 60; i++) seen.push(await (i % 2 ? one! : two!).hit(long));
      expect(seen.every((d) => d.allowed)).toBe(true);
      expect(seen.map((d) => d.remaining)).toEqual(Array.from({ length: 60 }, (_, i) => 59 - i));
      expect(await one!.hit(long)).toEqual({ allowed: false, retryAfterSeconds: 45, remaining: 0 });
      expect(await two!.hit(long)).toEqual({ allowed: false, retryAfterSeconds: 45, remaining: 0 });
      expect((await one!.hit(`${long}y`)).allowed).toBe(true);
    } finally {
      for (const c of clients) c.destroy();
    }
  });
});
