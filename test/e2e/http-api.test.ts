import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_WEBHOOK_SECRET, signWebhookPayload } from '../../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import { SYSTEM } from '../../shared/use-cases/actor.ts';
import { setMember } from '../../shared/use-cases/manage-organisation.ts';
import { startLocalServer, type LocalServer } from '../../functions/http/local-server.ts';
import { LOCAL_AUDIENCE, LOCAL_ISSUER, signLocalToken } from '../../functions/http/local-tokens.ts';
import type { LocalRuntime } from '../../functions/local-runtime.ts';
import { anOrg, aProduct, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

const db = useDynamoDbLocal();

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

describe('HTTP API through the local server', () => {
  let rt: LocalRuntime;
  let server: LocalServer;
  let home: string;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'billing-http-'));
    rt = await runtime(db.endpoint(), { today: '2026-11-01' });
    await anOrg(rt, { id: 'acme', method: 'pm_card_visa' });
    await anOrg(rt, { id: 'globex' });
    await aProduct(rt, 'acme', { id: 'acme-soon', expiry: '2026-12-15' });
    await aProduct(rt, 'acme', { id: 'acme-later', expiry: '2027-09-01' });
    await setMember(rt.deps, SYSTEM, 'acme', {
      userId: 'collab-acme',
      email: 'collab@acme.ch',
      name: 'Collaborator',
      role: 'collaborator',
      billingRights: false,
      productIds: ['acme-soon'],
    });
    server = await startLocalServer(rt, { port: 0, home });
  });

  afterAll(async () => {
    await server?.close();
    await rt?.close();
    rmSync(home, { recursive: true, force: true });
  });

  const tokenFor = (userId: string) => signLocalToken(home, { userId, ttlSeconds: 600 });

  async function call(method: string, path: string, opts: { token?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
    const res = await fetch(server.url + path, {
      method,
      headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers },
      ...(opts.body !== undefined ? { body: opts.body } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  const productIds = (a: Answer) => (a.json.products as { id: string }[]).map((p) => p.id).sort();
  const expectError = (a: Answer, status: number, code: string) => {
    expect(a.status).toBe(status);
    expect(a.headers.get('content-type')).toBe('application/json');
    expect(a.json).toEqual({ error: { code, message: expect.any(String), status } });
  };

  it('answers 401 without a token', async () => {
    const res = await call('GET', '/v1/orgs/acme/products');
    expectError(res, 401, 'unauthorized');
    expect(res.text).not.toContain('acme-soon');
  });

  it('answers 401 to a forged, tampered, expired or foreign-audience token', async () => {
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('owner-acme')
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setExpirationTime('10m')
      .sign(randomBytes(32));
    const [header, payload, signature] = (await tokenFor('owner-globex')).split('.');
    const tampered = [header, Buffer.from(JSON.stringify({ ...decode(payload!), sub: 'owner-acme' })).toString('base64url'), signature].join('.');
    const secret = new TextEncoder().encode(readFileSync(join(home, 'jwt-secret'), 'utf8').trim());
    const signedWith = (aud: string, exp: number) =>
      new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('owner-acme').setIssuer(LOCAL_ISSUER).setAudience(aud).setExpirationTime(exp).sign(secret);
    const expired = await signedWith(LOCAL_AUDIENCE, 1_000_000);
    const foreign = await signedWith('another-api', 4_000_000_000);
    for (const token of [forged, tampered, expired, foreign, 'not-a-jwt']) {
      const res = await call('GET', '/v1/orgs/acme/products?due=all', { token });
      expectError(res, 401, 'unauthorized');
      expect(res.text).not.toContain('acme-soon');
    }
  });

  it('keeps the token secret readable by its owner only', () => {
    expect(statSync(join(home, 'jwt-secret')).mode & 0o777).toBe(0o600);
  });

  it("answers 403 to a user of another organisation, with none of the organisation's data", async () => {
    const res = await call('GET', '/v1/orgs/acme/products?due=all', { token: await tokenFor('owner-globex') });
    expectError(res, 403, 'forbidden');
    expect(res.text).not.toMatch(/acme-soon|acme-later|example\.ch/);
  });

  it('shows a collaborator without billing rights the products given to them, and refuses them a checkout', async () => {
    const token = await tokenFor('collab-acme');
    const res = await call('GET', '/v1/orgs/acme/products?due=all', { token });
    expect(res.status).toBe(200);
    expect(productIds(res)).toEqual(['acme-soon']);
    const pay = await call('POST', '/v1/orgs/acme/checkout', {
      token,
      headers: { 'content-type': 'application/json', 'idempotency-key': 'collab-pay-0001' },
      body: JSON.stringify({ items: [{ productId: 'acme-soon' }], method: 'iban' }),
    });
    expectError(pay, 403, 'forbidden');
  });

  it('lists what falls due in 2 months by default, everything with due=all', async () => {
    const token = await tokenFor('owner-acme');
    const soon = await call('GET', '/v1/orgs/acme/products?due=2m', { token });
    expect(soon.status).toBe(200);
    expect(productIds(soon)).toEqual(['acme-soon']);
    expect((soon.json.products as unknown[])[0]).toMatchObject({ id: 'acme-soon', currency: 'CHF', periodMonths: 12, price: '13.00' });
    expect(productIds(await call('GET', '/v1/orgs/acme/products', { token }))).toEqual(['acme-soon']);
    expect(productIds(await call('GET', '/v1/orgs/acme/products?due=all', { token }))).toEqual(['acme-later', 'acme-soon']);
  });

  it('answers 400 naming the query parameter for due=weird', async () => {
    const res = await call('GET', '/v1/orgs/acme/products?due=weird', { token: await tokenFor('owner-acme') });
    expectError(res, 400, 'invalid_query');
    expect((res.json.error as { message: string }).message).toContain('due');
  });

  it('answers 404 to an unknown route and 405 to a wrong method, in the same shape', async () => {
    const token = await tokenFor('owner-acme');
    expectError(await call('GET', '/v1/orgs/acme/nothing-here', { token }), 404, 'route_not_found');
    expectError(await call('GET', '/v2/whatever'), 404, 'route_not_found');
    const wrong = await call('DELETE', '/v1/orgs/acme/products', { token });
    expectError(wrong, 405, 'method_not_allowed');
    expect(wrong.headers.get('allow')).toBe('GET');
  });

  it('answers 400 to a checkout without an Idempotency-Key, before reading the body', async () => {
    const res = await call('POST', '/v1/orgs/acme/checkout', {
      token: await tokenFor('owner-acme'),
      body: JSON.stringify({ items: [{ productId: 'acme-soon' }], method: 'card' }),
    });
    expectError(res, 400, 'invalid_header');
    expect((res.json.error as { message: string }).message).toContain('idempotency-key');
  });

  it('answers 400 naming the field of a malformed checkout body, and invalid_json for broken JSON', async () => {
    const token = await tokenFor('owner-acme');
    const headers = { 'idempotency-key': 'e2e-malformed-0001', 'content-type': 'application/json' };
    const malformed = await call('POST', '/v1/orgs/acme/checkout', { token, headers, body: JSON.stringify({ items: 'acme-soon', method: 'card' }) });
    expect(malformed.status).toBe(400);
    expect((malformed.json.error as { message: string }).message).toMatch(/^items/);
    const badMethod = await call('POST', '/v1/orgs/acme/checkout', { token, headers, body: JSON.stringify({ items: [{ productId: 'acme-soon' }], method: 'bitcoin' }) });
    expect(badMethod.status).toBe(400);
    expect((badMethod.json.error as { message: string }).message).toMatch(/^method/);
    expectError(await call('POST', '/v1/orgs/acme/checkout', { token, headers, body: '{"items": [' }), 400, 'invalid_json');
  });

  it('answers 413 to a body over 1 MB', async () => {
    const res = await call('POST', '/v1/orgs/acme/checkout', {
      token: await tokenFor('owner-acme'),
      headers: { 'idempotency-key': 'e2e-too-large-0001' },
      body: JSON.stringify({ items: [], pad: 'x'.repeat(1024 * 1024) }),
    });
    expectError(res, 413, 'payload_too_large');
  });

  it('answers 400 to a webhook with a forged or missing signature and stores nothing', async () => {
    const payload = JSON.stringify({ id: 'evt_forged_1', object: 'event', type: 'customer.updated', created: 1, data: { object: { id: 'cus_1' } } });
    const forged = signWebhookPayload(payload, 'whsec_not_the_secret', Math.floor(Date.now() / 1000));
    expectError(await call('POST', '/v1/webhooks/stripe', { body: payload, headers: { 'stripe-signature': forged } }), 400, 'invalid_signature');
    expectError(await call('POST', '/v1/webhooks/stripe', { body: payload }), 400, 'invalid_signature');
    expect(await rt.store.getGatewayEvent('evt_forged_1')).toBeUndefined();
    expect(rt.settlementQueue.depth).toBe(0);
  });

  it('acknowledges a signed webhook with 200, and its duplicate too, with no token', async () => {
    const created = Math.floor(Date.now() / 1000);
    const payload = JSON.stringify({ id: 'evt_signed_1', object: 'event', type: 'customer.updated', created, data: { object: { id: 'cus_1' } } });
    const headers = { 'stripe-signature': signWebhookPayload(payload, SANDBOX_WEBHOOK_SECRET, created) };
    for (let i = 0; i < 2; i++) {
      const res = await call('POST', '/v1/webhooks/stripe', { body: payload, headers });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ received: true });
    }
    expect(await rt.store.getGatewayEvent('evt_signed_1')).toMatchObject({ id: 'evt_signed_1' });
  });

  it('answers 404 when confirming an unknown sandbox payment', async () => {
    const res = await call('POST', '/sandbox/payments/pi_unknown/confirm', { body: JSON.stringify({ paymentMethod: 'pm_card_visa' }) });
    expectError(res, 404, 'payment_not_found');
  });
});

function decode(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}
