import { AsyncLocalStorage } from 'node:async_hooks';
import { SandboxPaymentGateway, type SandboxOptions } from '../../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import type { BillingStore } from '../../shared/ports/billing-store.ts';
import type { Change } from '../../shared/ports/unit-of-work.ts';
import type { MessageQueue } from '../../shared/ports/message-queue.ts';
import {
  TransientGatewayError,
  type ChargeRequest,
  type ChargeResult,
  type CreatedPayment,
  type PaymentRequest,
  type PaymentState,
  type RefundRequest,
  type RefundResult,
} from '../../shared/ports/payment-gateway.ts';
import { plantedChargeAmount, type PlantedBug } from './plants.ts';
import { keyedChance } from './random.ts';
import { withCommit } from './store-wrap.ts';

/** Names of the fault kinds, as printed; the e2e test checks each was injected at least once. */
export const FAULT = {
  duplicateDelivery: 'queue: message delivered twice',
  twoWorkers: 'two workers on one product at once',
  nightTwice: 'night run twice',
  chargeTimeoutBefore: 'gateway: time-out before the charge reached it',
  chargeTimeoutAfterStale: 'gateway: time-out after the charge went through (search not caught up)',
  chargeTimeoutAfterForgot: 'gateway: time-out after the charge went through + keys forgotten (24 h)',
  createPaymentTimeout: 'gateway: time-out after a checkout payment was created',
  getPaymentError: 'gateway: transient error reading a payment',
  webhookDuplicated: 'webhook: duplicated',
  webhookDelayed: 'webhook: delayed to a later day',
  webhookReordered: 'webhook: batch delivered out of order',
  webhookDropped: 'webhook: never delivered (left to reconciliation)',
  webhookStaleReplay: 'webhook: replayed with a stale signature (must be refused)',
  settlementOutage: 'outage: settlement worker fails every receive (dead letters, redriven next morning)',
  lifecycleOutage: 'outage: provisioning down for every receive (dead letters, redriven next morning)',
  redriven: 'dead letters redriven',
} as const;

export const crashKind = (when: 'before' | 'after', step: string) => `crash ${when} commit: ${step}`;

/** The renewal and settlement steps a crash must be injected into (the e2e test checks each, both ways). */
export const CORE_CRASH_STEPS = [
  'renewal: attempt + balance hold',
  'renewal: night commit (product, money, invoice)',
  'lifecycle: command applied',
  'webhook: event stored',
  'settlement: checkout fulfilled',
  'settlement: event marked processed',
  'checkout: created (balance hold)',
] as const;

/** A worker that dies: thrown by the fault injection, never by the engine. */
export class InjectedCrash extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InjectedCrash';
  }
}

export function isInjected(err: unknown): boolean {
  return err instanceof InjectedCrash || (err instanceof TransientGatewayError && err.message.startsWith('[chaos]'));
}

export interface FaultRates {
  crashBefore: number;
  crashAfter: number;
  chargeTimeoutBefore: number;
  chargeTimeoutAfter: number;
  createPaymentTimeout: number;
  getPaymentError: number;
}

/** Counts every fault injected, by kind, and decides (from the seed) where the next ones go. */
export class FaultLog {
  readonly counts = new Map<string, number>();
  /** Off while the portfolio is seeded and the books are read back. */
  enabled = false;
  private readonly seen = new Map<string, number>();
  private readonly injectedPerKey = new Map<string, number>();

  constructor(
    readonly seed: number,
    readonly rates: FaultRates,
  ) {}

  add(kind: string, n = 1): void {
    if (n > 0) this.counts.set(kind, (this.counts.get(kind) ?? 0) + n);
  }

  /**
   * Whether to inject `kind` into `key` now: seeded by the key and the number
   * of times it was seen, and never more than `cap` times per key, so a
   * message is never crashed into its dead-letter queue.
   */
  decide(kind: string, key: string, p: number, cap = 2): boolean {
    if (!this.enabled || p <= 0) return false;
    const k = `${kind}\u0000${key}`;
    const n = (this.seen.get(k) ?? 0) + 1;
    this.seen.set(k, n);
    const capKey = `${kind.split(/[ :]/)[0]}\u0000${key}`;
    if ((this.injectedPerKey.get(capKey) ?? 0) >= cap) return false;
    if (!keyedChance(this.seed, p, kind, key, n)) return false;
    this.injectedPerKey.set(capKey, (this.injectedPerKey.get(capKey) ?? 0) + 1);
    return true;
  }
}

