import type { IsoDate } from '../../domain/calendar.ts';
import type { Checkout } from '../../domain/checkout.ts';
import { isCurrency, Money } from '../../domain/money.ts';
import { paymentReferenceFor } from '../../domain/payment-reference.ts';
import type { Invoice } from '../../domain/invoice.ts';
import { WriteConflict, type BankCreditRecord, type Change, type LifecycleCommand } from '../../ports/billing-store.ts';
import type { CheckoutDeps } from '../checkout/checkout-deps.ts';
import {
  balanceMove,
  checkoutEmail,
  issueCheckoutInvoice,
  loadCheckoutProducts,
  renewCheckoutProducts,
} from '../checkout/fulfil-checkout.ts';
import { loadOrg, retryOnConflict } from '../renewal-deps.ts';

/** What the engine needs of a bank statement (the camt.054 adapter produces it). */
export interface BankStatementInput {
  messageId: string;
  credits: {
    id: string;
    amount: string;
    currency: string;
    bookingDate?: string;
    reference?: { type: string; value: string };
    message?: string;
    debtor?: { name?: string };
  }[];
}

export interface ImportReport {
  statementId: string;
  /** The statement was imported before: every credit in it is a duplicate. */
  alreadyImported: boolean;
  credits: (Pick<BankCreditRecord, 'id' | 'amount' | 'currency' | 'outcome' | 'documentNumber' | 'note'> & { reference?: string; duplicate: boolean })[];
  /** Per currency, decimal strings. */
  settled: Record<string, string>;
  toReview: number;
}

/**
 * Reads a bank-to-customer notification (camt.054) and settles what it pays.
 *
 * 1. Each credit is looked up by its bank id: one imported before is
 *    reported as a duplicate and settles nothing again.
 * 2. Its reference (QR or creditor reference) names a pro-forma or an open
 *    invoice; none, or another currency: kept for finance to look at.
 * 3. A pro-forma is settled like a card payment: final invoice, products
 *    renewed and unblocked, or the top-up credited. Less than due (the bank's
 *    fees are the customer's): the final invoice stays open for the rest, with
 *    its own reference. More than due: the excess goes to the prepaid balance.
 * 4. An open invoice paid in part takes the credit against what is left.
 * Each credit settles in one transaction with its record, so a crash or a
 * second import of the same file can never settle it twice.
 */
export async function importBankStatement(deps: CheckoutDeps, statement: BankStatementInput, fileDigest: string): Promise<ImportReport> {
  const alreadyImported = (await deps.store.getBankStatement(statement.messageId)) !== undefined;
  const report: ImportReport = { statementId: statement.messageId, alreadyImported, credits: [], settled: {}, toReview: 0 };
  for (const credit of statement.credits) {
    const known = await deps.store.getBankCredit(credit.id);
    const { record, fresh } = known ? { record: known, fresh: false } : await retryOnConflict(() => settleCredit(deps, statement.messageId, credit));
    const duplicate = !fresh;
    report.credits.push({
      id: record.id,
      amount: record.amount,
      currency: record.currency,
      outcome: record.outcome,
      duplicate,
      ...(record.reference ? { reference: record.reference } : {}),
      ...(record.documentNumber ? { documentNumber: record.documentNumber } : {}),
      ...(record.note ? { note: record.note } : {}),
    });
    if (!duplicate && record.note) report.toReview++;
    if (!duplicate && record.outcome !== 'unmatched' && record.outcome !== 'wrong-currency' && isCurrency(record.currency)) {
      const before = report.settled[record.currency] ?? '0.00';
      report.settled[record.currency] = Money.of(before, record.currency).plus(Money.of(record.amount, record.currency)).toString();
    }
  }
  if (!alreadyImported) {
    await deps.store.commit([{ type: 'bankStatement', statement: { id: statement.messageId, fileDigest, credits: statement.credits.length, importedAt: deps.clock.now() } }]);
  }
  return report;
}

type Credit = BankStatementInput['credits'][number];

type Settled = { record: BankCreditRecord; fresh: boolean };

