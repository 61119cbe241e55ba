/**
 * The chaos run's reference model: what must be true of each organisation's
 * books, said without asking the engine how it computes anything.
 *
 * It is written from the published price list and the billing rules, and
 * imports nothing from `shared/` (no use case, no store, no domain helper):
 * a bug in the engine's pricing, VAT, periods or balance arithmetic cannot
 * hide here by being shared. It is fed what happened outside the engine: the
 * opening books, what each customer asked for and was quoted, what they sent
 * by bank (and what the bank took back), the refunds staff made in the
 * provider's dashboard, and the provider's own charge list. It then reads the
 * engine's final books and says, per organisation, what each invoice must
 * total, what each charge must be, which periods each product must hold,
 * what the bank transfers must have paid and what the balance must be.
 *
 * The model does not replay the engine's decisions (which night a renewal
 * fell on, which of two racing workers won): it states what any correct
 * outcome satisfies. The balance is the strongest statement: money in (the
 * provider's charges net of refunds, the bank's credits net of reversals)
 * equals the value of the periods granted (at the model's prices) plus what
 * the balance gained, less the refunds staff gave back on periods already
 * delivered, plus what is legitimately parked (part payments on open
 * pro-formas, balance held for them).
 */
import { plusDays, plusMonths } from '../lib/calendar.ts';
import { Decimal } from 'decimal.js';

type Currency = 'CHF' | 'EUR';

/** The provider's public price list: without VAT, per base period. */
const PRICE_LIST: Readonly<Record<string, { base: number; CHF: string; EUR: string }>> = {
  'domain-ch': { base: 12, CHF: '13.00', EUR: '13.50' },
  'domain-com': { base: 12, CHF: '16.00', EUR: '16.50' },
  'web-hosting': { base: 1, CHF: '9.90', EUR: '9.90' },
  'mail-service': { base: 1, CHF: '1.90', EUR: '1.90' },
  'cloud-storage': { base: 1, CHF: '4.99', EUR: '4.99' },
  'cloud-server': { base: 1, CHF: '39.00', EUR: '37.00' },
  streaming: { base: 1, CHF: '19.00', EUR: '18.00' },
};

/** Days after its expiry an unpaid product is terminated, from the same published rules. */
const TERMINATE_DAYS: Readonly<Record<string, number>> = {
  'domain-ch': 40,
  'domain-com': 40,
  'web-hosting': 30,
  'mail-service': 30,
  'cloud-storage': 60,
  'cloud-server': 21,
  streaming: 30,
};

/**
 * VAT of a Swiss seller's electronic services in 2025-2027, by where the
 * buyer is: Switzerland and Liechtenstein 8.1 %; an EU business with a VAT
 * number reverse-charges (0 %); an EU consumer pays their own country's rate.
 */
const SWISS_RATE = '8.1';
const EU_CONSUMER_RATE: Readonly<Record<string, string>> = { DE: '19', FR: '20', AT: '20', IT: '22', BE: '21', NL: '21', ES: '21', LU: '17' };

export interface ModelOrg {
  id: string;
  currency: Currency;
  country: string;
  vatNumber?: string;
  openingBalance: string;
  /** The partner the organisation entrusted its products to: its discount applies to them, and when `billed`, its renewals are invoiced to the partner. */
  partner?: { id: string; discountPercent: string; billed: boolean };
}

export interface ModelProduct {
  id: string;
  orgId: string;
  typeId: string;
  periodMonths: number;
  openingExpiry: string;
}

/** A checkout as the customer asked for it and as they were quoted (the screen they saw). */
export interface CheckoutAsked {
  orgId: string;
  checkoutId: string;
  date: string;
  purpose: 'renewal' | 'top-up';
  method: string;
  useBalance: boolean;
  /** Renewal: the products and the period asked for (none: the product's own). */
  items: { productId: string; periodMonths?: number }[];
  /** Top-up: the amount asked for. */
  amount?: string;
  quoted: { total: string; balanceUsed: string; amountDue: string; items: { productId: string; periodFrom?: string; periodTo?: string }[]; paymentReference?: string };
}

/** One booking on the seller's bank account, as the bank file states it. */
export interface BankBooking {
  /** The bank's own reference of the booking: a file sent twice repeats it. */
  bankRef: string;
  reference: string;
  amount: string;
  currency: Currency;
  kind: 'credit' | 'reversal';
  /** The evening its file reached the engine (after that day's night). */
  deliveredOn: string;
}

