import type { IsoDate } from '../domain/calendar.ts';

/** Time is injected so nights can be simulated. */
export interface Clock {
  /** Today's date in the provider's time zone. */
  today(): IsoDate;
  /** An ISO timestamp for audit fields. */
  now(): string;
}

/** A clock pinned to a day, for nights run on a chosen or simulated date. */
export function fixedClock(day: IsoDate, time = '02:00:00.000Z'): Clock {
  return { today: () => day, now: () => `${day}T${time}` };
}
