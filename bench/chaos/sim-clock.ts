import type { IsoDate } from '../../shared/domain/calendar.ts';
import type { Clock } from '../../shared/ports/clock.ts';

/**
 * The one clock of a chaos run: the engine's days, the sandbox's event
 * timestamps and the webhook verifier's "now" all read it, so signatures
 * made on a simulated day verify on that day and go stale on the next.
 */
export class SimClock implements Clock {
  constructor(
    private day: IsoDate,
    private time = '02:00:00.000Z',
  ) {}

  set(day: IsoDate, time: string): void {
    this.day = day;
    this.time = time;
  }

  today(): IsoDate {
    return this.day;
  }

  now(): string {
    return `${this.day}T${this.time}`;
  }

  /** Unix seconds of the current instant. */
  seconds(): number {
    return Math.floor(Date.parse(this.now()) / 1000);
  }
}

export function secondsOf(day: IsoDate, time = '00:00:00.000Z'): number {
  return Math.floor(Date.parse(`${day}T${time}`) / 1000);
}
