import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { lazyHandler, sqsConsumer } from '../../../functions/entry-points.ts';
import { makeApplyLifecycleHandler } from '../../../functions/lifecycle/apply-lifecycle.ts';

const record = (messageId: string, body: string) => ({ messageId, body }) as SQSRecord;
const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

describe('an SQS consumer', () => {
  it('fails only the malformed record of a batch: the others are handled and acknowledged', async () => {
    const looked: string[] = [];
    const store = { getLifecycleCommand: async (_date: string, id: string) => (looked.push(id), undefined) };
    const handler = makeApplyLifecycleHandler({ store, provisioning: {}, clock: {} } as never, false);
    const res = await handler(
      batch(
        record('m1', '{"date":"2026-12-17","commandId":"c1"}'),
        record('m2', 'not json'),
        record('m3', '{"date":"17.12.2026","commandId":"c3"}'),
        record('m4', '{"date":"2026-12-18","commandId":"c4"}'),
      ),
      {} as Context,
    );
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }] });
    expect(looked).toEqual(['c1', 'c4']);
  });

  it('reports each record whose work fails, in the order of the batch', async () => {
    const handler = sqsConsumer(async (body) => {
      if (body.startsWith('bad')) throw new Error(body);
    }, false);
    expect(await handler(batch(record('a', 'bad 1'), record('b', 'ok'), record('c', 'bad 2')), {} as Context)).toEqual({
      batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'c' }],
    });
    expect(await handler(batch(record('d', 'ok')), {} as Context)).toEqual({ batchItemFailures: [] });
  });
});

describe('a lazy entry point', () => {
  it('builds its handler on the first call only, never at import', async () => {
    let builds = 0;
    const handler = lazyHandler(() => {
      builds++;
      return async (event: number, _context: unknown) => event * 2;
    });
    expect(builds).toBe(0);
    expect(await handler(2, {})).toBe(4);
    expect(await handler(5, {})).toBe(10);
    expect(builds).toBe(1);
  });
});
