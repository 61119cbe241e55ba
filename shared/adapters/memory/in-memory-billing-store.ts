import { addDays, type IsoDate } from '../../domain/calendar.ts';
import type { ExchangeRate } from '../../domain/exchange-rates.ts';
import type { EventRecord } from '../../domain/business-events.ts';
import type { Checkout, CheckoutStatus } from '../../domain/checkout.ts';
import type { Invoice, InvoiceSeries } from '../../domain/invoice.ts';
import type { Member, Organisation } from '../../domain/organisation.ts';
import type { SavedPaymentMethod } from '../../domain/payment-methods.ts';
import type { Product } from '../../domain/product.ts';
import { type BillingStore, type DueProductRef, type ProductPosition, type ReadStats } from '../../ports/billing-store.ts';
import { WriteConflict, type Change } from '../../ports/unit-of-work.ts';
import type { EmailClaim, EmailDeliveryOutcome } from '../../ports/outbox-store.ts';
import type {
  AuditEntry,
  BankCreditRecord,
  ExportJob,
  LedgerEntry,
  LifecycleCommand,
  NightOutcome,
  NightRun,
  EmailFeedback,
  OutboxEmail,
  PaymentAttempt,
  PaymentRecord,
  StoredGatewayEvent,
} from '../../domain/records.ts';
import { byNightThenCommit } from '../../domain/records.ts';

type Statement = { id: string; fileDigest: string; credits: number; importedAt: string };
type SeriesEntry = { number: string; orgId: string; issueDate: IsoDate };

/**
 * The billing store in memory, for unit tests of the use cases: the same
 * records, the same conditions and the same all-or-nothing commits as the
 * DynamoDB store (`test/contract/billing-store.contract.ts` runs one suite
 * against both), without a JVM. Like a DynamoDB transaction, a commit
 * evaluates every condition against the state before it, fails whole with a
 * `WriteConflict` naming the changes whose condition failed, refuses two
 * writes to one item and more than 100 items; records are copied in and out,
 * so a caller never holds the store's own objects.
 */
export class InMemoryBillingStore implements BillingStore {
  private readonly orgs = new Map<string, Organisation>();
  private readonly partnerClients = new Map<string, Set<string>>();
  private readonly members = new Map<string, Member>();
  private readonly methods = new Map<string, SavedPaymentMethod>();
  private readonly methodRefs = new Map<string, { orgId: string; methodId: string }>();
  private readonly products = new Map<string, Product>();
  private readonly attempts = new Map<string, PaymentAttempt>();
  private readonly ledger = new Map<string, LedgerEntry>();
  private readonly payments = new Map<string, PaymentRecord>();
  private readonly invoices = new Map<string, Invoice>();
  private readonly counters = new Map<string, number>();
  private readonly seriesNumbers = new Map<string, SeriesEntry>();
  private readonly payRefs = new Map<string, SeriesEntry>();
  private readonly emails = new Map<string, OutboxEmail>();
  private readonly eventRecords = new Map<string, EventRecord>();
  private readonly lifecycle = new Map<string, LifecycleCommand>();
  private readonly outcomes = new Map<string, NightOutcome>();
  private readonly checkouts = new Map<string, Checkout>();
  private readonly bankCredits = new Map<string, BankCreditRecord>();
  private readonly review = new Map<string, BankCreditRecord>();
  private readonly exportJobs = new Map<string, ExportJob>();
  private readonly statements = new Map<string, Statement>();
  private readonly events = new Map<string, StoredGatewayEvent>();
  private readonly nights = new Map<string, NightRun>();
  private readonly audit = new Map<string, AuditEntry>();
  private readonly rates = new Map<string, ExchangeRate>();

