import type { ExchangeRate } from '../domain/exchange-rates.ts';
import type { IsoDate } from '../domain/calendar.ts';
import type { Checkout } from '../domain/checkout.ts';
import type { Invoice, InvoiceSeries } from '../domain/invoice.ts';
import type { Member, Organisation } from '../domain/organisation.ts';
import type { SavedPaymentMethod } from '../domain/payment-methods.ts';
import type { Product } from '../domain/product.ts';
import type {
  BankCreditRecord,
  ExportJob,
  LedgerEntry,
  LifecycleCommand,
  NightOutcome,
  NightRun,
  PaymentAttempt,
  PendingLifecycleRef,
  PaymentRecord,
  StoredGatewayEvent,
} from '../domain/records.ts';
import type { AuditLog } from './audit-log.ts';
import type { EventLogStore } from './event-log-store.ts';
import type { OutboxStore } from './outbox-store.ts';
import type { UnitOfWork } from './unit-of-work.ts';

/*
 * The store, as narrow ports: one read port per aggregate and one unit of
 * work for every write. A use case asks for the ports it reads and, if it
 * writes, the unit of work; BillingStore is all of them, what the adapters
 * (DynamoDB, in memory) implement and the contract suite holds alike.
 */

export interface DueProductRef {
  orgId: string;
  productId: string;
}

export interface ReadStats {
  items: number;
  capacityUnits: number;
}

/** Organisations, their members, partners and saved methods. */
export interface OrganisationReads {
  getOrganisation(orgId: string): Promise<Organisation | undefined>;
  listOrganisations(): Promise<Organisation[]>;
  /** The organisations a partner manages. */
  listPartnerClients(partnerId: string): Promise<string[]>;
  getMember(orgId: string, userId: string): Promise<Member | undefined>;
  listMembers(orgId: string): Promise<Member[]>;
  /** The organisations a user is a member of (not those reached as a partner), by organisation id. */
  listMembershipsOf(userId: string): Promise<string[]>;
  getPaymentMethod(orgId: string, id: string): Promise<SavedPaymentMethod | undefined>;
  /** Which organisation saved a provider method (webhooks about a method name no organisation). */
  findPaymentMethodByRef(gatewayRef: string): Promise<SavedPaymentMethod | undefined>;
  listPaymentMethods(orgId: string): Promise<SavedPaymentMethod[]>;
}

/** Where a page of an organisation's products stopped: its last product's expiry and id. */
export interface ProductPosition {
  expiry: IsoDate;
  productId: string;
}

/** Products, and the ones a night must look at. */
export interface ProductReads {
  getProduct(orgId: string, productId: string): Promise<Product | undefined>;
  /**
   * A product and its organisation, read together (one BatchGetItem in DynamoDB): the start of every
   * product-night; with `methodId`, that saved method of the organisation in the same read.
   */
  getProductWithOrganisation(orgId: string, productId: string, methodId?: string): Promise<{ product?: Product; org?: Organisation; method?: SavedPaymentMethod }>;
  /** Products of an organisation, optionally only those expiring up to a date. */
  listProducts(orgId: string, opts?: { expiryUpTo?: IsoDate }): Promise<Product[]>;
  /**
   * One page of them, in expiry order, from one read: at most `limit`, after
   * the product `after` names (the last of the previous page); `next` names
   * the last of this one when more may follow.
   */
  listProductsPage(orgId: string, opts: { expiryUpTo?: IsoDate; limit: number; after?: ProductPosition }): Promise<{ products: Product[]; next?: ProductPosition }>;
  /** Products whose next action falls on `date`, through the date index (never a scan). */
  listDueProducts(date: IsoDate, stats?: ReadStats): Promise<DueProductRef[]>;
}

/** What moved money: attempts, the balance ledger, payments. */
export interface PaymentReads {
  getAttempt(orgId: string, attemptId: string): Promise<PaymentAttempt | undefined>;
  listAttempts(orgId: string, productId: string): Promise<PaymentAttempt[]>;
  listLedger(orgId: string): Promise<LedgerEntry[]>;
  listPayments(orgId: string): Promise<PaymentRecord[]>;
}