/** The same selection clicked several times at once, and the checkouts the answers named. */
export interface Clicks {
  orgId: string;
  productIds: string[];
  sameKey: boolean;
  checkoutIds: string[];
}

export interface DashboardRefund {
  paymentRef: string;
  amount: string;
}

/** The provider's charge list, as it stands at the end. */
export interface ProviderCharge {
  paymentRef: string;
  currency: string;
  received: string;
  refunded: string;
  metadata: Record<string, string>;
}

/** The engine's final books, as far as the model reads them. */
export interface EngineBooks {
  orgs: { id: string; balance: string }[];
  products: { id: string; orgId: string; expiry: string; status: string }[];
  invoices: {
    number: string;
    series: string;
    orgId: string;
    issueDate: string;
    status: string;
    total: string;
    checkoutId?: string;
    lines: { productId?: string; periodFrom?: string; periodTo?: string; gross: string }[];
    /** The provider's or the bank's reference of each payment it lists. */
    paidBy: string[];
  }[];
}

export interface ModelFinding {
  check: string;
  checks: number;
  violations: string[];
}

const d = (s: string | number) => new Decimal(s);
const money = (x: Decimal) => x.toFixed(2);

/** The whole number of months from `from` to `to`, if `to` is a whole number of months later. */
function monthsBetween(from: string, to: string): number | undefined {
  for (let n = 1; n <= 240; n++) {
    const at = plusMonths(from, n);
    if (at === to) return n;
    if (at > to) return undefined;
  }
  return undefined;
}

export class ReferenceModel {
  private readonly orgs = new Map<string, ModelOrg>();
  private readonly products = new Map<string, ModelProduct>();
  private readonly checkouts = new Map<string, CheckoutAsked>();
  private readonly bank = new Map<string, BankBooking>();
  private readonly dashboard: DashboardRefund[] = [];
  private readonly clicks: Clicks[] = [];
  /** Organisations the provider asked for an identity check, and the held orders finance released. */
  private readonly checked = new Set<string>();
  private readonly releasedOrders = new Map<string, string>();

  constructor(orgs: ModelOrg[], products: ModelProduct[]) {
    for (const o of orgs) this.orgs.set(o.id, o);
    for (const p of products) this.products.set(p.id, p);
  }

  checkoutAsked(c: CheckoutAsked): void {
    this.checkouts.set(c.checkoutId, c);
  }

  /** A booking the bank made; the same booking in a file sent again is the same booking. */
  banked(b: BankBooking): void {
    if (!this.bank.has(b.bankRef)) this.bank.set(b.bankRef, b);
  }

  /** The provider asks the organisation for an identity check: what it pays through the provider is held until released. */
  identityChecked(orgId: string): void {
    this.checked.add(orgId);
  }

  /** Finance released a held order (the customer passed the check), on that day (after its night). */
  released(checkoutId: string, date: string): void {
    if (!this.releasedOrders.has(checkoutId)) this.releasedOrders.set(checkoutId, date);
  }

  /**
   * An order paid through the provider by an organisation under identity check waits for finance: never
   * released, it delivers nothing (refunded after 10 days); released on or after the night one of its
   * products was terminated, it delivers nothing either (there is nothing left to renew: it is refunded).
   */
  private heldAndUndelivered(checkoutId: string | undefined, products: EngineBooks['products']): boolean {
    const c = checkoutId ? this.checkouts.get(checkoutId) : undefined;
    if (!c || c.purpose !== 'renewal' || !this.checked.has(c.orgId) || c.method === 'iban' || !d(c.quoted.amountDue).gt(0)) return false;
    const on = this.releasedOrders.get(c.checkoutId);
    if (on === undefined) return true;
    return c.items.some((i) => {
      const p = products.find((x) => x.id === i.productId);
      const typeId = this.products.get(i.productId)?.typeId;
      return p?.status === 'terminated' && typeId !== undefined && plusDays(p.expiry, TERMINATE_DAYS[typeId] ?? 0) <= on;
    });
  }

  clicked(c: Clicks): void {
    this.clicks.push(c);
  }

  dashboardRefund(r: DashboardRefund): void {
    this.dashboard.push(r);
  }

