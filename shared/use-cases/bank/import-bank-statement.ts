import { createHash } from 'node:crypto';
import { sellerOfDocument } from '../sellers.ts';
import { addDays, type IsoDate } from '../../domain/calendar.ts';
import { isCurrency, Money } from '../../domain/money.ts';
import { paymentReferenceFor } from '../../domain/payment-reference.ts';
import type { Invoice } from '../../domain/invoice.ts';
import type { Organisation } from '../../domain/organisation.ts';
import { nextActionDate, type Product } from '../../domain/product.ts';
import { WriteConflict, type Change } from '../../ports/unit-of-work.ts';
import type { BankCreditRecord, LifecycleCommand } from '../../domain/records.ts';
import type { OperationReads } from '../../ports/billing-store.ts';
import type { CheckoutDeps, CheckoutStore } from '../checkout/checkout-deps.ts';
import { balanceMove, checkoutEmail, issueCheckoutInvoice, loadCheckoutProducts, renewCheckoutProducts, type ReceivedPayment } from '../checkout/fulfil-checkout.ts';
import { cancellation } from '../checkout/settle-checkout.ts';
import { loadOrg, retryOnConflict, typeOf } from '../renewal-deps.ts';

/** A statement's import: what a checkout reads, and the bank's own records (statements and credits). */
export type BankDeps = Omit<CheckoutDeps, 'store'> & { store: CheckoutStore & Pick<OperationReads, 'getBankCredit' | 'getBankStatement'> };

type Reference = { type: string; value: string };

/** What the engine needs of a bank statement (the camt.054 adapter produces it). */
export interface BankStatementInput {
  messageId: string;
  credits: {
    id: string;
    amount: string;
    currency: string;
    bookingDate?: string;
    account?: string;
    reference?: Reference;
    message?: string;
    debtor?: { name?: string };
  }[];
  /** Credits taken back (reversals, returned payments). */
  reversals?: { id: string; kind: 'reversal' | 'return'; amount: string; currency: string; bookingDate?: string; account?: string; reference?: Reference; reason?: string }[];
  /** Entries the reader could not take as they stand: kept for review, nothing credited. */
  unreadable?: { id: string; reason: string; amount?: string; currency?: string; bookingDate?: string }[];
}

export interface ImportReport {
  statementId: string;
  /** This very file (same content) was imported before: every credit in it is a duplicate. */
  alreadyImported: boolean;
  credits: (Pick<BankCreditRecord, 'id' | 'amount' | 'currency' | 'outcome' | 'documentNumber' | 'note'> & { reference?: string; duplicate: boolean })[];
  /** Per currency, decimal strings. */
  settled: Record<string, string>;
  toReview: number;
}

/**
 * Reads a bank-to-customer notification (camt.054) and settles what it pays.
 *
 * 1. The file is known by its content hash: the same file again is reported
 *    as imported before (another file with the same message id is a new file).
 * 2. Each credit is known by the bank's reference and its content (account,
 *    amount, booking date): the same credit again settles nothing again; the
 *    same reference with other content goes to review, never dropped.
 * 3. Its reference (QR or creditor reference) names a pro-forma or an open
 *    invoice; none, or another currency: kept for finance to look at.
 * 4. A pro-forma is settled only once the transfers received for it reach what
 *    is due (less the seller's tolerance, default 0): final invoice, products
 *    renewed and unblocked, or the top-up credited. Less is a part payment:
 *    the pro-forma stays open for the rest, with its QR-bill. More: the excess
 *    goes to the prepaid balance.
 * 5. An open invoice paid in part takes the credit against what is left.
 * 6. A reversal or returned payment reopens what its credit paid: the money
 *    booked out, the invoice open again with a QR-bill, the products back at
 *    the expiry they had (the night's non-payment rules take over), the
 *    balance part taken back. It is always listed for review.
 * 7. Entries the file could not give as they stand are listed for review.
 * Each credit settles in one transaction with its record, so a crash or a
 * second import of the same file can never settle it twice.
 */
