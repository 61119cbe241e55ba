import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { EventRecord } from '../../shared/domain/business-events.ts';
import { EventBridgePublisher } from '../../shared/adapters/events/eventbridge-publisher.ts';
import type { EventPublisher } from '../../shared/ports/event-publisher.ts';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsQueue } from '../../shared/adapters/sqs/sqs-queue.ts';
import type { BusinessEvent } from '../../shared/domain/business-events.ts';
import { env } from '../aws-environment.ts';
import type { WebhookMessage } from './deliver-webhook.ts';
import { lazyHandler } from '../entry-points.ts';
import { archivingIssued, type ArchiveMessage } from '../../shared/use-cases/finance/archive-messages.ts';

/**
 * The table's stream to the event bus: each new event record (the events
 * of one commit) is put on the bus. A record that fails is reported by its
 * sequence number; the mapping retries from there (the records after it
 * come again, with the same event ids), bisects, then parks the batch's
 * description on the events DLQ.
 */
export function makePublishEventsHandler(publisher: EventPublisher) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    for (const record of event.Records) {
      const sequence = record.dynamodb?.SequenceNumber;
      try {
        const image = record.dynamodb?.NewImage;
        if (!image) throw new Error('the stream record has no new image');
        const item = unmarshall(image as Record<string, AttributeValue>) as EventRecord;
        if (!Array.isArray(item.events)) throw new Error(`item ${String(item.id)} holds no events`);
        await publisher.publish(item.events);
      } catch (err) {
        console.error(JSON.stringify({ msg: 'event record not published', eventID: record.eventID, error: (err as Error).message }));
        // Stop at the first failure: the records after it come again with the retry, in order.
        return { batchItemFailures: sequence ? [{ itemIdentifier: sequence }] : [] };
      }
    }
    return { batchItemFailures: [] };
  };
}

/** The bus, then the webhook queue (signed webhooks to the provider's endpoint): a failure of either publishes the record again, with the same ids. */
export function fanOut(bus: EventPublisher, webhooks: { send(messages: WebhookMessage[]): Promise<void> }): EventPublisher {
  return {
    async publish(events: BusinessEvent[]) {
      await bus.publish(events);
      await webhooks.send(events.map((event) => ({ event })));
    },
  };
}

export const handler = lazyHandler(() =>
  makePublishEventsHandler(
    // Beside the bus and the webhooks, each final invoice and credit note issued goes to be kept as issued.
    archivingIssued(
      fanOut(new EventBridgePublisher(new EventBridgeClient({}), env('EVENT_BUS_NAME')), new SqsQueue<WebhookMessage>(new SQSClient({}), env('WEBHOOK_QUEUE_URL'))),
      new SqsQueue<ArchiveMessage>(new SQSClient({}), env('ARCHIVE_QUEUE_URL')),
    ),
  ),
);
