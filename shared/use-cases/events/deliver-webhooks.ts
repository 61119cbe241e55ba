import type { IsoDate } from '../../domain/calendar.ts';
import type { BusinessEvent } from '../../domain/business-events.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { Clock } from '../../ports/clock.ts';
import type { EventLogStore } from '../../ports/event-log-store.ts';
import type { WebhookSigner, WebhookTransport } from '../../ports/webhook-transport.ts';

/*
 * Outbound webhooks: each business event (docs/events.md) POSTed to the
 * provider's endpoint as its CloudEvents envelope, signed (Standard
 * Webhooks headers), at least once. A 2xx is delivered; anything else is
 * retried with back-off and, past the last delay, left to the dead-letter
 * queue; any event can be sent again by its id. The receiver drops an id
 * it has seen (the id is the event's, stable across deliveries).
 */

export interface WebhookDeps {
  transport: WebhookTransport;
  signer: WebhookSigner;
  /** The instant of sending (the signature's timestamp): the wall clock in use, since receivers refuse one minutes off. */
  clock: Clock;
}

/** Seconds to wait before each retry: 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h (about 8 hours in all); then the DLQ. */
export const WEBHOOK_RETRY_DELAYS_SECONDS = [30, 120, 600, 1800, 3600, 7200, 14400] as const;

/** After the `tries`-th failed try: the delay before the next, or undefined when it is time to give up. */
export function retryDelaySeconds(tries: number): number | undefined {
  return WEBHOOK_RETRY_DELAYS_SECONDS[tries - 1];
}

export type WebhookResult =
  { eventId: string; type: string; delivered: true; status: number } | { eventId: string; type: string; delivered: false; status?: number; error: string };

export async function deliverEvent(deps: WebhookDeps, url: string, event: BusinessEvent): Promise<WebhookResult> {
  const body = JSON.stringify(event);
  const timestamp = Math.floor(Date.parse(deps.clock.now()) / 1000);
  const headers = { 'content-type': 'application/json', 'user-agent': 'billing-engine-webhooks/1', ...deps.signer.headers(event.id, timestamp, body) };
  const answer = await deps.transport.post(url, headers, body);
  if ('error' in answer) return { eventId: event.id, type: event.type, delivered: false, error: answer.error };
  if (answer.status >= 200 && answer.status < 300) return { eventId: event.id, type: event.type, delivered: true, status: answer.status };
  return { eventId: event.id, type: event.type, delivered: false, status: answer.status, error: `the endpoint answered ${answer.status}` };
}

/** A day's events, in the order they were written (one commit's in order), or only the one named: a replay by id. */
export async function eventsOfDay(store: EventLogStore, date: IsoDate, eventId?: string): Promise<BusinessEvent[]> {
  const all = (await store.listEventRecords(date)).flatMap((r) => r.events);
  if (eventId === undefined) return all;
  const found = all.filter((e) => e.id === eventId);
  if (found.length === 0) throw new NotFoundError(`No event ${eventId} on ${date}`, 'event_not_found');
  return found;
}