export async function importBankStatement(deps: BankDeps, statement: BankStatementInput, fileDigest: string): Promise<ImportReport> {
  const alreadyImported = (await deps.store.getBankStatement(fileDigest)) !== undefined;
  const report: ImportReport = { statementId: statement.messageId, alreadyImported, credits: [], settled: {}, toReview: 0 };
  const add = (record: BankCreditRecord, fresh: boolean, settles: boolean) => {
    report.credits.push({
      id: record.id,
      amount: record.amount,
      currency: record.currency,
      outcome: record.outcome,
      duplicate: !fresh,
      ...(record.reference ? { reference: record.reference } : {}),
      ...(record.documentNumber ? { documentNumber: record.documentNumber } : {}),
      ...(record.note ? { note: record.note } : {}),
    });
    if (fresh && record.note) report.toReview++;
    if (fresh && settles && isCurrency(record.currency)) {
      const before = report.settled[record.currency] ?? '0.00';
      report.settled[record.currency] = Money.of(before, record.currency).plus(Money.of(record.amount, record.currency)).toString();
    }
  };

  for (const credit of statement.credits) {
    const { record, fresh } = await retryOnConflict(() => creditOnce(deps, statement.messageId, credit));
    add(record, fresh, !['unmatched', 'wrong-currency', 'conflicting'].includes(record.outcome));
  }
  for (const reversal of statement.reversals ?? []) {
    const { record, fresh } = await retryOnConflict(() => reverseOnce(deps, statement.messageId, reversal));
    add(record, fresh, false);
  }
  for (const entry of statement.unreadable ?? []) {
    const record: BankCreditRecord = {
      id: `${entry.id}#unreadable#${contentKey(entry)}`,
      statementId: statement.messageId,
      amount: entry.amount ?? '0.00',
      currency: entry.currency ?? '',
      outcome: 'unreadable',
      note: `not credited: ${entry.reason}`,
      importedAt: deps.clock.now(),
      ...(entry.bookingDate ? { bookingDate: entry.bookingDate } : {}),
    };
    const { record: stored, fresh } = await commitOnce(deps, [{ type: 'bankCredit', credit: record }], record);
    add(stored, fresh, false);
  }
  if (!alreadyImported) {
    await deps.store.commit([{ type: 'bankStatement', statement: { id: fileDigest, fileDigest, credits: statement.credits.length, importedAt: deps.clock.now() } }]);
  }
  return report;
}

type Credit = BankStatementInput['credits'][number];
type Reversal = NonNullable<BankStatementInput['reversals']>[number];

type Settled = { record: BankCreditRecord; fresh: boolean };

/** What makes two bookings the same credit: account, amount, currency and booking date (with the bank's reference as key). */
function contentKey(c: { account?: string; amount?: string; currency?: string; bookingDate?: string }): string {
  return createHash('sha256')
    .update([c.account ?? '', c.amount ?? '', c.currency ?? '', c.bookingDate ?? ''].join('|'))
    .digest('hex')
    .slice(0, 12);
}

function sameContent(a: BankCreditRecord, c: Credit): boolean {
  return a.amount === c.amount && a.currency === c.currency && (a.bookingDate ?? '') === (c.bookingDate ?? '') && (a.account ?? c.account ?? '') === (c.account ?? a.account ?? '');
}

/** A credit seen before is a duplicate only if it is the same booking; the same reference with other content is for finance. */
async function creditOnce(deps: BankDeps, statementId: string, credit: Credit): Promise<Settled> {
  const known = await deps.store.getBankCredit(credit.id);
  if (!known) return settleCredit(deps, statementId, credit);
  if (sameContent(known, credit)) return { record: known, fresh: false };
  const id = `${credit.id}#${contentKey(credit)}`;
  const seen = await deps.store.getBankCredit(id);
  if (seen) return { record: seen, fresh: false };
  const record: BankCreditRecord = {
    ...baseRecord(deps, statementId, credit),
    id,
    outcome: 'conflicting',
    note: `not settled: the bank reference ${credit.id} was booked before as ${known.amount} ${known.currency} on ${known.bookingDate ?? '?'} (statement ${known.statementId}); this booking says ${credit.amount} ${credit.currency} on ${credit.bookingDate ?? '?'}`,
  };
  return commitOnce(deps, [{ type: 'bankCredit', credit: record }], record);
}

