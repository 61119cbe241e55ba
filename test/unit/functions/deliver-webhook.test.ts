import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeDeliverWebhookHandler } from '../../../functions/events/deliver-webhook.ts';
import { StandardWebhookSigner, newWebhookSecret } from '../../../shared/adapters/webhooks/standard-webhook-signer.ts';
import type { WebhookAnswer } from '../../../shared/ports/webhook-transport.ts';

const event = (id: string) => ({
  specversion: '1.0',
  id,
  source: 'billing-engine',
  type: 'billing.product.blocked.v1',
  subject: 'orgs/a/products/p',
  time: '2026-12-20T02:05:00.000Z',
  datacontenttype: 'application/json',
  data: {},
});
const record = (messageId: string, body: unknown, receiveCount: number) =>
  ({
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: { ApproximateReceiveCount: String(receiveCount) },
  }) as unknown as SQSRecord;
const batch = (...records: SQSRecord[]) => ({ Records: records }) as SQSEvent;

function setup(answers: WebhookAnswer[]) {
  const posted: string[] = [];
  const later: [string, number][] = [];
  let depsBuilt = 0;
  const handler = makeDeliverWebhookHandler(
    async () => {
      depsBuilt++;
      return {
        transport: { post: async (_url, headers) => (posted.push(headers['webhook-id']!), answers.shift() ?? { status: 200 }) },
        signer: new StandardWebhookSigner(newWebhookSecret()),
        clock: { today: () => '2026-12-20', now: () => '2026-12-20T02:06:00.000Z' },
      };
    },
    'https://hooks.example.ch/billing',
    async (receiptHandle, seconds) => void later.push([receiptHandle, seconds]),
  );
  return { handler, posted, later, built: () => depsBuilt };
}

describe('the webhook queue consumer', () => {
  it('puts each failed delivery back after the delay its receive count calls for, and lets the last one go to the DLQ', async () => {
    const { handler, posted, later } = setup([{ status: 500 }, { error: 'TimeoutError: aborted' }, { status: 410 }, { status: 204 }]);
    const res = await handler(
      batch(record('m1', { event: event('e1') }, 1), record('m2', { event: event('e2') }, 3), record('m3', { event: event('e3') }, 8), record('m4', { event: event('e4') }, 2)),
      {} as Context,
    );
    expect(posted).toEqual(['e1', 'e2', 'e3', 'e4']);
    // After try 1: 30 s; after try 3: 10 min; try 8 is the last: no delay, its failure sends it to the DLQ.
    expect(later).toEqual([
      ['rh-m1', 30],
      ['rh-m2', 600],
    ]);
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }] });
  });

  it('fails an unreadable message on its own, and sends nothing without an endpoint or without records', async () => {
    const { handler, posted } = setup([]);
    expect(await handler(batch(record('bad', 'not json', 1), record('ok', { event: event('e5') }, 1)), {} as Context)).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect(posted).toEqual(['e5']);
    const off = makeDeliverWebhookHandler(
      async () => {
        throw new Error('must not read the secret');
      },
      '',
      async () => {},
    );
    expect(await off(batch(record('x', { event: event('e6') }, 1)), {} as Context)).toEqual({ batchItemFailures: [] });
    const idle = setup([]);
    expect(await idle.handler(batch(), {} as Context)).toEqual({ batchItemFailures: [] });
    expect(idle.built()).toBe(0);
  });

  it("replays one event by its id when invoked by hand, reading the day's records, and refuses a malformed request", async () => {
    const posted: string[] = [];
    const store = {
      listEventRecords: async (date: string) => (date === '2026-12-20' ? [{ date, id: 'r1', events: [event('e1'), event('e2')] }] : []),
      markEventsPublished: async () => true,
    };
    const handler = makeDeliverWebhookHandler(
      async () => ({
        transport: { post: async (_u, headers) => (posted.push(headers['webhook-id']!), { status: 200 }) },
        signer: new StandardWebhookSigner(newWebhookSecret()),
        clock: { today: () => '2026-12-21', now: () => '2026-12-21T09:00:00.000Z' },
      }),
      'https://hooks.example.ch/billing',
      async () => {},
      undefined,
      () => store as never,
    );
    expect(await handler({ replay: { date: '2026-12-20', eventId: 'e2' } }, {} as Context)).toEqual({
      eventId: 'e2',
      type: 'billing.product.blocked.v1',
      delivered: true,
      status: 200,
    });
    expect(posted).toEqual(['e2']);
    await expect(handler({ replay: { date: '2026-12-19', eventId: 'e2' } }, {} as Context)).rejects.toMatchObject({ code: 'event_not_found' });
    await expect(handler({ replay: { date: '20.12.2026', eventId: 'e2' } } as never, {} as Context)).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
