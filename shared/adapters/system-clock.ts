import type { IsoDate } from '../domain/calendar.ts';
import type { Clock } from '../ports/clock.ts';
import { randomUUID } from 'node:crypto';
import type { IdGenerator } from '../ports/ids.ts';

/** Today in the provider's time zone (nights are Zurich nights). */
export function systemClock(timeZone = 'Europe/Zurich'): Clock {
  const fmt = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  return {
    today: (): IsoDate => fmt.format(new Date()),
    now: () => new Date().toISOString(),
  };
}

export const randomIds: IdGenerator = {
  next: (prefix) => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
};
