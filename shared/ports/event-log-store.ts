import type { EventRecord } from '../domain/business-events.ts';
import type { IsoDate } from '../domain/calendar.ts';

/**
 * The business events as their publisher reads them. They are written with
 * the changes that cause them, in the same commit; publishing them (the
 * local log here, EventBridge in AWS through the table's stream) is this
 * port's part.
 */
export interface EventLogStore {
  /** The event records of a day, in id order. */
  listEventRecords(date: IsoDate): Promise<EventRecord[]>;
  /** Marks a record published; false if it was already (or does not exist). */
  markEventsPublished(date: IsoDate, id: string, at: string): Promise<boolean>;
}