async function settleCredit(deps: CheckoutDeps, statementId: string, credit: Credit): Promise<Settled> {
  const now = deps.clock.now();
  const base: BankCreditRecord = {
    id: credit.id,
    statementId,
    amount: credit.amount,
    currency: credit.currency,
    outcome: 'unmatched',
    importedAt: now,
    ...(credit.bookingDate ? { bookingDate: credit.bookingDate } : {}),
    ...(credit.reference ? { reference: credit.reference.value } : {}),
    ...(credit.message ? { message: credit.message } : {}),
    ...(credit.debtor?.name ? { debtorName: credit.debtor.name } : {}),
  };
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
async function commitOnce(deps: CheckoutDeps, changes: Change[], record: BankCreditRecord): Promise<Settled> {
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

async function settleProforma(deps: CheckoutDeps, proforma: Invoice, received: Money, base: BankCreditRecord): Promise<Settled> {
  const checkout = proforma.checkoutId ? await deps.store.getCheckout(proforma.orgId, proforma.checkoutId) : undefined;
  const org = await loadOrg(deps.store, proforma.orgId);
  const today = deps.clock.today();
  const now = deps.clock.now();
  const ref = `bank:${base.id}`;
  const changes: Change[] = [];
  let commands: LifecycleCommand[] = [];
  const record: BankCreditRecord = { ...base, documentNumber: proforma.number, orgId: proforma.orgId, outcome: 'settled' };

  if (!checkout || checkout.status !== 'awaiting_payment') {
    // Paid already (a second transfer) or cancelled: the money is the customer's, on their balance.
    changes.push(balanceMove(org, received, { id: `overpayment-${base.id}`, date: today, reason: 'overpayment', ref: proforma.number, createdAt: now }).change);
    Object.assign(record, { outcome: 'credited-to-balance', note: `${proforma.number} was already ${checkout?.status ?? 'settled'}: ${received.format()} credited to the balance` });
  } else {
    const due = Money.of(checkout.chargePart, checkout.currency);
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
      const products = await loadCheckoutProducts(deps, checkout);
      const invoice = await issueCheckoutInvoice(deps, checkout, org, products, today, { ref, amount: applied, via: 'transfer' });
      if (applied.lt(due)) {
        // The bank's fees are the customer's: the rest stays due on the final invoice, with its own reference.
        invoice.status = 'open';
        invoice.amountDue = due.minus(applied).toString();
        invoice.paymentReference = paymentReferenceFor(deps.seller, invoice);
        record.outcome = 'partial';
        record.note = `${invoice.number} stays open for ${invoice.amountDue} ${invoice.currency}`;
      }
      invoiceNumber = invoice.number;
      changes.push({ type: 'invoice', invoice });
      const renewed = renewCheckoutProducts(deps, checkout, org, products, today, undefined);
      changes.push(...renewed.changes);
      commands = renewed.commands;
    }
    if (excess.isPositive() && checkout.purpose !== 'top-up') {
      changes.push(balanceMove(balanceAfter, excess, { id: `overpayment-${base.id}`, date: today, reason: 'overpayment', ref: proforma.number, createdAt: now }).change);
      record.outcome = 'overpaid';
      record.note = `${excess.format()} more than due, credited to the prepaid balance`;
    }
    const paid: Checkout = { ...checkout, status: 'paid', settledAt: now, ...(invoiceNumber ? { invoiceNumber } : {}), version: checkout.version + 1 };
    changes.push({ type: 'checkout', checkout: paid, expected: { version: checkout.version, status: checkout.status } });
    changes.push({ type: 'invoiceUpdate', invoice: { ...proforma, status: 'paid', amountDue: '0.00' }, expected: { status: proforma.status, ...(proforma.amountDue !== undefined ? { amountDue: proforma.amountDue } : {}) } });
    changes.push(
      checkoutEmail(org, paid, checkout.purpose === 'top-up' ? 'top-up-credited' : 'checkout-paid', today, now, {
        proforma: proforma.number,
        received: received.toString(),
        ...(invoiceNumber ? { invoice: invoiceNumber } : {}),
      }),
    );
  }
  changes.push(paymentChange(proforma, received, base, today, now));
  changes.push({ type: 'bankCredit', credit: record });
  const result = await commitOnce(deps, changes, record);
  if (result.fresh && commands.length > 0) await deps.lifecycleQueue.send(commands.map((c) => ({ date: c.date, commandId: c.id })));
  return result;
}

async function payOpenInvoice(deps: CheckoutDeps, invoice: Invoice, received: Money, base: BankCreditRecord): Promise<Settled> {
  const org = await loadOrg(deps.store, invoice.orgId);
  const today = deps.clock.today();
  const now = deps.clock.now();
  const record: BankCreditRecord = { ...base, documentNumber: invoice.number, orgId: invoice.orgId, outcome: 'settled' };
  const due = Money.of(invoice.amountDue ?? '0.00', invoice.currency);
  const applied = invoice.status === 'open' ? received.min(due) : Money.zero(invoice.currency);
  const excess = received.minus(applied);
  const changes: Change[] = [];
  if (applied.isPositive()) {
    const rest = due.minus(applied);
    const next: Invoice = {
      ...invoice,
      status: rest.isZero() ? 'paid' : 'open',
      amountDue: rest.toString(),
      payments: [...invoice.payments, { method: 'transfer', amount: applied.toString(), ref: `bank:${base.id}` }],
    };
    changes.push({ type: 'invoiceUpdate', invoice: next, expected: { status: invoice.status, ...(invoice.amountDue !== undefined ? { amountDue: invoice.amountDue } : {}) } });
    if (rest.isPositive()) Object.assign(record, { outcome: 'partial', note: `${invoice.number} stays open for ${rest.toString()} ${invoice.currency}` });
  }
  if (excess.isPositive()) {
    changes.push(balanceMove(org, excess, { id: `overpayment-${base.id}`, date: today, reason: 'overpayment', ref: invoice.number, createdAt: now }).change);
    Object.assign(record, applied.isPositive()
      ? { outcome: 'overpaid', note: `${excess.format()} more than due, credited to the prepaid balance` }
      : { outcome: 'credited-to-balance', note: `${invoice.number} was already paid: ${excess.format()} credited to the balance` });
  }
  changes.push(paymentChange(invoice, received, base, today, now));
  changes.push({ type: 'bankCredit', credit: record });
  return commitOnce(deps, changes, record);
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
