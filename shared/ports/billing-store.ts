import type { IsoDate } from '../domain/calendar.ts';
import type { Checkout, CheckoutStatus } from '../domain/checkout.ts';
import type { Currency } from '../domain/money.ts';
import type { Invoice, InvoiceSeries } from '../domain/invoice.ts';
import type { Member, Organisation } from '../domain/organisation.ts';
import type { PaymentMethodKind, SavedPaymentMethod } from '../domain/payment-methods.ts';
import type { Product } from '../domain/product.ts';

/** One movement of the prepaid balance; the balance always equals the sum of its ledger. */
export interface LedgerEntry {
  id: string;
  orgId: string;
  date: IsoDate;
  /** Signed decimal string: credit positive, debit negative. */
  amount: string;
  currency: Currency;
  /** `bank-reversal`: the bank took back a transfer whose money had gone to the balance (below zero if spent). */
  reason: 'top-up' | 'renewal' | 'renewal-hold' | 'hold-release' | 'checkout-hold' | 'refund' | 'top-up-refund' | 'overpayment' | 'bank-reversal';
  ref: string;
  balanceAfter: string;
  createdAt: string;
}

/** Money received from (or, negative, refunded through) a payment provider, and what justifies it. */
export interface PaymentRecord {
  id: string;
  orgId: string;
  date: IsoDate;
  /** `transfer`: a bank credit read from a camt.054 statement. */
  method: PaymentMethodKind | 'transfer';
  /** Signed: a refund is negative. */
  amount: string;
  currency: Currency;
  gatewayRef: string;
  /** The invoice paid, or the credit note of a refund; absent for a top-up (the ledger justifies it). */
  invoiceNumber?: string;
  productId?: string;
  checkoutId?: string;
  /** For a refund: the provider's payment it gives back. */
  refundOf?: string;
  createdAt: string;
}

/** A bank credit read from a statement, recorded once by the bank's id with what it settled. */
export interface BankCreditRecord {
  id: string;
  statementId: string;
  amount: string;
  currency: string;
  bookingDate?: IsoDate;
  reference?: string;
  message?: string;
  debtorName?: string;
  outcome:
    | 'settled'
    | 'partial'
    | 'overpaid'
    | 'credited-to-balance'
    | 'unmatched'
    | 'wrong-currency'
    /** An entry of the file that could not be read as it stands; nothing was credited. */
    | 'unreadable'
    /** The bank's reference was booked before with other content: not settled, finance decides. */
    | 'conflicting'
    /** A reversal or return of an earlier credit: what that credit paid was reopened. */
    | 'reversed'
    /** A reversal or return the engine could not tie to a credit it booked. */
    | 'reversal-unmatched';
  /** The creditor account it arrived on. */
  account?: string;
  /** Of the amount, what went to the prepaid balance (an overpayment, or a document already paid). */
  toBalance?: string;
  /** For a reversal: the credit it takes back. */
  reverses?: string;
  /** Set on a credit once a reversal has taken it back. */
  reversedBy?: string;
  /** The document it paid, and its organisation. */
  documentNumber?: string;
  orgId?: string;
  /** Why finance must look at it (unmatched, wrong currency, paid twice). */
  note?: string;
  importedAt: string;
}

/** A finance export asked through the API, run by the exports queue's worker. */
export interface ExportJob {
  id: string;
  requestedBy: string;
  params: { from: IsoDate; to: IsoDate; orgId?: string; partnerId?: string; lines: boolean; pdf: boolean };
  status: 'queued' | 'running' | 'done' | 'failed';
  createdAt: string;
  csvKey?: string;
  zipKey?: string;
  totals?: { documents: number; rows: number; byCurrency: Record<string, { net: string; vat: string; gross: string; paid: Record<string, string> }> };
  finishedAt?: string;
  error?: string;
  /** While running: the worker's hold on the job; once past, another delivery may take it over. */
  leaseUntil?: string;
  /** Workers that have taken the job so far. */
  runs?: number;
}

