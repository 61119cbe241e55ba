import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { systemClock } from '../../shared/adapters/system-clock.ts';
import { FetchWebhookTransport } from '../../shared/adapters/webhooks/fetch-webhook-transport.ts';
import { StandardWebhookSigner } from '../../shared/adapters/webhooks/standard-webhook-signer.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbBillingStore } from '../../shared/adapters/dynamodb/dynamodb-billing-store.ts';
import type { BusinessEvent } from '../../shared/domain/business-events.ts';
import { isIsoDate } from '../../shared/domain/calendar.ts';
import { ValidationError } from '../../shared/domain/errors.ts';
import type { EventLogStore } from '../../shared/ports/event-log-store.ts';
import { deliverEvent, eventsOfDay, retryDelaySeconds, type WebhookDeps, type WebhookResult } from '../../shared/use-cases/events/deliver-webhooks.ts';
import { env } from '../aws-environment.ts';
import { lazyHandler } from '../entry-points.ts';
import { logSink, type LogSink } from '../observability.ts';

/** Puts a message back on its queue after `seconds` (SQS ChangeMessageVisibility): the back-off between tries. */
export type RetryLater = (receiptHandle: string, seconds: number) => Promise<void>;

/** A message of the webhook queue: one business event (publish-events puts it there beside the bus). */
export interface WebhookMessage {
  event: BusinessEvent;
}

/** An operator's replay of one event by its id, invoked by hand (docs/events.md): `{"replay": {"date": "...", "eventId": "..."}}`. */
export interface ReplayRequest {
  replay: { date: string; eventId: string };
}

/**
 * The webhook queue's consumer: each event POSTed, signed, to the
 * provider's endpoint. A failed delivery is put back with the next delay
 * of the back-off (30 s, 2 min, ... 4 h, by its receive count) and reported
 * failed; after the last try the queue parks it on the webhook DLQ, from
 * where a redrive sends it again with the same id. Without an endpoint
 * configured, messages are acknowledged and nothing is sent. Invoked by
 * hand with a replay request, it sends that one event again now, read from
 * the table's event records, and answers what the endpoint said.
 */
export function makeDeliverWebhookHandler(deps: () => Promise<WebhookDeps>, url: string, retryLater: RetryLater, log?: LogSink, events?: () => EventLogStore) {
  return middy<SQSEvent | ReplayRequest, SQSBatchResponse | WebhookResult>().handler(async (event) => {
    if ('replay' in event) return replay(event.replay);
    if (!url || event.Records.length === 0) return { batchItemFailures: [] };
    const d = await deps();
    const failures: { itemIdentifier: string }[] = [];
    // One at a time, in the batch's order: a receiver sees one commit's events in the order they happened.
    for (const record of event.Records) {
      let message: WebhookMessage;
      try {
        message = JSON.parse(record.body) as WebhookMessage;
        if (typeof message.event?.id !== 'string') throw new Error('no event in the message');
      } catch (err) {
        log?.error('webhook message not readable', { messageId: record.messageId, error: String(err) });
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      const result = await deliverEvent(d, url, message.event);
      if (result.delivered) {
        log?.info('webhook delivered', { eventId: result.eventId, type: result.type, status: result.status });
        continue;
      }
      const tries = Number(record.attributes?.ApproximateReceiveCount ?? '1');
      const delay = retryDelaySeconds(tries);
      log?.error('webhook not delivered', {
        eventId: result.eventId,
        type: result.type,
        tries,
        error: result.error,
        ...(delay ? { retryInSeconds: delay } : { deadLetter: true }),
      });
      if (delay !== undefined) await retryLater(record.receiptHandle, delay);
      failures.push({ itemIdentifier: record.messageId });
    }
    return { batchItemFailures: failures };
  });

  async function replay(request: ReplayRequest['replay'] | undefined): Promise<WebhookResult> {
    if (!url) throw new ValidationError('No webhook endpoint is configured (stack parameter WebhookUrl)', 'webhooks_disabled');
    if (!request || typeof request.date !== 'string' || !isIsoDate(request.date) || typeof request.eventId !== 'string' || request.eventId === '') {
      throw new ValidationError('A replay is {"replay": {"date": "YYYY-MM-DD", "eventId": "..."}}: the day the event happened and its id', 'invalid_input');
    }
    if (!events) throw new Error('this handler was built without the event records');
    const [found] = await eventsOfDay(events(), request.date, request.eventId);
    const result = await deliverEvent(await deps(), url, found!);
    log?.info('webhook replayed', { ...result });
    return result;
  }
}

function awsHandler() {
  const sqs = new SQSClient({});
  const queueUrl = env('WEBHOOK_QUEUE_URL');
  let deps: Promise<WebhookDeps> | undefined;
  return makeDeliverWebhookHandler(
    () =>
      (deps ??= new SecretsManagerClient({})
        .send(new GetSecretValueCommand({ SecretId: env('WEBHOOK_SECRET_ID') }))
        .then((res) => JSON.parse(res.SecretString ?? '{}') as { secret?: string })
        .then((s) => {
          if (!s.secret) throw new Error('the webhook signing secret is not set: put {"secret": "whsec_..."} in it');
          return { transport: new FetchWebhookTransport(), signer: new StandardWebhookSigner(s.secret), clock: systemClock() };
        })
        .catch((err: unknown) => {
          // Not cached: once the operator sets the secret, the next invocation reads it.
          deps = undefined;
          throw err;
        })),
    process.env.WEBHOOK_URL ?? '',
    async (receiptHandle, seconds) => {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
    },
    logSink(),
    () => new DynamoDbBillingStore(new DynamoDBClient({}), env('TABLE_NAME')),
  );
}

export const handler = lazyHandler(awsHandler);
