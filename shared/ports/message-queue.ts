import type { IsoDate } from '../domain/calendar.ts';

/** A unit of nightly work: one product on one night. */
export interface RenewalMessage {
  orgId: string;
  productId: string;
  night: IsoDate;
}

/** Apply a block / unblock / terminate on the provisioning side. */
export interface LifecycleMessage {
  date: IsoDate;
  commandId: string;
}

export interface MessageQueue<T> {
  send(messages: T[]): Promise<void>;
}
