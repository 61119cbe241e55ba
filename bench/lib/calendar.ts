/**
 * Date arithmetic for the bench's own models (the chaos run's reference model, the floors), written here
 * rather than taken from the engine's calendar, so what they expect does not come from the engine's code.
 */

/** Calendar months added to an ISO date, the day kept or clamped to the month's last day. */
export function plusMonths(date: string, months: number): string {
  const [y, m, day] = date.split('-').map(Number) as [number, number, number];
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${String(month).padStart(2, '0')}-${String(Math.min(day, last)).padStart(2, '0')}`;
}

/** Days added to (or, negative, taken from) an ISO date. */
export function plusDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