  async commit(changes: Change[]): Promise<void> {
    await Promise.resolve();
    const items = changes.flatMap((c) => itemsOf(c));
    if (items.length === 0) return;
    if (items.length > 100) throw new Error(`a commit of ${items.length} writes exceeds DynamoDB's 100`);
    const seen = new Set<string>();
    for (const item of items) {
      // DynamoDB refuses a transaction that names one item twice (a ValidationException, not a conflict).
      if (seen.has(item)) throw new Error(`Transaction request cannot include multiple operations on one item: ${item}`);
      seen.add(item);
    }
    const failed = changes.filter((c) => !this.holds(c)).map((c) => c.type);
    if (failed.length > 0) throw new WriteConflict([...new Set(failed)]);
    for (const c of changes) this.apply(c);
  }

  /** The change's condition, on the state before the commit. */
  private holds(c: Change): boolean {
    switch (c.type) {
      case 'organisation':
        return this.orgs.has(c.org.id) !== c.isNew;
      case 'customerRef': {
        const org = this.orgs.get(c.orgId);
        return !!org && (org.gatewayCustomerRef === undefined || org.gatewayCustomerRef === c.ref);
      }
      case 'partnerProfile':
      case 'partnerLink':
      case 'identityCheck':
      case 'orgProfile':
        return this.orgs.has(c.orgId);
      case 'memberRemoved':
        return this.members.has(key(c.orgId, c.userId));
      case 'orgErased':
        return this.orgs.get(c.orgId)?.balance === c.expectedBalance;
      case 'paymentMethodRemoved':
        return this.methods.has(key(c.orgId, c.methodId));
      case 'member':
      case 'paymentMethod':
      case 'bankStatement':
      case 'audit':
      case 'exchangeRate':
        return true;
      case 'product': {
        const current = this.products.get(key(c.product.orgId, c.product.id));
        return c.expectedVersion === null ? !current : current?.version === c.expectedVersion;
      }
      case 'productUnchanged':
      case 'productAttemptMark':
        return this.products.get(key(c.orgId, c.productId))?.version === c.version;
      case 'productRemoved':
        return this.products.get(key(c.orgId, c.productId))?.version === c.expectedVersion;
      case 'noPendingAttempt':
        return this.attempts.get(key(c.orgId, c.attemptId))?.status !== 'pending';
      case 'balance':
        return this.orgs.get(c.orgId)?.balance === c.from && !this.ledger.has(key(c.orgId, c.entry.id));
      case 'attempt': {
        const current = this.attempts.get(key(c.attempt.orgId, c.attempt.id));
        return c.expectedStatus === null ? !current : current?.status === c.expectedStatus;
      }
      case 'invoice': {
        const inv = c.invoice;
        const series = seriesKey(inv.series, inv.seriesId ?? inv.sellerId, inv.year);
        const last = this.counters.get(series);
        // Gapless: the number is taken only if the counter still stands at the one before it.
        const counterOk = inv.sequence === 1 ? last === undefined : last === inv.sequence - 1;
        return (
          counterOk &&
          !this.invoices.has(invoiceKey(inv)) &&
          !this.seriesNumbers.has(key(series, String(inv.sequence))) &&
          (!inv.paymentReference || !this.payRefs.has(inv.paymentReference))
        );
      }
      case 'invoiceUpdate': {
        const current = this.invoices.get(invoiceKey(c.invoice));
        if (!current || current.status !== c.expected.status) return false;
        return c.expected.amountDue === undefined ? current.amountDue === undefined : current.amountDue === c.expected.amountDue;
      }
      case 'payment':
        return !this.payments.has(key(c.payment.orgId, c.payment.date, c.payment.id));
      case 'email':
        return !this.emails.has(key(c.email.date, c.email.id));
      case 'events':
        return true;
      case 'lifecycle': {
        const current = this.lifecycle.get(key(c.command.date, c.command.id));
        return c.expectedStatus === null ? !current : current?.status === c.expectedStatus;
      }
      case 'outcome':
        return !this.outcomes.has(key(c.outcome.night, c.outcome.productId));
      case 'checkout': {
        const current = this.checkouts.get(key(c.checkout.orgId, c.checkout.id));
        return c.expected === null ? !current : current?.version === c.expected.version && current.status === c.expected.status;
      }
      case 'bankCredit': {
        const current = this.bankCredits.get(c.credit.id);
        return c.expectedUnreversed ? !!current && current.reversedBy === undefined : !current;
      }
      case 'exportJob': {
        const current = this.exportJobs.get(c.job.id);
        if (c.expectedStatus === null) return !current;
        return current?.status === c.expectedStatus && (c.expectedLease === undefined || current.leaseUntil === c.expectedLease);
      }
      case 'gatewayEvent': {
        const current = this.events.get(c.event.id);
        return c.expectedStatus === null ? !current : current?.status === c.expectedStatus;
      }
    }
  }

