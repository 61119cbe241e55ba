import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalServer, type LocalServer } from '../../functions/http/local-server.ts';
import { signLocalToken } from '../../functions/http/local-tokens.ts';
import { openLocalRuntime, type LocalRuntime } from '../../functions/local-runtime.ts';
import { SANDBOX_WEBHOOK_SECRET, SandboxPaymentGateway, signWebhookPayload } from '../../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import { StripeWebhookVerifier } from '../../shared/adapters/stripe/stripe-webhook-verifier.ts';
import type { IsoDate } from '../../shared/domain/calendar.ts';
import { TestClock } from './local-stack.ts';
import { nonConformance } from './openapi-conformance.ts';

/** One HTTP answer: status, headers, the raw text and its JSON (empty object when there is no body). */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

export interface CallOptions {
  token?: string;
  /** A JSON value (sent as JSON) or a string (sent as is). */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * A local runtime and the local HTTP server in front of it, on a free port.
 * One test clock drives the engine's days, the sandbox's event timestamps
 * and the webhook verifier's "now", so nothing depends on the wall clock
 * (the bearer tokens excepted: they live 10 minutes).
 */
export interface HttpStack {
  rt: LocalRuntime;
  clock: TestClock;
  sandbox: SandboxPaymentGateway;
  server: LocalServer;
  home: string;
  /** The test clock's instant in Unix seconds: what signatures are stamped with. */
  nowSeconds(): number;
  /** A token for the user; `scope` as the OAuth 2 provider grants it (billing:finance for finance staff). */
  tokenFor(userId: string, scope?: string): Promise<string>;
  call(method: string, path: string, opts?: CallOptions): Promise<HttpAnswer>;
  /** POSTs a webhook as Stripe does; the signature defaults to a valid one for the clock's instant. */
  postWebhook(payload: string, signature?: string | null): Promise<HttpAnswer>;
  /** Stripe.js's part, done through the sandbox confirm route. */
  confirm(paymentRef: string, paymentMethod: string): Promise<HttpAnswer>;
  close(): Promise<void>;
}

let tables = 0;

export async function startHttpStack(endpoint: string, today: IsoDate, opts: { portal?: boolean } = {}): Promise<HttpStack> {
  const clock = new TestClock(today);
  const nowSeconds = () => Math.floor(Date.parse(clock.now()) / 1000);
  const sandbox = new SandboxPaymentGateway({ nowSeconds });
  const rt = await openLocalRuntime({
    // PDFs and exports of a test go to a folder of its own, never into the checkout's out/.
    outDir: mkdtempSync(join(tmpdir(), 'billing-out-')),
    ...(endpoint === 'memory' ? { memory: true } : { endpoint }),
    tableName: `http${process.pid}-${++tables}`,
    clock,
    gateway: sandbox,
    verifier: new StripeWebhookVerifier(SANDBOX_WEBHOOK_SECRET, { now: () => nowSeconds() * 1000 }),
  });
  const home = mkdtempSync(join(tmpdir(), 'billing-http-flows-'));
  let server: LocalServer;
  try {
    server = await startLocalServer(rt, { port: 0, home, ...(opts.portal ? { portal: true } : {}) });
  } catch (err) {
    await rt.close();
    rmSync(home, { recursive: true, force: true });
    throw err;
  }

  async function call(method: string, path: string, opts: CallOptions = {}): Promise<HttpAnswer> {
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const res = await fetch(server.url + path, {
      method,
      headers: {
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(body !== undefined && typeof opts.body !== 'string' ? { 'content-type': 'application/json' } : {}),
        ...opts.headers,
      },
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    const wrong = nonConformance(method, path, res.status, res.headers.get('content-type'), res.headers.get('content-type')?.startsWith('application/json') ? text : '');
    if (wrong) throw new Error(`the API answered outside its OpenAPI document: ${wrong}`);
    return {
      status: res.status,
      headers: res.headers,
      text,
      json: text && res.headers.get('content-type')?.startsWith('application/json') ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
  }

  return {
    rt,
    clock,
    sandbox,
    server,
    home,
    nowSeconds,
    tokenFor: (userId, scope) => signLocalToken(home, { userId, ttlSeconds: 600, ...(scope ? { scope } : {}) }),
    call,
    postWebhook: (payload, signature) =>
      call('POST', '/v1/webhooks/stripe', {
        body: payload,
        headers: {
          'content-type': 'application/json',
          ...(signature === null ? {} : { 'stripe-signature': signature ?? signWebhookPayload(payload, SANDBOX_WEBHOOK_SECRET, nowSeconds()) }),
        },
      }),
    confirm: (paymentRef, paymentMethod) => call('POST', `/sandbox/payments/${encodeURIComponent(paymentRef)}/confirm`, { body: { paymentMethod } }),
    close: async () => {
      await server.close();
      await rt.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