function baseRecord(deps: BankDeps, statementId: string, credit: Credit): BankCreditRecord {
  return {
    id: credit.id,
    statementId,
    amount: credit.amount,
    currency: credit.currency,
    outcome: 'unmatched',
    importedAt: deps.clock.now(),
    ...(credit.bookingDate ? { bookingDate: credit.bookingDate } : {}),
    ...(credit.account ? { account: credit.account } : {}),
    ...(credit.reference ? { reference: credit.reference.value } : {}),
    ...(credit.message ? { message: credit.message } : {}),
    ...(credit.debtor?.name ? { debtorName: credit.debtor.name } : {}),
  };
}

async function settleCredit(deps: BankDeps, statementId: string, credit: Credit): Promise<Settled> {
  const base = baseRecord(deps, statementId, credit);
  const review = async (outcome: BankCreditRecord['outcome'], note: string, doc?: Invoice): Promise<Settled> => {
    const record: BankCreditRecord = { ...base, outcome, note, ...(doc ? { documentNumber: doc.number, orgId: doc.orgId } : {}) };
    return commitOnce(deps, [{ type: 'bankCredit', credit: record }], record);
  };

  const doc = credit.reference ? await deps.store.findDocumentByReference(credit.reference.value) : undefined;
  if (!doc) return review('unmatched', credit.reference ? `no document carries the reference ${credit.reference.value}` : 'the credit carries no reference');
  if (credit.currency !== doc.currency || !isCurrency(credit.currency)) {
    return review('wrong-currency', `${doc.number} is in ${doc.currency}, the credit is in ${credit.currency}`, doc);
  }
  const received = Money.of(credit.amount, doc.currency);
  if (doc.series === 'PRO') return settleProforma(deps, doc, received, base);
  if (doc.series === 'INV') return payOpenInvoice(deps, doc, received, base);
  return review('unmatched', `${doc.number} is a credit note; nothing is due on it`, doc);
}

/** A credit whose record collides was settled by a concurrent import: answer with that record. */
async function commitOnce(deps: BankDeps, changes: Change[], record: BankCreditRecord): Promise<Settled> {
  try {
    await deps.store.commit(changes);
    return { record, fresh: true };
  } catch (err) {
    if (err instanceof WriteConflict && err.conflicts.includes('bankCredit')) {
      const existing = await deps.store.getBankCredit(record.id);
      if (existing) return { record: existing, fresh: false };
    }
    throw err;
  }
}

const transfersOf = (doc: Invoice, currency: Invoice['currency']): ReceivedPayment[] =>
  doc.payments.filter((p) => p.method === 'transfer').map((p) => ({ ref: p.ref ?? doc.number, amount: Money.of(p.amount, currency), via: 'transfer' as const }));

