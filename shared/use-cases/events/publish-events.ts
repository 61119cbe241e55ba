import type { IsoDate } from '../../domain/calendar.ts';
import type { Clock } from '../../ports/clock.ts';
import type { EventLogStore } from '../../ports/event-log-store.ts';
import type { EventPublisher } from '../../ports/event-publisher.ts';

export interface EventDeps {
  store: EventLogStore;
  events: EventPublisher;
  clock: Clock;
}

export interface PublishResult {
  records: number;
  events: number;
}

/**
 * Publishes a day's event records not yet published (the local log; in AWS
 * the table's stream does it). Published first, marked after: a publisher
 * that dies in between publishes the record again, never loses it, and the
 * events keep their ids, so a consumer drops the repeat (at least once,
 * docs/events.md).
 */
export async function publishEvents(deps: EventDeps, date: IsoDate): Promise<PublishResult> {
  const result: PublishResult = { records: 0, events: 0 };
  for (const record of await deps.store.listEventRecords(date)) {
    if (record.publishedAt) continue;
    await deps.events.publish(record.events);
    if (await deps.store.markEventsPublished(date, record.id, deps.clock.now())) {
      result.records++;
      result.events += record.events.length;
    }
  }
  return result;
}
