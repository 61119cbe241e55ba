import { SANDBOX_WEBHOOK_SECRET, signWebhookPayload } from '../../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import { addDays, type IsoDate } from '../../shared/domain/calendar.ts';
import { InvalidSignatureError } from '../../shared/ports/payment-gateway.ts';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import { receiveWebhook } from '../../shared/use-cases/checkout/gateway-events.ts';
import { FAULT, isInjected, type FaultLog } from './faults.ts';
import { keyedChance, Rng } from './random.ts';
import type { SimClock } from './sim-clock.ts';

export interface WireRates {
  drop: number;
  duplicate: number;
  delay: number;
  staleReplay: number;
}

interface InFlight {
  raw: string;
  /** The signature of the first attempt: stale a few minutes later. */
  firstSignature: string;
  signedAt: number;
  key: string;
  deliverOn: IsoDate;
}

export interface WireStats {
  captured: number;
  delivered: number;
  duplicatesAcknowledged: number;
  staleRefused: number;
  retriedAfterCrash: number;
}

/**
 * Stands between the sandbox and the webhook endpoint like the Internet
 * does: each event is captured when the provider sends it, then delivered
 * later, sometimes twice, sometimes days late, in shuffled batches, or never
 * (reconciliation has to find it). Every delivery is signed afresh at the
 * moment it is made, as Stripe signs each attempt.
 */
export class WebhookWire {
  private readonly pending: InFlight[] = [];
  private readonly seen = new Map<string, number>();
  private readonly rng: Rng;
  readonly stats: WireStats = { captured: 0, delivered: 0, duplicatesAcknowledged: 0, staleRefused: 0, retriedAfterCrash: 0 };
  /** Problems that are not faults we injected: reported with the violations. */
  readonly problems: string[] = [];

  constructor(
    private readonly seed: number,
    private readonly faults: FaultLog,
    private readonly clock: SimClock,
    private readonly rates: WireRates,
  ) {
    this.rng = new Rng(seed ^ 0x5eed);
  }

  get depth(): number {
    return this.pending.length;
  }

  /** The sandbox's sink: called when the provider sends an event. */
  readonly capture = async (raw: string, signature: string): Promise<void> => {
    const event = JSON.parse(raw) as { id: string; type: string; created: number; data: { object: Record<string, unknown> } };
    const object = event.data.object;
    const meta = (object.metadata ?? {}) as Record<string, string>;
    const base = `${event.type}|${meta.checkoutId ?? meta.attemptId ?? meta.orgId ?? String(object.id)}`;
    const n = (this.seen.get(base) ?? 0) + 1;
    this.seen.set(base, n);
    const key = `${base}#${n}`;
    this.stats.captured++;
    const today = this.clock.today();
    const on = this.faults.enabled;
    if (on && keyedChance(this.seed, this.rates.drop, 'drop', key)) {
      this.faults.add(FAULT.webhookDropped);
      return;
    }
    const copies = on && keyedChance(this.seed, this.rates.duplicate, 'duplicate', key) ? 2 : 1;
    if (copies === 2) this.faults.add(FAULT.webhookDuplicated);
    for (let i = 0; i < copies; i++) {
      const late = on && keyedChance(this.seed, this.rates.delay, 'delay', key, i);
      if (late) this.faults.add(FAULT.webhookDelayed);
      const days = late ? 1 + (keyedChance(this.seed, 0.5, 'delay-days', key, i) ? 1 : 0) + (keyedChance(this.seed, 0.3, 'delay-days2', key, i) ? 1 : 0) : 0;
      this.pending.push({ raw, firstSignature: signature, signedAt: event.created, key: `${key}/${i}`, deliverOn: addDays(today, days) });
    }
  };

  /** Delivers what is due today (or everything), shuffled; a delivery that crashed is retried the next day. */
  async deliver(deps: CheckoutDeps, opts: { all?: boolean } = {}): Promise<void> {
    const today = this.clock.today();
    const due: InFlight[] = [];
    for (let i = this.pending.length - 1; i >= 0; i--) {
      if (opts.all || this.pending[i]!.deliverOn <= today) due.push(...this.pending.splice(i, 1));
    }
    // A stable order first, so the shuffle depends on the seed only.
    due.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const batch = this.faults.enabled ? this.rng.shuffle(due) : due;
    if (this.faults.enabled && batch.some((w, i) => w !== due[i])) this.faults.add(FAULT.webhookReordered);
    for (const w of batch) {
      const now = this.clock.seconds();
      if (this.faults.enabled && now - w.signedAt > 300 && this.rng.chance(this.rates.staleReplay)) {
        this.faults.add(FAULT.webhookStaleReplay);
        try {
          await receiveWebhook(deps, w.raw, w.firstSignature);
          this.problems.push(`webhook ${w.key}: a signature ${now - w.signedAt} s old was accepted`);
        } catch (err) {
          if (err instanceof InvalidSignatureError) this.stats.staleRefused++;
          else if (!isInjected(err)) this.problems.push(`webhook ${w.key}: stale replay failed with ${String(err)}`);
        }
      }
      try {
        const res = await receiveWebhook(deps, w.raw, signWebhookPayload(w.raw, SANDBOX_WEBHOOK_SECRET, now));
        this.stats.delivered++;
        if (res.duplicate) this.stats.duplicatesAcknowledged++;
      } catch (err) {
        if (!isInjected(err)) {
          this.problems.push(`webhook ${w.key}: delivery failed with ${err instanceof Error ? err.message : String(err)}`);
          continue;
        }
        // The endpoint died: Stripe retries the delivery later.
        this.stats.retriedAfterCrash++;
        this.pending.push({ ...w, deliverOn: opts.all ? today : addDays(today, 1) });
      }
    }
    if (opts.all && this.pending.length > 0) await this.deliver(deps, opts);
  }
}
