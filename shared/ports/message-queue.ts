import type { ExchangeRate } from '../domain/exchange-rates.ts';
import type { IsoDate } from '../domain/calendar.ts';

/** A unit of nightly work: one product on one night. */
export interface RenewalMessage {
  orgId: string;
  productId: string;
  night: IsoDate;
  /** Set by the night's first worker when it hands a charge to the charge queue: the method read there with the product. */
  methodId?: string;
  /**
   * The night's CHF rate for EUR documents (docs/domain.md R-50), read once by the night's plan for every
   * renewal of it: `null` when none is imported for the night. Absent (a plan with no seller declaring
   * Swiss VAT, a message sent by hand), the renewal reads it if it needs it.
   */
  chfRate?: ExchangeRate | null;
}

/** Apply a block / unblock / terminate on the provisioning side. */
export interface LifecycleMessage {
  date: IsoDate;
  commandId: string;
}

export interface MessageQueue<T> {
  send(messages: T[]): Promise<void>;
}
