import { addDays, daysBetween, type IsoDate } from '../../shared/domain/calendar.ts';
import { DomainError } from '../../shared/domain/errors.ts';
import { Money } from '../../shared/domain/money.ts';
import type { Organisation } from '../../shared/domain/organisation.ts';
import type { Actor } from '../../shared/use-cases/actor.ts';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import { releaseHold } from '../../shared/use-cases/checkout/settle-checkout.ts';
import { type CheckoutView } from '../../shared/use-cases/checkout/checkout-view.ts';
import { startCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { startTopUp } from '../../shared/use-cases/checkout/start-top-up.ts';
import type { Bank } from './bank.ts';
import type { ChaosGateway } from './faults.ts';
import { isInjected } from './faults.ts';
import { keyedChance, type Rng } from './random.ts';
import type { CheckoutAsked, ReferenceModel } from './reference-model.ts';

export interface CustomerRates {
  /** Checkouts started per organisation per day. */
  checkoutsPerOrgDay: number;
  topUpsPerOrgDay: number;
  /** Share of card payers whose first card is declined. */
  declineFirst: number;
  /** Share of checkouts paid days later (often after the checkout expired: the money is refunded). */
  payLate: number;
  abandon: number;
  /** Refunds made in the provider's dashboard, per day. */
  dashboardRefundsPerDay: number;
  /** Of those, the share that refunds an off-session renewal charge rather than a checkout. */
  renewalRefundShare: number;
  /** Share of checkouts paid by bank transfer against a pro-forma. */
  byTransfer: number;
  /** Share of checkouts clicked several times at once (same key: a double click; other keys: two tabs). */
  burst: number;
  /** Checkouts started while the night's renewals run, per organisation: they race the night's attempts and terminations. */
  duringNight: number;
}

/** What a customer paying by transfer does with the pro-forma, with its weight. */
const TRANSFER_FATES = [
  ['exact', 55],
  ['short', 12],
  ['short then the rest', 8],
  ['over', 10],
  ['exact, then taken back by their bank', 8],
  ['never', 7],
] as const;
type TransferFate = (typeof TRANSFER_FATES)[number][0];

interface Unpaid {
  orgId: string;
  checkoutId: string;
  paymentRef: string;
  method: string;
  payOn: IsoDate;
  declineFirst: boolean;
}

export interface CustomerStats {
  checkoutsStarted: number;
  paidFromBalance: number;
  refused: Record<string, number>;
  confirmed: number;
  declinedFirst: number;
  paidLate: number;
  abandoned: number;
  topUps: number;
  dashboardRefunds: number;
  renewalDashboardRefunds: number;
  retriedRequests: number;
  transfers: Record<string, number>;
  bursts: { sameKey: number; otherKeys: number };
  holdsReleased: number;
  /** Checkout requests a partner's user made for its client (retries and tabs count). */
  byPartner: number;
}

const owner = (orgId: string): Actor => ({ kind: 'user', userId: `user-${orgId}` });

/**
 * The customers' side of a chaos day: they pay selections (card, Twint,
 * PayPal, with or without their balance), get declined and pay again, pay
 * days late, abandon, top up, and the provider's staff refund a few
 * payments from the dashboard. A request that died is retried with the same
 * idempotency key, as a browser would.
 */
export class Customers {
  private readonly unpaid: Unpaid[] = [];
  private readonly paidRefs: { paymentRef: string; amountMinor: number }[] = [];
  readonly stats: CustomerStats = {
    checkoutsStarted: 0,
    paidFromBalance: 0,
    refused: {},
    confirmed: 0,
    declinedFirst: 0,
    paidLate: 0,
    abandoned: 0,
    topUps: 0,
    dashboardRefunds: 0,
    renewalDashboardRefunds: 0,
    retriedRequests: 0,
    transfers: {},
    bursts: { sameKey: 0, otherKeys: 0 },
    holdsReleased: 0,
    byPartner: 0,
  };
  readonly problems: string[] = [];
  private requests = 0;

  constructor(
    private readonly deps: CheckoutDeps,
    private readonly gateway: ChaosGateway,
    private readonly orgs: Organisation[],
    private readonly rng: Rng,
    private readonly rates: CustomerRates,
    private readonly seed: number,
    private readonly model: ReferenceModel,
    private readonly bank: Bank,
  ) {}

  /** Who clicks: for a client entrusted to a partner, half the time the partner's own user, who acts for it. */
  private clicker(org: Organisation, requestId: string): Actor {
    if (!org.partnerId || !keyedChance(this.seed, 0.5, 'partner-clicks', requestId)) return owner(org.id);
    this.stats.byPartner++;
    return owner(org.partnerId);
  }

  /** Customers who pay a checkout started days ago: run while the night's renewals are under way. */
  async payLate(today: IsoDate): Promise<void> {
    for (const u of this.unpaid.filter((x) => x.payOn <= today)) {
      this.unpaid.splice(this.unpaid.indexOf(u), 1);
      this.stats.paidLate++;
      await this.pay(u);
    }
  }

  async day(today: IsoDate): Promise<void> {
    await this.payLate(today);
    const checkouts = this.count(this.orgs.length * this.rates.checkoutsPerOrgDay);
    for (let i = 0; i < checkouts; i++) await this.checkout(today, this.rng.pick(this.orgs));
    const topUps = this.count(this.orgs.length * this.rates.topUpsPerOrgDay);
    for (let i = 0; i < topUps; i++) await this.topUp(today, this.rng.pick(this.orgs));
    const refunds = this.count(this.rates.dashboardRefundsPerDay);
    for (let i = 0; i < refunds; i++) await this.dashboardRefund();
  }

  /**
   * Finance checks the identity of organisations whose orders are held: some
   * each day (all of them with `all`); the rest the night refunds after ten days.
   */
  async releaseHolds(today: IsoDate, all = false): Promise<void> {
    for (const ref of await this.deps.store.listCheckoutsInStatus('held', today)) {
      if (!all && !this.rng.chance(0.15)) continue;
      // Finance's decision, told the model once, whether or not the call's answer comes back.
      this.model.released(ref.checkoutId, today);
      for (let attempt = 1; attempt <= 5; attempt++) {
        try {
          await this.gateway.work(() => releaseHold(this.deps, ref.orgId, ref.checkoutId));
          this.stats.holdsReleased++;
          break;
        } catch (err) {
          if (isInjected(err)) continue;
          // Refunded by the night meanwhile, or released by a retry that died after its commit.
          if (err instanceof DomainError && err.code === 'checkout_not_held') break;
          this.problems.push(`release of ${ref.checkoutId}: ${err instanceof Error ? err.message : String(err)}`);
          break;
        }
      }
    }
  }

  /** A whole number of events whose mean is `x`. */
  private count(x: number): number {
    return Math.floor(x) + (this.rng.chance(x - Math.floor(x)) ? 1 : 0);
  }

  /** A few customers pay while the night's renewals run: their checkouts race the automatic attempts. */
  async duringNight(today: IsoDate): Promise<void> {
    const n = this.count(this.orgs.length * this.rates.duringNight);
    await Promise.all(Array.from({ length: n }, () => this.checkout(today, this.rng.pick(this.orgs))));
  }

  private async checkout(today: IsoDate, org: Organisation): Promise<void> {
    const products = (await this.deps.store.listProducts(org.id)).filter((p) => (p.status === 'active' || p.status === 'blocked') && daysBetween(today, p.expiry) <= 45);
    if (products.length === 0) return;
    const blocked = products.filter((p) => p.status === 'blocked');
    const chosen = blocked.length > 0 && this.rng.chance(0.5) ? [this.rng.pick(blocked)] : this.rng.sample(products, this.rng.int(1, 3));
    const items = chosen.map((p) => {
      const type = this.deps.catalogue.get(p.typeId)!;
      return this.rng.chance(0.2) ? { productId: p.id, periodMonths: this.rng.pick(type.allowedPeriodsMonths.slice(0, 3)) } : { productId: p.id };
    });
    const roll = this.rng.float();
    const method = this.rng.chance(this.rates.byTransfer)
      ? 'iban'
      : org.currency === 'CHF'
        ? roll < 0.7
          ? 'card'
          : roll < 0.9
            ? 'twint'
            : 'paypal'
        : roll < 0.85
          ? 'card'
          : 'paypal';
    const useBalance = this.rng.chance(0.5);
    const requestId = `chaos-${this.seed}-${today}-${++this.requests}`;
    const body = { items, method, useBalance, saveMethod: method !== 'iban' && this.rng.chance(0.5), requestId };
    const asked = (view: CheckoutView): CheckoutAsked => ({
      orgId: org.id,
      checkoutId: view.checkoutId,
      date: today,
      purpose: 'renewal',
      method,
      useBalance,
      items,
      quoted: {
        total: view.total,
        balanceUsed: view.balanceUsed,
        amountDue: view.amountDue,
        items: view.items,
        ...(view.paymentReference ? { paymentReference: view.paymentReference } : {}),
      },
    });
    const views = this.rng.chance(this.rates.burst)
      ? await this.burst(
          org,
          body,
          items.map((i) => i.productId),
        )
      : [await this.request(() => startCheckout(this.deps, org.id, body, this.clicker(org, requestId)))].filter((v): v is CheckoutView => !!v);
    const [view, ...otherTabs] = views;
    if (!view) return;
    // Every checkout a click opened is the customer's, paid or not: a tab left open still holds what it took from the balance.
    for (const v of views) this.model.checkoutAsked(asked(v));
    this.stats.checkoutsStarted += otherTabs.length;
    this.stats.checkoutsStarted++;
    if (view.status === 'paid') {
      this.stats.paidFromBalance++;
      return;
    }
    if (method === 'iban') {
      if (view.paymentReference) this.transfer(today, org, view.paymentReference, view.amountDue);
      return;
    }
    if (!view.payment) return;
    const u: Unpaid = {
      orgId: org.id,
      checkoutId: view.checkoutId,
      paymentRef: view.payment.paymentRef,
      method,
      payOn: today,
      declineFirst: method === 'card' && this.rng.chance(this.rates.declineFirst),
    };
    const fate = this.rng.float();
    if (fate < this.rates.abandon) {
      this.stats.abandoned++;
      if (u.declineFirst) await this.confirm(u.paymentRef, 'pm_card_chargeDeclined');
      return;
    }
    if (fate < this.rates.abandon + this.rates.payLate) {
      this.unpaid.push({ ...u, payOn: addDays(today, this.rng.int(1, 4)) });
      return;
    }
    await this.pay(u);
  }

  /**
   * The same selection clicked three times at once: with one key (a double
   * click) every answer is the one checkout; with three keys (three tabs) at
   * most one checkout opens for a period and the others are refused (a tab
   * arriving after another's order was paid from the balance opens the next
   * period). Returns the checkouts opened, the one the customer goes on with
   * first; the others are tabs left open.
   */
  private async burst(org: Organisation, body: { requestId: string } & Record<string, unknown>, productIds: string[]): Promise<CheckoutView[]> {
    const sameKey = this.rng.chance(0.5);
    if (sameKey) this.stats.bursts.sameKey++;
    else this.stats.bursts.otherKeys++;
    const bodies = [0, 1, 2].map((i) => (sameKey || i === 0 ? body : { ...body, requestId: `${body.requestId}-tab${i}` }));
    const answers = await Promise.all(bodies.map((b) => this.request(() => startCheckout(this.deps, org.id, b, this.clicker(org, body.requestId)))));
    const opened = [...new Set(answers.filter((a): a is CheckoutView => !!a).map((a) => a.checkoutId))];
    this.model.clicked({ orgId: org.id, productIds, sameKey, checkoutIds: opened });
    return opened.map((id) => answers.find((a) => a?.checkoutId === id)!);
  }

  /** What the customer does with a pro-forma: pays it exactly, short, over, pays and has it taken back, or never. */
  private transfer(today: IsoDate, org: Organisation, reference: string, due: string): void {
    const fate = this.rng.weighted(TRANSFER_FATES) as TransferFate;
    this.stats.transfers[fate] = (this.stats.transfers[fate] ?? 0) + 1;
    const currency = org.currency;
    const dueMinor = Money.of(due, currency).toMinorUnits();
    const amount = (minor: number) => Money.fromMinorUnits(minor, currency).toString();
    const on = this.bank.settleDay(addDays(today, this.rng.int(0, 3)));
    const short = Math.max(1, this.rng.int(1, Math.max(1, Math.floor(dueMinor / 2))));
    switch (fate) {
      case 'exact':
        this.bank.book(on, { reference, amount: due, currency, kind: 'credit' });
        break;
      case 'short':
        this.bank.book(on, { reference, amount: amount(dueMinor - short), currency, kind: 'credit' });
        break;
      case 'short then the rest':
        this.bank.book(on, { reference, amount: amount(dueMinor - short), currency, kind: 'credit' });
        this.bank.book(addDays(on, this.rng.int(1, 4)), { reference, amount: amount(short), currency, kind: 'credit' });
        break;
      case 'over':
        this.bank.book(on, { reference, amount: amount(dueMinor + this.rng.int(1, 2000)), currency, kind: 'credit' });
        break;
      case 'exact, then taken back by their bank':
        this.bank.book(on, { reference, amount: due, currency, kind: 'credit' });
        this.bank.book(addDays(on, this.rng.int(1, 4)), { reference, amount: due, currency, kind: 'reversal' });
        break;
      case 'never':
        break;
    }
  }

  private async topUp(today: IsoDate, org: Organisation): Promise<void> {
    const body = {
      amount: `${this.rng.int(20, 300)}.${String(this.rng.int(0, 99)).padStart(2, '0')}`,
      method: 'card',
      requestId: `chaos-${this.seed}-${today}-${++this.requests}`,
    };
    const view = await this.request(() => startTopUp(this.deps, org.id, body, owner(org.id)));
    if (!view?.payment) return;
    this.model.checkoutAsked({
      orgId: org.id,
      checkoutId: view.checkoutId,
      date: today,
      purpose: 'top-up',
      method: 'card',
      useBalance: false,
      items: [],
      amount: body.amount,
      quoted: { total: view.total, balanceUsed: view.balanceUsed, amountDue: view.amountDue, items: [] },
    });
    this.stats.topUps++;
    if (this.rng.chance(0.9)) await this.confirm(view.payment.paymentRef, 'pm_card_visa');
  }

  private async pay(u: Unpaid): Promise<void> {
    if (u.declineFirst) {
      this.stats.declinedFirst++;
      await this.confirm(u.paymentRef, 'pm_card_chargeDeclined');
    }
    const pm = u.method === 'twint' ? 'pm_twint' : u.method === 'paypal' ? 'pm_paypal' : this.rng.pick(['pm_card_visa', 'pm_card_mastercard', 'pm_card_authenticationRequired']);
    await this.confirm(u.paymentRef, pm);
  }

  private async confirm(paymentRef: string, pm: string): Promise<void> {
    try {
      const status = await this.gateway.confirmPayment(paymentRef, pm);
      this.stats.confirmed++;
      if (status === 'succeeded') {
        const state = await this.gateway.getPayment(paymentRef).catch(() => undefined);
        if (state) this.paidRefs.push({ paymentRef, amountMinor: state.amountReceived.toMinorUnits() });
      }
    } catch (err) {
      this.problems.push(`confirm ${paymentRef} with ${pm}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** A refund made by the provider's staff: full or partial, of a checkout payment or of an automatic renewal charge. */
  private async dashboardRefund(): Promise<void> {
    let target: { paymentRef: string; amountMinor: number } | undefined;
    const renewal = this.rng.chance(this.rates.renewalRefundShare);
    if (renewal) {
      const charges = this.gateway
        .eventLog()
        .filter((e) => e.type === 'payment_intent.succeeded' && (e.object.metadata as Record<string, string> | undefined)?.attemptId)
        .map((e) => ({ paymentRef: String(e.object.id), amountMinor: Number(e.object.amount_received) }));
      if (charges.length > 0) target = this.rng.pick(charges);
    } else if (this.paidRefs.length > 0) {
      target = this.paidRefs.splice(this.rng.int(0, this.paidRefs.length - 1), 1)[0];
    }
    if (!target) return;
    const state = await this.gateway.getPayment(target.paymentRef).catch(() => undefined);
    if (!state || state.status !== 'succeeded') return;
    const left = state.amountReceived.minus(state.amountRefunded);
    if (!left.isPositive()) return;
    const partial = this.rng.chance(0.25) && left.toMinorUnits() >= 2;
    const amount = partial ? Money.fromMinorUnits(Math.floor(left.toMinorUnits() / 2), left.currency) : left;
    try {
      await this.gateway.dashboardRefund({
        paymentRef: target.paymentRef,
        amount,
        idempotencyKey: `dashboard/${target.paymentRef}/${state.amountRefunded.toString()}/${amount.toString()}`,
        metadata: { reason: 'requested_by_customer' },
      });
      this.model.dashboardRefund({ paymentRef: target.paymentRef, amount: amount.toString() });
      if (renewal) this.stats.renewalDashboardRefunds++;
      else this.stats.dashboardRefunds++;
      // What is left of a partial refund may be refunded another day.
      if (partial && !renewal) this.paidRefs.push(target);
    } catch (err) {
      this.problems.push(`dashboard refund of ${target.paymentRef}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** A request the customer's browser retries with the same key when the server died or timed out. */
  private async request(call: () => Promise<CheckoutView>): Promise<CheckoutView | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (isInjected(err) && attempt < 5) {
          this.stats.retriedRequests++;
          continue;
        }
        if (err instanceof DomainError) {
          this.stats.refused[err.code] = (this.stats.refused[err.code] ?? 0) + 1;
          return undefined;
        }
        if (isInjected(err)) return undefined;
        this.problems.push(`checkout request: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        return undefined;
      }
    }
  }
}
