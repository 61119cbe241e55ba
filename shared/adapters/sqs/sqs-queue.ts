import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { MessageQueue } from '../../ports/message-queue.ts';

/** Sends JSON messages to SQS in batches of 10, failing loudly on any entry SQS refused. */
export class SqsQueue<T> implements MessageQueue<T> {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(messages: T[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
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
}
