import { Decimal } from 'decimal.js';
import type { IsoDate } from '../../shared/domain/calendar.ts';
import type { Checkout } from '../../shared/domain/checkout.ts';
import type { Invoice, InvoiceSeries } from '../../shared/domain/invoice.ts';
import type { Organisation } from '../../shared/domain/organisation.ts';
import type { Product } from '../../shared/domain/product.ts';
import type { BillingStore } from '../../shared/ports/billing-store.ts';
import type { LedgerEntry, LifecycleCommand, NightOutcome, PaymentAttempt, PaymentRecord } from '../../shared/domain/records.ts';
import type { PaymentGateway, PaymentState } from '../../shared/ports/payment-gateway.ts';

export interface InvariantResult {
  name: string;
  checks: number;
  violations: string[];
}

/** Everything the invariants look at, read back from the store and the provider once the run is over. */
export interface Books {
  today: IsoDate;
  orgs: Organisation[];
  products: Product[];
  invoices: Invoice[];
  payments: PaymentRecord[];
  ledgers: Map<string, LedgerEntry[]>;
  checkouts: Checkout[];
  outcomes: NightOutcome[];
  /** Every PaymentIntent that succeeded at the provider, as it stands now. */
  charges: PaymentState[];
  series: { series: InvoiceSeries; seriesId: string; year: number; entries: { number: string; orgId: string; issueDate: IsoDate }[]; counter: number }[];
  provisioning: readonly { action: 'block' | 'unblock' | 'terminate'; productId: string }[];
  lifecycle: LifecycleCommand[];
  /** The payment attempt behind each renewal charge, by attempt id. */
  attempts: Map<string, PaymentAttempt>;
  initialExpiry: Map<string, IsoDate>;
}

export async function readBooks(args: {
  store: BillingStore;
  gateway: PaymentGateway & { eventLog(): readonly { type: string; object: Record<string, unknown> }[] };
  nights: IsoDate[];
  today: IsoDate;
  provisioning: Books['provisioning'];
  initialExpiry: Map<string, IsoDate>;
}): Promise<Books> {
  const { store, gateway } = args;
  const orgs = await store.listOrganisations();
  const perOrg = await mapLimit(orgs, 8, async (o) => ({
    products: await store.listProducts(o.id),
    invoices: await store.listInvoices(o.id),
    payments: await store.listPayments(o.id),
    ledger: await store.listLedger(o.id),
    checkouts: await store.listCheckouts(o.id),
  }));
  const invoices = perOrg.flatMap((x) => x.invoices);
  const groups = new Map<string, { series: InvoiceSeries; seriesId: string; year: number }>();
  for (const inv of invoices) {
    const seriesId = inv.seriesId ?? inv.sellerId;
    groups.set(`${inv.series}/${seriesId}/${inv.year}`, { series: inv.series, seriesId, year: inv.year });
  }
  const series = await mapLimit([...groups.values()], 4, async (g) => ({
    ...g,
    entries: (await store.listInvoicesOfSeries(g.series, g.seriesId, g.year)).map((e) => ({ number: e.number, orgId: e.orgId, issueDate: e.issueDate })),
    counter: await store.lastInvoiceSequence(g.series, g.seriesId, g.year),
  }));
  const refs = new Set(
    gateway
      .eventLog()
      .filter((e) => e.type === 'payment_intent.succeeded')
      .map((e) => String(e.object.id)),
  );
  const charges = (await mapLimit([...refs], 16, (ref) => gateway.getPayment(ref))).filter((s): s is PaymentState => s?.status === 'succeeded');
  const attempts = new Map<string, PaymentAttempt>();
  for (const c of charges) {
    const { orgId, attemptId } = c.metadata;
    if (!orgId || !attemptId) continue;
    // The attempt lives with the product's organisation, which is the payer's unless a partner pays.
    const product = perOrg.flatMap((x) => x.products).find((p) => p.id === c.metadata.productId);
    const a = await store.getAttempt(product?.orgId ?? orgId, attemptId);
    if (a) attempts.set(attemptId, a);
  }
  const outcomes = (await mapLimit([...new Set(args.nights)], 4, (n) => store.listNightOutcomes(n))).flat();
  const lifecycle = (await mapLimit([...new Set([...args.nights, args.today])], 4, (n) => store.listLifecycleCommands(n))).flat();
  return {
    today: args.today,
    orgs,
    products: perOrg.flatMap((x) => x.products),
    invoices,
    payments: perOrg.flatMap((x) => x.payments),
    ledgers: new Map(orgs.map((o, i) => [o.id, perOrg[i]!.ledger])),
    checkouts: perOrg.flatMap((x) => x.checkouts),
    outcomes,
    charges,
    series,
    provisioning: args.provisioning,
    lifecycle,
    attempts,
    initialExpiry: args.initialExpiry,
  };
}