/** An inbound provider event, stored once by its id before anything acts on it. */
export interface StoredGatewayEvent {
  id: string;
  type: string;
  /** Unix seconds, the provider's creation time. */
  created: number;
  /** The id of the object it is about (PaymentIntent, SetupIntent, Charge, PaymentMethod). */
  objectId: string;
  payload: string;
  status: 'received' | 'processed';
  receivedAt: string;
  processedAt?: string;
  /** What settlement did, for the audit trail. */
  outcome?: string;
  /** Unix seconds after which DynamoDB's TTL may delete it. */
  expiresAt: number;
}

/**
 * One automatic payment attempt for one product period, recorded before the
 * provider is called so a crash after the charge finds it and its provider id.
 */
export interface PaymentAttempt {
  id: string;
  orgId: string;
  productId: string;
  periodStart: IsoDate;
  attempt: number;
  night: IsoDate;
  idempotencyKey: string;
  currency: Currency;
  total: string;
  balancePart: string;
  chargePart: string;
  paymentMethodId?: string;
  status: 'pending' | 'succeeded' | 'failed';
  gatewayRef?: string;
  failureCode?: string;
  /** The final invoice that settled it: a replayed manual renewal answers with it. */
  invoiceNumber?: string;
  createdAt: string;
}

export interface OutboxEmail {
  id: string;
  date: IsoDate;
  orgId: string;
  productId?: string;
  to: string[];
  template:
    | 'renewal-reminder'
    | 'auto-renewal-notice'
    | 'payment-failed'
    | 'authentication-required'
    | 'renewal-paid'
    | 'product-blocked'
    | 'product-terminated'
    | 'checkout-paid'
    | 'checkout-held'
    | 'order-refunded'
    | 'top-up-credited'
    | 'invoice-reopened'
    | 'payment-method-removed';
  data: Record<string, string>;
  createdAt: string;
}

export type LifecycleAction = 'block' | 'unblock' | 'terminate';

export interface LifecycleCommand {
  id: string;
  date: IsoDate;
  orgId: string;
  productId: string;
  action: LifecycleAction;
  status: 'pending' | 'applied';
  appliedAt?: string;
  /** Why it was not carried out: the product had moved past it when it arrived. */
  skipped?: string;
  createdAt: string;
}

/** What one night did to one product, written with the product so it is counted once. */
export interface NightOutcome {
  night: IsoDate;
  orgId: string;
  productId: string;
  currency: Currency;
  reminders: number;
  attempted: boolean;
  paid: boolean;
  failed: boolean;
  collected: string;
  blocked: boolean;
  unblocked: boolean;
  terminated: boolean;
}

export interface NightRun {
  date: IsoDate;
  /** Nights caught up by this run, oldest first (includes `date`). */
  coveredDates: IsoDate[];
  planned: number;
  startedAt: string;
}

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
  | { type: 'member'; member: Member }
  | { type: 'paymentMethod'; method: SavedPaymentMethod }
  | { type: 'product'; product: Product; expectedVersion: number | null }
  /** Writes nothing: the commit holds only while the product is still at the version read. */
  | { type: 'productUnchanged'; orgId: string; productId: string; version: number }
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
  | { type: 'bankStatement'; statement: { id: string; fileDigest: string; credits: number; importedAt: string } };

/** A commit refused because another writer got there first; lists the changes whose condition failed. */
export class WriteConflict extends Error {
  constructor(readonly conflicts: Change['type'][]) {
    super(`concurrent write on: ${conflicts.join(', ')}`);
    this.name = 'WriteConflict';
  }
}

export interface DueProductRef {
  orgId: string;
  productId: string;
}

export interface ReadStats {
  items: number;
  capacityUnits: number;
}

export interface BillingStore {
  commit(changes: Change[]): Promise<void>;

