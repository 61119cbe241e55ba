import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { BusinessEvent } from '../../domain/business-events.ts';
import type { EventPublisher } from '../../ports/event-publisher.ts';

/** What EventBridge takes in one PutEvents call. */
const ENTRIES_PER_CALL = 10;

/**
 * Puts business events on the stage's EventBridge bus: source
 * `billing-engine`, detail-type the event's versioned type (a rule matches
 * `billing.product.blocked.v1`), detail the whole CloudEvents envelope.
 * Entries EventBridge refuses make the whole call fail, to be published
 * again: the ids let consumers drop what arrives twice.
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(events: BusinessEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += ENTRIES_PER_CALL) {
      const chunk = events.slice(i, i + ENTRIES_PER_CALL);
      const res = await this.client.send(
        new PutEventsCommand({
          Entries: chunk.map((e) => ({
            EventBusName: this.busName,
            Source: e.source,
            DetailType: e.type,
            Detail: JSON.stringify(e),
            Time: new Date(e.time),
            Resources: [],
          })),
        }),
      );
      if (res.FailedEntryCount) {
        const why = (res.Entries ?? []).flatMap((r, j) => (r.ErrorCode ? [`${chunk[j]?.id}: ${r.ErrorCode} ${r.ErrorMessage ?? ''}`.trim()] : []));
        throw new Error(`EventBridge refused ${res.FailedEntryCount} event(s): ${why.join('; ')}`);
      }
    }
  }
}