/** Which step of which flow a commit is, from what it writes. */
export function classifyCommit(changes: Change[]): { step: string; key: string } {
  const find = <T extends Change['type']>(t: T) => changes.find((c): c is Extract<Change, { type: T }> => c.type === t);
  const outcome = find('outcome');
  if (outcome) return { step: 'renewal: night commit (product, money, invoice)', key: `${outcome.outcome.productId}@${outcome.outcome.night}` };
  const attempt = find('attempt');
  if (attempt && attempt.expectedStatus === null) return { step: 'renewal: attempt + balance hold', key: attempt.attempt.id };
  const event = find('gatewayEvent');
  if (event) {
    return event.expectedStatus === null ? { step: 'webhook: event stored', key: event.event.id } : { step: 'settlement: event marked processed', key: event.event.id };
  }
  const checkout = find('checkout');
  const payment = find('payment');
  if (checkout) {
    const c = checkout.checkout;
    const key = `${c.id}#${c.version}`;
    if (checkout.expected === null) return { step: c.status === 'paid' ? 'checkout: paid from the balance' : 'checkout: created (balance hold)', key };
    if (payment && payment.payment.amount.startsWith('-')) return { step: 'settlement: refund booked', key };
    if (payment) return { step: 'settlement: checkout fulfilled', key };
    if (c.status === 'refunding') return { step: 'settlement: refund started', key };
    if (c.status === 'canceled') return { step: 'housekeeping: checkout cancelled', key };
    if (c.status === 'paid') return { step: 'settlement: held order released', key };
    if (c.lastFailure) return { step: 'settlement: failure noted', key };
    return { step: 'checkout: provider payment attached', key };
  }
  if (payment) return { step: 'settlement: refund booked', key: payment.payment.id };
  const lifecycle = find('lifecycle');
  if (lifecycle && lifecycle.expectedStatus === 'pending') return { step: 'lifecycle: command applied', key: `${lifecycle.command.date}/${lifecycle.command.id}` };
  const customer = find('customerRef');
  if (customer) return { step: 'checkout: provider customer created', key: customer.orgId };
  const method = find('paymentMethod');
  if (method) return { step: 'settlement: method saved', key: `${method.method.orgId}/${method.method.id}` };
  const product = find('product');
  if (product) return { step: 'product: updated', key: `${product.product.id}#${product.product.version}` };
  return { step: `other: ${[...new Set(changes.map((c) => c.type))].join('+')}`, key: changes.map((c) => c.type).join('+') };
}

/**
 * The store as a worker sees it when workers die: a commit may throw before
 * it is applied (nothing written) or after (everything written, the worker
 * never learns it). Every read goes straight through.
 */
export function crashingStore(inner: BillingStore, faults: FaultLog): BillingStore {
  const commit = async (changes: Change[]): Promise<void> => {
    const { step, key } = classifyCommit(changes);
    if (faults.decide(crashKind('before', step), key, faults.rates.crashBefore)) {
      faults.add(crashKind('before', step));
      throw new InjectedCrash(`[chaos] worker died before committing: ${step} (${key})`);
    }
    const after = faults.decide(crashKind('after', step), key, faults.rates.crashAfter);
    await inner.commit(changes);
    if (after) {
      faults.add(crashKind('after', step));
      throw new InjectedCrash(`[chaos] worker died after committing: ${step} (${key})`);
    }
  };
  return withCommit(inner, commit);
}

/** A queue that counts what is sent through it (each message is also delivered twice by the runtime's queue). */
export function countingQueue<T>(inner: MessageQueue<T>, faults: FaultLog, duplicated: boolean): MessageQueue<T> {
  return {
    send: async (messages: T[]) => {
      await inner.send(messages);
      if (duplicated) faults.add(FAULT.duplicateDelivery, messages.length);
    },
  };
}

/** What the night is allowed to do with idempotency keys: forgetting them and a lagging search never meet. */
export type KeyMode = 'forget' | 'stale-search';

/**
 * The sandbox, misbehaving like a real provider on a bad day: requests time
 * out after the money moved, the 24-hour key store is pruned, the search
 * lags, reads fail. Its webhooks go to the chaos wire only, never straight
 * to the engine (the runtime's own sink is ignored).
 */