async function mapLimit<T, R>(xs: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(xs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, xs.length) }, async () => {
      for (let i = next++; i < xs.length; i = next++) out[i] = await fn(xs[i]!);
    }),
  );
  return out;
}

const dec = (s: string) => new Decimal(s);

interface Line {
  productId: string;
  from: IsoDate;
  to: IsoDate;
  invoice: Invoice;
  /** Its invoice was opened again by a bank reversal: the period is owed, not paid. */
  owed: boolean;
}

function invoicedLines(books: Books): Map<string, Line[]> {
  const out = new Map<string, Line[]>();
  // An order the engine refunded itself (held past its identity check) delivered nothing, though invoiced and credited.
  // (A refund made at the provider leaves no `refund` of the engine's own on the checkout.)
  // So did an order refunded at the provider while it was held (its products were never renewed).
  const undone = new Set(books.checkouts.filter((c) => c.status === 'refunded' && ((c.refund && c.refund.reason !== 'refunded_by_provider') || c.heldSince)).map((c) => c.id));
  for (const inv of books.invoices) {
    // An invoice a bank reversal opened again pays no period until it is paid again; the period is owed instead.
    const owed = inv.status === 'open' && inv.reopenedBy !== undefined;
    if (inv.series !== 'INV' || (inv.status === 'open' && !owed) || (inv.checkoutId && undone.has(inv.checkoutId))) continue;
    for (const l of inv.lines) {
      if (!l.productId || !l.periodFrom || !l.periodTo) continue;
      const list = out.get(l.productId) ?? [];
      list.push({ productId: l.productId, from: l.periodFrom, to: l.periodTo, invoice: inv, owed });
      out.set(l.productId, list);
    }
  }
  for (const list of out.values()) list.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  return out;
}

function terminationNights(books: Books): Map<string, IsoDate> {
  const out = new Map<string, IsoDate>();
  for (const o of books.outcomes) {
    if (!o.terminated) continue;
    const known = out.get(o.productId);
    if (!known || o.night < known) out.set(o.productId, o.night);
  }
  return out;
}

function lastProvisioning(books: Books): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of books.provisioning) out.set(c.productId, c.action);
  return out;
}

/** What happened to a product's provisioning, for a violation's message: the calls in order, and the commands with their dates. */
function history(books: Books, productId: string): string {
  const calls = books.provisioning.filter((c) => c.productId === productId).map((c) => c.action);
  const commands = books.lifecycle
    .filter((c) => c.productId === productId)
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0))
    .map((c) => `${c.id.slice(productId.length + 1)} ${c.date} ${c.status}${c.appliedAt ? ` at ${c.appliedAt}` : ''}`);
  return `provisioning calls [${calls.join(', ')}]; commands [${commands.join('; ')}]`;
}

