import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { MessageQueue } from '../../ports/message-queue.ts';

/** A Lambda SQS handler as middy builds it (event, context, internal options). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SqsHandler = (event: SQSEvent, context: Context, opts: any) => unknown;

const LOCAL_CONTEXT = {
  functionName: 'local',
  awsRequestId: 'local',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

interface Envelope {
  messageId: string;
  body: string;
  receiveCount: number;
  sentAt: number;
}

export interface DeadLetter {
  messageId: string;
  body: string;
  receiveCount: number;
}

export interface DrainStats {
  batches: number;
  deliveries: number;
  redeliveries: number;
  deadLettered: number;
}

export interface InProcessQueueOptions {
  /** SQS's maximum and Lambda's default: 10 records per batch. */
  batchSize?: number;
  /** Receives before a message goes to the dead-letter list (SQS maxReceiveCount). */
  maxReceives?: number;
  /** Fault injection: every message sent is delivered twice, as SQS at-least-once may do. */
  duplicateDeliveries?: boolean;
}

/**
 * An SQS stand-in for the local runtime: the same handlers receive
 * SQS-shaped batches, report partial batch failures, see failed records again,
 * and lose them to a dead-letter list after `maxReceives` receives.
 */
export class InProcessQueue<T> implements MessageQueue<T> {
  private readonly pending: Envelope[] = [];
  readonly deadLetters: DeadLetter[] = [];
  private seq = 0;
  private readonly batchSize: number;
  private readonly maxReceives: number;

  constructor(
    readonly name: string,
    private readonly opts: InProcessQueueOptions = {},
  ) {
    this.batchSize = Math.min(opts.batchSize ?? 10, 10);
    this.maxReceives = opts.maxReceives ?? 5;
  }

  async send(messages: T[]): Promise<void> {
    for (const m of messages) {
      const body = JSON.stringify(m);
      const copies = this.opts.duplicateDeliveries ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        this.pending.push({ messageId: `${this.name}-${++this.seq}`, body, receiveCount: 0, sentAt: this.seq });
      }
    }
  }

  /**
   * What an operator does once the cause is fixed (SQS's dead-letter queue redrive): every dead letter goes
   * back to the queue, with its receive count started again. Returns how many were moved.
   */
  redrive(): number {
    const moved = this.deadLetters.splice(0);
    for (const d of moved) this.pending.push({ messageId: d.messageId, body: d.body, receiveCount: 0, sentAt: ++this.seq });
    return moved.length;
  }

  get depth(): number {
    return this.pending.length;
  }

  /** Delivers until the queue is empty, `concurrency` batches at a time, like a Lambda event source mapping. */
  async drain(handler: SqsHandler, opts: { concurrency?: number; onBatch?: (stats: DrainStats) => void } = {}): Promise<DrainStats> {
    const stats: DrainStats = { batches: 0, deliveries: 0, redeliveries: 0, deadLettered: 0 };
    const concurrency = Math.max(1, opts.concurrency ?? 1);
    const worker = async () => {
      for (;;) {
        const batch = this.pending.splice(0, this.batchSize);
        if (batch.length === 0) return;
        await this.deliver(handler, batch, stats);
        opts.onBatch?.(stats);
      }
    };
    // Workers stop when the queue is momentarily empty; loop until nothing is left in flight.
    while (this.pending.length > 0) await Promise.all(Array.from({ length: concurrency }, worker));
    return stats;
  }

  private async deliver(handler: SqsHandler, batch: Envelope[], stats: DrainStats): Promise<void> {
    stats.batches++;
    for (const e of batch) {
      e.receiveCount++;
      stats.deliveries++;
      if (e.receiveCount > 1) stats.redeliveries++;
    }
    const event: SQSEvent = { Records: batch.map((e) => this.toRecord(e)) };
    let failed: Set<string>;
    try {
      const res = (await handler(event, LOCAL_CONTEXT, { signal: new AbortController().signal })) as SQSBatchResponse | undefined;
      failed = new Set((res?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch {
      failed = new Set(batch.map((e) => e.messageId));
    }
    for (const e of batch) {
      if (!failed.has(e.messageId)) continue;
      if (e.receiveCount >= this.maxReceives) {
        this.deadLetters.push({ messageId: e.messageId, body: e.body, receiveCount: e.receiveCount });
        stats.deadLettered++;
      } else {
        this.pending.push(e);
      }
    }
  }

  private toRecord(e: Envelope): SQSRecord {
    return {
      messageId: e.messageId,
      receiptHandle: `${e.messageId}-${e.receiveCount}`,
      body: e.body,
      attributes: {
        ApproximateReceiveCount: String(e.receiveCount),
        SentTimestamp: String(e.sentAt),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(e.sentAt),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:local:000000000000:${this.name}`,
      awsRegion: 'local',
    };
  }
}