export class ChaosGateway extends SandboxPaymentGateway {
  faults?: FaultLog;
  plant?: PlantedBug | undefined;
  private keyMode: KeyMode = 'stale-search';
  private readonly staleSearch = new Set<string>();
  /**
   * Keys pruned, by the moment the charge behind them went through. Stripe
   * prunes a key 24 hours after its first use, so only a request that started
   * after that moment (a retry) meets a pruned key; a worker that was already
   * running alongside the first one, seconds apart in real life, still finds it.
   */
  private readonly prunedAt = new Map<string, number>();
  private readonly requests = new AsyncLocalStorage<number>();
  private moment = 0;
  ignoredSinks = 0;

  constructor(opts: SandboxOptions) {
    super(opts);
  }

  /** A night in which lost requests meet pruned keys, or a lagging search; never both. */
  setKeyMode(mode: KeyMode): void {
    this.keyMode = mode;
    this.staleSearch.clear();
  }

  /** Runs one worker (a message, a request); the provider tells its start from the moment a key was pruned. */
  work<T>(fn: () => Promise<T>): Promise<T> {
    return this.requests.run(++this.moment, fn);
  }

  /** The runtime registers its direct delivery here; the chaos wire delivers instead. */
  override onWebhook(): void {
    this.ignoredSinks++;
  }

  attachWire(sink: (raw: string, signature: string) => Promise<void>): void {
    super.onWebhook(sink);
  }

  override async charge(asked: ChargeRequest): Promise<ChargeResult> {
    const req = { ...asked, amount: plantedChargeAmount(asked.amount, this.plant) };
    const f = this.faults;
    if (!f) return super.charge(req);
    if (f.decide(FAULT.chargeTimeoutBefore, req.idempotencyKey, f.rates.chargeTimeoutBefore, 1)) {
      f.add(FAULT.chargeTimeoutBefore);
      throw new TransientGatewayError(`[chaos] timed out before reaching the provider (${req.idempotencyKey})`);
    }
    const pruned = this.prunedAt.get(req.idempotencyKey);
    const started = this.requests.getStore();
    if (pruned !== undefined && (started === undefined || started > pruned)) {
      this.prunedAt.delete(req.idempotencyKey);
      this.forgetIdempotencyKey(req.idempotencyKey);
    }
    const res = await super.charge(req);
    if (f.decide('gateway: time-out after charge', req.idempotencyKey, f.rates.chargeTimeoutAfter, 1)) {
      if (this.keyMode === 'forget') {
        // The retry comes after Stripe pruned the key: only the search by attempt can find the charge.
        this.prunedAt.set(req.idempotencyKey, ++this.moment);
        f.add(FAULT.chargeTimeoutAfterForgot);
      } else {
        // The retry comes before the search sees the charge: only the idempotency key can prevent a second one.
        const attemptId = req.metadata.attemptId;
        if (attemptId) this.staleSearch.add(attemptId);
        f.add(FAULT.chargeTimeoutAfterStale);
      }
      throw new TransientGatewayError(`[chaos] timed out after the charge went through (${req.idempotencyKey})`);
    }
    return res;
  }

  override async findChargeByAttempt(attemptId: string): Promise<ChargeResult | undefined> {
    if (this.staleSearch.delete(attemptId)) return undefined;
    return super.findChargeByAttempt(attemptId);
  }

  override async createPayment(req: PaymentRequest): Promise<CreatedPayment> {
    const created = await super.createPayment(req);
    const f = this.faults;
    if (f?.decide(FAULT.createPaymentTimeout, req.idempotencyKey, f.rates.createPaymentTimeout, 1)) {
      f.add(FAULT.createPaymentTimeout);
      throw new TransientGatewayError(`[chaos] timed out after creating the payment (${req.idempotencyKey})`);
    }
    return created;
  }

  override async getPayment(paymentRef: string): Promise<PaymentState | undefined> {
    const f = this.faults;
    if (f?.decide(FAULT.getPaymentError, paymentRef, f.rates.getPaymentError, 2)) {
      f.add(FAULT.getPaymentError);
      throw new TransientGatewayError(`[chaos] connection reset reading ${paymentRef}`);
    }
    return super.getPayment(paymentRef);
  }

  /** A refund made in the provider's dashboard: no fault, announced by a `charge.refunded` webhook. */
  dashboardRefund(req: RefundRequest): Promise<RefundResult> {
    return super.refund(req);
  }
}