/** 1. No product period paid twice; each expiry is its initial expiry advanced by exactly the periods invoiced. */
export function noPeriodPaidTwice(books: Books): InvariantResult {
  const r: InvariantResult = { name: '1. no product period paid twice (expiry = initial + invoiced periods)', checks: 0, violations: [] };
  const lines = invoicedLines(books);
  for (const p of books.products) {
    // An owed period still under the expiry is one the product kept (later periods were bought on top of it,
    // so the reversal could not take it back); one at or past the expiry is one the product gave back.
    const list = (lines.get(p.id) ?? []).filter((l) => !l.owed || l.to <= p.expiry);
    const seen = new Map<string, string[]>();
    for (const l of list) {
      r.checks++;
      seen.set(l.from, [...(seen.get(l.from) ?? []), l.invoice.number]);
    }
    for (const [from, numbers] of seen) {
      if (numbers.length > 1) r.violations.push(`product ${p.id} (${p.orgId}): period from ${from} invoiced ${numbers.length} times: ${numbers.join(', ')}`);
    }
    r.checks++;
    const initial = books.initialExpiry.get(p.id);
    if (!initial) {
      r.violations.push(`product ${p.id}: no initial expiry recorded`);
      continue;
    }
    let expected = initial;
    for (const l of list) {
      if (l.from !== expected) {
        r.violations.push(`product ${p.id} (${p.orgId}): ${l.invoice.number} invoices ${l.from}..${l.to} but the paid-up date was ${expected}`);
      }
      expected = l.to;
    }
    if (expected !== p.expiry) {
      r.violations.push(`product ${p.id} (${p.orgId}): expiry ${p.expiry}, but initial ${initial} + invoiced periods = ${expected}`);
    }
  }
  return r;
}