  /** The VAT rate (percent) for an organisation. */
  vatRate(org: ModelOrg): Decimal {
    if (org.country === 'CH' || org.country === 'LI') return d(SWISS_RATE);
    const rate = EU_CONSUMER_RATE[org.country];
    if (rate === undefined) throw new Error(`reference model: no VAT rule for ${org.country}`);
    return org.vatNumber ? d(0) : d(rate);
  }

  /**
   * What one period of `months` of a product type costs the organisation
   * billed for it, VAT included: the partner's discount (if any) off the
   * list price, rounded half-up to the cent, then VAT at the billed
   * organisation's rate, rounded half-up per line.
   */
  linePrice(billed: ModelOrg, typeId: string, months: number, discountPercent?: string): Decimal {
    const item = PRICE_LIST[typeId];
    if (!item) throw new Error(`reference model: ${typeId} is not on the price list`);
    if (months % item.base !== 0) throw new Error(`reference model: ${months} months is not a whole number of ${typeId} periods`);
    const list = d(item[billed.currency]).times(months / item.base);
    const discount = discountPercent ? list.times(discountPercent).dividedBy(100).toDecimalPlaces(2, Decimal.ROUND_HALF_UP) : d(0);
    const net = list.minus(discount);
    const vat = net.times(this.vatRate(billed)).dividedBy(100).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
    return net.plus(vat);
  }

  /** A product's period, priced for the organisation billed: its owner's partner discount applies whoever pays. */
  private periodPrice(billed: ModelOrg, productId: string, months: number): Decimal {
    const p = this.products.get(productId)!;
    return this.linePrice(billed, p.typeId, months, this.orgs.get(p.orgId)?.partner?.discountPercent);
  }

  /** Who may be invoiced for a product's renewal: its organisation, or the partner it lets be invoiced. */
  private mayBill(orgId: string, productId: string): boolean {
    const owner = this.orgs.get(this.products.get(productId)?.orgId ?? '');
    return owner?.id === orgId || (owner?.partner?.billed === true && owner.partner.id === orgId);
  }

  /** The periods a product may be renewed for: its own, and any a customer chose for it (up to `until`). */
  private monthsAsked(productId: string, until = '9999-12-31'): Set<number> {
    const p = this.products.get(productId)!;
    const out = new Set([p.periodMonths]);
    for (const c of this.checkouts.values()) {
      if (c.date > until) continue;
      for (const i of c.items) if (i.productId === productId && i.periodMonths) out.add(i.periodMonths);
    }
    return out;
  }

  private dashboardRefunded(paymentRef: string): Decimal {
    return this.dashboard.filter((r) => r.paymentRef === paymentRef).reduce((s, r) => s.plus(r.amount), d(0));
  }

  /** The evening the credits for a reference first reached `owed`. */
  private completedOn(reference: string, owed: Decimal): string | undefined {
    let sum = d(0);
    const credits = [...this.bank.values()]
      .filter((b) => b.reference === reference && b.kind === 'credit')
      .sort((a, b) => (a.deliveredOn < b.deliveredOn ? -1 : a.deliveredOn > b.deliveredOn ? 1 : 0));
    for (const b of credits) {
      sum = sum.plus(b.amount);
      if (sum.gte(owed)) return b.deliveredOn;
    }
    return undefined;
  }

  /** Net of the bank's credits and reversals for one reference. */
  private bankNet(reference: string): Decimal {
    let net = d(0);
    for (const b of this.bank.values()) if (b.reference === reference) net = b.kind === 'credit' ? net.plus(b.amount) : net.minus(b.amount);
    return net;
  }