async function settleProforma(deps: BankDeps, proforma: Invoice, received: Money, base: BankCreditRecord): Promise<Settled> {
  const checkout = proforma.checkoutId ? await deps.store.getCheckout(proforma.orgId, proforma.checkoutId) : undefined;
  const org = await loadOrg(deps.store, proforma.orgId);
  const today = deps.clock.today();
  const now = deps.clock.now();
  const ref = `bank:${base.id}`;
  const changes: Change[] = [];
  let commands: LifecycleCommand[] = [];
  const record: BankCreditRecord = { ...base, documentNumber: proforma.number, orgId: proforma.orgId, outcome: 'settled' };
  const expectedProforma = { status: proforma.status, ...(proforma.amountDue !== undefined ? { amountDue: proforma.amountDue } : {}) };

  // The products are read once: to see whether one was terminated, then to renew them.
  const products = checkout?.status === 'awaiting_payment' && checkout.purpose === 'renewal' ? await loadCheckoutProducts(deps, checkout) : new Map<string, Product>();
  const gone = [...products.values()].filter((p) => p.status === 'terminated').map((p) => p.id);
  if (!checkout || checkout.status !== 'awaiting_payment') {
    // Paid already (a second transfer) or cancelled: the money is the customer's, on their balance.
    changes.push(balanceMove(org, received, { id: `overpayment-${base.id}`, date: today, reason: 'overpayment', ref: proforma.number, createdAt: now }).change);
    Object.assign(record, {
      outcome: 'credited-to-balance',
      toBalance: received.toString(),
      note: `${proforma.number} was already ${checkout?.status ?? 'settled'}: ${received.format()} credited to the balance`,
    });
  } else if (gone.length > 0) {
    // The night terminated a product while its transfer was on its way: nothing can be renewed, so the order
    // is cancelled and the customer's money (this transfer, earlier part payments, the balance it held) is theirs.
    changes.push(...(await cancellation(deps, org, checkout, 'product_terminated', { amount: received, entryId: `overpayment-${base.id}` })));
    Object.assign(record, {
      outcome: 'credited-to-balance',
      toBalance: received.toString(),
      note: `${gone.join(', ')} was terminated before ${proforma.number} was paid: the order is cancelled, ${received.format()} credited to the balance`,
    });
  } else {
    // What is still due: the pro-forma's rest after earlier part payments.
    const due = Money.of(proforma.amountDue ?? checkout.chargePart, checkout.currency);
    const tolerance = Money.of(sellerOfDocument(deps, proforma).transferTolerance ?? '0.00', checkout.currency);
    if (checkout.purpose !== 'top-up' && received.plus(tolerance).lt(due)) {
      // docs/domain.md R-31: less than due is a part payment. Nothing is fulfilled: the pro-forma stays open for the
      // rest, with its reference, and its QR-bill asks for what is left.
      const rest = due.minus(received);
      changes.push({
        type: 'invoiceUpdate',
        invoice: { ...proforma, status: 'open', amountDue: rest.toString(), payments: [...proforma.payments, { method: 'transfer', amount: received.toString(), ref }] },
        expected: expectedProforma,
      });
      Object.assign(record, {
        outcome: 'partial',
        note: `part payment: ${proforma.number} stays open for ${rest.toString()} ${proforma.currency}; the order is fulfilled once it is paid`,
      });
    } else {
      const applied = received.min(due);
      const excess = received.minus(applied);
      let invoiceNumber: string | undefined;
      let balanceAfter = org;
      if (checkout.purpose === 'top-up') {
        // A deposit is credited with what arrived.
        const move = balanceMove(org, received, { id: `top-up-${checkout.id}`, date: today, reason: 'top-up', ref: checkout.id, createdAt: now });
        changes.push(move.change);
        balanceAfter = { ...org, balance: move.after.toString() };
      } else {
        const transfers = [...transfersOf(proforma, checkout.currency), { ref, amount: applied, via: 'transfer' as const }];
        const invoice = await issueCheckoutInvoice(deps, checkout, org, products, today, transfers);
        const short = due.minus(applied);
        if (short.isPositive()) record.note = `${short.format()} short of ${proforma.number}, within the seller's tolerance of ${tolerance.format()}: settled`;
        invoiceNumber = invoice.number;
        changes.push({ type: 'invoice', invoice });
        const renewed = renewCheckoutProducts(deps, checkout, org, products, today, undefined);
        changes.push(...renewed.changes);
        commands = renewed.commands;
      }
      if (excess.isPositive() && checkout.purpose !== 'top-up') {
        changes.push(balanceMove(balanceAfter, excess, { id: `overpayment-${base.id}`, date: today, reason: 'overpayment', ref: proforma.number, createdAt: now }).change);
        Object.assign(record, { outcome: 'overpaid', toBalance: excess.toString(), note: `${excess.format()} more than due, credited to the prepaid balance` });
      }
      const paid = { ...checkout, status: 'paid' as const, settledAt: now, ...(invoiceNumber ? { invoiceNumber } : {}), version: checkout.version + 1 };
      changes.push({ type: 'checkout', checkout: paid, expected: { version: checkout.version, status: checkout.status } });
      changes.push({
        type: 'invoiceUpdate',
        invoice: { ...proforma, status: 'paid', amountDue: '0.00', payments: [...proforma.payments, { method: 'transfer', amount: applied.toString(), ref }] },
        expected: expectedProforma,
      });
      changes.push(
        checkoutEmail(org, paid, checkout.purpose === 'top-up' ? 'top-up-credited' : 'checkout-paid', today, now, {
          proforma: proforma.number,
          received: received.toString(),
          ...(invoiceNumber ? { invoice: invoiceNumber } : {}),
        }),
      );
    }
  }
  changes.push(paymentChange(proforma, received, base, today, now));
  changes.push({ type: 'bankCredit', credit: record });
  const result = await commitOnce(deps, changes, record);
  if (result.fresh && commands.length > 0) await deps.lifecycleQueue.send(commands.map((c) => ({ date: c.date, commandId: c.id })));
  return result;
}