  getOrganisation(orgId: string): Promise<Organisation | undefined>;
  listOrganisations(): Promise<Organisation[]>;
  /** The organisations a partner manages. */
  listPartnerClients(partnerId: string): Promise<string[]>;
  getMember(orgId: string, userId: string): Promise<Member | undefined>;
  listMembers(orgId: string): Promise<Member[]>;
  getPaymentMethod(orgId: string, id: string): Promise<SavedPaymentMethod | undefined>;
  /** Which organisation saved a provider method (webhooks about a method name no organisation). */
  findPaymentMethodByRef(gatewayRef: string): Promise<SavedPaymentMethod | undefined>;
  listPaymentMethods(orgId: string): Promise<SavedPaymentMethod[]>;

  getProduct(orgId: string, productId: string): Promise<Product | undefined>;
  /** Products of an organisation, optionally only those expiring up to a date. */
  listProducts(orgId: string, opts?: { expiryUpTo?: IsoDate }): Promise<Product[]>;
  /** Products whose next action falls on `date`, through the date index (never a scan). */
  listDueProducts(date: IsoDate, stats?: ReadStats): Promise<DueProductRef[]>;

  getAttempt(orgId: string, attemptId: string): Promise<PaymentAttempt | undefined>;
  listAttempts(orgId: string, productId: string): Promise<PaymentAttempt[]>;
  listLedger(orgId: string): Promise<LedgerEntry[]>;
  listPayments(orgId: string): Promise<PaymentRecord[]>;
  listInvoices(orgId: string): Promise<Invoice[]>;
  /** A document by its number (INV-CH-2026-000042), whatever its organisation. */
  findInvoice(number: string): Promise<Invoice | undefined>;
  /** The document a QR or creditor reference was printed on. */
  findDocumentByReference(reference: string): Promise<Invoice | undefined>;
  /** Documents issued from `from` to `to` (both included), in date then number order, read page by page. */
  iterateDocuments(from: IsoDate, to: IsoDate): AsyncIterable<Invoice>;
  /** The last sequence used in a number series (0 when none). */
  lastInvoiceSequence(series: InvoiceSeries, sellerId: string, year: number): Promise<number>;
  listInvoicesOfSeries(series: InvoiceSeries, sellerId: string, year: number): Promise<{ number: string; orgId: string; issueDate: IsoDate }[]>;

  getLifecycleCommand(date: IsoDate, id: string): Promise<LifecycleCommand | undefined>;
  listLifecycleCommands(date: IsoDate): Promise<LifecycleCommand[]>;
  listOutbox(date: IsoDate): Promise<OutboxEmail[]>;
  listNightOutcomes(night: IsoDate): Promise<NightOutcome[]>;

  getCheckout(orgId: string, checkoutId: string): Promise<Checkout | undefined>;
  listCheckouts(orgId: string): Promise<Checkout[]>;
  /** Checkouts in a waiting status created (awaiting) or held (held) up to a date, oldest first. */
  listCheckoutsInStatus(status: 'awaiting_payment' | 'held' | 'refunding', upTo: IsoDate): Promise<{ orgId: string; checkoutId: string; date: IsoDate }[]>;
  getGatewayEvent(id: string): Promise<StoredGatewayEvent | undefined>;
  getBankCredit(id: string): Promise<BankCreditRecord | undefined>;
  getExportJob(id: string): Promise<ExportJob | undefined>;
  /** Whether a statement (by message id) was imported before. */
  getBankStatement(id: string): Promise<{ id: string; fileDigest: string; credits: number; importedAt: string } | undefined>;
  /** Credits finance must look at (unmatched, wrong currency, paid twice), oldest first. */
  listBankCreditsToReview(): Promise<BankCreditRecord[]>;

  lastNightRun(): Promise<NightRun | undefined>;
  listNightRuns(): Promise<NightRun[]>;
  putNightRun(run: NightRun): Promise<void>;
}
