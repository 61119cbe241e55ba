import type { DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeOutboxStreamHandler } from '../../../functions/mail/outbox-stream.ts';
import type { EmailRef } from '../../../shared/use-cases/mail/deliver-email.ts';

const record = (sequence: string, image: Record<string, unknown>) => ({ eventID: `e${sequence}`, eventName: 'INSERT', dynamodb: { SequenceNumber: sequence, NewImage: image } });
const image = (date: string, id: string) => ({ pk: { S: `OUTBOX#${date}#00` }, sk: { S: id }, date: { S: date }, id: { S: id } });
const event = (...records: unknown[]) => ({ Records: records }) as unknown as DynamoDBStreamEvent;

describe('the outbox stream', () => {
  it('queues each new e-mail by its key, in one send', async () => {
    const sent: EmailRef[][] = [];
    const handler = makeOutboxStreamHandler({ send: async (refs) => void sent.push(refs) });
    const result = await handler(event(record('1', image('2026-12-01', 'p1#renewal-paid')), record('2', image('2026-12-01', 'p2#product-blocked'))));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sent).toEqual([
      [
        { date: '2026-12-01', id: 'p1#renewal-paid' },
        { date: '2026-12-01', id: 'p2#product-blocked' },
      ],
    ]);
  });

  it('reports a record it cannot read, by its sequence number, and still queues the others', async () => {
    const sent: EmailRef[] = [];
    const handler = makeOutboxStreamHandler({ send: async (refs) => void sent.push(...refs) });
    const result = await handler(event(record('1', { ...image('2026-12-01', 'a'), date: { S: '1.12.2026' } }), record('2', image('2026-12-01', 'b'))));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '1' }] });
    expect(sent).toEqual([{ date: '2026-12-01', id: 'b' }]);
  });

  it('reports the whole batch when the mail queue refuses it (nothing is known to be queued)', async () => {
    const handler = makeOutboxStreamHandler({ send: () => Promise.reject(new Error('AccessDenied')) });
    const result = await handler(event(record('7', image('2026-12-01', 'a')), record('8', image('2026-12-01', 'b'))));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '7' }, { itemIdentifier: '8' }] });
  });
});