  private apply(c: Change): void {
    switch (c.type) {
      case 'organisation':
        this.orgs.set(c.org.id, copy(c.org));
        return;
      case 'customerRef':
        this.orgs.get(c.orgId)!.gatewayCustomerRef = c.ref;
        return;
      case 'partnerProfile':
        this.orgs.get(c.orgId)!.partner = copy(c.partner);
        return;
      case 'partnerLink': {
        const org = this.orgs.get(c.orgId)!;
        org.partnerId = c.partnerId;
        org.billToPartner = c.billToPartner;
        this.partnerClients.set(c.partnerId, new Set([...(this.partnerClients.get(c.partnerId) ?? []), c.orgId]));
        return;
      }
      case 'identityCheck':
        this.orgs.get(c.orgId)!.identityCheck = c.state;
        return;
      case 'orgProfile': {
        const org = this.orgs.get(c.orgId)!;
        for (const [field, value] of Object.entries(copy(c.fields))) if (value !== undefined) (org as unknown as Record<string, unknown>)[field] = value;
        return;
      }
      case 'memberRemoved':
        this.members.delete(key(c.orgId, c.userId));
        return;
      case 'orgErased': {
        const { address: _a, postal: _p, vatNumber: _v, eInvoice: _e, ...kept } = this.orgs.get(c.orgId)!;
        this.orgs.set(c.orgId, { ...kept, name: c.name, erasedAt: c.erasedAt, billingContacts: [] });
        return;
      }
      case 'paymentMethodRemoved':
        this.methods.delete(key(c.orgId, c.methodId));
        if (this.methodRefs.get(c.gatewayRef)?.methodId === c.methodId) this.methodRefs.delete(c.gatewayRef);
        return;
      case 'audit':
        this.audit.set(key(c.entry.date, c.entry.at, c.entry.id), copy(c.entry));
        return;
      case 'member':
        this.members.set(key(c.member.orgId, c.member.userId), copy(c.member));
        return;
      case 'paymentMethod':
        this.methods.set(key(c.method.orgId, c.method.id), copy(c.method));
        this.methodRefs.set(c.method.gatewayRef, { orgId: c.method.orgId, methodId: c.method.id });
        return;
      case 'product':
        this.products.set(key(c.product.orgId, c.product.id), copy(c.product));
        return;
      case 'productRemoved':
        this.products.delete(key(c.orgId, c.productId));
        return;
      case 'productAttemptMark':
        this.products.get(key(c.orgId, c.productId))!.pendingAttemptId = c.attemptId;
        return;
      case 'productUnchanged':
      case 'noPendingAttempt':
        return;
      case 'balance':
        this.orgs.get(c.orgId)!.balance = c.to;
        this.ledger.set(key(c.orgId, c.entry.id), copy(c.entry));
        return;
      case 'attempt':
        this.attempts.set(key(c.attempt.orgId, c.attempt.id), copy(c.attempt));
        return;
      case 'invoice': {
        const inv = c.invoice;
        const series = seriesKey(inv.series, inv.seriesId ?? inv.sellerId, inv.year);
        const entry = { number: inv.number, orgId: inv.orgId, issueDate: inv.issueDate };
        this.counters.set(series, inv.sequence);
        this.invoices.set(invoiceKey(inv), copy(inv));
        this.seriesNumbers.set(key(series, String(inv.sequence)), entry);
        if (inv.paymentReference) this.payRefs.set(inv.paymentReference, entry);
        return;
      }
      case 'invoiceUpdate': {
        const inv = c.invoice;
        this.invoices.set(invoiceKey(inv), copy(inv));
        if (inv.paymentReference) this.payRefs.set(inv.paymentReference, { number: inv.number, orgId: inv.orgId, issueDate: inv.issueDate });
        return;
      }
      case 'payment':
        this.payments.set(key(c.payment.orgId, c.payment.date, c.payment.id), copy(c.payment));
        return;
      case 'email':
        this.emails.set(key(c.email.date, c.email.id), copy(c.email));
        break;
      case 'events':
        this.eventRecords.set(key(c.record.date, c.record.id), copy(c.record));
        return;
      case 'lifecycle':
        this.lifecycle.set(key(c.command.date, c.command.id), copy(c.command));
        return;
      case 'outcome':
        this.outcomes.set(key(c.outcome.night, c.outcome.productId), copy(c.outcome));
        return;
      case 'checkout':
        this.checkouts.set(key(c.checkout.orgId, c.checkout.id), copy(c.checkout));
        return;
      case 'bankCredit':
        this.bankCredits.set(c.credit.id, copy(c.credit));
        if (!c.expectedUnreversed && c.credit.note) this.review.set(key(c.credit.importedAt, c.credit.id), copy(c.credit));
        return;
      case 'exportJob':
        this.exportJobs.set(c.job.id, copy(c.job));
        return;
      case 'bankStatement':
        this.statements.set(c.statement.id, copy(c.statement));
        return;
      case 'exchangeRate':
        this.rates.set(key(c.rate.currency, c.rate.period), copy(c.rate));
        return;
      case 'gatewayEvent':
        this.events.set(c.event.id, copy(c.event));
        return;
    }
  }

