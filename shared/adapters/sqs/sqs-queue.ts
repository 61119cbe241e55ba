import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { MessageQueue } from '../../ports/message-queue.ts';

/** Sends JSON messages to SQS in batches of 10, several batches at a time, failing loudly on any entry SQS refused. */
export class SqsQueue<T> implements MessageQueue<T> {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly parallel = 32,
  ) {}

  async send(messages: T[]): Promise<void> {
    const chunks: T[][] = [];
    for (let i = 0; i < messages.length; i += 10) chunks.push(messages.slice(i, i + 10));
    // Batches in flight at once: enough to fan a big night out in seconds, few enough for one Lambda's sockets.
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) await this.sendBatch(chunks[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.parallel, chunks.length) }, worker));
  }

  private async sendBatch(chunk: T[]): Promise<void> {
    const res = await this.client.send(
      new SendMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: chunk.map((m, j) => ({ Id: String(j), MessageBody: JSON.stringify(m) })),
      }),
    );
    if (res.Failed && res.Failed.length > 0) {
      throw new Error(`SQS refused ${res.Failed.length} message(s): ${res.Failed.map((f) => f.Message).join('; ')}`);
    }
  }
}