async function payOpenInvoice(deps: BankDeps, invoice: Invoice, received: Money, base: BankCreditRecord): Promise<Settled> {
  const org = await loadOrg(deps.store, invoice.orgId);
  const today = deps.clock.today();
  const now = deps.clock.now();
  const record: BankCreditRecord = { ...base, documentNumber: invoice.number, orgId: invoice.orgId, outcome: 'settled' };
  const due = Money.of(invoice.amountDue ?? '0.00', invoice.currency);
  const applied = invoice.status === 'open' ? received.min(due) : Money.zero(invoice.currency);
  const excess = received.minus(applied);
  const changes: Change[] = [];
  let commands: LifecycleCommand[] = [];
  if (applied.isPositive()) {
    const rest = due.minus(applied);
    const next: Invoice = {
      ...invoice,
      status: rest.isZero() ? 'paid' : 'open',
      amountDue: rest.toString(),
      payments: [...invoice.payments, { method: 'transfer', amount: applied.toString(), ref: `bank:${base.id}` }],
    };
    if (rest.isZero()) delete next.reopenedBy;
    changes.push({ type: 'invoiceUpdate', invoice: next, expected: { status: invoice.status, ...(invoice.amountDue !== undefined ? { amountDue: invoice.amountDue } : {}) } });
    if (rest.isPositive()) Object.assign(record, { outcome: 'partial', note: `${invoice.number} stays open for ${rest.toString()} ${invoice.currency}` });
    else if (invoice.reopenedBy) {
      // Paid again after a reversal: the periods it names are the products' again.
      const restored = await restorePeriods(deps, org, invoice, today, now);
      changes.push(...restored.changes);
      commands = restored.commands;
    }
  }
  if (excess.isPositive()) {
    changes.push(balanceMove(org, excess, { id: `overpayment-${base.id}`, date: today, reason: 'overpayment', ref: invoice.number, createdAt: now }).change);
    Object.assign(
      record,
      applied.isPositive()
        ? { outcome: 'overpaid', toBalance: excess.toString(), note: `${excess.format()} more than due, credited to the prepaid balance` }
        : { outcome: 'credited-to-balance', toBalance: excess.toString(), note: `${invoice.number} was already paid: ${excess.format()} credited to the balance` },
    );
  }
  changes.push(paymentChange(invoice, received, base, today, now));
  changes.push({ type: 'bankCredit', credit: record });
  const result = await commitOnce(deps, changes, record);
  if (result.fresh && commands.length > 0) await deps.lifecycleQueue.send(commands.map((c) => ({ date: c.date, commandId: c.id })));
  return result;
}

/**
 * A reversal (or returned payment) of a credit the engine booked: it finds
 * that credit by the reference and amount it repeats, and reopens what the
 * credit paid, in one transaction with the reversal's record.
 */