  async getOrganisation(orgId: string) {
    return out(this.orgs.get(orgId));
  }
  async listOrganisations() {
    return sorted([...this.orgs.values()], (o) => o.id).map(copy);
  }
  async listPartnerClients(partnerId: string) {
    return [...(this.partnerClients.get(partnerId) ?? [])].sort();
  }
  async getMember(orgId: string, userId: string) {
    return out(this.members.get(key(orgId, userId)));
  }
  async listMembers(orgId: string) {
    return this.inOrg(this.members, orgId, (m) => m.userId);
  }
  async listMembershipsOf(userId: string) {
    return [...this.members.values()]
      .filter((m) => m.userId === userId)
      .map((m) => m.orgId)
      .sort();
  }
  async getPaymentMethod(orgId: string, id: string) {
    return out(this.methods.get(key(orgId, id)));
  }
  async findPaymentMethodByRef(gatewayRef: string) {
    const ref = this.methodRefs.get(gatewayRef);
    return ref ? out(this.methods.get(key(ref.orgId, ref.methodId))) : undefined;
  }
  async listPaymentMethods(orgId: string) {
    return this.inOrg(this.methods, orgId, (m) => m.id);
  }
  async getProductWithOrganisation(orgId: string, productId: string, methodId?: string) {
    const product = await this.getProduct(orgId, productId);
    const org = await this.getOrganisation(orgId);
    const method = methodId ? await this.getPaymentMethod(orgId, methodId) : undefined;
    return { ...(product ? { product } : {}), ...(org ? { org } : {}), ...(method ? { method } : {}) };
  }

