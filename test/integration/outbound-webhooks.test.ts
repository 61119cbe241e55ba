import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { runNight } from '../../functions/local-runtime.ts';
import { systemClock } from '../../shared/adapters/system-clock.ts';
import { FetchWebhookTransport } from '../../shared/adapters/webhooks/fetch-webhook-transport.ts';
import { newWebhookSecret, StandardWebhookSigner } from '../../shared/adapters/webhooks/standard-webhook-signer.ts';
import { deliverEvent, eventsOfDay, retryDelaySeconds } from '../../shared/use-cases/events/deliver-webhooks.ts';
import { aProduct, anOrg, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

/**
 * Signed outbound webhooks, received by a real HTTP server: each business
 * event of a night POSTed as its envelope, signed as the Standard Webhooks
 * specification says. The signature is checked twice from outside the
 * engine: recomputed here by hand with node:crypto from the spec's recipe,
 * and verified by the specification's reference library.
 */
const db = useDynamoDbLocal();

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A receiver answering the given statuses in turn (then 200). */
async function receiver(statuses: number[] = []) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(statuses.shift() ?? 200).end('ok');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/billing`, received };
}

/** The spec's recipe: base64 of HMAC-SHA256, keyed by the secret's base64 part, over "<id>.<timestamp>.<body>". */
const expectedSignature = (secret: string, id: string, timestamp: string, body: string) =>
  `v1,${createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
    .update(`${id}.${timestamp}.${body}`)
    .digest('base64')}`;

async function aNightWithEvents() {
  const rt = await runtime(db.endpoint(), { today: '2026-12-01' });
  const { method } = await anOrg(rt, { id: 'hooks', method: 'pm_card_visa' });
  await aProduct(rt, 'hooks', { id: 'hooks-ch', expiry: '2026-12-31', paymentMethodId: method!.id });
  rt.clock.day = '2026-12-17';
  await runNight(rt, '2026-12-17');
  return rt;
}

describe('outbound webhooks', () => {
  it("POSTs each of a night's events as its envelope, signed by the Standard Webhooks recipe, in the order they happened", async () => {
    const rt = await aNightWithEvents();
    const events = await eventsOfDay(rt.store, '2026-12-17');
    // The renewal paid by card, 14 days before expiry: the product renewed and its invoice issued.
    expect(events.map((e) => e.type).sort()).toEqual(['billing.invoice.issued.v1', 'billing.product.renewed.v1']);
    const { url, received } = await receiver();
    const secret = newWebhookSecret();
    const deps = { transport: new FetchWebhookTransport(), signer: new StandardWebhookSigner(secret), clock: systemClock() };
    const results = [];
    for (const e of events) results.push(await deliverEvent(deps, url, e));
    expect(results.map((r) => r.delivered)).toEqual([true, true]);
    expect(received).toHaveLength(2);
    for (const [i, r] of received.entries()) {
      expect(JSON.parse(r.body)).toEqual(events[i]);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['webhook-id']).toBe(events[i]!.id);
      const ts = r.headers['webhook-timestamp'] as string;
      expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(600);
      expect(r.headers['webhook-signature']).toBe(expectedSignature(secret, events[i]!.id, ts, r.body));
      // The reference library accepts it, and refuses the same body altered by one character.
      const headers = { 'webhook-id': r.headers['webhook-id'] as string, 'webhook-timestamp': ts, 'webhook-signature': r.headers['webhook-signature'] as string };
      expect(new Webhook(secret).verify(r.body, headers)).toEqual(events[i]);
      expect(() => new Webhook(secret).verify(r.body.replace('"data"', '"dato"'), headers)).toThrow();
      expect(() => new Webhook(newWebhookSecret()).verify(r.body, headers)).toThrow();
    }
  });

  it('reports an endpoint that fails or does not answer, for a retry after 30 s, 2 min, 10 min, 30 min, 1 h, 2 h and 4 h, then gives up', async () => {
    const rt = await aNightWithEvents();
    const [event] = await eventsOfDay(rt.store, '2026-12-17');
    const { url, received } = await receiver([503]);
    const deps = { transport: new FetchWebhookTransport(2000), signer: new StandardWebhookSigner(newWebhookSecret()), clock: rt.clock };
    expect(await deliverEvent(deps, url, event!)).toEqual({ eventId: event!.id, type: event!.type, delivered: false, status: 503, error: 'the endpoint answered 503' });
    // The retry carries the same id: the receiver recognises the event.
    expect(await deliverEvent(deps, url, event!)).toMatchObject({ delivered: true, status: 200 });
    expect(received.map((r) => r.headers['webhook-id'])).toEqual([event!.id, event!.id]);
    const closed = await receiver();
    await new Promise((r) => servers.pop()!.close(r));
    expect(await deliverEvent(deps, closed.url, event!)).toMatchObject({ delivered: false, error: expect.stringMatching(/fetch failed|ECONNREFUSED/) });
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(retryDelaySeconds)).toEqual([30, 120, 600, 1800, 3600, 7200, 14400, undefined]);
  });

  it('replays one event by its id, and says so when a day has no such event', async () => {
    const rt = await aNightWithEvents();
    const all = await eventsOfDay(rt.store, '2026-12-17');
    const invoice = all.find((e) => e.type === 'billing.invoice.issued.v1')!;
    expect(await eventsOfDay(rt.store, '2026-12-17', invoice.id)).toEqual([invoice]);
    await expect(eventsOfDay(rt.store, '2026-12-17', 'invoice.issued:INV-XX')).rejects.toMatchObject({ code: 'event_not_found', status: 404 });
    await expect(eventsOfDay(rt.store, '2026-12-18', invoice.id)).rejects.toMatchObject({ code: 'event_not_found' });
  });
});
