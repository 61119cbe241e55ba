/**
 * A token bucket that every outgoing Stripe request waits on.
 *
 * A renewal night sends one charge per due product; without pacing, a queue
 * drained by a fast consumer would hit Stripe's per-second limit and turn the
 * night into a storm of 429s. Stripe allows 100 read/write requests per second
 * in live mode and 25 in test mode, hence the conservative default of 25.
 *
 * The bucket holds `burst` tokens (default 1: evenly spaced requests, so no
 * rolling one-second window ever sees more than the rate). Callers reserve a
 * token synchronously and then sleep until it is theirs, so concurrent callers
 * queue up in call order instead of racing for the same slot.
 */
import { performance } from 'node:perf_hooks';

export interface RatePacerOptions {
  /** Requests per second at steady state. */
  ratePerSecond?: number;
  /** How many requests may go out back to back after a quiet spell. */
  burst?: number;
  /** Milliseconds on a monotonic scale; injectable so tests need no wall time. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_STRIPE_RATE_PER_SECOND = 25;

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class RatePacer {
  readonly ratePerSecond: number;
  readonly burst: number;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** May go negative: each unit below zero is a caller already waiting for a future token. */
  private tokens: number;
  private last: number;

  constructor(options: RatePacerOptions = {}) {
    this.ratePerSecond = options.ratePerSecond ?? DEFAULT_STRIPE_RATE_PER_SECOND;
    this.burst = options.burst ?? 1;
    if (!(this.ratePerSecond > 0) || !Number.isFinite(this.ratePerSecond)) {
      throw new RangeError(`ratePerSecond must be a positive number, got ${this.ratePerSecond}`);
    }
    if (!Number.isInteger(this.burst) || this.burst < 1) throw new RangeError(`burst must be a positive integer, got ${this.burst}`);
    this.intervalMs = 1000 / this.ratePerSecond;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? realSleep;
    this.tokens = this.burst;
    this.last = this.now();
  }

  /** Resolves when the caller may send one request. */
  acquire(): Promise<void> {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) / this.intervalMs);
    this.last = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return Promise.resolve();
    return this.sleep(-this.tokens * this.intervalMs);
  }
}