/** Invoices, pro-formas and credit notes, and their number series. */
export interface DocumentReads {
  listInvoices(orgId: string): Promise<Invoice[]>;
  /** A document by its number (INV-CH-2026-000042), whatever its organisation. */
  findInvoice(number: string): Promise<Invoice | undefined>;
  /** The document a QR or creditor reference was printed on. */
  findDocumentByReference(reference: string): Promise<Invoice | undefined>;
  /** Documents issued from `from` to `to` (both included), in date then number order, read page by page. */
  iterateDocuments(from: IsoDate, to: IsoDate): AsyncIterable<Invoice>;
  /** The last sequence used in a number series (0 when none). */
  lastInvoiceSequence(series: InvoiceSeries, sellerId: string, year: number): Promise<number>;
  /**
   * Takes or extends a number range's lease for `owner` until `until` (ISO times): granted when no one holds
   * it, its holder's lease ran out before `now`, or `owner` already holds it. One conditional write.
   */
  leaseNumberRange(range: { series: InvoiceSeries; seriesId: string; year: number }, owner: string, until: string, now: string): Promise<boolean>;
  listInvoicesOfSeries(series: InvoiceSeries, sellerId: string, year: number): Promise<{ number: string; orgId: string; issueDate: IsoDate }[]>;
  /** The CHF rates imported for a currency, every period (a dozen a year: read whole). */
  listExchangeRates(currency: ExchangeRate['currency']): Promise<ExchangeRate[]>;
  /** The rate an amount of `currency` dated `date` is declared at: that day's, else its month's; undefined when neither was imported. */
  exchangeRateOn(currency: ExchangeRate['currency'], date: IsoDate): Promise<ExchangeRate | undefined>;
}

/** Checkouts, and those waiting on a status. */
export interface CheckoutReads {
  getCheckout(orgId: string, checkoutId: string): Promise<Checkout | undefined>;
  listCheckouts(orgId: string): Promise<Checkout[]>;
  /** Checkouts in a waiting status created (awaiting) or held (held) up to a date, oldest first. */
  listCheckoutsInStatus(status: 'awaiting_payment' | 'held' | 'refunding', upTo: IsoDate): Promise<{ orgId: string; checkoutId: string; date: IsoDate }[]>;
}

/** What the engine does and receives: lifecycle commands, e-mails, night outcomes, provider events, bank credits, exports. */
export interface OperationReads {
  getLifecycleCommand(date: IsoDate, id: string): Promise<LifecycleCommand | undefined>;
  listLifecycleCommands(date: IsoDate): Promise<LifecycleCommand[]>;
  /** Commands still pending from the nights `from` to `to` (both included), oldest night first; an index read, so a command applied a moment ago may still be listed. */
  listPendingLifecycle(from: IsoDate, to: IsoDate): Promise<PendingLifecycleRef[]>;
  listNightOutcomes(night: IsoDate): Promise<NightOutcome[]>;
  getGatewayEvent(id: string): Promise<StoredGatewayEvent | undefined>;
  /** Stored provider events by id, 100 to a read (BatchGetItem); ids never stored are left out. */
  getGatewayEvents(ids: readonly string[]): Promise<StoredGatewayEvent[]>;
  getBankCredit(id: string): Promise<BankCreditRecord | undefined>;
  getExportJob(id: string): Promise<ExportJob | undefined>;
  /** Whether a statement (by message id) was imported before. */
  getBankStatement(id: string): Promise<{ id: string; fileDigest: string; credits: number; importedAt: string } | undefined>;
  /** Credits finance must look at (unmatched, wrong currency, paid twice), oldest first. */
  listBankCreditsToReview(): Promise<BankCreditRecord[]>;
}

/** The nights run (written on its own: a night run is a log line, not a change of state). */
export interface NightLog {
  lastNightRun(): Promise<NightRun | undefined>;
  listNightRuns(): Promise<NightRun[]>;
  putNightRun(run: NightRun): Promise<void>;
  /** Up to when (Unix seconds, the newest event's `created`) the provider's event list was last gone through. */
  getReconcileWatermark(): Promise<number | undefined>;
  /** Moves it forward, never back (a slower run that ends last cannot undo a later one). */
  putReconcileWatermark(seconds: number): Promise<void>;
}

/** Everything the engine reads and writes, as the adapters implement it. */
export interface BillingStore
  extends UnitOfWork, OrganisationReads, ProductReads, PaymentReads, DocumentReads, CheckoutReads, OperationReads, NightLog, OutboxStore, EventLogStore, AuditLog {}
