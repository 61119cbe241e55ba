import type { IsoDate } from '../domain/calendar.ts';
import type { AuditEntry } from '../domain/records.ts';

/** The back-office's audit trail as it is read (entries are written through the unit of work). */
export interface AuditLog {
  /** A day's entries, oldest first. */
  listAuditEntries(date: IsoDate): Promise<AuditEntry[]>;
}