  /** The findings on the engine's books as they stand on `today`. */
  judge(books: EngineBooks, charges: ProviderCharge[], today: string): ModelFinding[] {
    const quotes: ModelFinding = { check: 'model: every checkout quoted at the price list', checks: 0, violations: [] };
    const invoices: ModelFinding = { check: 'model: every invoice totals its lines at the price list', checks: 0, violations: [] };
    const periods: ModelFinding = { check: 'model: every product holds its opening expiry plus the periods asked for', checks: 0, violations: [] };
    const charged: ModelFinding = { check: 'model: every provider charge is what the customer was told or one period at most', checks: 0, violations: [] };
    const transfers: ModelFinding = { check: 'model: a pro-forma is paid exactly when the bank brought what it asked', checks: 0, violations: [] };
    const balances: ModelFinding = { check: 'model: every balance is what the money in and the periods granted leave', checks: 0, violations: [] };
    const clicks: ModelFinding = { check: 'model: clicks at the same moment buy a period once', checks: 0, violations: [] };

    // Clicks: one key is one checkout; several keys may open several only for different periods.
    for (const c of this.clicks) {
      clicks.checks++;
      const who = `${c.sameKey ? 'double click' : 'three tabs'} of ${c.orgId} on ${c.productIds.join(', ')}`;
      if (c.sameKey && c.checkoutIds.length > 1) clicks.violations.push(`${who}: one key opened ${c.checkoutIds.length} checkouts (${c.checkoutIds.join(', ')})`);
      const quoted = new Map<string, string>();
      for (const id of c.checkoutIds) {
        for (const item of this.checkouts.get(id)?.quoted.items ?? []) {
          const k = `${item.productId}@${item.periodFrom ?? '?'}`;
          if (quoted.has(k)) clicks.violations.push(`${who}: ${quoted.get(k)} and ${id} both sell ${item.productId} from ${item.periodFrom}`);
          quoted.set(k, id);
        }
      }
    }

    // Quotes: what the customer saw is the price list, and the money split adds up.
    for (const c of this.checkouts.values()) {
      quotes.checks++;
      const org = this.orgs.get(c.orgId)!;
      const q = c.quoted;
      // A product renews for the period last chosen for it; an item without one is quoted for one of those.
      const monthsOf = (item: CheckoutAsked['items'][number]) => {
        if (item.periodMonths) return item.periodMonths;
        const line = q.items.find((i) => i.productId === item.productId);
        const quoted = line?.periodFrom && line.periodTo ? monthsBetween(line.periodFrom, line.periodTo) : undefined;
        return quoted !== undefined && this.monthsAsked(item.productId, c.date).has(quoted) ? quoted : this.products.get(item.productId)!.periodMonths;
      };
      let expected: Decimal;
      if (c.purpose === 'top-up') expected = d(c.amount ?? '0');
      else {
        expected = d(0);
        for (const item of c.items) expected = expected.plus(this.periodPrice(org, item.productId, monthsOf(item)));
      }
      const who = `checkout ${c.checkoutId} (${c.orgId}, ${c.date}, ${c.method})`;
      const asked = c.items.map((i) => `${i.productId}${i.periodMonths ? ` ${i.periodMonths} months` : ''}`).join(', ');
      const seen = q.items.map((i) => `${i.productId} ${i.periodFrom ?? '?'}..${i.periodTo ?? '?'}`).join(', ');
      if (!d(q.total).equals(expected)) quotes.violations.push(`${who}: quoted ${q.total} for [${seen}], the price list says ${money(expected)} for [${asked}]`);
      if (!d(q.amountDue).plus(q.balanceUsed).equals(q.total)) quotes.violations.push(`${who}: ${q.amountDue} due + ${q.balanceUsed} from the balance is not the total ${q.total}`);
      if (d(q.balanceUsed).lt(0) || (!c.useBalance && !d(q.balanceUsed).isZero()))
        quotes.violations.push(`${who}: takes ${q.balanceUsed} from the balance (asked: ${c.useBalance ? 'use it' : 'do not'})`);
      for (const item of c.items) {
        const line = q.items.find((i) => i.productId === item.productId);
        if (!line?.periodFrom || !line.periodTo) continue;
        const months = monthsOf(item);
        if (plusMonths(line.periodFrom, months) !== line.periodTo)
          quotes.violations.push(`${who}: quotes ${item.productId} for ${line.periodFrom}..${line.periodTo}, not the ${months} months asked`);
      }
    }

    // Invoices: each final invoice and pro-forma is its lines at the price list; a checkout's is what it quoted.
    const byOrg = new Map(books.orgs.map((o) => [o.id, o]));
    for (const inv of books.invoices) {
      if (inv.series !== 'INV' && inv.series !== 'PRO') continue;
      invoices.checks++;
      const org = this.orgs.get(inv.orgId);
      if (!org) {
        invoices.violations.push(`${inv.number}: issued to ${inv.orgId}, which the model never heard of`);
        continue;
      }
      let sum = d(0);
      for (const line of inv.lines) {
        sum = sum.plus(line.gross);
        if (!line.productId || !line.periodFrom || !line.periodTo) continue;
        const product = this.products.get(line.productId);
        const months = monthsBetween(line.periodFrom, line.periodTo);
        if (!product || months === undefined) {
          invoices.violations.push(`${inv.number}: line ${line.productId} ${line.periodFrom}..${line.periodTo} is no product period the model knows`);
          continue;
        }
        // A checkout's invoice goes to the organisation that ordered; a renewal's may go to its partner.
        if (inv.checkoutId ? product.orgId !== org.id : !this.mayBill(org.id, product.id)) {
          invoices.violations.push(`${inv.number}: invoices ${org.id} for ${product.id} of ${product.orgId}`);
        }
        const price = this.periodPrice(org, product.id, months);
        if (!price.equals(line.gross)) invoices.violations.push(`${inv.number}: ${product.id} for ${months} months is ${line.gross}, the price list says ${money(price)}`);
      }
      if (!sum.equals(inv.total)) invoices.violations.push(`${inv.number}: total ${inv.total}, its lines add up to ${money(sum)}`);
      const checkout = inv.checkoutId ? this.checkouts.get(inv.checkoutId) : undefined;
      if (checkout && checkout.purpose === 'renewal' && !d(inv.total).equals(checkout.quoted.total)) {
        invoices.violations.push(`${inv.number}: total ${inv.total}, checkout ${checkout.checkoutId} quoted ${checkout.quoted.total}`);
      }
    }

    // Periods: the periods of each product tile its opening expiry up to its expiry, in lengths someone asked
    // for. A period is paid (a paid final invoice) or owed (its invoice opened again when the bank took the
    // money back, while a later period was already bought: the product keeps its expiry, the customer owes it).
    // A payment the engine gave back itself (an order held past its identity check) delivered nothing, though invoiced.
    const givenBack = new Set(charges.filter((c) => d(c.refunded).minus(this.dashboardRefunded(c.paymentRef)).gt(0)).map((c) => c.paymentRef));
    const tiles = new Map<string, { from: string; to: string; invoice: string; orgId: string; owed: boolean }[]>();
    for (const inv of books.invoices) {
      if (inv.series !== 'INV' || (inv.status !== 'paid' && inv.status !== 'open') || inv.paidBy.some((ref) => givenBack.has(ref))) continue;
      // Held and never released (or released once a product of it was terminated): refunded, nothing delivered.
      if (this.heldAndUndelivered(inv.checkoutId, books.products)) continue;
      for (const line of inv.lines) {
        if (!line.productId || !line.periodFrom || !line.periodTo) continue;
        tiles.set(line.productId, [
          ...(tiles.get(line.productId) ?? []),
          { from: line.periodFrom, to: line.periodTo, invoice: inv.number, orgId: inv.orgId, owed: inv.status === 'open' },
        ]);
      }
    }
    const granted: { orgId: string; invoice: string; key: string; productId: string; months: number }[] = [];
    for (const p of books.products) {
      periods.checks++;
      const model = this.products.get(p.id);
      if (!model) {
        periods.violations.push(`product ${p.id} exists, but no one ordered it`);
        continue;
      }
      // An owed period at or past the expiry is one the product gave back: it is not held.
      const list = (tiles.get(p.id) ?? []).filter((t) => !t.owed || t.to <= p.expiry).sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
      const allowed = this.monthsAsked(p.id);
      let at = model.openingExpiry;
      for (const t of list) {
        const months = monthsBetween(t.from, t.to);
        if (t.from !== at) periods.violations.push(`product ${p.id}: ${t.invoice} ${t.owed ? 'asks for' : 'pays'} ${t.from}..${t.to}, but it was paid up to ${at}`);
        if (months === undefined || !allowed.has(months))
          periods.violations.push(`product ${p.id}: ${t.invoice} pays ${t.from}..${t.to}, a period no one asked for (asked: ${[...allowed].join(', ')} months)`);
        else if (!t.owed) granted.push({ orgId: t.orgId, invoice: t.invoice, key: `${p.id}@${t.from}`, productId: p.id, months });
        at = t.to > at ? t.to : at;
      }
      if (p.expiry !== at)
        periods.violations.push(`product ${p.id} (${p.orgId}): expires ${p.expiry}, but its opening expiry ${model.openingExpiry} and the periods paid make ${at}`);
    }

    // Charges: a checkout's is what the customer was told to pay; a renewal's never more than one period.
    // Staff refunding a delivered period is a gift: in part, that money; in full, the whole period is free
    // (what the balance paid of it comes back too), so it is not owed.
    const goodwill = new Map<string, Decimal>();
    const moneyIn = new Map<string, Decimal>();
    const wholly = new Set<string>();
    const add = (m: Map<string, Decimal>, orgId: string, x: Decimal) => m.set(orgId, (m.get(orgId) ?? d(0)).plus(x));
    // What each organisation's figure is made of, for a violation's message.
    const trail = new Map<string, string[]>();
    const note = (orgId: string, line: string) => trail.set(orgId, [...(trail.get(orgId) ?? []), line]);
    for (const c of charges) {
      charged.checks++;
      const orgId = c.metadata.orgId ?? '';
      const org = this.orgs.get(orgId);
      const what = `charge ${c.paymentRef} of ${c.received} ${c.currency}`;
      if (!org) {
        charged.violations.push(`${what}: for ${orgId || 'no organisation'}, which the model never heard of`);
        continue;
      }
      if (c.currency !== org.currency) charged.violations.push(`${what}: ${org.id} pays in ${org.currency}`);
      add(moneyIn, org.id, d(c.received).minus(c.refunded));
      note(org.id, `${c.paymentRef} ${c.metadata.checkoutId ?? c.metadata.attemptId} +${c.received} -${c.refunded}`);
      const byStaff = this.dashboardRefunded(c.paymentRef);
      const byEngine = d(c.refunded).minus(byStaff);
      const givenAway = byEngine.isZero() && byStaff.gt(0);
      if (givenAway && d(c.refunded).gte(c.received)) wholly.add(c.paymentRef);
      const checkout = c.metadata.checkoutId ? this.checkouts.get(c.metadata.checkoutId) : undefined;
      if (c.metadata.checkoutId) {
        if (!checkout) charged.violations.push(`${what}: for checkout ${c.metadata.checkoutId}, which no customer started`);
        else if (!d(c.received).equals(checkout.quoted.amountDue))
          charged.violations.push(`${what}: checkout ${checkout.checkoutId} told the customer ${checkout.quoted.amountDue}`);
        if (checkout?.purpose === 'renewal' && givenAway && !wholly.has(c.paymentRef)) add(goodwill, org.id, byStaff);
      } else if (c.metadata.attemptId) {
        const product = this.products.get(c.metadata.productId ?? '');
        if (!product) charged.violations.push(`${what}: renews ${c.metadata.productId}, which no one ordered`);
        else {
          const cap = Decimal.max(...[...this.monthsAsked(product.id)].map((m) => this.periodPrice(org, product.id, m)));
          if (d(c.received).greaterThan(cap)) charged.violations.push(`${what}: renews ${product.id}, one period of which costs at most ${money(cap)}`);
          if (!this.mayBill(org.id, product.id)) charged.violations.push(`${what}: charges ${org.id} for ${product.id} of ${product.orgId}`);
        }
        if (givenAway && !wholly.has(c.paymentRef)) add(goodwill, org.id, byStaff);
      } else {
        charged.violations.push(`${what}: neither a checkout nor a renewal`);
      }
      if (byEngine.lt(0)) charged.violations.push(`${what}: staff refunded ${money(byStaff)}, the provider shows ${c.refunded}`);
    }

    // Bank: a pro-forma is settled exactly when what arrived for its reference reaches what it asked for.
    const parked = new Map<string, Decimal>();
    for (const c of this.checkouts.values()) {
      if (c.method !== 'iban' || !c.quoted.paymentReference) continue;
      transfers.checks++;
      const net = this.bankNet(c.quoted.paymentReference);
      add(moneyIn, c.orgId, net);
      if (!net.isZero()) note(c.orgId, `bank ${c.quoted.paymentReference} +${money(net)}`);
      const owed = d(c.quoted.amountDue);
      const paidInvoice = books.invoices.find((i) => i.series === 'INV' && i.checkoutId === c.checkoutId && i.status === 'paid');
      const who = `pro-forma of checkout ${c.checkoutId} (${c.orgId}, ${c.quoted.amountDue} due, ${money(net)} arrived)`;
      // The night may terminate a product while its order waits for the transfer: a transfer arriving after
      // that renews nothing, the order is cancelled, and what arrived is the customer's, on the balance (the
      // books count it as money in, nothing granted, nothing parked).
      const ended = c.items
        .map((i) => ({ p: books.products.find((x) => x.id === i.productId), typeId: this.products.get(i.productId)?.typeId }))
        .filter((x) => x.p?.status === 'terminated' && x.typeId !== undefined)
        .map((x) => plusDays(x.p!.expiry, TERMINATE_DAYS[x.typeId!] ?? 0))
        .sort()[0];
      const completed = this.completedOn(c.quoted.paymentReference, owed);
      const cancelledByTermination =
        ended !== undefined &&
        (completed === undefined || completed >= ended) &&
        [...this.bank.values()].some((b) => b.reference === c.quoted.paymentReference && b.kind === 'credit' && b.deliveredOn >= ended);
      if (net.gte(owed) && !paidInvoice && !cancelledByTermination) transfers.violations.push(`${who}: paid in full, yet no final invoice`);
      if (net.lessThan(owed) && paidInvoice) transfers.violations.push(`${who}: not paid in full, yet ${paidInvoice.number} says paid`);
      // Until it is paid in full, what arrived waits on the pro-forma and the balance hold waits with it;
      // a pro-forma unpaid for 30 days is void, and both go back to the balance.
      const credited = [...this.bank.values()].filter((b) => b.reference === c.quoted.paymentReference && b.kind === 'credit').reduce((x, b) => x.plus(b.amount), d(0));
      const expired = credited.lessThan(owed) && plusDays(c.date, 30) <= today;
      if (net.lessThan(owed) && !expired && !cancelledByTermination) add(parked, c.orgId, net.plus(c.quoted.balanceUsed));
    }

    // A card, Twint or PayPal checkout still waiting for its payment at the end holds the balance it uses:
    // an abandoned one gives it back when it is cancelled, two days after it was opened.
    const chargedFor = new Set(charges.filter((x) => x.metadata.checkoutId && d(x.received).gt(0)).map((x) => x.metadata.checkoutId!));
    for (const c of this.checkouts.values()) {
      if (c.method === 'iban' || chargedFor.has(c.checkoutId) || !d(c.quoted.balanceUsed).gt(0) || !d(c.quoted.amountDue).gt(0)) continue;
      if (plusDays(c.date, 2) > today) {
        add(parked, c.orgId, d(c.quoted.balanceUsed));
        note(c.orgId, `checkout ${c.checkoutId} waiting since ${c.date} holds ${c.quoted.balanceUsed}`);
      }
    }

    // A period whose whole payment staff gave back is free (what the balance paid of it came back too).
    const free = new Set(books.invoices.filter((i) => i.paidBy.some((ref) => wholly.has(ref))).map((i) => i.number));
    const delivered = new Map<string, Decimal>();
    for (const g of granted) {
      const org = this.orgs.get(g.orgId);
      if (org && !free.has(g.invoice)) {
        const price = this.periodPrice(org, g.productId, g.months);
        add(delivered, org.id, price);
        note(org.id, `period ${g.key} ${g.months} months -${money(price)}`);
      }
    }
    for (const org of this.orgs.values()) {
      balances.checks++;
      const engine = byOrg.get(org.id);
      const expected = d(org.openingBalance)
        .plus(moneyIn.get(org.id) ?? 0)
        .minus(delivered.get(org.id) ?? 0)
        .plus(goodwill.get(org.id) ?? 0)
        .minus(parked.get(org.id) ?? 0);
      if (!engine) balances.violations.push(`${org.id}: missing from the engine's books`);
      else if (!expected.equals(engine.balance)) {
        balances.violations.push(
          `${org.id}: balance ${engine.balance}, the model says ${money(expected)} (opening ${org.openingBalance}, money in ${money(moneyIn.get(org.id) ?? d(0))}, ` +
            `periods granted ${money(delivered.get(org.id) ?? d(0))}, refunded by staff in part on delivered periods ${money(goodwill.get(org.id) ?? d(0))}, waiting on pro-formas ${money(parked.get(org.id) ?? d(0))}): ${(trail.get(org.id) ?? []).join('; ')}`,
        );
      }
    }
    return [quotes, invoices, periods, charged, transfers, balances, clicks];
  }
}