  async getProduct(orgId: string, productId: string) {
    return out(this.products.get(key(orgId, productId)));
  }
  async listProducts(orgId: string, opts: { expiryUpTo?: IsoDate } = {}) {
    const all = this.inOrg(this.products, orgId, (p) => `${p.expiry}#${p.id}`);
    return opts.expiryUpTo ? all.filter((p) => p.expiry <= opts.expiryUpTo!) : all;
  }
  async listProductsPage(orgId: string, opts: { expiryUpTo?: IsoDate; limit: number; after?: ProductPosition }) {
    const at = (p: { expiry: string; id: string }) => `${p.expiry}#${p.id}`;
    const from = opts.after ? at({ expiry: opts.after.expiry, id: opts.after.productId }) : '';
    const rest = (await this.listProducts(orgId, opts.expiryUpTo ? { expiryUpTo: opts.expiryUpTo } : {})).filter((p) => at(p) > from);
    const products = rest.slice(0, opts.limit);
    const last = products.at(-1);
    // As DynamoDB: a full page says more may follow, even when none does.
    return { products, ...(last && products.length === opts.limit ? { next: { expiry: last.expiry, productId: last.id } } : {}) };
  }
  async listDueProducts(date: IsoDate, stats?: ReadStats): Promise<DueProductRef[]> {
    const due = sorted(
      [...this.products.values()].filter((p) => p.nextActionDate === date),
      (p) => p.id,
    ).map((p) => ({ orgId: p.orgId, productId: p.id }));
    if (stats) stats.items += due.length;
    return due;
  }
  async getAttempt(orgId: string, attemptId: string) {
    return out(this.attempts.get(key(orgId, attemptId)));
  }
  async listAttempts(orgId: string, productId: string) {
    return this.inOrg(this.attempts, orgId, (a) => a.id).filter((a) => a.id.startsWith(`${productId}#`));
  }
  async listLedger(orgId: string) {
    // As the DynamoDB store: by id, then by the time of the move.
    return sorted(
      this.inOrg(this.ledger, orgId, (e) => e.id),
      (e) => e.createdAt,
    );
  }
  async listPayments(orgId: string) {
    return this.inOrg(this.payments, orgId, (p) => `${p.date}#${p.id}`);
  }
  async listInvoices(orgId: string) {
    return sorted(
      [...this.invoices.values()].filter((i) => i.orgId === orgId),
      (i) => `${i.issueDate}#${i.number}`,
    ).map(copy);
  }
  async findInvoice(number: string) {
    const m = /^(INV|PRO|CN)-([A-Z0-9]+)-(\d{4})-(\d+)$/.exec(number);
    if (!m) return undefined;
    const entry = this.seriesNumbers.get(key(seriesKey(m[1]!, m[2]!.toLowerCase(), Number(m[3])), String(Number(m[4]))));
    return entry ? out(this.invoices.get(key(entry.orgId, entry.issueDate, entry.number))) : undefined;
  }
  async findDocumentByReference(reference: string) {
    const entry = this.payRefs.get(reference.replace(/\s+/g, '').toUpperCase());
    return entry ? out(this.invoices.get(key(entry.orgId, entry.issueDate, entry.number))) : undefined;
  }
  async *iterateDocuments(from: IsoDate, to: IsoDate): AsyncIterable<Invoice> {
    for (let date = from; date <= to; date = addDays(date, 1)) {
      yield* sorted(
        [...this.invoices.values()].filter((i) => i.issueDate === date),
        (i) => i.number,
      ).map(copy);
    }
  }
  async lastInvoiceSequence(series: InvoiceSeries, sellerId: string, year: number) {
    return this.counters.get(seriesKey(series, sellerId, year)) ?? 0;
  }
  private readonly leases = new Map<string, { owner: string; until: string }>();
  async leaseNumberRange(range: { series: InvoiceSeries; seriesId: string; year: number }, owner: string, until: string, now: string) {
    const k = seriesKey(range.series, range.seriesId, range.year);
    const held = this.leases.get(k);
    if (held && held.until >= now && held.owner !== owner) return false;
    this.leases.set(k, { owner, until });
    return true;
  }
  async listInvoicesOfSeries(series: InvoiceSeries, sellerId: string, year: number) {
    const prefix = key(seriesKey(series, sellerId, year), '');
    return [...this.seriesNumbers.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => ({ seq: Number(k.slice(prefix.length)), v }))
      .sort((a, b) => a.seq - b.seq)
      .map((x) => copy(x.v));
  }
  async getLifecycleCommand(date: IsoDate, id: string) {
    return out(this.lifecycle.get(key(date, id)));
  }
  async listLifecycleCommands(date: IsoDate) {
    return sorted(
      [...this.lifecycle.values()].filter((c) => c.date === date),
      (c) => c.id,
    ).map(copy);
  }
  async listPendingLifecycle(from: IsoDate, to: IsoDate) {
    return [...this.lifecycle.values()]
      .filter((c) => c.status === 'pending' && c.date >= from && c.date <= to)
      .map(({ date, id, createdAt }) => ({ date, id, createdAt }))
      .sort(byNightThenCommit);
  }
  async exchangeRateOn(currency: ExchangeRate['currency'], date: IsoDate) {
    await Promise.resolve();
    const found = this.rates.get(`${currency}|${date}`) ?? this.rates.get(`${currency}|${date.slice(0, 7)}`);
    return found ? copy(found) : undefined;
  }

