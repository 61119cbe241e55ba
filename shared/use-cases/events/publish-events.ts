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
  const unpublished = (await deps.store.listEventRecords(date)).filter((r) => !r.publishedAt);
  if (unpublished.length === 0) return { records: 0, events: 0 };
  // In record order, in one go; then each record marked (in any order: the log already holds them all).
  await deps.events.publish(unpublished.flatMap((r) => r.events));
  const at = deps.clock.now();
  const marked = await Promise.all(unpublished.map((r) => deps.store.markEventsPublished(date, r.id, at)));
  const done = unpublished.filter((_, i) => marked[i]);
  return { records: done.length, events: done.reduce((sum, r) => sum + r.events.length, 0) };
}