async function reverseOnce(deps: BankDeps, statementId: string, rev: Reversal): Promise<Settled> {
  const id = `reversal#${rev.id}`;
  const known = await deps.store.getBankCredit(id);
  if (known) return { record: known, fresh: false };
  const today = deps.clock.today();
  const now = deps.clock.now();
  const base: BankCreditRecord = {
    id,
    statementId,
    amount: rev.amount,
    currency: rev.currency,
    outcome: 'reversal-unmatched',
    importedAt: now,
    ...(rev.bookingDate ? { bookingDate: rev.bookingDate } : {}),
    ...(rev.account ? { account: rev.account } : {}),
    ...(rev.reference ? { reference: rev.reference.value } : {}),
  };
  const what = rev.kind === 'return' ? `returned payment${rev.reason ? ` (${rev.reason})` : ''}` : 'reversal';
  const unmatched = (why: string) => {
    const record = { ...base, note: `${what} of ${rev.amount} ${rev.currency}: ${why}; finance must look` };
    return commitOnce(deps, [{ type: 'bankCredit', credit: record }], record);
  };
  const doc = rev.reference ? await deps.store.findDocumentByReference(rev.reference.value) : undefined;
  if (!doc) return unmatched(rev.reference ? `no document carries the reference ${rev.reference.value}` : 'it repeats no reference');
  // The credit it takes back: one booked against that document, of that amount, not reversed yet.
  const payments = await deps.store.listPayments(doc.orgId);
  let original: BankCreditRecord | undefined;
  for (const p of payments.filter((x) => x.method === 'transfer' && x.invoiceNumber === doc.number && x.amount === rev.amount && x.currency === rev.currency)) {
    const credit = await deps.store.getBankCredit(p.gatewayRef);
    if (credit && !credit.reversedBy) {
      original = credit;
      break;
    }
  }
  if (!original) return unmatched(`no credit of that amount booked against ${doc.number} is left to reverse`);

  const org = await loadOrg(deps.store, doc.orgId);
  const currency = doc.currency;
  const amount = Money.of(rev.amount, currency);
  const toBalance = Money.of(original.toBalance ?? '0.00', currency);
  const toDocument = amount.minus(toBalance);
  const changes: Change[] = [];
  const record: BankCreditRecord = { ...base, outcome: 'reversed', reverses: original.id, documentNumber: doc.number, orgId: doc.orgId };
  const notes: string[] = [];
  if (toBalance.isPositive()) {
    // The part that went to the balance comes off it (below zero if it was spent: the customer owes it).
    changes.push(balanceMove(org, toBalance.negate(), { id: `reversal-${rev.id}`, date: today, reason: 'bank-reversal', ref: doc.number, createdAt: now }).change);
    notes.push(`${toBalance.format()} taken off the balance`);
  }
  if (toDocument.isPositive()) {
    // The document the money paid: the pro-forma's final invoice once it was settled, else the document itself.
    const checkout = doc.series === 'PRO' && doc.checkoutId ? await deps.store.getCheckout(doc.orgId, doc.checkoutId) : undefined;
    const paidDoc = checkout?.invoiceNumber ? await deps.store.findInvoice(checkout.invoiceNumber) : doc;
    if (paidDoc) {
      const owed = Money.of(paidDoc.status === 'open' ? (paidDoc.amountDue ?? '0.00') : '0.00', currency).plus(toDocument);
      const reopened: Invoice = {
        ...paidDoc,
        status: 'open',
        amountDue: owed.toString(),
        reopenedBy: id,
        payments: [...paidDoc.payments, { method: 'transfer', amount: toDocument.negate().toString(), ref: `bank:${rev.id}` }],
      };
      reopened.paymentReference = paidDoc.paymentReference ?? paymentReferenceFor(sellerOfDocument(deps, paidDoc), paidDoc);
      changes.push({
        type: 'invoiceUpdate',
        invoice: reopened,
        expected: { status: paidDoc.status, ...(paidDoc.amountDue !== undefined ? { amountDue: paidDoc.amountDue } : {}) },
      });
      notes.push(`${paidDoc.number} open again for ${owed.toString()} ${currency} (reference ${reopened.paymentReference})`);
      // The customer learns it from us, not from a block: what is open again, for how much, and how to pay it.
      changes.push({
        type: 'email',
        email: {
          id: `${paidDoc.number}#invoice-reopened#${rev.id}`,
          date: today,
          orgId: org.id,
          to: org.billingContacts,
          template: 'invoice-reopened',
          data: { invoice: paidDoc.number, amountDue: owed.toString(), currency, reference: reopened.paymentReference, reason: rev.reason ?? rev.kind },
          createdAt: now,
        },
      });
      if (paidDoc.series === 'INV' && paidDoc.status === 'paid') {
        const undone = await undoPeriods(deps, org, paidDoc, today);
        changes.push(...undone.changes);
        if (undone.products.length > 0) notes.push(`${undone.products.join(', ')} back to the expiry before it was paid`);
      }
    }
  }
  changes.push({
    type: 'payment',
    payment: {
      id: `bank-reversal-${rev.id}`,
      orgId: doc.orgId,
      date: today,
      method: 'transfer',
      amount: amount.negate().toString(),
      currency,
      gatewayRef: rev.id,
      invoiceNumber: doc.number,
      refundOf: original.id,
      ...(doc.checkoutId ? { checkoutId: doc.checkoutId } : {}),
      createdAt: now,
    },
  });
  changes.push({ type: 'bankCredit', credit: { ...original, reversedBy: id }, expectedUnreversed: true });
  record.note = `${what} of credit ${original.id}: ${notes.join('; ') || 'booked'}`;
  changes.push({ type: 'bankCredit', credit: record });
  return commitOnce(deps, changes, record);
}