  async listExchangeRates(currency: ExchangeRate['currency']) {
    await Promise.resolve();
    return [...this.rates.values()].filter((r) => r.currency === currency).map((r) => copy(r));
  }

  async listAuditEntries(date: IsoDate) {
    await Promise.resolve();
    return [...this.audit.values()]
      .filter((a) => a.date === date)
      .sort((a, b) => (`${a.at}#${a.id}` < `${b.at}#${b.id}` ? -1 : 1))
      .map(copy);
  }

  async listEventRecords(date: IsoDate) {
    await Promise.resolve();
    return [...this.eventRecords.values()]
      .filter((r) => r.date === date)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(copy);
  }

  async markEventsPublished(date: IsoDate, id: string, at: string) {
    await Promise.resolve();
    const r = this.eventRecords.get(key(date, id));
    if (!r || r.publishedAt) return false;
    r.publishedAt = at;
    return true;
  }

  async listOutbox(date: IsoDate) {
    return sorted(
      [...this.emails.values()].filter((e) => e.date === date),
      (e) => e.id,
    ).map(copy);
  }
  async getEmail(date: IsoDate, id: string) {
    const e = this.emails.get(key(date, id));
    return e ? copy(e) : undefined;
  }

  async claimEmail(date: IsoDate, id: string, claim: { token: string; now: string; until: string }): Promise<EmailClaim> {
    const e = this.emails.get(key(date, id));
    if (!e) return { status: 'missing' };
    if (e.sentAt) return { status: 'sent', email: copy(e) };
    if (e.claimUntil !== undefined && !(e.claimUntil < claim.now)) return { status: 'busy', email: copy(e) };
    e.claimToken = claim.token;
    e.claimUntil = claim.until;
    return { status: 'claimed', email: copy(e) };
  }

  async finishEmail(date: IsoDate, id: string, token: string, outcome: EmailDeliveryOutcome): Promise<boolean> {
    const e = this.emails.get(key(date, id));
    if (!e || e.claimToken !== token) return false;
    delete e.claimToken;
    delete e.claimUntil;
    if (outcome.sent) {
      e.sentAt = outcome.at;
      e.sentRef = outcome.ref;
      delete e.lastError;
    } else {
      e.failedAttempts = (e.failedAttempts ?? 0) + 1;
      e.lastError = outcome.error.slice(0, 1000);
    }
    return true;
  }

  async recordEmailFeedback(date: IsoDate, id: string, feedback: EmailFeedback): Promise<boolean> {
    const e = this.emails.get(key(date, id));
    if (!e || e.feedback?.some((f) => f.id === feedback.id)) return false;
    e.feedback = [...(e.feedback ?? []), copy(feedback)];
    return true;
  }

