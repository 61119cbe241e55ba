/**
 * The business events the engine publishes for the provider's systems
 * (provisioning, shop, accounting): what happened, said once per fact, in
 * a documented and versioned shape (docs/events.md). They are derived from
 * the changes of one commit and written in that same commit
 * (use-cases/events/business-events-of.ts), so an event exists exactly
 * when its fact does: a rolled-back transaction publishes nothing, a
 * committed one cannot lose its event.
 */
import type { IsoDate } from './calendar.ts';
import type { Currency } from './money.ts';

/** Bumped when a type's data changes incompatibly; both versions are then documented and published side by side. */
export const EVENT_SCHEMA_VERSION = 1;

export interface BusinessEventData {
  'product.renewed': { orgId: string; productId: string; periodFrom: IsoDate; periodTo: IsoDate; invoiceNumber: string; currency: Currency; gross: string };
  'product.blocked': { orgId: string; productId: string; date: IsoDate };
  'product.unblocked': { orgId: string; productId: string; date: IsoDate };
  'product.terminated': { orgId: string; productId: string; date: IsoDate; backupsDeleted: boolean };
  'invoice.issued': {
    orgId: string;
    number: string;
    /** INV final invoice, PRO pro-forma (asks for a transfer), CN credit note. */
    series: 'INV' | 'PRO' | 'CN';
    issueDate: IsoDate;
    currency: Currency;
    totalNet: string;
    totalVat: string;
    total: string;
    productIds: string[];
  };
  'payment.failed': { orgId: string; productId: string; attemptId: string; night: IsoDate; attempt: number; currency: Currency; amount: string; reason: string };
  'checkout.paid': {
    orgId: string;
    checkoutId: string;
    purpose: 'renewal' | 'top-up';
    method: string;
    currency: Currency;
    total: string;
    productIds: string[];
    invoiceNumber?: string;
  };
}

export type BusinessEventType = keyof BusinessEventData;

export const BUSINESS_EVENT_TYPES = [
  'product.renewed',
  'product.blocked',
  'product.unblocked',
  'product.terminated',
  'invoice.issued',
  'payment.failed',
  'checkout.paid',
] as const satisfies readonly BusinessEventType[];

/** A CloudEvents 1.0 envelope (JSON format): the shape on the bus, in the local log and in webhooks. */
export type BusinessEvent = {
  [T in BusinessEventType]: {
    specversion: '1.0';
    /** Stable per fact: a consumer that sees an id twice has seen the same fact twice. */
    id: string;
    source: 'billing-engine';
    /** `billing.<type>.v<version>`, e.g. `billing.product.blocked.v1`. */
    type: `billing.${T}.v${typeof EVENT_SCHEMA_VERSION}`;
    /** What it is about: `orgs/<org>/products/<product>`, `orgs/<org>/invoices/<number>`, ... */
    subject: string;
    time: string;
    datacontenttype: 'application/json';
    data: BusinessEventData[T];
  };
}[BusinessEventType];

/** The events of one commit, as one item of the table (one write however many facts). */
export interface EventRecord {
  /** The day of the commit (UTC date of `createdAt`): the log's file and the table's partition. */
  date: IsoDate;
  /** The first event's id. */
  id: string;
  events: BusinessEvent[];
  createdAt: string;
  /** Set once the local log holds them (in AWS the table's stream publishes them). */
  publishedAt?: string;
}

export const eventTypeName = (type: BusinessEventType) => `billing.${type}.v${EVENT_SCHEMA_VERSION}` as const;

/** The business type of an envelope's `type`: `billing.product.blocked.v1` → `product.blocked`. */
export function businessTypeOf(event: Pick<BusinessEvent, 'type'>): BusinessEventType {
  return event.type.replace(/^billing\./, '').replace(/\.v\d+$/, '') as BusinessEventType;
}