/**
 * The products an invoice renewed go back to the expiry they had before it,
 * when nothing has renewed them since; the night then applies the
 * non-payment rules from there (block, terminate) as for any unpaid product.
 */
async function undoPeriods(deps: BankDeps, org: Organisation, invoice: Invoice, today: IsoDate): Promise<{ changes: Change[]; products: string[] }> {
  const changes: Change[] = [];
  const products: string[] = [];
  for (const { line, product } of await productsOfPeriods(deps, invoice, 'periodTo')) {
    const back: Product = { ...product, expiry: line.periodFrom, awaitsInvoice: invoice.number, version: product.version + 1 };
    // Tonight catches up on whatever the schedule held since the last night that saw the product.
    const upcoming = nextActionDate(back, typeOf(deps.catalogue, product), product.lastNight ?? addDays(today, -1), org.reminderDaysBefore);
    back.nextActionDate = upcoming && upcoming < today ? today : (upcoming ?? today);
    changes.push({ type: 'product', product: back, expectedVersion: product.version });
    products.push(product.id);
  }
  return { changes, products };
}

/**
 * The invoice's renewal lines with their product, where the product (still there, not terminated) now
 * expires at the line's `at` end: the state the invoice left it in (periodTo) or found it in (periodFrom).
 */
async function productsOfPeriods(deps: BankDeps, invoice: Invoice, at: 'periodFrom' | 'periodTo'): Promise<{ line: PeriodLine; product: Product }[]> {
  const found = [];
  for (const line of invoice.lines.filter(isPeriodLine)) {
    const product = await deps.store.getProduct(invoice.orgId, line.productId);
    if (product && product.expiry === line[at] && product.status !== 'terminated') found.push({ line, product });
  }
  return found;
}

type PeriodLine = Invoice['lines'][number] & { productId: string; periodFrom: IsoDate; periodTo: IsoDate };
const isPeriodLine = (l: Invoice['lines'][number]): l is PeriodLine => Boolean(l.productId && l.periodFrom && l.periodTo);

/** An invoice paid again after a reversal: its products get the periods it names back, unblocked if need be. */
async function restorePeriods(deps: BankDeps, org: Organisation, invoice: Invoice, today: IsoDate, now: string): Promise<{ changes: Change[]; commands: LifecycleCommand[] }> {
  const changes: Change[] = [];
  const commands: LifecycleCommand[] = [];
  for (const { line, product } of await productsOfPeriods(deps, invoice, 'periodFrom')) {
    const next: Product = { ...product, expiry: line.periodTo, status: 'active', failedAttempts: 0, version: product.version + 1 };
    delete next.awaitsInvoice;
    const upcoming = nextActionDate(next, typeOf(deps.catalogue, product), product.lastNight && product.lastNight >= today ? product.lastNight : today, org.reminderDaysBefore);
    if (upcoming) next.nextActionDate = upcoming;
    else delete next.nextActionDate;
    changes.push({ type: 'product', product: next, expectedVersion: product.version });
    if (product.status === 'blocked') {
      const command: LifecycleCommand = {
        id: `${product.id}#unblock#${invoice.number}`,
        date: today,
        orgId: invoice.orgId,
        productId: product.id,
        action: 'unblock',
        status: 'pending',
        createdAt: now,
      };
      commands.push(command);
      changes.push({ type: 'lifecycle', command, expectedStatus: null });
    }
  }
  return { changes, commands };
}

function paymentChange(doc: Invoice, received: Money, base: BankCreditRecord, today: IsoDate, now: string): Change {
  return {
    type: 'payment',
    payment: {
      id: `bank-${base.id}`,
      orgId: doc.orgId,
      date: today,
      method: 'transfer',
      amount: received.toString(),
      currency: doc.currency,
      gatewayRef: base.id,
      invoiceNumber: doc.number,
      ...(doc.checkoutId ? { checkoutId: doc.checkoutId } : {}),
      createdAt: now,
    },
  };
}