  async listNightOutcomes(night: IsoDate) {
    return sorted(
      [...this.outcomes.values()].filter((o) => o.night === night),
      (o) => o.productId,
    ).map(copy);
  }
  async getCheckout(orgId: string, checkoutId: string) {
    return out(this.checkouts.get(key(orgId, checkoutId)));
  }
  async listCheckouts(orgId: string) {
    return this.inOrg(this.checkouts, orgId, (c) => c.id);
  }
  async listCheckoutsInStatus(status: 'awaiting_payment' | 'held' | 'refunding', upTo: IsoDate) {
    const since = (c: Checkout) => (status === 'held' ? (c.heldSince ?? c.createdOn) : status === 'refunding' ? (c.refund?.since ?? c.createdOn) : c.createdOn);
    return sorted(
      [...this.checkouts.values()].filter((c) => c.status === status && since(c) <= upTo),
      (c) => `${since(c)}#${c.orgId}#${c.id}`,
    ).map((c) => ({ orgId: c.orgId, checkoutId: c.id, date: since(c) }));
  }
  async getGatewayEvent(id: string) {
    return out(this.events.get(id));
  }
  async getGatewayEvents(ids: readonly string[]) {
    return [...new Set(ids)].flatMap((id) => (this.events.has(id) ? [copy(this.events.get(id)!)] : []));
  }
  async getBankCredit(id: string) {
    return out(this.bankCredits.get(id));
  }
  async getExportJob(id: string) {
    return out(this.exportJobs.get(id));
  }
  async getBankStatement(id: string) {
    return out(this.statements.get(id));
  }
  async listBankCreditsToReview() {
    return sorted([...this.review.entries()], ([k]) => k).map(([, v]) => copy(v));
  }
  async lastNightRun() {
    return out(sorted([...this.nights.values()], (n) => n.date).at(-1));
  }
  async listNightRuns() {
    return sorted([...this.nights.values()], (n) => n.date).map(copy);
  }
  async putNightRun(run: NightRun): Promise<void> {
    this.nights.set(run.date, copy(run));
  }
  private watermark: number | undefined;
  async getReconcileWatermark() {
    return this.watermark;
  }
  async putReconcileWatermark(seconds: number) {
    if (this.watermark === undefined || seconds > this.watermark) this.watermark = seconds;
  }

  /** Advances a series counter with no document (what a write lost after taking its number would leave): the chaos run plants it. */
  takeNumber(series: InvoiceSeries, range: string, year: number): void {
    const k = seriesKey(series, range, year);
    this.counters.set(k, (this.counters.get(k) ?? 0) + 1);
  }

  /** Every record held, by kind and key, as stored: what a "nothing changed" assertion compares. */
  snapshot(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [kind, map] of Object.entries(this) as [string, unknown][]) {
      if (!(map instanceof Map)) continue;
      for (const [k, v] of map as Map<string, unknown>) out[`${kind} | ${k}`] = JSON.stringify(v instanceof Set ? [...v].sort() : v);
    }
    return out;
  }

  /** The records of one organisation in a map keyed `orgId|...`, in the order of `by`. */
  private inOrg<T>(map: Map<string, T>, orgId: string, by: (x: T) => string): T[] {
    const prefix = key(orgId, '');
    return sorted(
      [...map.entries()].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v),
      by,
    ).map(copy);
  }
}

const key = (...parts: string[]) => parts.join('|');
const seriesKey = (series: string, range: string, year: number) => key(series, range, String(year));
const invoiceKey = (inv: Pick<Invoice, 'orgId' | 'issueDate' | 'number'>) => key(inv.orgId, inv.issueDate, inv.number);

/** As DynamoDB stores it: a copy, undefined fields dropped. */
function copy<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}
const out = <T>(x: T | undefined): T | undefined => (x === undefined ? undefined : copy(x));

