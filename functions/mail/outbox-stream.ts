import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import * as z from 'zod';
import { isIsoDate } from '../../shared/domain/calendar.ts';
import type { MessageQueue } from '../../shared/ports/message-queue.ts';
import type { EmailRef } from '../../shared/use-cases/mail/deliver-email.ts';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsQueue } from '../../shared/adapters/sqs/sqs-queue.ts';
import { env } from '../aws-environment.ts';
import { lazyHandler } from '../entry-points.ts';

/** What the stream's new image must hold (the event source mapping's filter lets only new OUTBOX# items through). */
const NewOutboxImage = z.object({
  dynamodb: z.object({
    SequenceNumber: z.string(),
    NewImage: z.object({
      date: z.object({ S: z.string().refine(isIsoDate, 'must be a date as YYYY-MM-DD') }),
      id: z.object({ S: z.string().min(1) }),
    }),
  }),
});

/**
 * The table's stream to the mail queue: each e-mail written to the outbox
 * becomes one message naming it. The sender (send-email) reads the e-mail
 * itself, so the queue carries keys, never addresses or content. A record
 * that cannot be read is reported failed: the mapping bisects the batch,
 * retries it, then parks it on the mail DLQ, and the others still go.
 */
export function makeOutboxStreamHandler(mailQueue: MessageQueue<EmailRef>) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const refs: { record: DynamoDBRecord; ref: EmailRef }[] = [];
    const failures: string[] = [];
    for (const record of event.Records) {
      const parsed = NewOutboxImage.safeParse(record);
      if (parsed.success) {
        const image = parsed.data.dynamodb.NewImage;
        refs.push({ record, ref: { date: image.date.S, id: image.id.S } });
      } else {
        console.error(JSON.stringify({ msg: 'outbox stream record not readable', eventID: record.eventID, issue: parsed.error.issues[0]?.message }));
        if (record.dynamodb?.SequenceNumber) failures.push(record.dynamodb.SequenceNumber);
      }
    }
    try {
      if (refs.length > 0) await mailQueue.send(refs.map((r) => r.ref));
    } catch (err) {
      // Nothing known to be queued: the whole batch again (a message queued twice is sent once, see deliverEmail).
      console.error(JSON.stringify({ msg: 'mail queue refused the batch', error: (err as Error).message }));
      return { batchItemFailures: event.Records.flatMap((r) => (r.dynamodb?.SequenceNumber ? [{ itemIdentifier: r.dynamodb.SequenceNumber }] : [])) };
    }
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

export const handler = lazyHandler(() => makeOutboxStreamHandler(new SqsQueue<EmailRef>(new SQSClient({}), env('MAIL_QUEUE_URL'))));