/** 2. Every successful charge recorded against exactly one invoice; no payment record without a charge. */
export function everyChargeRecordedOnce(books: Books): InvariantResult {
  const r: InvariantResult = { name: '2. every successful charge recorded against exactly one invoice', checks: 0, violations: [] };
  const byNumber = new Map(books.invoices.map((i) => [i.number, i]));
  const checkouts = new Map(books.checkouts.map((c) => [c.id, c]));
  const charged = new Map(books.charges.map((c) => [c.paymentRef, c]));
  const positives = new Map<string, PaymentRecord[]>();
  const refundsOf = new Map<string, PaymentRecord[]>();
  for (const p of books.payments) {
    if (dec(p.amount).isPositive() && !dec(p.amount).isZero()) positives.set(p.gatewayRef, [...(positives.get(p.gatewayRef) ?? []), p]);
    else if (p.refundOf) refundsOf.set(p.refundOf, [...(refundsOf.get(p.refundOf) ?? []), p]);
  }
  const invoicesNaming = new Map<string, string[]>();
  for (const inv of books.invoices) {
    if (inv.series !== 'INV') continue;
    for (const pay of inv.payments) if (pay.ref) invoicesNaming.set(pay.ref, [...(invoicesNaming.get(pay.ref) ?? []), inv.number]);
  }
  const creditNotesFor = new Set(books.invoices.filter((i) => i.series === 'CN' && i.refersTo).map((i) => i.refersTo!));

  for (const c of books.charges) {
    r.checks++;
    const ref = c.paymentRef;
    const what = c.metadata.attemptId ? `renewal charge ${ref} (attempt ${c.metadata.attemptId})` : `checkout payment ${ref} (${c.metadata.checkoutId ?? '?'})`;
    const recs = positives.get(ref) ?? [];
    if (recs.length !== 1) {
      const a = c.metadata.attemptId ? books.attempts.get(c.metadata.attemptId) : undefined;
      const product = books.products.find((p) => p.id === c.metadata.productId);
      const context = a
        ? `; attempt ${a.status} since ${a.night} (balance part ${a.balancePart}, provider ref ${a.gatewayRef ?? 'none'}; charges of this attempt at the provider: ${books.charges
            .filter((x) => x.metadata.attemptId === a.id)
            .map((x) => x.paymentRef)
            .join(', ')}), product ${product?.id} now ${product?.status} to ${product?.expiry}, invoiced ` +
          `[${(invoicedLines(books).get(product?.id ?? '') ?? []).map((l) => `${l.invoice.number} ${l.invoice.issueDate} ${l.from}..${l.to}${l.invoice.checkoutId ? ` checkout ${l.invoice.checkoutId}` : ''}`).join('; ')}]`
        : '';
      r.violations.push(`${what} of ${c.amountReceived.format()}: ${recs.length} payment records${context}`);
      continue;
    }
    const rec = recs[0]!;
    if (!dec(rec.amount).equals(c.amountReceived.toString())) r.violations.push(`${what}: recorded ${rec.amount}, received ${c.amountReceived.toString()}`);
    const checkout = c.metadata.checkoutId ? checkouts.get(c.metadata.checkoutId) : undefined;
    const attempt = c.metadata.attemptId ? books.attempts.get(c.metadata.attemptId) : undefined;
    // An automatic charge a customer's own payment overtook is given back whole: it paid no period.
    const superseded = attempt?.failureCode === 'superseded_by_checkout';
    const needsInvoice = (!!c.metadata.attemptId && !superseded) || (checkout?.purpose === 'renewal' && !!checkout.invoiceNumber);
    if (superseded) {
      if (!c.amountRefunded.gte(c.amountReceived)) r.violations.push(`${what}: superseded by a checkout but ${c.amountRefunded.format()} of ${c.amountReceived.format()} refunded`);
      if (rec.invoiceNumber || (invoicesNaming.get(ref) ?? []).length > 0) r.violations.push(`${what}: superseded by a checkout yet invoiced`);
      if (!rec.checkoutId) r.violations.push(`${what}: superseded, but its record does not name the checkout`);
    } else if (needsInvoice) {
      const inv = rec.invoiceNumber ? byNumber.get(rec.invoiceNumber) : undefined;
      if (!inv || inv.series !== 'INV') r.violations.push(`${what}: its record names invoice ${rec.invoiceNumber ?? '(none)'}, which does not exist`);
      else if (!inv.payments.some((p) => p.ref === ref)) r.violations.push(`${what}: invoice ${inv.number} does not list the payment`);
      const naming = invoicesNaming.get(ref) ?? [];
      if (naming.length !== 1) r.violations.push(`${what}: listed on ${naming.length} invoices (${naming.join(', ')})`);
    } else if (checkout?.purpose === 'renewal' && checkout.status !== 'refunded') {
      r.violations.push(`${what}: checkout ${checkout.id} is ${checkout.status} with no invoice though the money arrived`);
    } else if (!checkout && !c.metadata.attemptId) {
      r.violations.push(`${what}: no checkout or renewal attempt to justify it`);
    }
    if (checkout?.purpose === 'top-up') {
      const ledger = books.ledgers.get(checkout.orgId) ?? [];
      const credit = ledger.filter((e) => e.id === `top-up-${checkout.id}`).reduce((s, e) => s.plus(e.amount), new Decimal(0));
      if (checkout.status === 'paid' && credit.isZero()) r.violations.push(`${what}: top-up ${checkout.id} paid but never credited to the balance`);
      if (!credit.isZero()) {
        // What stays on the balance of a deposit is what the provider kept of it.
        r.checks++;
        const debits = ledger.filter((e) => e.reason === 'top-up-refund' && e.id.startsWith(`refund-${ref}-`)).reduce((s, e) => s.plus(e.amount), new Decimal(0));
        const kept = c.amountReceived.minus(c.amountRefunded).toString();
        if (!credit.plus(debits).equals(kept))
          r.violations.push(`${what}: top-up ${checkout.id} leaves ${credit.plus(debits).toFixed(2)} on the balance, the provider kept ${kept}`);
      }
    }
    if (c.amountRefunded.isPositive()) {
      r.checks++;
      const back = (refundsOf.get(ref) ?? []).reduce((s, p) => s.plus(p.amount), new Decimal(0));
      if (!back.negated().equals(c.amountRefunded.toString())) {
        r.violations.push(`${what}: ${c.amountRefunded.format()} refunded at the provider, ${back.negated().toFixed(2)} recorded as refunded`);
      }
      const full = c.amountRefunded.gte(c.amountReceived);
      if (full && rec.invoiceNumber && !creditNotesFor.has(rec.invoiceNumber)) {
        r.violations.push(`${what}: refunded in full but invoice ${rec.invoiceNumber} has no credit note`);
      }
      const inv = rec.invoiceNumber ? byNumber.get(rec.invoiceNumber) : undefined;
      if (inv?.series === 'INV') {
        // Every refund is credited as it is booked: in part, the notes add up to what was refunded; in full, they undo the invoice.
        r.checks++;
        const credited = books.invoices.filter((i) => i.series === 'CN' && i.refersTo === inv.number).reduce((s, i) => s.plus(i.total), new Decimal(0));
        const expected = full ? dec(inv.total).negated() : new Decimal(c.amountRefunded.toString()).negated();
        if (!credited.equals(expected))
          r.violations.push(`${what}: ${c.amountRefunded.format()} refunded, invoice ${inv.number} of ${inv.total} credited by ${credited.toFixed(2)}`);
      }
    }
  }
  for (const [ref, recs] of positives) {
    for (const rec of recs) {
      if (rec.method === 'transfer') continue;
      r.checks++;
      if (!charged.has(ref)) r.violations.push(`payment record ${rec.id} (${rec.orgId}, ${rec.amount}) names ${ref}, which is no succeeded charge`);
    }
  }
  return r;
}

