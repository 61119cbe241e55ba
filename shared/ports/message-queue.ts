import type { IsoDate } from '../domain/calendar.ts';

/** A unit of nightly work: one product on one night. */
export interface RenewalMessage {
  orgId: string;
  productId: string;
  night: IsoDate;
  /** Set by the night's first worker when it hands a charge to the charge queue: the method read there with the product. */
  methodId?: string;
}

/** Apply a block / unblock / terminate on the provisioning side. */
export interface LifecycleMessage {
  date: IsoDate;
  commandId: string;
}

export interface MessageQueue<T> {
  send(messages: T[]): Promise<void>;
}
