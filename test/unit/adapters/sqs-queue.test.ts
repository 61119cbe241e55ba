import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { SqsQueue } from '../../../shared/adapters/sqs/sqs-queue.ts';

function fakeClient(fail?: (entries: number) => boolean) {
  const batches: string[][] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const client = {
    send: async (cmd: { input: { Entries: { MessageBody: string }[] } }) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      const entries = cmd.input.Entries;
      batches.push(entries.map((e) => e.MessageBody));
      return fail?.(entries.length) ? { Failed: [{ Id: '0', Message: 'throttled' }] } : { Failed: [] };
    },
  } as unknown as SQSClient;
  return { client, batches, maxInFlight: () => maxInFlight };
}

describe('SQS queue adapter', () => {
  it('sends every message once, in batches of at most 10, several batches at a time', async () => {
    const fake = fakeClient();
    await new SqsQueue<{ n: number }>(fake.client, 'https://sqs.example/q', 4).send(Array.from({ length: 95 }, (_, n) => ({ n })));
    expect(fake.batches.map((b) => b.length).sort((a, b) => a - b)).toEqual([5, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
    expect(
      fake.batches
        .flat()
        .map((b) => JSON.parse(b).n)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 95 }, (_, n) => n));
    expect(fake.maxInFlight()).toBe(4);
  });

  it('fails loudly when SQS refuses an entry', async () => {
    const fake = fakeClient((n) => n === 3);
    await expect(new SqsQueue(fake.client, 'https://sqs.example/q').send(Array.from({ length: 13 }, (_, n) => n))).rejects.toThrow(/SQS refused 1 message\(s\): throttled/);
  });
});