/**
 * 3. Every organisation's balance equals the sum of its ledger, and the engine
 * never spends what is not there: only money taken back from outside after
 * it was spent (a deposit given back at the provider, a transfer returned by
 * the bank) may take a balance below zero (the customer owes it).
 */
export function balancesMatchLedgers(books: Books): InvariantResult {
  const r: InvariantResult = { name: '3. balances equal the sum of their ledger', checks: 0, violations: [] };
  for (const o of books.orgs) {
    r.checks++;
    const ledger = books.ledgers.get(o.id) ?? [];
    const sum = ledger.reduce((s, e) => s.plus(e.amount), new Decimal(0));
    if (!sum.equals(o.balance)) r.violations.push(`organisation ${o.id}: balance ${o.balance}, ledger sums to ${sum.toFixed(2)}`);
    for (const e of ledger) {
      if (!dec(e.amount).isNegative()) continue;
      r.checks++;
      if (e.reason !== 'top-up-refund' && e.reason !== 'bank-reversal' && dec(e.balanceAfter).isNegative()) {
        r.violations.push(`organisation ${o.id}: ${e.reason} ${e.id} of ${e.amount} took the balance to ${e.balanceAfter}`);
      }
    }
  }
  return r;
}

/** 4. Every series (INV, PRO, CN per range and year) is gapless and in date order. */
export function seriesGaplessInDateOrder(books: Books): InvariantResult {
  const r: InvariantResult = { name: '4. every series gapless (1..n) and in date order', checks: 0, violations: [] };
  const documents = new Map<string, Set<string>>();
  for (const inv of books.invoices) {
    const k = `${inv.series}/${inv.seriesId ?? inv.sellerId}/${inv.year}`;
    documents.set(k, (documents.get(k) ?? new Set()).add(inv.number));
  }
  for (const s of books.series) {
    const label = `${s.series} ${s.seriesId} ${s.year}`;
    let previous: IsoDate = '';
    s.entries.forEach((e, i) => {
      r.checks++;
      const sequence = Number(e.number.slice(e.number.lastIndexOf('-') + 1));
      if (sequence !== i + 1) r.violations.push(`${label}: position ${i + 1} holds ${e.number}`);
      if (e.issueDate < previous) r.violations.push(`${label}: ${e.number} issued ${e.issueDate}, after a lower number issued ${previous}`);
      if (e.issueDate > previous) previous = e.issueDate;
    });
    r.checks++;
    if (s.counter !== s.entries.length) r.violations.push(`${label}: counter at ${s.counter}, ${s.entries.length} numbers used`);
    const docs = documents.get(`${s.series}/${s.seriesId}/${s.year}`) ?? new Set();
    const listed = new Set(s.entries.map((e) => e.number));
    for (const n of docs) if (!listed.has(n)) r.violations.push(`${label}: document ${n} is missing from its series`);
    for (const n of listed) if (!docs.has(n)) r.violations.push(`${label}: number ${n} has no document`);
  }
  return r;
}

