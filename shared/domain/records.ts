import type { JournalTotals } from './journal.ts';
import type { IsoDate } from './calendar.ts';
import type { Currency } from './money.ts';
import type { Language, Organisation } from './organisation.ts';
import type { PaymentMethodKind } from './payment-methods.ts';

// The engine's records beside the aggregates (organisations, products, documents, checkouts): money
// movements, attempts, bank credits, e-mails, lifecycle commands, nights and jobs. Plain data, written
// only through a unit of work (ports/unit-of-work.ts).

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
  params: { from: IsoDate; to: IsoDate; orgId?: string; partnerId?: string; lines: boolean; pdf: boolean; journal?: 'csv' | 'banana' };
  status: 'queued' | 'running' | 'done' | 'failed';
  createdAt: string;
  csvKey?: string;
  zipKey?: string;
  /** The journal's file and totals (docs/domain.md R-49), when asked for. */
  journalKey?: string;
  journalTotals?: JournalTotals;
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
    | 'payment-method-removed'
    /** To a member whose access was granted, changed or removed (docs/domain.md R-2). */
    | 'member-access'
    /** To the member who asked to terminate a product: the single-use confirmation link. */
    | 'termination-confirm'
    /** To the organisation's other administrators and the requester, once the termination is confirmed. */
    | 'termination-confirmed';
  data: Record<string, string>;
  /**
   * Whom it is written for, as the organisation was when the e-mail was written: with it the sender
   * needs no read of the organisation. Absent on e-mails written without one, which the sender reads.
   */
  recipient?: EmailRecipient;
  createdAt: string;
  /** Set by the sender (deliver-email.ts): when the mail service took it, and its id there (a file locally). */
  sentAt?: string;
  sentRef?: string;
  /** Attempts that failed, and the last failure, while it is not sent. */
  failedAttempts?: number;
  lastError?: string;
  /** A sender working on it until then: another delivery of the same e-mail leaves it alone. */
  claimUntil?: string;
  claimToken?: string;
  /** Bounces and complaints the mail service reported, once each. */
  feedback?: EmailFeedback[];
}

export interface EmailRecipient {
  orgName: string;
  language: Language;
  sellerId?: string;
  /**
   * The organisation receives its documents by e-mail (`eInvoice.byEmail`): an e-mail that names one attaches
   * it as kept, its PDF and the XML of these e-invoice profiles.
   */
  attach?: { profiles: ('peppol' | 'xrechnung')[] };
}

/** What the sender needs of the organisation, carried on the e-mail. */
export function emailRecipient(org: Pick<Organisation, 'name' | 'language' | 'sellerId' | 'eInvoice'>): EmailRecipient {
  const profiles = (org.eInvoice?.formats ?? []).filter((f): f is 'peppol' | 'xrechnung' => f === 'peppol' || f === 'xrechnung');
  return {
    orgName: org.name,
    language: org.language ?? 'fr',
    ...(org.sellerId ? { sellerId: org.sellerId } : {}),
    ...(org.eInvoice?.byEmail ? { attach: { profiles } } : {}),
  };
}

export interface EmailFeedback {
  /** The mail service's id of the report: a report delivered twice is recorded once. */
  id: string;
  type: 'bounce' | 'complaint';
  /** Permanent, Transient, Undetermined for bounces; the complaint's kind (abuse, ...) for complaints. */
  subType?: string;
  recipients: string[];
  at: string;
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
  /** A termination applied: whether provisioning deleted the backups too (the product.terminated event says it). */
  backupsDeleted?: boolean;
  createdAt: string;
}

/** A command still to carry out: what a sweep needs to send it again. */
export type PendingLifecycleRef = Pick<LifecycleCommand, 'date' | 'id' | 'createdAt'>;

/** Oldest night first, then in the order they were committed. */
export function byNightThenCommit(a: PendingLifecycleRef, b: PendingLifecycleRef): number {
  return a.date.localeCompare(b.date) || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
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
 * One back-office call (docs/domain.md R-47): who (the OAuth client and its
 * subject), what (the route, the organisation and what it named), when, and
 * how it ended. Written as `started` before the call acts and completed
 * after, so no change is ever made without its entry.
 */
export interface AuditEntry {
  date: IsoDate;
  /** The request id (API Gateway's, or the local server's). */
  id: string;
  at: string;
  /** `<client_id>|<sub>` of the token. */
  client: string;
  /** `POST /v1/admin/orgs/{orgId}/members/{userId}`. */
  action: string;
  orgId?: string;
  /** What else the path named: a user, a product, a method. */
  target?: string;
  status: 'started' | 'done' | 'refused';
  /** The HTTP status of the answer, and the error code of a refusal. */
  httpStatus?: number;
  code?: string;
  /** What changed, in a few words (`member bob: collaborator`, `12 rows: 10 added, 2 refused`). */
  summary?: string;
  finishedAt?: string;
}