function sorted<T>(xs: T[], by: (x: T) => string): T[] {
  return xs
    .map((x) => ({ x, k: by(x) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map((e) => e.x);
}

/**
 * The items a change writes in the DynamoDB layout, named so that two
 * writes to one item in a commit, or more than 100, fail as they would there.
 */
function itemsOf(c: Change): string[] {
  switch (c.type) {
    case 'organisation':
      return c.isNew ? [`org:${c.org.id}`, `orgref:${c.org.id}`] : [`org:${c.org.id}`];
    case 'customerRef':
    case 'partnerProfile':
    case 'identityCheck':
      return [`org:${c.orgId}`];
    case 'partnerLink':
      return [`org:${c.orgId}`, `partner-client:${c.partnerId}:${c.orgId}`];
    case 'orgProfile':
      return Object.values(c.fields).some((v) => v !== undefined) ? [`org:${c.orgId}`] : [];
    case 'orgErased':
      return [`org:${c.orgId}`, `orgref:${c.orgId}`];
    case 'member':
      return [`member:${c.member.orgId}:${c.member.userId}`, `membership:${c.member.userId}:${c.member.orgId}`];
    case 'memberRemoved':
      return [`member:${c.orgId}:${c.userId}`, `membership:${c.userId}:${c.orgId}`];
    case 'paymentMethodRemoved':
      return [`pm:${c.orgId}:${c.methodId}`, `pmref:${c.gatewayRef}`];
    case 'audit':
      return [`audit:${c.entry.date}:${c.entry.at}:${c.entry.id}`];
    case 'paymentMethod':
      return [`pm:${c.method.orgId}:${c.method.id}`, `pmref:${c.method.gatewayRef}`];
    case 'product':
      return [`product:${c.product.orgId}:${c.product.id}`];
    case 'productUnchanged':
    case 'productAttemptMark':
    case 'productRemoved':
      return [`product:${c.orgId}:${c.productId}`];
    case 'noPendingAttempt':
      return [`attempt:${c.orgId}:${c.attemptId}`];
    case 'balance':
      return [`org:${c.orgId}`, `ledger:${c.orgId}:${c.entry.id}`];
    case 'attempt':
      return [`attempt:${c.attempt.orgId}:${c.attempt.id}`];
    case 'invoice': {
      const inv = c.invoice;
      const s = seriesKey(inv.series, inv.seriesId ?? inv.sellerId, inv.year);
      return [`counter:${s}`, `invoice:${invoiceKey(inv)}`, `number:${s}:${inv.sequence}`, ...(inv.paymentReference ? [`payref:${inv.paymentReference}`] : [])];
    }
    case 'invoiceUpdate':
      return [`invoice:${invoiceKey(c.invoice)}`, ...(c.invoice.paymentReference ? [`payref:${c.invoice.paymentReference}`] : [])];
    case 'payment':
      return [`payment:${c.payment.orgId}:${c.payment.date}:${c.payment.id}`];
    case 'events':
      return [`events:${c.record.date}:${c.record.id}`];
    case 'email':
      return [`email:${c.email.date}:${c.email.id}`];
    case 'lifecycle':
      return [`lifecycle:${c.command.date}:${c.command.id}`];
    case 'outcome':
      return [`outcome:${c.outcome.night}:${c.outcome.productId}`];
    case 'checkout':
      return [`checkout:${c.checkout.orgId}:${c.checkout.id}`, ...checkoutPointers(c.checkout, c.expected)];
    case 'bankCredit':
      return [`bank-credit:${c.credit.id}`, ...(!c.expectedUnreversed && c.credit.note ? [`bank-review:${c.credit.importedAt}:${c.credit.id}`] : [])];
    case 'exportJob':
      return [`export:${c.job.id}`];
    case 'bankStatement':
      return [`statement:${c.statement.id}`];
    case 'exchangeRate':
      return [`rate:${c.rate.currency}:${c.rate.period}`];
    case 'gatewayEvent':
      return [`event:${c.event.id}`];
  }
}

/** The waiting-list entries a checkout write moves (deleted under the old status, written under the new). */
function checkoutPointers(c: Checkout, expected: { status: CheckoutStatus } | null): string[] {
  const pointer = (status: CheckoutStatus) => {
    if (status === 'awaiting_payment') return `pointer:${status}:${c.createdOn}:${c.orgId}:${c.id}`;
    if (status === 'held') return `pointer:${status}:${c.heldSince ?? c.createdOn}:${c.orgId}:${c.id}`;
    if (status === 'refunding') return `pointer:${status}:${c.refund?.since ?? c.createdOn}:${c.orgId}:${c.id}`;
    return undefined;
  };
  const before = expected ? pointer(expected.status) : undefined;
  const after = pointer(c.status);
  return before === after ? [] : [before, after].filter((p): p is string => p !== undefined);
}
