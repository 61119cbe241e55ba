import type { Checkout, CheckoutStatus } from '../domain/checkout.ts';
import type { Invoice } from '../domain/invoice.ts';
import type { Member, Organisation } from '../domain/organisation.ts';

/** What an organisation's update may change (use-cases/manage-organisation.ts updateOrganisation). */
export type OrganisationProfile = Partial<Pick<Organisation, 'name' | 'address' | 'postal' | 'vatNumber' | 'language' | 'billingContacts' | 'reminderDaysBefore' | 'eInvoice'>>;
import type { SavedPaymentMethod } from '../domain/payment-methods.ts';
import type { ExchangeRate } from '../domain/exchange-rates.ts';
import type { Product } from '../domain/product.ts';
import type {
  BankCreditRecord,
  ExportJob,
  LedgerEntry,
  LifecycleCommand,
  AuditEntry,
  NightOutcome,
  OutboxEmail,
  PaymentAttempt,
  PaymentRecord,
  StoredGatewayEvent,
} from '../domain/records.ts';
import type { EventRecord } from '../domain/business-events.ts';

/**
 * A write in an all-or-nothing commit; each carries the condition that makes
 * a retry or a second worker fail instead of applying it twice.
 */
export type Change =
  | { type: 'organisation'; org: Organisation; isNew: boolean }
  | { type: 'customerRef'; orgId: string; ref: string }
  | { type: 'identityCheck'; orgId: string; state: 'required' | 'passed' }
  | { type: 'partnerProfile'; orgId: string; partner: NonNullable<Organisation['partner']> }
  | { type: 'partnerLink'; orgId: string; partnerId: string; billToPartner: boolean }
  /** Profile fields of an organisation (never its balance or references): a field update, so a concurrent balance move stands. */
  | { type: 'orgProfile'; orgId: string; fields: OrganisationProfile }
  | { type: 'member'; member: Member }
  | { type: 'memberRemoved'; orgId: string; userId: string }
  /**
   * docs/domain.md R-51: an organisation's personal data erased (name replaced; address, contacts, VAT number and
   * e-invoice settings removed), only while its balance is still the one read: nothing may move on it after.
   */
  | { type: 'orgErased'; orgId: string; name: string; erasedAt: string; expectedBalance: string }
  | { type: 'paymentMethodRemoved'; orgId: string; methodId: string; gatewayRef: string }
  /** A back-office call's audit entry, written before the call acts and again with its outcome. */
  | { type: 'audit'; entry: AuditEntry }
  | { type: 'paymentMethod'; method: SavedPaymentMethod }
  | { type: 'product'; product: Product; expectedVersion: number | null }
  /** A product leaves its organisation (moved to another): only while still at the version read. */
  | { type: 'productRemoved'; orgId: string; productId: string; expectedVersion: number }
  /** Writes nothing: the commit holds only while the product is still at the version read. */
  | { type: 'productUnchanged'; orgId: string; productId: string; version: number }
  /**
   * Marks the product with the automatic attempt just held (`pendingAttemptId`), only while it is still
   * at the version read; the version stays, as with productUnchanged: the mark changes nothing the other
   * writers of the product decide on, they carry it over.
   */
  | { type: 'productAttemptMark'; orgId: string; productId: string; version: number; attemptId: string }
  /** Writes nothing: the commit holds only while no automatic payment attempt of that id is pending. */
  | { type: 'noPendingAttempt'; orgId: string; attemptId: string }
  | { type: 'balance'; orgId: string; from: string; to: string; entry: LedgerEntry }
  | { type: 'attempt'; attempt: PaymentAttempt; expectedStatus: 'pending' | null }
  | { type: 'invoice'; invoice: Invoice }
  /** A document's payment state changes (a pro-forma settled, an invoice paid in part): conditioned on the state read. */
  | { type: 'invoiceUpdate'; invoice: Invoice; expected: { status: Invoice['status']; amountDue?: string } }
  | { type: 'payment'; payment: PaymentRecord }
  | { type: 'email'; email: OutboxEmail }
  | { type: 'lifecycle'; command: LifecycleCommand; expectedStatus: 'pending' | null }
  | { type: 'outcome'; outcome: NightOutcome }
  | { type: 'checkout'; checkout: Checkout; expected: { version: number; status: CheckoutStatus } | null }
  | { type: 'gatewayEvent'; event: StoredGatewayEvent; expectedStatus: 'received' | null }
  /** A new credit record (must not exist), or with `expectedUnreversed` the mark that a reversal took it back. */
  | { type: 'bankCredit'; credit: BankCreditRecord; expectedUnreversed?: boolean }
  /** With `expectedLease`, the commit holds only while the job is still under that lease (its worker's). */
  | { type: 'exportJob'; job: ExportJob; expectedStatus: ExportJob['status'] | null; expectedLease?: string }
  | { type: 'bankStatement'; statement: { id: string; fileDigest: string; credits: number; importedAt: string } }
  /** The business events of this commit (use-cases/events/with-business-events.ts adds it), one item. */
  | { type: 'events'; record: EventRecord }
  /** A CHF rate of a month or day (imported by finance); a later import of the same period replaces it. */
  | { type: 'exchangeRate'; rate: ExchangeRate };

/** A commit refused because another writer got there first; lists the changes whose condition failed. */
export class WriteConflict extends Error {
  constructor(readonly conflicts: Change['type'][]) {
    super(`concurrent write on: ${conflicts.join(', ')}`);
    this.name = 'WriteConflict';
  }
}

/** The one way to write: changes committed all or nothing, each under its condition. */
export interface UnitOfWork {
  commit(changes: Change[]): Promise<void>;
}