/** 5. No blocked product that is paid; and provisioning never keeps a paid product suspended. */
export function noBlockedProductPaid(books: Books): InvariantResult {
  const r: InvariantResult = { name: '5. no blocked product that is paid', checks: 0, violations: [] };
  const lines = invoicedLines(books);
  const last = lastProvisioning(books);
  for (const p of books.products) {
    if (p.status === 'blocked') {
      r.checks++;
      if (p.expiry > books.today) r.violations.push(`product ${p.id} (${p.orgId}) is blocked but paid up to ${p.expiry}`);
      const paid = (lines.get(p.id) ?? []).find((l) => !l.owed && l.from === p.expiry);
      if (paid) r.violations.push(`product ${p.id} (${p.orgId}) is blocked though ${paid.invoice.number} paid its period from ${p.expiry}`);
      if (last.get(p.id) !== 'block')
        r.violations.push(`product ${p.id} (${p.orgId}) is blocked in the books but its provisioning last got ${last.get(p.id) ?? 'nothing'}; ${history(books, p.id)}`);
    } else if (p.status === 'active') {
      r.checks++;
      const action = last.get(p.id);
      if (action === 'block' || action === 'terminate') {
        r.violations.push(
          `product ${p.id} (${p.orgId}) is active and paid up to ${p.expiry}, but provisioning last got '${action}' (suspended while paid); ${history(books, p.id)}`,
        );
      }
    }
  }
  return r;
}

/** 6. No terminated product that was paid: nothing invoiced past its termination, its last period ended before. */
export function noTerminatedProductPaid(books: Books): InvariantResult {
  const r: InvariantResult = { name: '6. no terminated product that was paid', checks: 0, violations: [] };
  const lines = invoicedLines(books);
  const terminated = terminationNights(books);
  const last = lastProvisioning(books);
  for (const p of books.products) {
    if (p.status !== 'terminated') continue;
    r.checks++;
    const on = terminated.get(p.id);
    if (!on) {
      r.violations.push(`product ${p.id} (${p.orgId}) is terminated but no night terminated it`);
      continue;
    }
    for (const l of (lines.get(p.id) ?? []).filter((x) => !x.owed)) {
      if (l.to > p.expiry || l.to >= on) r.violations.push(`product ${p.id} (${p.orgId}) terminated on ${on}: ${l.invoice.number} invoices ${l.from}..${l.to}`);
      if (l.invoice.issueDate >= on) r.violations.push(`product ${p.id} (${p.orgId}) terminated on ${on}: ${l.invoice.number} issued ${l.invoice.issueDate} invoices it`);
    }
    if (p.expiry >= on) r.violations.push(`product ${p.id} (${p.orgId}) terminated on ${on} while paid up to ${p.expiry}`);
    if (last.get(p.id) !== 'terminate')
      r.violations.push(`product ${p.id} (${p.orgId}) terminated on ${on} but provisioning last got '${last.get(p.id) ?? 'nothing'}'; ${history(books, p.id)}`);
  }
  return r;
}

export function checkAll(books: Books): InvariantResult[] {
  return [noPeriodPaidTwice, everyChargeRecordedOnce, balancesMatchLedgers, seriesGaplessInDateOrder, noBlockedProductPaid, noTerminatedProductPaid].map((f) => f(books));
}
